# -*- coding: utf-8 -*-
# Copyright: b2c.trustframework contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""auth_method managed_identity: the host's managed identity, system- or user-assigned (msal's ManagedIdentityClient).

A managed identity belongs to the Entra tenant of its Azure subscription and cannot reach a B2C tenant on its own
(the doc fragment says why); ``auto`` tries it last.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Optional

from ansible_collections.b2c.trustframework.plugins.module_utils.auth_method_base import INPUT, AuthMethod
from ansible_collections.b2c.trustframework.plugins.module_utils.errors import ValidationError


@dataclass(frozen=True)
class ManagedIdentityCredential:
    """System-assigned, or user-assigned when ``client_id`` is set."""

    method: ClassVar[str] = "managed_identity"
    client_id: Optional[str] = None


class ManagedIdentity(AuthMethod):
    name = ManagedIdentityCredential.method
    input = INPUT[name]

    def check_requested(self, params):
        if params.get("managed_identity") is False:
            raise ValidationError(
                "auth_method=managed_identity contradicts managed_identity=false: remove one of them."
            )

    def load(self, params):
        return ManagedIdentityCredential(client_id=params.get("managed_identity_client_id") or None)


METHOD = ManagedIdentity()
