# -*- coding: utf-8 -*-
# Copyright: b2c.trustframework contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Credential selection, token acquisition through msal, and the persisted token cache.

msal and cryptography are imported inside functions only, so importing this
module (or graph_client/module) stays cheap and works without them.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import tempfile
import time
from collections import namedtuple

from ansible_collections.b2c.trustframework.plugins.module_utils.clouds import KNOWN_AUTHORITY_HOSTS
from ansible_collections.b2c.trustframework.plugins.module_utils.errors import (
    AuthError,
    B2CError,
    KeyMaterialError,
    ValidationError,
    exception_chain,
    first_line,
    sanitize_text,
)
from ansible_collections.b2c.trustframework.plugins.module_utils.graph_client import MsalHttpClient, MsalResponse
from ansible_collections.b2c.trustframework.plugins.module_utils.version import COLLECTION_VERSION

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

CACHE_FORMAT_VERSION = 1
LOCK_TIMEOUT = 60.0


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
    if method == ACCESS_TOKEN:
        _clean_access_token(params.get("access_token"))
    return method


def _clean_access_token(token):
    token = str(token).strip()
    if token.lower().startswith("bearer "):
        token = token[7:].strip()
    if not token or any(ch.isspace() for ch in token):
        raise ValidationError("access_token (or B2C_ACCESS_TOKEN) must be a bare bearer token without spaces or line breaks.")
    return token


# ---------------------------------------------------------------------------
# Certificate credential
# ---------------------------------------------------------------------------
_PEM_BLOCK = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----\r?\n.*?-----END \1-----", re.DOTALL)
_KEY_LABELS = (b"PRIVATE KEY", b"RSA PRIVATE KEY", b"ENCRYPTED PRIVATE KEY", b"EC PRIVATE KEY")

CertificateCredential = namedtuple("CertificateCredential", ["private_key_pem", "thumbprint", "not_after"])


def load_certificate_credential(path, password=None):
    """Read a PEM file holding an RSA private key and its certificate.

    Returns CertificateCredential(private_key_pem (unencrypted PKCS#8 text),
    thumbprint (SHA-1 hex of the DER certificate), not_after). Raises
    KeyMaterialError naming the option; never includes key material.
    """
    option = _HOW["client_certificate_path"]
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise KeyMaterialError("%s: cannot read %r (%s)." % (option, path, exc.strerror or type(exc).__name__)) from None
    try:
        # pylint: disable=import-outside-toplevel
        from cryptography import x509
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa
    except ImportError:
        raise ValidationError("auth_method client_certificate needs the Python library cryptography.") from None
    blocks = [(m.group(1), m.group(0)) for m in _PEM_BLOCK.finditer(data)]
    key_blocks = [b for label, b in blocks if label in _KEY_LABELS]
    cert_blocks = [b for label, b in blocks if label == b"CERTIFICATE"]
    if not key_blocks:
        raise KeyMaterialError("%s: %r holds no PEM private key; it must contain the private key and the certificate." % (option, path))
    if not cert_blocks:
        raise KeyMaterialError("%s: %r holds no PEM certificate; it must contain the private key and the certificate." % (option, path))
    pwd = password.encode("utf-8") if _present(password) else None
    try:
        key = serialization.load_pem_private_key(key_blocks[0], password=pwd)
    except TypeError:
        if pwd is None:
            raise KeyMaterialError("%s: the private key in %r is encrypted: set %s." % (
                option, path, _HOW["client_certificate_password"])) from None
        # A password was given for an unencrypted key: use the key as it is.
        try:
            key = serialization.load_pem_private_key(key_blocks[0], password=None)
        except (TypeError, ValueError):
            raise KeyMaterialError("%s: the private key in %r cannot be parsed." % (option, path)) from None
    except ValueError:
        if pwd is not None:
            raise KeyMaterialError("%s: could not decrypt the private key in %r: check %s." % (
                option, path, _HOW["client_certificate_password"])) from None
        raise KeyMaterialError("%s: the private key in %r cannot be parsed." % (option, path)) from None
    except Exception:  # pylint: disable=broad-except
        raise KeyMaterialError("%s: the private key in %r cannot be parsed." % (option, path)) from None
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
    not_after = getattr(certificate, "not_valid_after_utc", None) or certificate.not_valid_after
    return CertificateCredential(private_key_pem=pem, thumbprint=thumbprint, not_after=not_after)


