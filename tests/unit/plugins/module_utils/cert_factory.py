"""Test certificates and PKCS#12 bundles made with cryptography (no network, no files unless asked)."""

import base64
import datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID


def make_key(bits=2048):
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def make_certificate(key=None, days_valid=365, days_before=1, common_name="b2c-test"):
    """Self-signed certificate valid from ``days_before`` days ago for ``days_valid`` days from now."""
    key = key or make_key()
    now = datetime.datetime.now(datetime.timezone.utc)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=days_before))
        .not_valid_after(now + datetime.timedelta(days=days_valid))
        .sign(key, hashes.SHA256())
    )
    return key, cert


def pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


def der(cert):
    return cert.public_bytes(serialization.Encoding.DER)


def make_pfx(key, cert, password):
    encryption = (
        serialization.BestAvailableEncryption(password.encode()) if password else serialization.NoEncryption()
    )
    return pkcs12.serialize_key_and_certificates(b"b2c-test", key, cert, None, encryption)


def b64(data):
    return base64.b64encode(data).decode("ascii")
