"""tests/support/certs.py: the bundles it makes are the forms the tests claim they are."""

import base64
import time

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_pem_private_key, pkcs12

from tests.support import certs

PBES2_OID = bytes.fromhex("06092a864886f70d01050d")  # 1.2.840.113549.1.5.13, AES bundles
SHA1_3DES_OID = bytes.fromhex("060a2a864886f70d010c0103")  # 1.2.840.113549.1.12.1.3, legacy bundles


@pytest.fixture(scope="module")
def rsa_pair():
    return certs.self_signed("factory-test")


@pytest.mark.parametrize(
    "legacy, marker, absent",
    [(False, PBES2_OID, SHA1_3DES_OID), (True, SHA1_3DES_OID, PBES2_OID)],
    ids=["aes", "legacy-3des"],
)
def test_pfx_forms_open_with_their_password(rsa_pair, legacy, marker, absent):
    key, cert = rsa_pair
    bundle = certs.pfx(key, cert, "pw", legacy=legacy)
    assert marker in bundle and absent not in bundle
    loaded_key, loaded_cert, _extra = pkcs12.load_key_and_certificates(bundle, b"pw")
    assert loaded_cert == cert and loaded_key.private_numbers() == key.private_numbers()


def test_pfx_without_password_is_unencrypted(rsa_pair):
    key, cert = rsa_pair
    assert pkcs12.load_key_and_certificates(certs.pfx(key, cert, None), None)[1] == cert


def test_certificate_encodings_and_thumbprint(rsa_pair):
    _key, cert = rsa_pair
    assert x509.load_pem_x509_certificate(certs.pem(cert).encode()) == cert
    assert x509.load_der_x509_certificate(base64.b64decode(certs.b64(certs.der(cert)))) == cert
    thumbprint = certs.x5t(cert)
    assert "=" not in thumbprint and len(base64.urlsafe_b64decode(thumbprint + "=")) == 20


def test_ec_certificate_and_encrypted_key():
    key, cert = certs.self_signed(key=certs.ec_key())
    assert isinstance(cert.public_key(), ec.EllipticCurvePublicKey)
    assert load_pem_private_key(certs.private_key_pem(key, "pw"), b"pw").private_numbers() == key.private_numbers()


def test_expired_certificate(rsa_pair):
    _key, cert = certs.self_signed(days_valid=-1, days_before=30, key=rsa_pair[0])
    assert cert.not_valid_after_utc.timestamp() < time.time()
