# -*- coding: utf-8 -*-
# Copyright: b2c.trustframework contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The advice shown with an error: per B2C / Graph error code, per AADSTS login code, per transport failure."""

from __future__ import annotations

from ansible_collections.b2c.trustframework.plugins.module_utils.errors import THROTTLING_CODES, AuthError, GraphError

_PERMISSION_HINT = (
    "The app needs the TrustFrameworkKeySet.ReadWrite.All application permission with admin consent "
    "(delegated callers also need the B2C IEF Keyset Administrator role)."
)

# Graph/B2C error codes (error.code or any innerError.code) -> hint.
_CODE_HINTS = {
    "authorization_requestdenied": _PERMISSION_HINT,
    "accessdenied": _PERMISSION_HINT,
    "aadb2c95028": "A keyset with this name already exists: read it instead of creating it.",
    "aadb2c95032": (
        "A keyset holds only RSA keys or only oct (secret) keys: put keys of the other family into a separate keyset."
    ),
    "aadb2c95042": "A keyset holds only sig keys or only enc keys: put keys of the other use into a separate keyset.",
    "aadb2c90073": (
        "The keyset does not exist: check the name (the service stores it with the B2C_1A_ prefix, "
        "which the modules add when missing) and that a keyset created a moment ago has had time to replicate."
    ),
    "aadb2c95052": "The keyset does not exist yet: create it first (b2c.trustframework.b2c_keyset or create_keyset: true).",
    "aadb2c90213": (
        "The service refused the PKCS#12 password. It also says so for a bundle encrypted with AES (PBES2), "
        "even with the right password: check pkcs12_password, and keep pkcs12_reencode: true (the default) "
        "or re-export with 'openssl pkcs12 -export -keypbe PBE-SHA1-3DES -certpbe PBE-SHA1-3DES -macalg SHA1'."
    ),
    "aadb2c90180": "The certificate is already in the keyset: without force, the module finds it by its x5t and adds nothing.",
    "aadb2c90214": "The key's exp is in the past: give a later exp or valid_days.",
    "aadb2c95053": "Another write to this keyset was in progress: run again; the module re-reads the keyset first.",
    "aadb2c90063": (
        "B2C reported an internal error; it is often transient: run again (the module re-reads the keyset "
        "before adding, so no key is added twice)."
    ),
}

# AADSTS codes (login errors) -> hint.
_AADSTS_HINTS = {
    "AADSTS7000215": "The client secret is wrong: check client_secret (or AZURE_CLIENT_SECRET); use the secret's value, not its id.",
    "AADSTS7000222": "The client secret has expired: create a new one and set client_secret (or AZURE_CLIENT_SECRET).",
    "AADSTS700016": (
        "The application was not found in the tenant: check client_id (or AZURE_CLIENT_ID), "
        "tenant_id (or AZURE_TENANT_ID) and cloud."
    ),
    "AADSTS90002": "The tenant was not found: check tenant_id (or AZURE_TENANT_ID) and cloud / authority_host.",
    "AADSTS900023": "The tenant id is not valid: check tenant_id (or AZURE_TENANT_ID).",
    "AADSTS900021": "The tenant id is not valid: check tenant_id (or AZURE_TENANT_ID).",
    "AADSTS700027": (
        "The client assertion was rejected: check that the certificate in client_certificate_path "
        "is registered on the app and not expired."
    ),
    "AADSTS700024": (
        "The client assertion is outside its validity window: check the clock of this machine; with "
        "workload identity, let the pipeline write a fresh token to federated_token_file."
    ),
    # Workload identity federation: the presented token matches no federated credential of the app.
    "AADSTS700211": (
        "No federated credential of the app trusts the issuer of the token in federated_token_file "
        "(or AZURE_FEDERATED_TOKEN_FILE): add one with that issuer on the app registration in the tenant."
    ),
    "AADSTS700213": (
        "No federated credential of the app trusts the subject of the token in federated_token_file: "
        "compare the credential's subject with the one in the message (case-sensitive)."
    ),
    "AADSTS70021": (
        "No federated credential of the app matches the token in federated_token_file: check its issuer, "
        "subject and audience (api://AzureADTokenExchange)."
    ),
    "AADSTS7000274": "The certificate credential is not valid: check client_certificate_path.",
    "AADSTS50049": "The authority is unknown: check cloud and authority_host.",
    "AADSTS500011": "The resource (Graph root) was not found in the tenant: check cloud / graph_endpoint.",
    "AADSTS53003": "Conditional Access blocked the sign-in: ask the tenant admin to exclude this app or location.",
}


def _transport_hint(transport):
    if transport == "tls":
        return (
            "TLS certificate verification failed: set ca_path (or B2C_CA_PATH) to a PEM bundle with the issuing CA, "
            "or validate_certs=false for a test endpoint only."
        )
    if transport == "timeout":
        return "The request timed out: raise timeout, or check the network path to the endpoint."
    if transport == "connect":
        return (
            "Could not connect: check cloud / graph_endpoint / authority_host, proxies (HTTPS_PROXY) and the network."
        )
    if transport == "protocol":
        return "The connection was dropped by the server or a proxy: try again later."
    return None


def hint_for(error):
    """Advice for ``error`` (a B2CError or any exception), or None.

    Explicit hints set on the exception win over the table.
    """
    if error is None:
        return None
    explicit = getattr(error, "hint", None)
    if explicit:
        return explicit
    if isinstance(error, GraphError):
        return _graph_hint(error)
    if isinstance(error, AuthError):
        if error.code and error.code.upper() in _AADSTS_HINTS:
            return _AADSTS_HINTS[error.code.upper()]
        if error.code and error.code.upper().startswith("AADSTS"):
            return "See https://login.microsoftonline.com/error?code=%s" % error.code[6:]
        if error.transport:
            return _transport_hint(error.transport)
        if error.status == 401:
            return "Check the credentials (tenant_id, client_id, client_secret / client_certificate_path) and cloud."
    return None


def _graph_hint(error):
    hints = []
    lowered = [c.lower() for c in error.codes]
    for code in lowered:
        if code in _CODE_HINTS and _CODE_HINTS[code] not in hints:
            hints.append(_CODE_HINTS[code])
    if not hints:
        status = error.status
        if status is None:
            transport = _transport_hint(error.transport)
            if transport:
                hints.append(transport)
        elif status == 401:
            hints.append(
                "Graph rejected the token: check the credentials (tenant_id, client_id, secret or certificate), "
                "that cloud / graph_endpoint / authority_host belong to the same cloud, "
                "and that a supplied access_token has not expired."
            )
        elif status == 403:
            hints.append(_PERMISSION_HINT)
        elif status == 404:
            hints.append(
                "Check the keyset name: the service stores keysets with the B2C_1A_ prefix "
                "(the modules add it when missing), and that the key id (kid) exists."
            )
        elif status == 429 or error.has_code(*THROTTLING_CODES):
            hints.append(
                "Microsoft Graph kept throttling the request after %d retries: lower the parallelism "
                "(forks, throttle) or raise max_retries." % error.retries
            )
        elif status >= 500 and error.retries:
            hints.append(
                "The service kept failing after %d retries: try again later or raise max_retries." % error.retries
            )
    return " ".join(hints) if hints else None
