"""Test keys, certificates and PKCS#12 bundles, made with cryptography: the one factory of every test suite.

Typical use::

    key, cert = self_signed("saml-signing")           # RSA 2048, valid from yesterday for a year
    pem(cert), der(cert), x5t(cert)                    # the forms the modules accept, and the thumbprint
    pfx(key, cert, "pw")                               # PKCS#12, AES-256 (PBES2): what B2C refuses
    pfx(key, cert, "pw", legacy=True)                  # PKCS#12, 3DES / SHA-1: what B2C accepts
    pfx(key, cert, "pw", protection="openssl-legacy")  # what openssl pkcs12 -export -legacy writes (RC2-40 certs)
    b64(pfx(key, cert, "pw"))                          # the base64 text of the `pkcs12` option
"""

import base64
import datetime
import os
import shutil
import subprocess
import tempfile

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

# The legacy PKCS#12 form (PBE-SHA1-3DES, SHA-1 MAC: the only one uploadPkcs12 opens, microsoft-graph-docs-contrib
# #8993/#8994) written with this many KDF rounds, as openssl pkcs12 -export does by default.
LEGACY_PKCS12_KDF_ROUNDS = 2048


def rsa_key(bits=2048):
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def ec_key():
    return ec.generate_private_key(ec.SECP256R1())


def self_signed(common_name="b2c-test", days_valid=365, days_before=1, key=None):
    """(key, certificate): self-signed, valid from ``days_before`` days ago until ``days_valid`` days from now.

    ``key`` defaults to a new RSA key; pass ``ec_key()`` for an EC certificate, and a negative
    ``days_valid`` for an expired one.
    """
    key = key or rsa_key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.timezone.utc)
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
    """The certificate as PEM text."""
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


def der(cert):
    """The certificate as DER bytes."""
    return cert.public_bytes(serialization.Encoding.DER)


def private_key_pem(key, password=None):
    """The private key as PKCS#8 PEM bytes, encrypted when ``password`` is given."""
    encryption = serialization.BestAvailableEncryption(password.encode()) if password else serialization.NoEncryption()
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)


# How a bundle can be protected; only "3des" (PBE-SHA1-3DES in every bag, SHA-1 MAC) is what B2C opens.
PKCS12_PROTECTIONS = ("aes", "3des", "3des-sha256-mac", "none", "openssl-legacy")


def _legacy_encryption(password, mac):
    return (
        serialization.PrivateFormat.PKCS12.encryption_builder()
        .kdf_rounds(LEGACY_PKCS12_KDF_ROUNDS)
        .key_cert_algorithm(pkcs12.PBES.PBESv1SHA1And3KeyTripleDESCBC)
        .hmac_hash(mac)
        .build(password.encode())
    )


def pfx(key, cert, password, legacy=False, friendly_name=b"b2c-test", protection=None):
    """PKCS#12 bytes holding ``key`` and ``cert`` (either may be None).

    ``protection`` is one of PKCS12_PROTECTIONS; by default AES-256 (PBES2, cryptography's best
    available) or, with ``legacy``, 3DES and a SHA-1 MAC; unencrypted without a password.
    ``openssl-legacy`` is what ``openssl pkcs12 -export -legacy`` writes (3DES key bag, RC2-40
    certificate bag, SHA-1 MAC): the test is skipped where no openssl CLI can write it.
    """
    if protection is None:
        protection = "none" if not password else "3des" if legacy else "aes"
    if protection == "openssl-legacy":
        return _openssl_legacy_pfx(key, cert, password)
    encryption = {
        "aes": lambda: serialization.BestAvailableEncryption(password.encode()),
        "3des": lambda: _legacy_encryption(password, hashes.SHA1()),
        "3des-sha256-mac": lambda: _legacy_encryption(password, hashes.SHA256()),
        "none": serialization.NoEncryption,
    }[protection]()
    return pkcs12.serialize_key_and_certificates(friendly_name, key, cert, None, encryption)


def _openssl_legacy_pfx(key, cert, password):
    import pytest  # pylint: disable=import-outside-toplevel

    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("no openssl CLI to write an 'openssl pkcs12 -export -legacy' bundle")
    with tempfile.TemporaryDirectory() as folder:
        key_path, cert_path, out_path = (os.path.join(folder, name) for name in ("key.pem", "cert.pem", "out.pfx"))
        with open(key_path, "wb") as handle:
            handle.write(private_key_pem(key))
        with open(cert_path, "w", encoding="ascii") as handle:
            handle.write(pem(cert))
        done = subprocess.run(
            [
                openssl,
                "pkcs12",
                "-export",
                "-legacy",
                "-inkey",
                key_path,
                "-in",
                cert_path,
                "-passout",
                "env:PFX_PASSWORD",
                "-out",
                out_path,
            ],
            env=dict(os.environ, PFX_PASSWORD=password),
            capture_output=True,
            check=False,
        )
        if done.returncode:
            pytest.skip("openssl pkcs12 -export -legacy failed: %s" % done.stderr.decode(errors="replace").strip())
        with open(out_path, "rb") as handle:
            return handle.read()


def b64(data):
    """Standard base64 text of ``data`` (bytes)."""
    return base64.b64encode(data).decode("ascii")


def x5t(cert):
    """The certificate's SHA-1 thumbprint, base64url without padding: the ``x5t`` Graph reports."""
    return base64.urlsafe_b64encode(cert.fingerprint(hashes.SHA1())).decode("ascii").rstrip("=")
