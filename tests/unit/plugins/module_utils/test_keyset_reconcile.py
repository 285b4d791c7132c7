"""keyset_reconcile.py: twin keys are blamed on a late write or on two writers only when the keys can tell."""

import pytest

from ansible_collections.b2c.trustframework.plugins.module_utils import keyset_reconcile
from tests.unit.plugins.module_utils.keyset_samples import DAY, NOW, desired, key, keyset

LATE = "most likely one request applied twice after a late write"
TWO = "most likely two writers at once"
EITHER = "both are possible, the keys cannot tell"


@pytest.mark.parametrize(
    "options, twin_offset, cause",
    [
        ({"valid_days": 30}, 0, LATE),  # a resent request carries the same computed dates
        ({"valid_days": 30}, 7, TWO),  # two writers computed them from their own clocks
        ({"activate_in_days": 7, "valid_days": 30, "renew_before_days": 14}, 3, TWO),
        ({}, 0, EITHER),  # the service picked the dates: nothing to tell by
        ({}, 7, EITHER),
    ],
)
def test_the_twin_key_warning_says_who_when_it_can(options, twin_offset, cause):
    first = key("a", nbf=NOW, exp=NOW + 30 * DAY)
    twin = key("b", nbf=NOW + twin_offset, exp=NOW + 30 * DAY + twin_offset)
    wanted = desired(**options)
    duplicates = keyset_reconcile.late_write_duplicates(keyset(first, twin), first, wanted, NOW + 1)
    assert [other["kid"] for other in duplicates] == ["b"]
    warning = keyset_reconcile.duplicates_warning("B2C_1A_Sig", first, duplicates, wanted)
    assert cause in warning and "Nothing was added" in warning
    assert sum(text in warning for text in (LATE, TWO, EITHER)) == 1
