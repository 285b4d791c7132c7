"""Unit tests for key_material: certificates, PKCS#12 and the encryption the service accepts."""

import base64
import calendar
import datetime

import pytest
from cryptography.hazmat.primitives import hashes

from ansible_collections.b2c.trustframework.plugins.module_utils import key_material as km
from ansible_collections.b2c.trustframework.plugins.module_utils.errors import KeyMaterialError
from ansible_collections.b2c.trustframework.plugins.module_utils.pkcs12_protection import pkcs12_refusal_reason
from tests.support.certs import b64, der, ec_key, pem, pfx, rsa_key, self_signed

NOW = 1767225600  # 2026-01-01T00:00:00Z


# --------------------------------------------------------------------------- certificates


@pytest.fixture(scope="module")
def cert():
    return self_signed()[1]


def independent_x5t(cert):
    return base64.urlsafe_b64encode(cert.fingerprint(hashes.SHA1())).decode().rstrip("=")


def test_x5t_is_base64url_sha1_of_der_without_padding(cert):
    thumbprint = km.x5t(cert)
    assert thumbprint == independent_x5t(cert)
    assert len(thumbprint) == 27 and "=" not in thumbprint and "+" not in thumbprint and "/" not in thumbprint


def test_certificate_b64_is_standard_base64_of_der(cert):
    assert base64.b64decode(km.certificate_b64(cert)) == der(cert)


@pytest.mark.parametrize(
    "encode",
    [
        pytest.param(pem, id="pem-text"),
        pytest.param(lambda c: pem(c).encode(), id="pem-bytes"),
        pytest.param(lambda c: "junk before\n" + pem(c) + "junk after", id="pem-with-text-around"),
        pytest.param(der, id="der-bytes"),
        pytest.param(lambda c: b64(der(c)), id="base64-der"),
        pytest.param(
            lambda c: "\n".join(b64(der(c))[i : i + 64] for i in range(0, len(b64(der(c))), 64)),
            id="base64-der-wrapped",
        ),
        pytest.param(lambda c: b64(pem(c).encode()), id="base64-pem"),
        pytest.param(lambda c: base64.urlsafe_b64encode(der(c)).decode().rstrip("="), id="base64url-der"),
    ],
)
def test_load_certificate_accepts_every_encoding(cert, encode):
    assert km.x5t(km.load_certificate(encode(cert))) == independent_x5t(cert)


@pytest.mark.parametrize(
    "data",
    [
        "not a certificate!",
        "aGVsbG8=",
        b"0\x03\x02\x01\x00",
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----",
    ],
)
def test_load_certificate_rejects_garbage_naming_the_option(data):
    with pytest.raises(KeyMaterialError, match="certificate_path"):
        km.load_certificate(data, "certificate_path")


def test_expired_certificate_is_refused():
    _key, old = self_signed(days_valid=-1, days_before=30)
    with pytest.raises(KeyMaterialError, match="certificate in certificate expired"):
        km.check_certificate_dates(old, datetime.datetime.now().timestamp(), "certificate")


def test_current_certificate_passes_and_reports_validity(cert):
    km.check_certificate_dates(cert, datetime.datetime.now().timestamp(), "certificate")
    nbf, exp = km.certificate_validity(cert)
    assert nbf == calendar.timegm(cert.not_valid_before_utc.utctimetuple())
    assert exp == calendar.timegm(cert.not_valid_after_utc.utctimetuple())


# --------------------------------------------------------------------------- PKCS#12


@pytest.fixture(scope="module")
def bundle():
    key, cert = self_signed()
    return key, cert, pfx(key, cert, "s3cret-pfx")


@pytest.mark.parametrize(
    "as_input",
    [
        pytest.param(lambda raw: raw, id="bytes"),
        pytest.param(b64, id="base64-text"),
        pytest.param(lambda raw: b64(raw).encode(), id="base64-file"),
    ],
)
def test_load_pkcs12_opens_with_the_right_password(bundle, as_input):
    _key, cert, raw = bundle
    private_key, loaded = km.load_pkcs12(as_input(raw), "s3cret-pfx")
    assert private_key is not None
    assert km.x5t(loaded) == independent_x5t(cert)
    assert base64.b64decode(km.pkcs12_b64(as_input(raw))) == raw


@pytest.mark.parametrize(
    "password, message",
    [
        ("wrong", "wrong pkcs12_password"),
        (None, "without a password: set pkcs12_password"),
        ("", "without a password: set pkcs12_password"),
    ],
)
def test_load_pkcs12_wrong_or_missing_password(bundle, password, message):
    with pytest.raises(KeyMaterialError, match=message) as info:
        km.load_pkcs12(bundle[2], password, "pkcs12_path")
    assert "pkcs12_path" in str(info.value)
    assert "s3cret-pfx" not in str(info.value)


def test_load_pkcs12_without_password():
    key, cert = self_signed()
    assert km.load_pkcs12(pfx(key, cert, None), None)[1] == cert


