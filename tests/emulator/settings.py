"""Run-time settings of one emulator instance (from the command line)."""

from __future__ import annotations

import dataclasses
import uuid

READ_WRITE_ROLE = "TrustFrameworkKeySet.ReadWrite.All"
READ_ROLE = "TrustFrameworkKeySet.Read.All"
# Custom policies have their own permissions: the keyset ones do not cover them (Graph permission pages of
# trustframework-put-trustframeworkpolicy.md and trustframework-list-trustframeworkpolicies.md).
POLICY_READ_WRITE_ROLE = "Policy.ReadWrite.TrustFramework"
POLICY_READ_ROLE = "Policy.Read.All"
READ_WRITE_ROLES = [READ_WRITE_ROLE, POLICY_READ_WRITE_ROLE]
READ_ROLES = [READ_ROLE, POLICY_READ_ROLE]
MANAGED_IDENTITY_APP_ID = "emulator-managed-identity"
# Workload identity federation: the emulator plays the external OIDC issuer too (its key is in the state dir).
FEDERATED_ISSUER = "https://federated-issuer.emulator.local"
FEDERATED_SUBJECT = "repo:b2c/trustframework:environment:emulator"
FEDERATED_AUDIENCE = "api://AzureADTokenExchange"  # what Entra ID expects by default


@dataclasses.dataclass(frozen=True)
class FederatedCredential:
    """A federated identity credential of an app: it trusts tokens of ``issuer`` about ``subject`` for ``audience``."""

    issuer: str
    subject: str
    audience: str = FEDERATED_AUDIENCE


def tenant_guid_for(tenant: str) -> str:
    """A stable GUID alias for the tenant name, so both tenant forms work across restarts."""
    return str(uuid.uuid5(uuid.NAMESPACE_DNS, tenant.lower()))


@dataclasses.dataclass
class ClientCredential:
    """One app registration: a secret and/or certificate thumbprints, and its app role."""

    client_id: str
    secret: str | None = None
    # SHA-1 and SHA-256 thumbprints (base64url, unpadded) -> public key of the certificate
    certificates: dict = dataclasses.field(default_factory=dict)
    federated: list = dataclasses.field(default_factory=list)  # FederatedCredential
    read_only: bool = False

    @property
    def roles(self) -> list[str]:
        return list(READ_ROLES if self.read_only else READ_WRITE_ROLES)


@dataclasses.dataclass
class EmulatorSettings:
    tenant: str = "emulator.onmicrosoft.com"
    clients: dict = dataclasses.field(default_factory=dict)  # client_id -> ClientCredential
    identity_header: str = "emulator-identity-header"
    page_size: int = 50
    latency_ms: int = 0
    token_lifetime: int = 3600
    federated_issuer: str = FEDERATED_ISSUER
    reformat_policies: bool = False  # GET policies/{id}/$value answers a reformatted copy (see policy_xml.reformat)

    @property
    def tenant_guid(self) -> str:
        return tenant_guid_for(self.tenant)

    def is_our_tenant(self, tenant: str) -> bool:
        return tenant.lower() in (self.tenant.lower(), self.tenant_guid)
