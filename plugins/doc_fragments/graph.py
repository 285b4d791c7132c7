# -*- coding: utf-8 -*-
# Copyright: b2c.trustframework contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Connection and authentication options shared by every b2c.trustframework module."""

from __future__ import annotations


class ModuleDocFragment(object):  # pylint: disable=too-few-public-methods,useless-object-inheritance
    DOCUMENTATION = r"""
options:
  tenant_id:
    description:
      - Microsoft Entra ID / Azure AD B2C tenant, as a GUID or C(xxx.onmicrosoft.com).
      - Required for O(auth_method=client_secret), O(auth_method=client_certificate) and
        O(auth_method=workload_identity).
      - If not set, the environment variable E(AZURE_TENANT_ID) is used, then E(AZURE_TENANT) (the name
        C(azure.azcollection) uses). E(AZURE_TENANT_ID) wins when both are set.
      - The alias O(tenant) is the option name of C(azure.azcollection).
    type: str
    aliases: [tenant]
  client_id:
    description:
      - Application (client) id of the app registration.
      - Required for O(auth_method=client_secret), O(auth_method=client_certificate) and
        O(auth_method=workload_identity).
      - If not set, the environment variable E(AZURE_CLIENT_ID) is used.
    type: str
  client_secret:
    description:
      - Client secret of the app registration (its value, not its id).
      - If not set, the environment variable E(AZURE_CLIENT_SECRET) is used, then E(AZURE_SECRET)
        (the name C(azure.azcollection) uses). E(AZURE_CLIENT_SECRET) wins when both are set.
      - C(azure.azcollection)'s option name C(secret) is not an alias here, as it is the key value option of
        M(b2c.trustframework.b2c_keyset_key).
    type: str
  client_certificate_path:
    description:
      - Path of a PEM file holding the app's RSA private key and its certificate, or of a PKCS#12 bundle
        (C(.pfx)/C(.p12)) holding both. The format is recognised from the content, not from the file name.
        The certificate must be registered on the app registration.
      - The file is checked locally (key parses, password opens it, certificate matches the key) before
        any request is sent. A PEM file may be up to 1 MiB, a PKCS#12 bundle up to 10 MiB; a key or bundle
        whose key derivation asks for more than 1,000,000 iterations is refused.
      - The client assertion is signed with PS256 and names the certificate by its SHA-256 thumbprint
        (C(x5t#S256)); msal 1.35 or later is needed.
      - If not set, the environment variable E(AZURE_CLIENT_CERTIFICATE_PATH) is used.
    type: path
  client_certificate_password:
    description:
      - Password of the private key in O(client_certificate_path) (or of the PKCS#12 bundle), when it is
        encrypted. A PKCS#12 bundle without password is opened with none and with an empty one.
      - If not set, the environment variable E(AZURE_CLIENT_CERTIFICATE_PASSWORD) is used.
    type: str
  managed_identity:
    description:
      - Use the managed identity of the host (Azure VM, App Service, Container Apps, Azure Arc, ...).
      - The system-assigned identity is used unless O(managed_identity_client_id) is set.
      - A managed identity cannot reach an Azure AD B2C tenant on its own. It belongs to the Entra tenant of
        its Azure subscription, a B2C tenant cannot hold managed identities, and Graph in the B2C tenant
        rejects a token issued for another tenant. Use it only with a Graph endpoint that accepts such
        tokens; for credential-less pipelines use O(auth_method=workload_identity) instead.
    type: bool
  managed_identity_client_id:
    description:
      - Client id of a user-assigned managed identity. Setting it selects managed identity authentication
        under O(auth_method=auto) like O(managed_identity=true) does.
    type: str
  federated_token_file:
    description:
      - Path of a file holding an OIDC token from an external identity provider (GitHub Actions, Azure
        Pipelines, Kubernetes) that the app registration O(client_id) trusts through a federated identity
        credential (workload identity federation). The token is sent as the client assertion.
      - The file is read again on every token request, so a platform that renews it while the play runs
        is followed. It may be up to 1 MiB.
      - Selects O(auth_method=workload_identity) under O(auth_method=auto); requires O(tenant_id) and
        O(client_id).
      - If not set, the environment variable E(AZURE_FEDERATED_TOKEN_FILE) is used (the convention of
        azure-identity and of the Azure Workload Identity webhook for Kubernetes).
    type: path
  access_token:
    description:
      - A bearer token for Microsoft Graph acquired elsewhere (for example with
        C(az account get-access-token --resource-type ms-graph)). No call to the login service is made.
      - Its audience must be the Graph root of O(cloud) (or O(graph_endpoint)). When Graph rejects it
        (expired), the module fails and says so; the token is not refreshed.
      - If not set, the environment variable E(B2C_ACCESS_TOKEN) is used.
    type: str
  auth_method:
    description:
      - How to authenticate.
      - V(auto) picks the first method whose inputs are present, in this order - V(access_token)
        (O(access_token)), V(client_certificate) (O(client_certificate_path)), V(client_secret)
        (O(client_secret)), V(workload_identity) (O(federated_token_file)), V(managed_identity)
        (O(managed_identity=true) or O(managed_identity_client_id)).
        Inputs coming from environment variables count as present.
      - An explicit method requires its own inputs; missing inputs fail before any network call, naming the
        option and the environment variable to set.
      - V(client_secret), V(client_certificate) and V(workload_identity) also require O(tenant_id) and
        O(client_id).
      - V(workload_identity) comes after the secret-based methods and before V(managed_identity), because a federated
        token file is only present where a pipeline or cluster provides it, and a managed identity cannot
        reach a B2C tenant on its own.
    type: str
    default: auto
    choices: [auto, access_token, client_certificate, client_secret, workload_identity, managed_identity]
  cloud:
    description:
      - National cloud, which selects the Graph root and the login host.
      - V(public) - C(https://graph.microsoft.com) and C(https://login.microsoftonline.com).
      - V(usgov) - C(https://graph.microsoft.us) and C(https://login.microsoftonline.us).
      - V(dod) - C(https://dod-graph.microsoft.us) and C(https://login.microsoftonline.us).
      - V(china) - C(https://microsoftgraph.chinacloudapi.cn) and C(https://login.chinacloudapi.cn).
      - Tokens are requested for the scope C(<graph root>/.default) of the Graph root in use.
      - If not set, the environment variable E(AZURE_CLOUD) is used, then E(AZURE_CLOUD_ENVIRONMENT) (the
        name the AAP/AWX Microsoft Azure Resource Manager credential and C(azure.azcollection) use).
        E(AZURE_CLOUD) wins when both are set.
      - The Azure SDK names are accepted too - V(AzureCloud) and V(AzurePublicCloud) for V(public),
        V(AzureUSGovernment) and V(AzureUSGovernmentCloud) for V(usgov), V(AzureChinaCloud) for V(china), and
        V(USGovDoD) (the Microsoft Graph PowerShell name) and V(AzureUSGovernmentDoD) for V(dod); the Azure SDKs
        have no name of their own for the DoD cloud. As a value of this option they are spelled as listed; in the
        environment variables in any case.
      - The alias O(cloud_environment) is the option name of C(azure.azcollection).
    type: str
    default: public
    choices:
      - public
      - usgov
      - dod
      - china
      - AzureCloud
      - AzurePublicCloud
      - AzureUSGovernment
      - AzureUSGovernmentCloud
      - AzureUSGovernmentDoD
      - USGovDoD
      - AzureChinaCloud
    aliases: [cloud_environment]
  graph_endpoint:
    description:
      - Overrides the Graph root of O(cloud), for example C(https://127.0.0.1:8443) for a local emulator.
      - An absolute C(https://) URL without a path; the modules append C(/beta/trustFramework/...).
      - The token scope follows it (C(<graph_endpoint>/.default)).
      - If not set, the environment variable E(B2C_GRAPH_ENDPOINT) is used.
    type: str
  authority_host:
    description:
      - Overrides the login host of O(cloud). An absolute C(https://) URL without a path; the authority is
        C(<authority_host>/<tenant_id>).
      - With a host that is not one of the national clouds' login hosts, no instance discovery request is
        sent to Microsoft's public endpoints.
      - If not set, the environment variable E(AZURE_AUTHORITY_HOST) is used.
    type: str
  validate_certs:
    description:
      - Verify TLS certificates of Microsoft Graph and of the login service.
      - V(false) is meant for test endpoints only and makes the module emit a warning; prefer O(ca_path).
      - Environment variables such as E(REQUESTS_CA_BUNDLE) or E(CURL_CA_BUNDLE) are not used.
    type: bool
    default: true
  ca_path:
    description:
      - PEM bundle of extra CA certificates trusted in addition to the system store (or certifi's bundle where the system has none), for both
        Graph and login calls (for example the CA of a TLS-inspecting proxy or of the emulator). It may be up to 1 MiB.
      - If not set, the environment variable E(B2C_CA_PATH) is used.
    type: path
  timeout:
    description:
      - Timeout of each HTTP request in seconds.
    type: float
    default: 30
  max_retries:
    description:
      - How often a request is retried after HTTP 429, 502, 503 or 504, or a connect or read error.
      - C(Retry-After) is honoured; otherwise exponential backoff with jitter (1 s doubling, at most 30 s per
        wait, at most 300 s of waiting per request).
      - When C(Retry-After) asks for more than 120 s, or more than is left of the 300 s, the task fails at once
        saying how long the service asked to wait.
      - A key-creating POST is retried only when it provably did not reach the service (connect error) or was
        throttled (429); otherwise the module re-reads the keyset instead of sending it again.
    type: int
    default: 5
  token_cache_path:
    description:
      - File in which msal's token cache (and its discovery cache) is kept between tasks, so a playbook
        requests one token per credential instead of one per task.
      - The file holds access tokens in clear text; it is created with mode C(0600) (its directory with
        C(0700) when created). Access is locked across processes, so parallel forks share one token.
      - The file, its directory and its lock file are used only when they belong to the current user (or root)
        and are not writable by group or others; otherwise the task warns and goes on without the cache.
      - The locks that serialise writes to a keyset are kept in C(locks) next to this file.
      - Defaults to C($XDG_CACHE_HOME/b2c.trustframework/msal_token_cache.json), or
        C(~/.cache/b2c.trustframework/msal_token_cache.json) when E(XDG_CACHE_HOME) is unset.
      - An empty string disables the cache. Not used with O(access_token).
      - If not set, the environment variable E(B2C_TOKEN_CACHE_PATH) is used.
    type: path
notes:
  - All connection options can be set once per play through C(module_defaults) with the action group
    C(group/b2c.trustframework.graph).
  - The app needs the C(TrustFrameworkKeySet.ReadWrite.All) application permission with admin consent
    (C(TrustFrameworkKeySet.Read.All) suffices for reading). Delegated callers also need the
    B2C IEF Keyset Administrator role.
  - The keyset APIs exist only in Microsoft Graph beta.
requirements:
  - httpx >= 0.27
  - msal >= 1.35 (not needed with O(access_token))
  - cryptography >= 42.0 (for O(client_certificate_path))
"""
