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

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12

from .errors import GraphError, b2c_message
from .pkcs12_der import MalformedPkcs12, pkcs12_protection

# The only members any response or the state file may carry.
PUBLIC_KEY_MEMBERS = ("kid", "kty", "use", "nbf", "exp", "e", "n", "x5c", "x5t", "status")
PRIVATE_KEY_MEMBERS = ("d", "p", "q", "dp", "dq", "qi", "k")
KEY_STATUSES = ("enabled", "disabled")
TWO_YEARS = 2 * 365 * 24 * 3600


class KeyMaterialError(GraphError):
    """Input that the service refuses with a 400, with the code it uses."""

    def __init__(self, message: str, code: str = "invalidRequest"):
        super().__init__(400, code, message)

    @classmethod
    def b2c(cls, code: str, **fields) -> "KeyMaterialError":
        return cls(b2c_message(code, **fields), code=code)


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


def normalize_kty(value, missing_code: str = "AADB2C95030") -> str:
    # Real service: a missing kty is 95030 on generateKey ("Missing kty parameter") and 95037 for a key in a
    # create/PUT payload ("entity is missing kty"); a bad one 95031 (B2C error-code reference, MicrosoftDocs/azure-docs error-codes.md).
    if value is None or value == "":
        raise KeyMaterialError.b2c(missing_code)
    if not isinstance(value, str) or value.upper() not in ("RSA", "OCT"):
        raise KeyMaterialError.b2c("AADB2C95031", kty=value)
    return value.upper()


def normalize_use(value) -> str:
    # Real service: a missing or bad use is 95033 "Bad use parameter" (B2C error-code reference, MicrosoftDocs/azure-docs error-codes.md).
    if not isinstance(value, str) or value.lower() not in ("sig", "enc"):
        raise KeyMaterialError.b2c("AADB2C95033", use="" if value is None else value)
    return value.lower()


# Years 1 to 9999: the dates an ISO 8601 date (and .NET's DateTime, which B2C runs on) can hold. Inferred,
# not documented: what the real service answers for a date outside them is unknown; a 400 is the safe guess.
EARLIEST_EPOCH = -62135596800  # 0001-01-01T00:00:00Z
LATEST_EPOCH = 253402300799  # 9999-12-31T23:59:59Z


def epoch_seconds(value, field: str) -> int:
    """Times are epoch seconds; the service's samples sometimes quote them, so accept numeric strings."""
    return _in_range(_integer_seconds(value, field), field)


def _integer_seconds(value, field: str) -> int:
    if isinstance(value, bool):
        raise KeyMaterialError(f"'{field}' must be an integer number of seconds since the epoch.")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        return int(value.strip())
    raise KeyMaterialError(f"'{field}' must be an integer number of seconds since the epoch, got {value!r}.")


def _in_range(seconds: int, field: str) -> int:
    if not EARLIEST_EPOCH <= seconds <= LATEST_EPOCH:
        raise KeyMaterialError(f"'{field}' ({seconds}) is outside the years 1 to 9999.")
    return seconds


def validity_window(body: dict, now: int) -> tuple[int, int]:
    """nbf/exp from a request body; defaults nbf=now, exp=nbf+2 years; exp must follow nbf.

    The defaults and the exp > nbf rule are not documented (the generateKey page's sample even sends nbf == exp); the emulator picks the strict side.
    """
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
    # Real service: 90253 for a missing parameter, 90215 "The uploaded key is badly formatted" (B2C error-code
    # reference, MicrosoftDocs/azure-docs error-codes.md; which code answers bad base64 is an inference).
    if not isinstance(value, str) or not value.strip():
        raise KeyMaterialError.b2c("AADB2C90253", name=field)
    try:
        return base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise KeyMaterialError.b2c("AADB2C90215", reason=f"'{field}' is not valid base64") from exc


def _load_certificate(data: bytes) -> x509.Certificate:
    if data.lstrip().startswith(b"-----BEGIN"):
        return x509.load_pem_x509_certificate(data)
    return x509.load_der_x509_certificate(data)


def certificate_jwk(cert: x509.Certificate) -> dict:
    """Public JWK of an RSA certificate: n/e, x5c, x5t (SHA-1 of DER) and nbf/exp from its validity."""
    public_key = cert.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey):
        # Policy keys are RSA or oct only (trustFrameworkKey resource page: kty rsa, oct); the code for other certificates is an inference.
        raise KeyMaterialError.b2c("AADB2C90215", reason="only RSA certificates can be policy keys")
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


def jwk_from_certificate_upload(encoded, keyset_id: str, tenant: str) -> dict:
    data = decode_base64_payload(encoded, "key")
    try:
        cert = _load_certificate(data)
    except ValueError as exc:
        # Real service: 90179 "is not a valid X.509 certificate" (B2C error-code reference, MicrosoftDocs/azure-docs error-codes.md).
        raise KeyMaterialError.b2c(
            "AADB2C90179", name=keyset_id, tenant=tenant, reason="expected base64 of a PEM or DER certificate"
        ) from exc
    return certificate_jwk(cert)


def jwk_from_pkcs12_upload(encoded, password) -> dict:
    if password is not None and not isinstance(password, str):
        raise KeyMaterialError("'password' must be a string.")
    data = decode_base64_payload(encoded, "key")
    try:
        protection = pkcs12_protection(data)
    except MalformedPkcs12 as exc:
        raise KeyMaterialError.b2c("AADB2C90215", reason=f"not a PKCS#12 (.pfx) file: {exc}") from exc
    private_key, cert = _open_pkcs12(data, password)
    if not protection.is_legacy_3des_sha1:
        # Real service: a PBES2/AES bundle (OpenSSL 3's and Windows' default), or any other protection than
        # PBE-SHA1-3DES with a SHA-1 MAC, is refused as "password incorrect" even with the right password
        # (microsoft-graph-docs-contrib #8993/#8994, MicrosoftDocs/azure-docs #36773).
        raise KeyMaterialError.b2c("AADB2C90213")
    if cert is None or private_key is None:
        # Uploaded certificates must include the private key (MicrosoftDocs/azure-docs policy-keys-overview.md).
        raise KeyMaterialError.b2c("AADB2C90215", reason="the PKCS#12 file must hold a certificate and its private key")
    return certificate_jwk(cert)


