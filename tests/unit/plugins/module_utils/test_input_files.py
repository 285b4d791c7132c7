"""input_files.py: the files options point at are read bounded, with errors naming the option."""

from __future__ import annotations

import os

import pytest

from ansible_collections.b2c.trustframework.plugins.module_utils.errors import KeyMaterialError
from ansible_collections.b2c.trustframework.plugins.module_utils.input_files import (
    BUNDLE_FILE_LIMIT,
    TEXT_FILE_LIMIT,
    read_input_file,
)


def test_a_file_is_read_whole(tmp_path):
    target = tmp_path / "cert.pem"
    target.write_bytes(b"data")
    assert read_input_file(str(target), "certificate_path") == b"data"


def test_a_missing_file_names_the_option_and_where_it_looked(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(KeyMaterialError) as error:
        read_input_file("files/saml.pfx", "pkcs12_path")
    assert "pkcs12_path: cannot read 'files/saml.pfx' (%s): No such file" % (tmp_path / "files" / "saml.pfx") in str(
        error.value
    )


def test_the_limits_are_the_documented_ones():
    assert (TEXT_FILE_LIMIT, BUNDLE_FILE_LIMIT) == (1024 * 1024, 10 * 1024 * 1024)


@pytest.mark.parametrize("limit", [TEXT_FILE_LIMIT, BUNDLE_FILE_LIMIT])
def test_a_file_at_the_limit_is_read_and_one_byte_more_is_refused(tmp_path, limit):
    target = tmp_path / "big"
    target.write_bytes(b"a" * limit)
    assert len(read_input_file(str(target), "certificate_path", limit)) == limit
    target.write_bytes(b"a" * (limit + 1))
    with pytest.raises(
        KeyMaterialError, match=r"certificate_path: '.*big' is larger than %d MiB" % (limit // 1024 // 1024)
    ):
        read_input_file(str(target), "certificate_path", limit)


def test_dev_zero_is_refused_naming_the_option():
    """An unbounded read of /dev/zero never ends (it fills the memory); a bounded one stops past the limit."""
    if not os.path.exists("/dev/zero"):
        pytest.skip("no /dev/zero")
    with pytest.raises(KeyMaterialError, match="federated_token_file: '/dev/zero' is larger than 1 MiB"):
        read_input_file("/dev/zero", "federated_token_file")


def test_a_huge_sparse_file_is_refused_without_reading_it(tmp_path):
    target = tmp_path / "sparse.pfx"
    with open(target, "wb") as handle:
        handle.truncate(64 * 1024 * 1024 * 1024)  # 64 GiB of holes: read whole, it would exhaust the memory
    with pytest.raises(KeyMaterialError, match="pkcs12_path: '.*sparse.pfx' is larger than 10 MiB"):
        read_input_file(str(target), "pkcs12_path", BUNDLE_FILE_LIMIT)