# ---------------------------------------------------------------------------
# Token cache file
# ---------------------------------------------------------------------------
def default_token_cache_path():
    """``$XDG_CACHE_HOME/b2c.trustframework/msal_token_cache.json`` (``~/.cache`` when unset)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "b2c.trustframework", "msal_token_cache.json")


def resolve_token_cache_path(value):
    """None → default path; empty string → None (disabled); else the expanded path."""
    if value is None:
        return default_token_cache_path()
    value = str(value)
    if value.strip() == "":
        return None
    return os.path.abspath(os.path.expanduser(value))


def _http_cache_to_json(mapping):
    out = {}
    for key, value in mapping.items():
        if not isinstance(key, str):
            continue
        if hasattr(value, "status_code") and hasattr(value, "text"):
            out[key] = {"__response__": [value.status_code, value.text, dict(getattr(value, "headers", {}) or {})]}
        else:
            try:
                json.dumps(value)
            except (TypeError, ValueError):
                continue
            out[key] = {"__value__": value}
    return out


def _http_cache_from_json(data):
    mapping = {}
    if not isinstance(data, dict):
        return mapping
    for key, item in data.items():
        if not isinstance(item, dict):
            continue
        if "__response__" in item:
            try:
                status, text, headers = item["__response__"]
            except (TypeError, ValueError):
                continue
            mapping[key] = MsalResponse(status, text, headers)
        elif "__value__" in item:
            mapping[key] = item["__value__"]
    return mapping


class TokenCacheFile:
    """One JSON file (mode 0600) holding msal token caches and http caches, one section per credential.

    Sections are keyed by a hash of the authority URL (with port), client id
    and credential fingerprint, so two emulators on different ports, or a
    rotated secret, never share entries. Access is serialised across
    processes with an exclusive fcntl lock on ``<path>.lock`` held for the
    whole load → acquire → save cycle, so parallel forks acquire one token.
    """

    def __init__(self, path, lock_timeout=LOCK_TIMEOUT):
        self.path = path
        self.lock_path = path + ".lock"
        self.lock_timeout = lock_timeout
        self.warnings = []

    @staticmethod
    def section_key(*parts):
        return hashlib.sha256("\n".join(str(p) for p in parts).encode("utf-8")).hexdigest()[:40]

    def _ensure_dir(self):
        directory = os.path.dirname(self.path)
        if directory and not os.path.isdir(directory):
            os.makedirs(directory, mode=0o700, exist_ok=True)
            os.chmod(directory, 0o700)

    @contextlib.contextmanager
    def locked(self):
        """Hold the cross-process lock; yields True when locked, False when the cache cannot be used."""
        try:
            import fcntl  # pylint: disable=import-outside-toplevel
        except ImportError:  # pragma: no cover - non-POSIX controller
            fcntl = None
        try:
            self._ensure_dir()
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            self.warnings.append("Token cache %s is not usable (%s); continuing without it." % (
                self.path, exc.strerror or type(exc).__name__))
            yield False
            return
        try:
            if fcntl is not None:
                deadline = time.monotonic() + self.lock_timeout
                while True:
                    try:
                        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                        break
                    except OSError:
                        if time.monotonic() >= deadline:
                            self.warnings.append("Timed out waiting for the token cache lock %s; continuing without the cache." % self.lock_path)
                            yield False
                            return
                        time.sleep(0.05)
            yield True
        finally:
            os.close(fd)  # closing releases the lock

    def load(self):
        """Whole file content as a dict (empty on a missing or unreadable file)."""
        try:
            with open(self.path, "r", encoding="utf-8") as handle:
                data = json.load(handle)
        except (OSError, ValueError):
            return {"version": CACHE_FORMAT_VERSION, "sections": {}}
        if not isinstance(data, dict) or data.get("version") != CACHE_FORMAT_VERSION or not isinstance(data.get("sections"), dict):
            return {"version": CACHE_FORMAT_VERSION, "sections": {}}
        return data

    def load_section(self, key):
        """(serialized msal token cache or None, http_cache mapping)."""
        section = self.load()["sections"].get(key) or {}
        token_cache = section.get("token_cache")
        return (token_cache if isinstance(token_cache, str) else None), _http_cache_from_json(section.get("http_cache"))

    def save_section(self, key, token_cache_text, http_cache):
        data = self.load()
        data["sections"][key] = {
            "token_cache": token_cache_text,
            "http_cache": _http_cache_to_json(http_cache),
            "updated": int(time.time()),
        }
        self._ensure_dir()
        directory = os.path.dirname(self.path) or "."
        fd, tmp = tempfile.mkstemp(prefix=".msal_token_cache.", suffix=".tmp", dir=directory)  # created 0600
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle, separators=(",", ":"))
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise


# ---------------------------------------------------------------------------
# Token providers
# ---------------------------------------------------------------------------
class StaticTokenProvider:
    """access_token pass-through: no msal call. After a 401 the token is known to be bad."""

    def __init__(self, token):
        self._token = _clean_access_token(token)
        self._rejected = False
        self.warnings = []

    def get_token(self):
        if self._rejected:
            raise AuthError(
                "Microsoft Graph rejected the supplied access token (HTTP 401): it has expired or was issued for another "
                "cloud or resource.",
                status=401,
                hint="Supply a fresh token in access_token (or B2C_ACCESS_TOKEN) whose audience is the Graph root in use.",
            )
        return self._token

    def invalidate(self):
        self._rejected = True

    def __repr__(self):
        return "StaticTokenProvider(token=<redacted>)"


_AADSTS = re.compile(r"AADSTS\d+")


def auth_error_from_result(result, what):
    """AuthError from an msal error dict (error, error_description, error_codes, correlation_id)."""
    description = result.get("error_description") or ""
    codes = result.get("error_codes") or []
    code = None
    if codes and isinstance(codes, list):
        code = "AADSTS%s" % codes[0]
    if code is None:
        match = _AADSTS.search(description)
        code = match.group(0) if match else (result.get("error") or None)
    line = sanitize_text(first_line(description)) or sanitize_text(result.get("error")) or "unknown error"
    correlation_id = result.get("correlation_id")
    msg = "%s failed: %s" % (what, line)
    if correlation_id:
        msg += " [correlation id %s]" % sanitize_text(correlation_id, 64)
    return AuthError(msg, code=code, status=result.get("status"), correlation_id=correlation_id)


def auth_error_from_exception(exc, what):
    """AuthError from an exception raised inside msal (discovery failures, bad authority, ...).

    msal wraps the discovery answer in a chained ValueError; the whole chain
    is searched for the AADSTS code, the HTTP status and the error description.
    """
    if isinstance(exc, AuthError):
        return exc
    code = status = description = None
    for item in exception_chain(exc):
        if isinstance(item, AuthError):
            return item
        text = str(item)
        if status is None:
            status_match = re.search(r"HTTP (?:status|Error):? (\d{3})", text)
            if status_match:
                status = int(status_match.group(1))
        brace = text.find("{")
        if brace >= 0 and description is None:
            try:
                body = json.loads(text[brace:])
            except ValueError:
                body = None
            if isinstance(body, dict):
                if body.get("error_description"):
                    description = first_line(body["error_description"])
                codes = body.get("error_codes")
                if isinstance(codes, list) and codes and code is None:
                    code = "AADSTS%s" % codes[0]
        if code is None:
            match = _AADSTS.search(text)
            if match:
                code = match.group(0)
    detail = description or first_line(str(exc)) or type(exc).__name__
    if status is not None and description:
        detail = "HTTP %d: %s" % (status, detail)
    msg = "%s failed: %s" % (what, sanitize_text(detail))
    return AuthError(msg, code=code, status=status)


# Tokens closer than this to expiry (or past msal's refresh_on) are left to msal to renew.
TOKEN_EXPIRY_MARGIN = 300


def cached_access_token(cache_file, section_key, target=None, now=None):
    """A valid access token from the section's msal cache (read without importing msal), or None.

    Only used when exactly the expected scope/resource is cached, the token
    expires in more than TOKEN_EXPIRY_MARGIN seconds and msal's refresh_on has
    not passed; anything unexpected falls back to msal.
    """
    try:
        serialized = cache_file.load_section(section_key)[0]
        if not serialized:
            return None
        entries = json.loads(serialized).get("AccessToken") or {}
        now = time.time() if now is None else now
        best = None
        for entry in entries.values():
            secret = entry.get("secret")
            expires_on = int(entry.get("expires_on", 0))
            refresh_on = int(entry.get("refresh_on", expires_on))
            if not secret or expires_on - TOKEN_EXPIRY_MARGIN <= now or refresh_on <= now:
                continue
            if target is not None and (entry.get("target") or "").lower() != target.lower():
                continue
            if entry.get("token_type", "Bearer").lower() != "bearer":
                continue
            if best is None or expires_on > best[0]:
                best = (expires_on, secret)
        return best[1] if best else None
    except Exception:  # pylint: disable=broad-except
        return None


class MsalTokenProvider:
    """Tokens from msal (client secret, client certificate or managed identity), with a persisted cache."""

    # pylint: disable-next=too-many-arguments
    def __init__(self, kind, build_app, acquire, cache_file, section_key, description, target=None):
        self.kind = kind
        self._target = target
        self._build_app = build_app
        self._acquire = acquire
        self._cache_file = cache_file
        self._section_key = section_key
        self._description = description
        self._token = None
        self._force_refresh = False
        self.token_requests = 0  # for tests: how many times msal was asked (not how many POSTs)

    @property
    def warnings(self):
        return self._cache_file.warnings if self._cache_file is not None else []

    def __repr__(self):
        return "MsalTokenProvider(kind=%r)" % self.kind

    def get_token(self):
        if self._token is not None:
            return self._token
        fast = self._cache_file is not None and not self._force_refresh
        # Fast path: a still-valid token in the cache file needs neither msal nor the lock.
        token = cached_access_token(self._cache_file, self._section_key, self._target) if fast else None
        result = None
        if token is None:
            if self._cache_file is None:
                result = self._acquire_with(None)
            else:
                with self._cache_file.locked() as usable:
                    # Another process may have stored a token while we waited for the lock.
                    if usable and fast:
                        token = cached_access_token(self._cache_file, self._section_key, self._target)
                    if token is None:
                        result = self._acquire_with(self._cache_file if usable else None)
            if token is None:
                self._force_refresh = False
                token = result.get("access_token") if isinstance(result, dict) else None
                if not token:
                    raise auth_error_from_result(result if isinstance(result, dict) else {}, self._description)
        self._token = token
        return token

    def _acquire_with(self, cache_file):
        try:
            import msal  # pylint: disable=import-outside-toplevel
        except ImportError:
            raise AuthError("auth_method %s needs the Python library msal." % self.kind) from None
        token_cache = msal.SerializableTokenCache()
        http_cache = {}
        before = None
        if cache_file is not None:
            serialized, http_cache = cache_file.load_section(self._section_key)
            if serialized:
                try:
                    token_cache.deserialize(serialized)
                except ValueError:
                    token_cache = msal.SerializableTokenCache()
            before = json.dumps(_http_cache_to_json(http_cache), sort_keys=True)
        if self._force_refresh:
            for entry in list(token_cache.search(msal.TokenCache.CredentialType.ACCESS_TOKEN)):
                token_cache.remove_at(entry)
        self.token_requests += 1
        try:
            app = self._build_app(msal, token_cache, http_cache)
            result = self._acquire(app)
        except B2CError:
            raise
        except Exception as exc:  # pylint: disable=broad-except
            raise auth_error_from_exception(exc, self._description) from None
        if cache_file is not None:
            after = json.dumps(_http_cache_to_json(http_cache), sort_keys=True)
            if token_cache.has_state_changed or after != before:
                try:
                    cache_file.save_section(self._section_key, token_cache.serialize(), http_cache)
                except OSError as exc:
                    cache_file.warnings.append("Could not write the token cache %s (%s)." % (
                        cache_file.path, exc.strerror or type(exc).__name__))
        return result

    def invalidate(self):
        """Forget the current token; the next get_token() asks the identity platform for a new one."""
        self._token = None
        self._force_refresh = True


def _as_msal_http_client(http_client, timeout, max_retries):
    if isinstance(http_client, MsalHttpClient):
        return http_client
    return MsalHttpClient(http_client, timeout=timeout, max_retries=max_retries)


def build_token_provider(params, endpoints, http_client):
    """Token provider (``get_token()``, ``invalidate()``) for the selected auth method.

    ``http_client`` is the shared httpx.Client (or an MsalHttpClient); msal
    never builds its own requests session, so TLS settings apply to login too.
    """
    method = select_auth_method(params)
    if method == ACCESS_TOKEN:
        return StaticTokenProvider(params["access_token"])

    timeout = params.get("timeout") or 30.0
    max_retries = params.get("max_retries")
    adapter = _as_msal_http_client(http_client, timeout, 5 if max_retries is None else max_retries)
    cache_path = resolve_token_cache_path(params.get("token_cache_path"))
    cache_file = TokenCacheFile(cache_path) if cache_path else None

    if method == MANAGED_IDENTITY:
        mi_client_id = params.get("managed_identity_client_id") or None
        resource = endpoints.graph_root

        def build_mi(msal, token_cache, http_cache):
            identity = (msal.UserAssignedManagedIdentity(client_id=mi_client_id) if mi_client_id
                        else msal.SystemAssignedManagedIdentity())
            return msal.ManagedIdentityClient(identity, http_client=adapter, token_cache=token_cache,
                                              http_cache=http_cache)

        key = TokenCacheFile.section_key("mi", mi_client_id or "system", resource)
        return MsalTokenProvider(method, build_mi, lambda app: app.acquire_token_for_client(resource=resource),
                                 cache_file, key, "Getting a managed identity token", target=resource)

    tenant_id = str(params["tenant_id"]).strip()
    client_id = str(params["client_id"]).strip()
    authority = "%s/%s" % (endpoints.authority_host.rstrip("/"), tenant_id)
    if method == CLIENT_CERTIFICATE:
        cert = load_certificate_credential(params["client_certificate_path"], params.get("client_certificate_password"))
        credential = {"private_key": cert.private_key_pem, "thumbprint": cert.thumbprint}
        fingerprint = "cert:" + cert.thumbprint
    else:
        credential = str(params["client_secret"])
        fingerprint = "secret:" + hashlib.sha256(credential.encode("utf-8")).hexdigest()
    custom_authority = endpoints.authority_host.rstrip("/") not in KNOWN_AUTHORITY_HOSTS
    scopes = [endpoints.scope]

    def build_cca(msal, token_cache, http_cache):
        kwargs = {}
        if custom_authority:
            kwargs["instance_discovery"] = False
        return msal.ConfidentialClientApplication(
            client_id, client_credential=credential, authority=authority, token_cache=token_cache,
            http_cache=http_cache, http_client=adapter, app_name="b2c.trustframework",
            app_version=COLLECTION_VERSION, **kwargs)

    key = TokenCacheFile.section_key("cca", authority, client_id, fingerprint, endpoints.scope)
    return MsalTokenProvider(method, build_cca, lambda app: app.acquire_token_for_client(scopes=scopes),
                             cache_file, key, "Getting a token for client %s from %s" % (client_id, authority),
                             target=endpoints.scope)
