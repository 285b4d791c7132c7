"""pkcs12_protection: the one PKCS#12 form B2C opens, every other one named."""

import pytest

from ansible_collections.b2c.trustframework.plugins.module_utils.pkcs12_protection import pkcs12_refusal_reason
from tests.support.certs import pfx, self_signed


@pytest.fixture(scope="module")
def pair():
    return self_signed()


@pytest.mark.parametrize(
    "protection, reason",
    [
        ("3des", None),
        ("aes", "is encrypted with AES (PBES2)"),
        ("3des-sha256-mac", "has a MAC other than SHA-1"),
        ("none", "holds a bag that is not encrypted with PBE-SHA1-3DES"),
        ("openssl-legacy", "is encrypted with RC2 (as openssl pkcs12 -export -legacy and OpenSSL 1.1 write it)"),
    ],
)
def test_only_3des_in_every_bag_with_a_sha1_mac_is_accepted(pair, protection, reason):
    assert pkcs12_refusal_reason(pfx(*pair, "pw", protection=protection)) == reason


def test_a_certificate_only_bundle_has_no_encrypted_key_bag_to_accept(pair):
    assert pkcs12_refusal_reason(pfx(None, pair[1], "pw", protection="3des")) is None  # its certificates are 3DES


@pytest.mark.parametrize("raw", [b"", b"\x30\x03\x02\x01\x03", b"\x30\x80\x00\x00", b"\x30\x05\x02\x01", b"not der"])
def test_what_cannot_be_walked_is_not_accepted(raw):
    assert pkcs12_refusal_reason(raw) == "is not a DER PKCS#12 bundle that can be checked"
