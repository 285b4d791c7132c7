"""Access tokens (RS256 JWTs signed by a persisted emulator key) and client-assertion checks."""

from __future__ import annotations

import hashlib
import os
import uuid

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from .clock import Clock
from .keys import b64url, b64url_uint
from .settings import ClientCredential


class TokenRejected(Exception):
    """A bearer token Graph must refuse (401)."""


class AssertionRejected(Exception):
    """A client assertion the token endpoint must refuse: AADSTS ``code`` (default 700027), HTTP ``status``."""

    def __init__(self, message: str, code: int = 700027, status: int = 401, error: str = "invalid_client"):
        super().__init__(message)
        self.code = code
        self.status = status
        self.error = error


# PyJWT checks lifetimes against the real clock; the emulator checks them against its own.
LIFETIME_CHECKS_OFF = {"verify_exp": False, "verify_nbf": False, "verify_iat": False}


def check_lifetime(claims: dict, now: int) -> None:
    """PyJWT's iat, nbf and exp checks (no leeway, same errors), at the emulator's now."""
    try:
        not_before = {name: int(claims[name]) for name in ("iat", "nbf") if name in claims}
        exp = int(claims["exp"])
    except (TypeError, ValueError, OverflowError) as exc:
        raise jwt.DecodeError("The iat, nbf and exp claims must be integers.") from exc
    for name, value in not_before.items():
        if value > now:
            raise jwt.ImmatureSignatureError(f"The token is not yet valid ({name})")
    if exp <= now:
        raise jwt.ExpiredSignatureError("Signature has expired")


def load_or_create_signing_key(path: str) -> rsa.RSAPrivateKey:
    """The signing key persists in the state dir so tokens minted before a restart stay valid."""
    if os.path.exists(path):
        with open(path, "rb") as handle:
            return serialization.load_pem_private_key(handle.read(), password=None)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    return key


class TokenService:
    def __init__(self, key_path: str, tenant_guid: str, clock: Clock):
        self._key = load_or_create_signing_key(key_path)
        self._clock = clock
        self._public_key = self._key.public_key()
        self.tenant_guid = tenant_guid
        der = self._public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        self.kid = b64url(hashlib.sha256(der).digest())[:32]

    def mint(
        self,
        *,
        issuer: str,
        app_id: str,
        roles: list[str],
        audience: str,
        lifetime: int,
        tenant_guid: str | None = None,
    ) -> tuple[str, int]:
        """A token Graph accepts; lifetime may be negative to mint an already expired one."""
        now = self._clock.now()
        exp = now + lifetime
        claims = {
            "aud": audience,
            "iss": issuer,
            "iat": min(now, exp),
            "nbf": min(now, exp),
            "exp": exp,
            "tid": tenant_guid or self.tenant_guid,
            "appid": app_id,
            "azp": app_id,
            "oid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"app:{app_id}")),
            "sub": str(uuid.uuid5(uuid.NAMESPACE_URL, f"app:{app_id}")),
            "roles": roles,
            "idtyp": "app",
            "uti": uuid.uuid4().hex,
            "ver": "1.0",
        }
        return jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": self.kid}), exp

    def verify(self, token: str) -> dict:
        """Signature, lifetime and tenant. The audience is not checked: clients pointed at the emulator
        may ask for the Graph root or the emulator's own URL, and both must work."""
        try:
            claims = jwt.decode(
                token,
                self._public_key,
                algorithms=["RS256"],
                options={"verify_aud": False, "require": ["exp", "tid", "roles"], **LIFETIME_CHECKS_OFF},
            )
            check_lifetime(claims, self._clock.now())
        except jwt.ExpiredSignatureError as exc:
            raise TokenRejected("Lifetime validation failed, the token is expired.") from exc
        except jwt.InvalidSignatureError as exc:
            raise TokenRejected("Signature validation failed.") from exc
        except jwt.PyJWTError as exc:
            raise TokenRejected(f"Access token validation failure: {exc}.") from exc
        if claims["tid"] != self.tenant_guid:
            raise TokenRejected("Access token validation failure: the token was issued for a different tenant.")
        return claims

    def jwks(self) -> dict:
        numbers = self._public_key.public_numbers()
        return {
            "keys": [
                {"kty": "RSA", "use": "sig", "kid": self.kid, "n": b64url_uint(numbers.n), "e": b64url_uint(numbers.e)}
            ]
        }


def certificate_thumbprints(cert: x509.Certificate) -> dict:
    """Both thumbprint forms msal may put in an assertion header, base64url without padding."""
    der = cert.public_bytes(serialization.Encoding.DER)
    return {
        "x5t": b64url(hashlib.sha1(der).digest()),
        "x5t#S256": b64url(hashlib.sha256(der).digest()),
    }


def register_certificate(client: ClientCredential, cert: x509.Certificate) -> None:
    for header_name, thumbprint in certificate_thumbprints(cert).items():
        client.certificates[(header_name, thumbprint)] = cert.public_key()


