"""certificates.py: the one PEM scanner, certificate loader and PKCS#12 opener of the client certificate and keys."""

from __future__ import annotations

import time

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from ansible_collections.b2c.trustframework.plugins.module_utils import certificates, key_material
from ansible_collections.b2c.trustframework.plugins.module_utils.errors import KeyMaterialError
from ansible_collections.b2c.trustframework.plugins.module_utils.pkcs12_protection import (
    MAX_KDF_ITERATIONS,
    pkcs12_iterations,
)
from tests.support.certs import pem, pfx, self_signed

NOW = time.time()


def test_one_load_certificate():
    assert key_material.load_certificate is certificates.load_certificate


def test_pem_blocks_in_order_and_an_unterminated_begin_is_skipped():
    _key, cert = self_signed()
    text = (
        "junk\n-----BEGIN CERTIFICATE-----\nnever ended\n" + pem(cert) + "-----BEGIN PRIVATE KEY-----\nAAAA\n"
        "-----END PRIVATE KEY-----\n-----END CERTIFICATE-----\n"
    ).encode()
    blocks = certificates.pem_blocks(text)
    assert [label for label, _block in blocks] == [b"CERTIFICATE", b"PRIVATE KEY"]
    assert blocks[0][1] == pem(cert).strip().encode()
    assert certificates.load_certificate(text) == cert


def _scan_seconds(lines):
    """The best of seven scans of ``lines`` BEGIN lines without an END (plus one real block at the end)."""
    _key, cert = self_signed("b2c-scan")
    data = b"-----BEGIN CERTIFICATE-----\nAAAA\n" * lines + pem(cert).encode()
    best = None
    for _attempt in range(7):
        start = time.perf_counter()
        assert len(certificates.pem_certificates(data)) == 1
        elapsed = time.perf_counter() - start
        best = elapsed if best is None else min(best, elapsed)
    return best


def test_pem_scanning_is_linear_in_the_number_of_begin_lines_without_an_end():
    """A hundred times the input takes about a hundred times as long; a scan that looks for the END of every BEGIN
    (quadratic) would take ten thousand times as long. The bound leaves a factor of ten for a busy machine."""
    small, large = _scan_seconds(1000), _scan_seconds(100000)
    assert large / small < 1000, (small, large)


def _bundle(rounds, mac_rounds=None):
    key, cert = self_signed("b2c-rounds")
    builder = (
        serialization.PrivateFormat.PKCS12.encryption_builder()
        .kdf_rounds(rounds)
        .key_cert_algorithm(pkcs12.PBES.PBESv1SHA1And3KeyTripleDESCBC)
        .hmac_hash(hashes.SHA1())
    )
    return pkcs12.serialize_key_and_certificates(b"x", key, cert, None, builder.build(b"pw")), cert


@pytest.mark.parametrize("rounds", [3000, 50000])
def test_the_iteration_count_is_read_from_the_structure(rounds):
    assert pkcs12_iterations(_bundle(rounds)[0]) == rounds


def test_an_aes_bundle_iteration_count_is_read_from_its_pbkdf2_parameters():
    key, cert = self_signed("b2c-aes")
    builder = (
        serialization.PrivateFormat.PKCS12.encryption_builder()
        .kdf_rounds(4321)
        .key_cert_algorithm(pkcs12.PBES.PBESv2SHA256AndAES256CBC)
        .hmac_hash(hashes.SHA256())
    )
    assert pkcs12_iterations(pkcs12.serialize_key_and_certificates(b"x", key, cert, None, builder.build(b"pw"))) == 4321


def test_an_unencrypted_bundle_is_counted_by_its_mac_and_opens():
    key, cert = self_signed("b2c-plain")
    raw = pfx(key, cert, None)
    assert pkcs12_iterations(raw) <= MAX_KDF_ITERATIONS
    assert certificates.open_pkcs12(raw, None, "pkcs12")[1] == cert


def test_a_bundle_whose_structure_cannot_be_walked_has_no_count():
    assert pkcs12_iterations(b"\x30\x80not der") is None


def test_a_key_bundle_over_the_cap_is_refused_before_decrypting(monkeypatch):
    raw, _cert = _bundle(MAX_KDF_ITERATIONS + 1)
    monkeypatch.setattr(pkcs12, "load_key_and_certificates", lambda *a: pytest.fail("decrypted"))
    with pytest.raises(KeyMaterialError) as err:
        key_material.pkcs12_upload(raw, "pw", "pkcs12_path", NOW)
    assert str(err.value).startswith("pkcs12_path: the PKCS#12 bundle asks for 1000001 key-derivation iterations")


def test_a_key_bundle_at_the_cap_opens():
    raw, cert = _bundle(MAX_KDF_ITERATIONS)
    assert key_material.load_pkcs12(raw, "pw", "pkcs12_path")[1] == cert