def test_load_pkcs12_without_private_key_is_refused():
    _key, cert = self_signed()
    with pytest.raises(KeyMaterialError, match="no private key"):
        km.load_pkcs12(pfx(None, cert, "pw"), "pw")


def test_load_pkcs12_without_certificate_is_refused():
    with pytest.raises(KeyMaterialError, match="no certificate"):
        km.load_pkcs12(pfx(rsa_key(), None, "pw"), "pw")


def test_load_pkcs12_not_a_pfx():
    with pytest.raises(KeyMaterialError, match="pkcs12"):
        km.load_pkcs12("not base64 at all!", "pw")


# --------------------------------------------------------------------------- files


def test_der_certificate_ending_in_a_whitespace_byte_is_read_whole():
    """DER ends with signature bytes; about 1 certificate in 40 ends in a byte that looks like whitespace."""
    key = rsa_key()
    for attempt in range(2000):
        dummy_key, cert = self_signed("b2c-test-%d" % attempt, key=key)
        if der(cert)[-1:].isspace():
            break
    else:
        pytest.skip("no certificate ending in a whitespace byte was produced")
    assert km.x5t(km.load_certificate(der(cert))) == km.x5t(cert)


# --------------------------------------------------------------------------- PKCS#12 encryption the service accepts


def test_aes_pkcs12_is_reencoded_with_the_same_certificate_and_password():
    key, cert = self_signed()
    loaded, body, reencoded = km.pkcs12_upload(pfx(key, cert, "s3cret-pfx"), "s3cret-pfx", "pkcs12", NOW)
    sent = base64.b64decode(body)
    assert reencoded is True and pkcs12_refusal_reason(sent) is None
    assert km.x5t(km.load_pkcs12(sent, "s3cret-pfx")[1]) == km.x5t(cert) == km.x5t(loaded)


def test_legacy_pkcs12_is_sent_as_given():
    key, cert = self_signed()
    raw = pfx(key, cert, "pw", legacy=True)
    _cert, body, reencoded = km.pkcs12_upload(raw, "pw", "pkcs12", NOW)
    assert (base64.b64decode(body), reencoded) == (raw, False)


def test_openssl_legacy_pkcs12_is_reencoded_with_the_same_certificate_and_password():
    """openssl pkcs12 -export -legacy: 3DES key bag but RC2-40 certificate bag, which B2C refuses (AADB2C90213)."""
    key, cert = self_signed()
    raw = pfx(key, cert, "s3cret-pfx", protection="openssl-legacy")
    assert pkcs12_refusal_reason(raw).startswith("is encrypted with RC2")
    loaded, body, reencoded = km.pkcs12_upload(raw, "s3cret-pfx", "pkcs12", NOW)
    sent = base64.b64decode(body)
    assert reencoded is True and pkcs12_refusal_reason(sent) is None
    assert km.x5t(km.load_pkcs12(sent, "s3cret-pfx")[1]) == km.x5t(cert) == km.x5t(loaded)


def test_openssl_legacy_pkcs12_is_refused_locally_when_reencoding_is_off():
    key, cert = self_signed()
    raw = pfx(key, cert, "pw", protection="openssl-legacy")
    with pytest.raises(KeyMaterialError, match=r"pkcs12_path is encrypted with RC2.*AADB2C90213.*PBE-SHA1-3DES"):
        km.pkcs12_upload(raw, "pw", "pkcs12_path", NOW, reencode=False)


def test_aes_pkcs12_is_refused_locally_when_reencoding_is_off():
    key, cert = self_signed()
    with pytest.raises(KeyMaterialError, match=r"pkcs12_path is encrypted with AES.*AADB2C90213.*PBE-SHA1-3DES"):
        km.pkcs12_upload(pfx(key, cert, "pw"), "pw", "pkcs12_path", NOW, reencode=False)


def test_pkcs12_without_password_is_refused_locally():
    key, cert = self_signed()
    with pytest.raises(KeyMaterialError, match="pkcs12 has no password; B2C accepts only a password-protected"):
        km.pkcs12_upload(pfx(key, cert, None), None, "pkcs12", NOW)


def test_ec_certificate_is_refused_locally_saying_rsa_only():
    _key, cert = self_signed(key=ec_key())
    with pytest.raises(
        KeyMaterialError, match=r"certificate_path has an EC \(secp256r1\) key; B2C policy keys are RSA only"
    ):
        km.certificate_upload(pem(cert), "certificate_path", NOW)


@pytest.mark.parametrize("legacy", [False, True])
def test_ec_pkcs12_is_refused_locally_saying_rsa_only(legacy):
    key, cert = self_signed(key=ec_key())
    with pytest.raises(
        KeyMaterialError, match=r"pkcs12 has an EC \(secp256r1\) key; .*'Only RSA certificates are supported'"
    ):
        km.pkcs12_upload(pfx(key, cert, "pw", legacy=legacy), "pw", "pkcs12", NOW)