def verify_client_assertion(assertion: str, client: ClientCredential, audiences: list[str], now: int) -> None:
    """RS256 with x5t (msal's thumbprint form) or PS256 with x5t#S256 (public_certificate form)."""
    try:
        header = jwt.get_unverified_header(assertion)
    except jwt.PyJWTError as exc:
        raise AssertionRejected(f"Client assertion is not a valid JWT: {exc}.") from exc
    algorithm = header.get("alg")
    if algorithm not in ("RS256", "PS256"):
        raise AssertionRejected(f"Client assertion algorithm {algorithm!r} is not supported.")
    public_key = _registered_key_for(header, client)
    try:
        claims = jwt.decode(
            assertion,
            public_key,
            algorithms=[algorithm],
            audience=audiences,
            options={"require": ["exp", "iss", "sub", "aud"], **LIFETIME_CHECKS_OFF},
        )
        check_lifetime(claims, now)
    except jwt.ExpiredSignatureError as exc:
        raise AssertionRejected("Client assertion is expired.") from exc
    except jwt.InvalidAudienceError as exc:
        raise AssertionRejected("Client assertion audience claim does not match the token endpoint.") from exc
    except jwt.PyJWTError as exc:
        raise AssertionRejected(f"Client assertion contains an invalid signature or claims: {exc}.") from exc
    if claims["iss"] != client.client_id or claims["sub"] != client.client_id:
        raise AssertionRejected("Client assertion 'iss' and 'sub' must both be the client id.")


def _registered_key_for(header: dict, client: ClientCredential):
    for header_name in ("x5t#S256", "x5t"):
        thumbprint = header.get(header_name)
        if thumbprint:
            key = client.certificates.get((header_name, thumbprint.rstrip("=")))
            if key is not None:
                return key
            raise AssertionRejected(
                f"The certificate with identifier used to sign the client assertion is not registered on application "
                f"'{client.client_id}' ({header_name}={thumbprint})."
            )
    raise AssertionRejected("Client assertion header has neither 'x5t' nor 'x5t#S256'.")


# -- workload identity federation ------------------------------------------------------------------
# Entra ID's answers when no federated identity credential matches (codes and wording as the service sends them):
# issuer AADSTS700211 (Azure/azure-workload-identity#1200), subject AADSTS700213 (Azure/login#482,
# dotnet/maui#31978), any other mismatch (audience) the older catch-all AADSTS70021 naming issuer, subject and
# audience, HTTP 400 invalid_request (Azure/azure-workload-identity#616); expired AADSTS700024
# (MicrosoftDocs/azure-devops-docs, workload identity errors).
FIC_DOCS = "https://learn.microsoft.com/entra/workload-id/workload-identity-federation"


class FederatedIssuer:
    """The external OIDC issuer the emulator plays (GitHub Actions, Azure Pipelines, a cluster): it mints the
    tokens a pipeline would find in AZURE_FEDERATED_TOKEN_FILE and checks their signature."""

    def __init__(self, key_path: str, issuer: str, clock: Clock):
        self._key = load_or_create_signing_key(key_path)
        self.issuer = issuer
        self._clock = clock

    def mint(self, *, subject: str, audience: str, lifetime: int, issuer: str | None = None) -> str:
        now = self._clock.now()
        claims = {
            "iss": issuer or self.issuer,
            "sub": subject,
            "aud": audience,
            "iat": min(now, now + lifetime),
            "nbf": min(now, now + lifetime),
            "exp": now + lifetime,
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": "federated-issuer"})

    def verify(self, assertion: str, client: ClientCredential) -> None:
        """Match a federated identity credential of ``client``, then signature and lifetime, as Entra ID does."""
        claims = jwt.decode(assertion, options={"verify_signature": False})
        issuer, subject, audience = claims.get("iss"), claims.get("sub"), claims.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        by_issuer = [fic for fic in client.federated if fic.issuer == issuer]
        if not by_issuer:
            raise AssertionRejected(
                f"No matching federated identity record found for presented assertion issuer '{issuer}'. Check your "
                f"federated identity credential Subject, Audience and Issuer against the presented assertion. {FIC_DOCS}",
                code=700211,
            )
        by_subject = [fic for fic in by_issuer if fic.subject == subject]
        if not by_subject:
            raise AssertionRejected(
                f"No matching federated identity record found for presented assertion subject '{subject}'. Check your "
                f"federated identity credential Subject, Audience and Issuer against the presented assertion. {FIC_DOCS}",
                code=700213,
            )
        if not any(fic.audience in audiences for fic in by_subject):
            raise AssertionRejected(
                f"No matching federated identity record found for presented assertion. Assertion Issuer: '{issuer}'. "
                f"Assertion Subject: '{subject}'. Assertion Audience: '{','.join(map(str, audiences))}'. {FIC_DOCS}",
                code=70021,
                status=400,
                error="invalid_request",
            )
        try:
            checked = jwt.decode(
                assertion,
                self._key.public_key(),
                algorithms=["RS256"],
                audience=audiences,
                options={"require": ["exp", "iss", "sub", "aud"], **LIFETIME_CHECKS_OFF},
            )
            check_lifetime(checked, self._clock.now())
        except jwt.ExpiredSignatureError as exc:
            raise AssertionRejected("Client assertion is not within its valid time range.", code=700024) from exc
        except jwt.PyJWTError as exc:
            raise AssertionRejected(f"Client assertion contains an invalid signature or claims: {exc}.") from exc


def is_federated_assertion(assertion: str, client: ClientCredential) -> bool:
    """An app's own assertion (certificate credential) has iss = sub = its client id; any other is federated."""
    try:
        claims = jwt.decode(assertion, options={"verify_signature": False})
    except jwt.PyJWTError:
        return False
    return claims.get("iss") != client.client_id
