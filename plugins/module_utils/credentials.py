# -*- coding: utf-8 -*-
# Copyright: b2c.trustframework contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which credential a task uses (``auth_method``), and loading it: the certificate (PEM or PKCS#12), the
federated token file of workload identity.

No network and no msal here: these checks run before any request. cryptography
is imported inside functions only, so importing this module stays cheap.
"""

from __future__ import annotations

import hashlib
import importlib.util
import re
import types
from dataclasses import dataclass, field
from typing import ClassVar, Optional

from ansible_collections.b2c.trustframework.plugins.module_utils.errors import KeyMaterialError, ValidationError

AUTO = "auto"
ACCESS_TOKEN = "access_token"
CLIENT_CERTIFICATE = "client_certificate"
CLIENT_SECRET = "client_secret"
WORKLOAD_IDENTITY = "workload_identity"
MANAGED_IDENTITY = "managed_identity"

# Order of precedence of auth_method=auto. Workload identity comes before managed identity: a pipeline that
# sets a federated token file means it, and a managed identity cannot reach a B2C tenant on its own.
AUTH_PRECEDENCE = (ACCESS_TOKEN, CLIENT_CERTIFICATE, CLIENT_SECRET, WORKLOAD_IDENTITY, MANAGED_IDENTITY)
# The auth_method choices, in the order the documentation lists them.
AUTH_METHODS = (AUTO, CLIENT_SECRET, CLIENT_CERTIFICATE, WORKLOAD_IDENTITY, MANAGED_IDENTITY, ACCESS_TOKEN)

# How to tell the user to supply each input.
_HOW = {
    "tenant_id": "tenant_id (or AZURE_TENANT_ID)",
    "client_id": "client_id (or AZURE_CLIENT_ID)",
    "client_secret": "client_secret (or AZURE_CLIENT_SECRET)",
    "client_certificate_path": "client_certificate_path (or AZURE_CLIENT_CERTIFICATE_PATH)",
    "client_certificate_password": "client_certificate_password (or AZURE_CLIENT_CERTIFICATE_PASSWORD)",
    "federated_token_file": "federated_token_file (or AZURE_FEDERATED_TOKEN_FILE)",
    "access_token": "access_token (or B2C_ACCESS_TOKEN)",
    "managed_identity": "managed_identity=true",
}


class MissingLibraryError(ValidationError):
    """A Python library the selected auth method needs is not installed (``library`` names it)."""

    def __init__(self, library, method):
        super().__init__("auth_method %s needs the Python library %s." % (method, library))
        self.library = library


# ---------------------------------------------------------------------------
# The credentials, once loaded. Secrets are left out of repr().
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class AccessTokenCredential:
    """A pre-acquired bearer token (without the ``Bearer`` prefix)."""

    method: ClassVar[str] = ACCESS_TOKEN
    token: str = field(repr=False)


@dataclass(frozen=True)
class _AppCredential:
    """An app registration (``client_id``) in a tenant, proved by a secret or a certificate."""

    tenant_id: str
    client_id: str


@dataclass(frozen=True)
class ClientSecretCredential(_AppCredential):
    method: ClassVar[str] = CLIENT_SECRET
    secret: str = field(repr=False)

    @property
    def fingerprint(self):
        """Tells credentials apart (a rotated secret) without revealing the secret."""
        return "secret:" + hashlib.sha256(self.secret.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ClientCertificateCredential(_AppCredential):
    """The certificate's private key (unencrypted PKCS#8 PEM) and its SHA-1 thumbprint (hex)."""

    method: ClassVar[str] = CLIENT_CERTIFICATE
    private_key_pem: str = field(repr=False)
    thumbprint: str

    @property
    def fingerprint(self):
        return "cert:" + self.thumbprint


@dataclass(frozen=True)
class WorkloadIdentityCredential(_AppCredential):
    """An app registration that trusts an external OIDC token (workload identity federation).

    The token file is re-read on every token request: the platform (GitHub Actions, Azure Pipelines,
    Kubernetes) replaces it with a fresh short-lived token while the play runs.
    """

    method: ClassVar[str] = WORKLOAD_IDENTITY
    token_file: str

    @property
    def fingerprint(self):
        # Not the assertion: it changes on every refresh, while the app (and so the token it gets) stays the same.
        return "federated"

    def read_assertion(self):
        """The current federated token, or KeyMaterialError naming the option (never the token)."""
        return read_federated_token(self.token_file)


