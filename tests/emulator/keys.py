"""Key material → JWK conversion: generated RSA/oct keys, X.509 certificates, PKCS#12 files.

The emulator keeps no private key material at all: generated private halves and
uploaded secrets are discarded at once, because nothing here ever uses them and
the service never returns them. So the state file and every response are free of
secrets by construction.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import secrets
import time

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12

# The only members any response or the state file may carry.
PUBLIC_KEY_MEMBERS = ("kid", "kty", "use", "nbf", "exp", "e", "n", "x5c", "x5t", "status")
PRIVATE_KEY_MEMBERS = ("d", "p", "q", "dp", "dq", "qi", "k")
KEY_STATUSES = ("enabled", "disabled")
TWO_YEARS = 2 * 365 * 24 * 3600


class KeyMaterialError(ValueError):
    """Input that the service would refuse with a 400; carries the Graph error code."""

    def __init__(self, message: str, code: str = "invalidRequest"):
        super().__init__(message)
        self.code = code
        self.message = message


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_uint(value: int) -> str:
    return b64url(value.to_bytes((value.bit_length() + 7) // 8 or 1, "big"))


def new_kid() -> str:
    return secrets.token_urlsafe(32)


def public_view(key: dict) -> dict:
    """Allow-list filter: whatever was stored, only public members leave the emulator."""
    return {name: key[name] for name in PUBLIC_KEY_MEMBERS if name in key}


def key_family(kty: str) -> str:
    return "RSA" if kty.upper() == "RSA" else "OCT"


def normalize_kty(value) -> str:
    if not isinstance(value, str) or value.upper() not in ("RSA", "OCT"):
        raise KeyMaterialError(f"Invalid value for 'kty': {value!r}. Supported values are 'RSA' and 'OCT'.")
    return value.upper()


def normalize_use(value) -> str:
    if not isinstance(value, str) or value.lower() not in ("sig", "enc"):
        raise KeyMaterialError(f"Invalid value for 'use': {value!r}. Supported values are 'sig' and 'enc'.")
    return value.lower()


def epoch_seconds(value, field: str) -> int:
    """Times are epoch seconds; the service's samples sometimes quote them, so accept numeric strings."""
    if isinstance(value, bool):
        raise KeyMaterialError(f"'{field}' must be an integer number of seconds since the epoch.")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        return int(value.strip())
    raise KeyMaterialError(f"'{field}' must be an integer number of seconds since the epoch, got {value!r}.")


def validity_window(body: dict, now: int | None = None) -> tuple[int, int]:
    """nbf/exp from a request body; defaults nbf=now, exp=nbf+2 years; exp must follow nbf."""
    now = int(time.time()) if now is None else now
    nbf = epoch_seconds(body["nbf"], "nbf") if body.get("nbf") is not None else now
    exp = epoch_seconds(body["exp"], "exp") if body.get("exp") is not None else nbf + TWO_YEARS
    if exp <= nbf:
        raise KeyMaterialError(f"'exp' ({exp}) must be later than 'nbf' ({nbf}).")
    return nbf, exp


def generate_rsa_jwk() -> dict:
    """A real RSA-2048 key; only the public half is kept."""
    public = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key().public_numbers()
    return {"kty": "RSA", "n": b64url_uint(public.n), "e": b64url_uint(public.e)}


def generate_oct_jwk() -> dict:
    secrets.token_bytes(64)  # the service creates a secret; nobody can ever read it back
    return {"kty": "OCT"}


def decode_base64_payload(value, field: str) -> bytes:
    if not isinstance(value, str) or not value.strip():
        raise KeyMaterialError(f"'{field}' is required and must be a non-empty base64 string.")
    try:
        return base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise KeyMaterialError(f"'{field}' is not valid base64: {exc}.", code="AADB2C") from exc


def _load_certificate(data: bytes) -> x509.Certificate:
    if data.lstrip().startswith(b"-----BEGIN"):
        return x509.load_pem_x509_certificate(data)
    return x509.load_der_x509_certificate(data)


def certificate_jwk(cert: x509.Certificate) -> dict:
    """Public JWK of an RSA certificate: n/e, x5c, x5t (SHA-1 of DER) and nbf/exp from its validity."""
    public_key = cert.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise KeyMaterialError("Only RSA certificates are supported for policy keys.", code="AADB2C")
    der = cert.public_bytes(serialization.Encoding.DER)
    numbers = public_key.public_numbers()
    return {
        "kty": "RSA",
        "use": "sig",
        "nbf": int(cert.not_valid_before_utc.timestamp()),
        "exp": int(cert.not_valid_after_utc.timestamp()),
        "n": b64url_uint(numbers.n),
        "e": b64url_uint(numbers.e),
        "x5c": [base64.b64encode(der).decode("ascii")],
        "x5t": b64url(hashlib.sha1(der).digest()),
    }