def _open_pkcs12(data: bytes, password: str | None):
    # An empty password and no password are different things in PKCS#12; try both for "".
    candidates = [password.encode("utf-8")] if password else [None, b""]
    for candidate in candidates:
        try:
            private_key, cert, _extra = pkcs12.load_key_and_certificates(data, candidate)
            return private_key, cert
        except ValueError:
            continue
    # Real service: 90213 "The certificate password provided in request is incorrect" (B2C error-code reference).
    raise KeyMaterialError.b2c("AADB2C90213")


def jwk_from_client(raw) -> dict:
    """Validate a JWK sent with create/PUT; keep only its public members (private ones are accepted, then dropped)."""
    if not isinstance(raw, dict):
        raise KeyMaterialError("Every item of 'keys' must be a JSON object (a JWK).")
    if "@odata.type" in raw:
        raise KeyMaterialError("The 'keySet' field is invalid in request: '@odata.type' is not allowed.", code="AADB2C")
    if raw.get("kid"):
        # Real service: the service names keys itself; a payload key with a kid is 95059 (B2C error-code reference).
        raise KeyMaterialError.b2c("AADB2C95059")
    kty = normalize_kty(raw.get("kty"), missing_code="AADB2C95037")
    key = {"kid": new_kid(), "kty": kty, "use": normalize_use(raw.get("use"))}
    for field in ("nbf", "exp"):
        if raw.get(field) is not None:
            key[field] = epoch_seconds(raw[field], field)
    if "nbf" in key and "exp" in key and key["exp"] <= key["nbf"]:
        raise KeyMaterialError(f"'exp' ({key['exp']}) must be later than 'nbf' ({key['nbf']}).")
    _copy_type_specific_members(raw, key)
    key["status"] = _status_of(raw)
    return key


BASE64URL = re.compile(r"[A-Za-z0-9_-]+")


def _copy_type_specific_members(raw: dict, key: dict) -> None:
    if key["kty"] == "RSA":
        if not all(isinstance(raw.get(member), str) and raw[member] for member in ("n", "e")):
            # Real service: 95039 "RSA entity is missing ... the modulus or exponent" (B2C error-code reference).
            raise KeyMaterialError.b2c("AADB2C95039")
        key.update(n=raw["n"], e=raw["e"])
    elif not _is_base64url(raw.get("k")):
        # Real service: 95029 "parameter K is not base64 URL encoded" (B2C error-code reference). JWK base64url
        # has no padding (RFC 7515 section 2), so '=' is refused too: stricter rather than more forgiving.
        raise KeyMaterialError.b2c("AADB2C95029")
    if raw.get("x5c") is not None:
        if not isinstance(raw["x5c"], list) or not all(isinstance(item, str) for item in raw["x5c"]):
            raise KeyMaterialError("'x5c' must be a list of base64 certificate strings.")
        key["x5c"] = list(raw["x5c"])
    if raw.get("x5t") is not None:
        key["x5t"] = str(raw["x5t"])


def _is_base64url(value) -> bool:
    return isinstance(value, str) and BASE64URL.fullmatch(value) is not None and len(value) % 4 != 1


def _status_of(raw: dict) -> str:
    status = raw.get("status", "enabled") or "enabled"
    if status not in KEY_STATUSES:
        raise KeyMaterialError(
            f"Invalid value for 'status': {status!r}. Supported values are 'enabled' and 'disabled'."
        )
    return status


def refuse_mixing(existing: list[dict], added: list[dict]) -> None:
    """One keyset holds one key family and one use."""
    keys = existing + added
    if len({key_family(key["kty"]) for key in keys}) > 1:
        # Real service: 95032 (IEFPolicies issue #58; B2C error-code reference).
        raise KeyMaterialError.b2c("AADB2C95032")
    if len({key["use"].lower() for key in keys if key.get("use")}) > 1:
        # Real service: 95042 "can't mix signature and encryption usage in one key set" (B2C error-code reference).
        raise KeyMaterialError.b2c("AADB2C95042")


def _is_usable(key: dict, now: int) -> bool:
    return key.get("status", "enabled") == "enabled" and (key.get("exp") is None or key["exp"] > now)


def active_key(keys: list[dict], now: int) -> dict | None:
    """The key getActiveKey returns, by the rule of MicrosoftDocs/azure-docs policy-keys-overview.md.

    Among enabled keys whose exp (if any) is still ahead: the one with the latest nbf that is <= now
    (a tie goes to the key added last); a key whose nbf is in the future is not active yet. Failing
    that, the safety net: a key without nbf (the documented one has no exp either; one with an exp
    still ahead stands in the same way), the one added last if there are several. Reading of "keys
    without nbf go last": counting them as nbf = -infinity or as "after every dated key" gives the
    same answer, since either way they are active only when no dated key is.
    """
    usable = [(position, key) for position, key in enumerate(keys) if _is_usable(key, now)]
    dated = [
        (key["nbf"], position, key) for position, key in usable if key.get("nbf") is not None and key["nbf"] <= now
    ]
    if dated:
        return max(dated, key=lambda item: item[:2])[2]
    undated = [key for _position, key in usable if key.get("nbf") is None]
    return undated[-1] if undated else None