@dataclass(frozen=True)
class ManagedIdentityCredential:
    """The host's managed identity: system-assigned, or user-assigned when ``client_id`` is set."""

    method: ClassVar[str] = MANAGED_IDENTITY
    client_id: Optional[str] = None


# ---------------------------------------------------------------------------
# Selection
# ---------------------------------------------------------------------------
def _present(value):
    if value is None:
        return False
    if isinstance(value, str):
        return value.strip() != ""
    return True


def _method_inputs_present(params, method):
    if method == ACCESS_TOKEN:
        return _present(params.get("access_token"))
    if method == CLIENT_CERTIFICATE:
        return _present(params.get("client_certificate_path"))
    if method == CLIENT_SECRET:
        return _present(params.get("client_secret"))
    if method == WORKLOAD_IDENTITY:
        return _present(params.get("federated_token_file"))
    if method == MANAGED_IDENTITY:
        return params.get("managed_identity") is True or _present(params.get("managed_identity_client_id"))
    return False


def select_auth_method(params):
    """Return the auth method to use, or raise ValidationError naming what to set.

    auth_method=auto picks the first method whose inputs are present, in the
    order access_token, client_certificate, client_secret, workload_identity,
    managed_identity. An explicit auth_method requires its own inputs.
    client_secret, client_certificate and workload_identity also need
    tenant_id and client_id.
    """
    requested = params.get("auth_method") or AUTO  # one of AUTH_METHODS: the argument spec's choices refuse others
    if requested == AUTO:
        method = next((m for m in AUTH_PRECEDENCE if _method_inputs_present(params, m)), None)
        if method is None:
            raise ValidationError(
                "No credentials: set one of %s; %s, %s or %s (each with tenant_id and client_id); or %s." % (
                    _HOW["access_token"], _HOW["client_certificate_path"], _HOW["client_secret"],
                    _HOW["federated_token_file"], _HOW["managed_identity"])
            )
    else:
        method = requested
        if method == MANAGED_IDENTITY:
            if params.get("managed_identity") is False:
                raise ValidationError("auth_method=managed_identity contradicts managed_identity=false: remove one of them.")
        elif not _method_inputs_present(params, method):
            needed = {ACCESS_TOKEN: "access_token", CLIENT_CERTIFICATE: "client_certificate_path",
                      CLIENT_SECRET: "client_secret", WORKLOAD_IDENTITY: "federated_token_file"}[method]
            raise ValidationError("auth_method=%s needs %s: set %s." % (method, needed, _HOW[needed]))
    if method in (CLIENT_SECRET, CLIENT_CERTIFICATE, WORKLOAD_IDENTITY):
        missing = [name for name in ("tenant_id", "client_id") if not _present(params.get(name))]
        if missing:
            raise ValidationError(
                "auth_method %s needs %s: set %s." % (method, " and ".join(missing), " and ".join(_HOW[m] for m in missing))
            )
    return method


def load_credential(params):
    """Select the auth method and load its credential; the one place that reads credential options.

    Raises ValidationError (MissingLibraryError, KeyMaterialError) naming the
    option to fix; never includes a secret in the message.
    """
    method = select_auth_method(params)
    if method == ACCESS_TOKEN:
        return AccessTokenCredential(token=clean_access_token(params["access_token"]))
    _require_library("msal", method)
    if method == MANAGED_IDENTITY:
        return ManagedIdentityCredential(client_id=params.get("managed_identity_client_id") or None)
    tenant_id = str(params["tenant_id"]).strip()
    client_id = str(params["client_id"]).strip()
    if method == CLIENT_SECRET:
        return ClientSecretCredential(tenant_id=tenant_id, client_id=client_id, secret=str(params["client_secret"]))
    if method == WORKLOAD_IDENTITY:
        token_file = str(params["federated_token_file"])
        read_federated_token(token_file)  # fail before any request when the file is missing or empty
        return WorkloadIdentityCredential(tenant_id=tenant_id, client_id=client_id, token_file=token_file)
    private_key_pem, thumbprint = load_certificate(params["client_certificate_path"],
                                                   params.get("client_certificate_password"))
    return ClientCertificateCredential(tenant_id=tenant_id, client_id=client_id, private_key_pem=private_key_pem,
                                       thumbprint=thumbprint)