def jwk_from_certificate_upload(encoded) -> dict:
    data = decode_base64_payload(encoded, "key")
    try:
        cert = _load_certificate(data)
    except ValueError as exc:
        raise KeyMaterialError(
            "The 'key' value is not a valid X.509 certificate (expected base64 of a PEM or DER certificate).",
            code="AADB2C",
        ) from exc
    return certificate_jwk(cert)


def jwk_from_pkcs12_upload(encoded, password) -> dict:
    if password is not None and not isinstance(password, str):
        raise KeyMaterialError("'password' must be a string.")
    data = decode_base64_payload(encoded, "key")
    private_key, cert = _open_pkcs12(data, password)
    if cert is None:
        raise KeyMaterialError("The PKCS#12 file contains no certificate.", code="AADB2C")
    if private_key is None:
        raise KeyMaterialError("The PKCS#12 file must contain the certificate's private key.", code="AADB2C")
    return certificate_jwk(cert)


def _open_pkcs12(data: bytes, password: str | None):
    # An empty password and no password are different things in PKCS#12; try both for "".
    candidates = [password.encode("utf-8")] if password else []
    candidates += [None, b""] if not password else []
    for candidate in candidates:
        try:
            private_key, cert, _extra = pkcs12.load_key_and_certificates(data, candidate)
            return private_key, cert
        except ValueError:
            continue
    raise KeyMaterialError(
        "Could not open the PKCS#12 data: the password is wrong or the data is not a PKCS#12 (.pfx) file.",
        code="AADB2C",
    )


def jwk_from_client(raw) -> dict:
    """Validate a JWK sent with create/PUT; keep only its public members (private ones are accepted, then dropped)."""
    if not isinstance(raw, dict):
        raise KeyMaterialError("Every item of 'keys' must be a JSON object (a JWK).")
    if "@odata.type" in raw:
        raise KeyMaterialError("The 'keySet' field is invalid in request: '@odata.type' is not allowed.", code="AADB2C")
    kty = normalize_kty(raw.get("kty"))
    key = {"kid": raw.get("kid") or new_kid(), "kty": kty}
    if raw.get("use") is not None:
        key["use"] = normalize_use(raw["use"])
    for field in ("nbf", "exp"):
        if raw.get(field) is not None:
            key[field] = epoch_seconds(raw[field], field)
    if "nbf" in key and "exp" in key and key["exp"] <= key["nbf"]:
        raise KeyMaterialError(f"'exp' ({key['exp']}) must be later than 'nbf' ({key['nbf']}).")
    _copy_type_specific_members(raw, key)
    key["status"] = _status_of(raw)
    return key


def _copy_type_specific_members(raw: dict, key: dict) -> None:
    if key["kty"] == "RSA":
        for member in ("n", "e"):
            if not isinstance(raw.get(member), str) or not raw[member]:
                raise KeyMaterialError(f"An RSA key needs the public member '{member}'.")
            key[member] = raw[member]
    elif not isinstance(raw.get("k"), str) or not raw["k"]:
        raise KeyMaterialError("An OCT key needs the member 'k' (the secret).")
    if raw.get("x5c") is not None:
        if not isinstance(raw["x5c"], list) or not all(isinstance(item, str) for item in raw["x5c"]):
            raise KeyMaterialError("'x5c' must be a list of base64 certificate strings.")
        key["x5c"] = list(raw["x5c"])
    if raw.get("x5t") is not None:
        key["x5t"] = str(raw["x5t"])


def _status_of(raw: dict) -> str:
    status = raw.get("status", "enabled") or "enabled"
    if status not in KEY_STATUSES:
        raise KeyMaterialError(f"Invalid value for 'status': {status!r}. Supported values are 'enabled' and 'disabled'.")
    return status


def ensure_single_family(keys: list[dict]) -> None:
    families = {key_family(key["kty"]) for key in keys}
    if len(families) > 1:
        raise KeyMaterialError("Can't mix RSA and Oct types in one key set.", code="AADB2C95032")


def active_key(keys: list[dict], now: int | None = None) -> dict | None:
    """The service's rule: of the enabled keys inside their nbf..exp window, the newest nbf wins.

    Keys without nbf count as oldest (a fallback key), and on equal nbf the later-added key wins.
    """
    now = int(time.time()) if now is None else now
    candidates = [
        (position, key)
        for position, key in enumerate(keys)
        if key.get("status", "enabled") == "enabled"
        and (key.get("nbf") is None or key["nbf"] <= now)
        and (key.get("exp") is None or key["exp"] > now)
    ]
    if not candidates:
        return None
    _position, winner = max(candidates, key=lambda item: (item[1].get("nbf") is not None, item[1].get("nbf") or 0, item[0]))
    return winner
