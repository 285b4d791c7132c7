# -*- coding: utf-8 -*-
# Copyright: b2c.trustframework contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which credential a task uses (``auth_method``), and loading it: the PEM of a certificate credential.

No network and no msal here: these checks run before any request. cryptography
is imported inside functions only, so importing this module stays cheap.
"""

from __future__ import annotations

import hashlib
import importlib.util
import re
from dataclasses import dataclass, field
from typing import ClassVar, Optional

from ansible_collections.b2c.trustframework.plugins.module_utils.errors import KeyMaterialError, ValidationError

AUTO = "auto"
ACCESS_TOKEN = "access_token"
CLIENT_CERTIFICATE = "client_certificate"
CLIENT_SECRET = "client_secret"
MANAGED_IDENTITY = "managed_identity"

# Order of precedence of auth_method=auto.
AUTH_PRECEDENCE = (ACCESS_TOKEN, CLIENT_CERTIFICATE, CLIENT_SECRET, MANAGED_IDENTITY)
AUTH_METHODS = (AUTO,) + AUTH_PRECEDENCE

# How to tell the user to supply each input.
_HOW = {
    "tenant_id": "tenant_id (or AZURE_TENANT_ID)",
    "client_id": "client_id (or AZURE_CLIENT_ID)",
    "client_secret": "client_secret (or AZURE_CLIENT_SECRET)",
    "client_certificate_path": "client_certificate_path (or AZURE_CLIENT_CERTIFICATE_PATH)",
    "client_certificate_password": "client_certificate_password (or AZURE_CLIENT_CERTIFICATE_PASSWORD)",
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
    if method == MANAGED_IDENTITY:
        return params.get("managed_identity") is True or _present(params.get("managed_identity_client_id"))
    return False


def select_auth_method(params):
    """Return the auth method to use, or raise ValidationError naming what to set.

    auth_method=auto picks the first method whose inputs are present, in the
    order access_token, client_certificate, client_secret, managed_identity.
    An explicit auth_method requires its own inputs. client_secret and
    client_certificate also need tenant_id and client_id.
    """
    requested = params.get("auth_method") or AUTO
    if requested not in AUTH_METHODS:
        raise ValidationError("auth_method must be one of %s, got %r" % (", ".join(AUTH_METHODS), requested))
    if requested == AUTO:
        method = next((m for m in AUTH_PRECEDENCE if _method_inputs_present(params, m)), None)
        if method is None:
            raise ValidationError(
                "No credentials: set one of %s, %s (with tenant_id and client_id), %s (with tenant_id and client_id) "
                "or %s." % (_HOW["access_token"], _HOW["client_certificate_path"], _HOW["client_secret"],
                            _HOW["managed_identity"])
            )
    else:
        method = requested
        if method == MANAGED_IDENTITY:
            if params.get("managed_identity") is False:
                raise ValidationError("auth_method=managed_identity contradicts managed_identity=false: remove one of them.")
        elif not _method_inputs_present(params, method):
            needed = {ACCESS_TOKEN: "access_token", CLIENT_CERTIFICATE: "client_certificate_path",
                      CLIENT_SECRET: "client_secret"}[method]
            raise ValidationError("auth_method=%s needs %s: set %s." % (method, needed, _HOW[needed]))
    if method in (CLIENT_SECRET, CLIENT_CERTIFICATE):
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
    private_key_pem, thumbprint = load_certificate_pem(params["client_certificate_path"],
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
# Certificate credential: the PEM file
# ---------------------------------------------------------------------------
_PEM_BLOCK = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----\r?\n.*?-----END \1-----", re.DOTALL)
_KEY_LABELS = (b"PRIVATE KEY", b"RSA PRIVATE KEY", b"ENCRYPTED PRIVATE KEY", b"EC PRIVATE KEY")


def load_certificate_pem(path, password=None):
    """Read a PEM file holding an RSA private key and its certificate.

    Returns (private key as unencrypted PKCS#8 PEM text, SHA-1 hex thumbprint
    of the DER certificate). Raises KeyMaterialError naming the option; never
    includes key material.
    """
    try:
        # pylint: disable=import-outside-toplevel
        from cryptography import x509
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa
    except ImportError:
        raise MissingLibraryError("cryptography", CLIENT_CERTIFICATE) from None
    option = _HOW["client_certificate_path"]
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise KeyMaterialError("%s: cannot read %r (%s)." % (option, path, exc.strerror or type(exc).__name__)) from None
    blocks = [(m.group(1), m.group(0)) for m in _PEM_BLOCK.finditer(data)]
    key_blocks = [b for label, b in blocks if label in _KEY_LABELS]
    cert_blocks = [b for label, b in blocks if label == b"CERTIFICATE"]
    if not key_blocks:
        raise KeyMaterialError("%s: %r holds no PEM private key; it must contain the private key and the certificate." % (option, path))
    if not cert_blocks:
        raise KeyMaterialError("%s: %r holds no PEM certificate; it must contain the private key and the certificate." % (option, path))
    key = _load_private_key(serialization, key_blocks[0], password, path)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise KeyMaterialError("%s: the private key in %r is not an RSA key; Microsoft Entra ID needs an RSA certificate." % (option, path))
    certificate = None
    for block in cert_blocks:
        try:
            candidate = x509.load_pem_x509_certificate(block)
        except ValueError:
            continue
        if candidate.public_key().public_numbers() == key.public_key().public_numbers():
            certificate = candidate
            break
    if certificate is None:
        raise KeyMaterialError("%s: no certificate in %r matches its private key." % (option, path))
    der = certificate.public_bytes(serialization.Encoding.DER)
    thumbprint = hashlib.sha1(der).hexdigest()  # nosec - SHA-1 thumbprint required by the x5t header
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode("ascii")
    return pem, thumbprint


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