def _require_library(library, method):
    try:
        found = importlib.util.find_spec(library) is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        raise MissingLibraryError(library, method)


def clean_access_token(token):
    """The bare token of ``token`` (a leading ``Bearer`` is dropped), or ValidationError."""
    token = str(token).strip()
    if token.lower().startswith("bearer "):
        token = token[7:].strip()
    if not token or any(ch.isspace() for ch in token):
        raise ValidationError("access_token (or B2C_ACCESS_TOKEN) must be a bare bearer token without spaces or line breaks.")
    return token


# ---------------------------------------------------------------------------
# Certificate credential: a PEM file or a PKCS#12 (.pfx/.p12) bundle
# ---------------------------------------------------------------------------
_PEM_BLOCK = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----\r?\n.*?-----END \1-----", re.DOTALL)
_KEY_LABELS = (b"PRIVATE KEY", b"RSA PRIVATE KEY", b"ENCRYPTED PRIVATE KEY", b"EC PRIVATE KEY")
_DER_SEQUENCE = 0x30  # a PKCS#12 bundle is a DER SEQUENCE


def load_certificate(path, password=None):
    """Read the client certificate: a PEM file (private key + certificate) or a PKCS#12 bundle.

    The format is told by the content, not the file name: AAP and azure-identity users
    point AZURE_CLIENT_CERTIFICATE_PATH at either. msal takes a PEM key and a
    thumbprint, so a PKCS#12 bundle is converted here, in memory.

    Returns (private key as unencrypted PKCS#8 PEM text, SHA-1 hex thumbprint
    of the DER certificate). Raises KeyMaterialError naming the option; never
    includes key material.
    """
    crypto = _cryptography()
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise KeyMaterialError("%s: cannot read %r (%s)." % (
            _HOW["client_certificate_path"], path, exc.strerror or type(exc).__name__)) from None
    if b"-----BEGIN " in data:
        key, certificates = _pem_key_and_certificates(crypto, data, password, path)
    elif data[:1] == bytes([_DER_SEQUENCE]):
        key, certificates = _pkcs12_key_and_certificates(crypto, data, password, path)
    else:
        raise KeyMaterialError("%s: %r is neither PEM (private key and certificate) nor PKCS#12 (.pfx/.p12)." % (
            _HOW["client_certificate_path"], path))
    return _key_pem_and_thumbprint(crypto, key, certificates, path)


def _cryptography():
    try:
        # pylint: disable=import-outside-toplevel
        from cryptography import x509
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa
        from cryptography.hazmat.primitives.serialization import pkcs12
    except ImportError:
        raise MissingLibraryError("cryptography", CLIENT_CERTIFICATE) from None
    return types.SimpleNamespace(x509=x509, serialization=serialization, rsa=rsa, pkcs12=pkcs12)


def _pem_key_and_certificates(crypto, data, password, path):
    option = _HOW["client_certificate_path"]
    blocks = [(m.group(1), m.group(0)) for m in _PEM_BLOCK.finditer(data)]
    key_blocks = [b for label, b in blocks if label in _KEY_LABELS]
    cert_blocks = [b for label, b in blocks if label == b"CERTIFICATE"]
    if not key_blocks:
        raise KeyMaterialError("%s: %r holds no PEM private key; it must contain the private key and the certificate." % (option, path))
    if not cert_blocks:
        raise KeyMaterialError("%s: %r holds no PEM certificate; it must contain the private key and the certificate." % (option, path))
    certificates = []
    for block in cert_blocks:
        try:
            certificates.append(crypto.x509.load_pem_x509_certificate(block))
        except ValueError:
            continue
    return _load_private_key(crypto.serialization, key_blocks[0], password, path), certificates


