"""keyset_names.py: the B2C_1A_ prefix, allowed names, keysets that are not the user's."""

import pytest

from ansible_collections.b2c.trustframework.plugins.module_utils import keyset_names
from ansible_collections.b2c.trustframework.plugins.module_utils.errors import ValidationError


@pytest.mark.parametrize(
    "given, expected",
    [
        ("TokenSigningKeyContainer", "B2C_1A_TokenSigningKeyContainer"),
        ("B2C_1A_TokenSigningKeyContainer", "B2C_1A_TokenSigningKeyContainer"),
        ("b2c_1a_Facebook", "B2C_1A_Facebook"),
        ("  spaced  ", "B2C_1A_spaced"),
        ("a-b.c_d9", "B2C_1A_a-b.c_d9"),
    ],
)
def test_normalize_name(given, expected):
    assert keyset_names.normalize_name(given) == expected


@pytest.mark.parametrize(
    "given, message",
    [
        ("", "must not be empty"),
        (None, "must not be empty"),
        ("B2C_1A_", "must not be empty"),
        ("has space", "may only hold"),
        ("a/b", "may only hold"),
        ("x" * 200, "too long"),
        ("B2C_1A_b2c_1a_X", "carries the B2C_1A_ prefix twice"),
        ("b2c_1a_B2C_1A_X", "prefix twice; give the name once, e.g. B2C_1A_X"),
    ],
)
def test_normalize_name_rejects_naming_the_option(given, message):
    with pytest.raises(ValidationError, match="^keyset.*" + message):
        keyset_names.normalize_name(given, "keyset")


@pytest.mark.parametrize(
    "name, managed, backup",
    [
        ("B2C_1A_AdminClientEncryptionKeyContainer", True, False),
        ("b2c_1a_adminclientencryptionkeycontainer", True, False),
        ("B2C_1A_TokenSigningKeyContainer", False, False),
        ("B2C_1A_TokenSigningKeyContainer.bak", False, True),
        ("B2C_1A_X.BAK", False, True),
    ],
)
def test_service_managed_and_backup_keysets(name, managed, backup):
    assert (keyset_names.is_service_managed(name), keyset_names.is_backup(name)) == (managed, backup)
