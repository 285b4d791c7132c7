# -*- coding: utf-8 -*-
# Copyright: b2c.trustframework contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""auth_method access_token: a bearer token acquired elsewhere, sent as it is (no msal, no login call)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from ansible_collections.b2c.trustframework.plugins.module_utils.auth_method_base import INPUT, AuthMethod
from ansible_collections.b2c.trustframework.plugins.module_utils.errors import ValidationError


@dataclass(frozen=True)
class AccessTokenCredential:
    """A pre-acquired bearer token (without the ``Bearer`` prefix)."""

    method: ClassVar[str] = "access_token"
    token: str = field(repr=False)


class AccessToken(AuthMethod):
    name = AccessTokenCredential.method
    input = INPUT[name]

    def load(self, params):
        return AccessTokenCredential(token=clean_access_token(params[self.input]))


METHOD = AccessToken()


def clean_access_token(token):
    """The bare token of ``token`` (a leading ``Bearer`` is dropped), or ValidationError."""
    token = str(token).strip()
    if token.lower().startswith("bearer "):
        token = token[7:].strip()
    if not token or any(ch.isspace() for ch in token):
        raise ValidationError(
            "access_token (or B2C_ACCESS_TOKEN) must be a bare bearer token without spaces or line breaks."
        )
    return token