def _pkcs12_key_and_certificates(crypto, data, password, path):
    """The key and certificates of a PKCS#12 bundle; a bundle without password is tried with none and with ""."""
    option = _HOW["client_certificate_path"]
    attempts = [password.encode("utf-8")] if _present(password) else [None, b""]
    for secret in attempts:
        try:
            key, certificate, chain = crypto.pkcs12.load_key_and_certificates(data, secret)
        except (ValueError, TypeError):
            continue
        if key is None:
            raise KeyMaterialError("%s: the PKCS#12 file %r holds no private key." % (option, path))
        return key, [c for c in [certificate] + list(chain or []) if c is not None]
    if _present(password):
        raise KeyMaterialError("%s: could not open the PKCS#12 file %r: check %s." % (
            option, path, _HOW["client_certificate_password"]))
    raise KeyMaterialError("%s: could not open the PKCS#12 file %r: it is encrypted (set %s) or damaged." % (
        option, path, _HOW["client_certificate_password"]))


def _key_pem_and_thumbprint(crypto, key, certificates, path):
    """The key as unencrypted PKCS#8 PEM and the SHA-1 thumbprint of the certificate that matches it."""
    option = _HOW["client_certificate_path"]
    if not isinstance(key, crypto.rsa.RSAPrivateKey):
        raise KeyMaterialError("%s: the private key in %r is not an RSA key; Microsoft Entra ID needs an RSA certificate." % (option, path))
    public_numbers = key.public_key().public_numbers()
    certificate = next((c for c in certificates if _public_numbers(c) == public_numbers), None)
    if certificate is None:
        raise KeyMaterialError("%s: no certificate in %r matches its private key." % (option, path))
    der = certificate.public_bytes(crypto.serialization.Encoding.DER)
    thumbprint = hashlib.sha1(der).hexdigest()  # nosec - SHA-1 thumbprint required by the x5t header
    pem = key.private_bytes(crypto.serialization.Encoding.PEM, crypto.serialization.PrivateFormat.PKCS8,
                            crypto.serialization.NoEncryption()).decode("ascii")
    return pem, thumbprint


def _public_numbers(certificate):
    try:
        return certificate.public_key().public_numbers()
    except (AttributeError, ValueError):  # a certificate with a key type that has no numbers (Ed25519)
        return None


def _load_private_key(serialization, block, password, path):
    option = _HOW["client_certificate_path"]
    pwd = password.encode("utf-8") if _present(password) else None
    try:
        return serialization.load_pem_private_key(block, password=pwd)
    except TypeError:
        if pwd is None:
            raise KeyMaterialError("%s: the private key in %r is encrypted: set %s." % (
                option, path, _HOW["client_certificate_password"])) from None
    except ValueError:
        if pwd is not None:
            raise KeyMaterialError("%s: could not decrypt the private key in %r: check %s." % (
                option, path, _HOW["client_certificate_password"])) from None
        raise KeyMaterialError("%s: the private key in %r cannot be parsed." % (option, path)) from None
    except Exception:  # pylint: disable=broad-except
        raise KeyMaterialError("%s: the private key in %r cannot be parsed." % (option, path)) from None
    # A password was given for an unencrypted key: use the key as it is.
    try:
        return serialization.load_pem_private_key(block, password=None)
    except (TypeError, ValueError):
        raise KeyMaterialError("%s: the private key in %r cannot be parsed." % (option, path)) from None


# ---------------------------------------------------------------------------
# Workload identity: the federated token file
# ---------------------------------------------------------------------------
def read_federated_token(path):
    """The OIDC token in ``path`` (whitespace around it dropped), or KeyMaterialError; never shows the token."""
    option = _HOW["federated_token_file"]
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as exc:
        raise KeyMaterialError("%s: cannot read %r (%s)." % (option, path, exc.strerror or type(exc).__name__)) from None
    try:
        token = raw.decode("ascii").strip()
    except UnicodeDecodeError:
        token = ""
    if token.count(".") != 2 or any(ch.isspace() for ch in token):
        raise KeyMaterialError("%s: %r does not hold a JWT (an OIDC token from the pipeline or cluster)." % (option, path))
    return token
