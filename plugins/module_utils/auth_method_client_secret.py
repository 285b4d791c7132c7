# -*- coding: utf-8 -*-
# Copyright: b2c.trustframework contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""auth_method client_secret: an app registration proved by a client secret (msal's confidential client)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import ClassVar

from ansible_collections.b2c.trustframework.plugins.module_utils.auth_method_base import (
    INPUT,
    AppCredential,
    AuthMethod,
)


@dataclass(frozen=True)
class ClientSecretCredential(AppCredential):
    method: ClassVar[str] = "client_secret"
    secret: str = field(repr=False)

    @property
    def fingerprint(self):
        """Tells credentials apart (a rotated secret) without revealing the secret."""
        return "secret:" + hashlib.sha256(self.secret.encode("utf-8")).hexdigest()

    @property
    def client_credential(self):
        """msal's ``client_credential``."""
        return self.secret


class ClientSecret(AuthMethod):
    name = ClientSecretCredential.method
    input = INPUT[name]
    needs_app = True

    def load(self, params):
        return ClientSecretCredential(secret=str(params[self.input]), **AppCredential.identity(params))


METHOD = ClientSecret()
