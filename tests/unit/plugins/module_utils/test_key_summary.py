"""key_summary.py: what the modules return for a key and a keyset (allow-list, ISO dates, days left)."""

import json

import pytest

from ansible_collections.b2c.trustframework.plugins.module_utils import key_rules, key_summary
from tests.unit.plugins.module_utils.keyset_samples import DAY, NOW, key, keyset


def test_summary_is_an_allow_list():
    leaky = key("k1", d="D", p="P", q="Q", dp="DP", dq="DQ", qi="QI", k="SECRET", n="N", e="AQAB", x5c=["c"])
    summary = key_summary.summarize_key(leaky, NOW)
    assert set(summary) == set(key_summary.SUMMARY_FIELDS) | {"nbf_iso", "exp_iso", "expires_in_days"}
    text = json.dumps(key_summary.summarize_keyset(keyset(leaky), NOW))
    for private in ('"D"', '"P"', '"Q"', '"DP"', '"DQ"', '"QI"', "SECRET"):
        assert private not in text


@pytest.mark.parametrize(
    "nbf, exp, nbf_iso, exp_iso, days",
    [
        (NOW, NOW + DAY * 3 // 2, "2026-01-01T00:00:00Z", "2026-01-02T12:00:00Z", 2),
        (str(NOW), str(NOW + 30 * DAY), "2026-01-01T00:00:00Z", "2026-01-31T00:00:00Z", 30),
        (None, NOW - 1, None, "2025-12-31T23:59:59Z", -1),
        (None, NOW - 3 * DAY, None, "2025-12-29T00:00:00Z", -3),
        (None, None, None, None, None),
        ("garbage", None, None, None, None),
    ],
)
def test_summary_times(nbf, exp, nbf_iso, exp_iso, days):
    summary = key_summary.summarize_key({"kid": "k", "nbf": nbf, "exp": exp}, NOW)
    assert (summary["nbf"], summary["exp"]) == (nbf, exp)  # raw values as Graph returned them
    assert (summary["nbf_iso"], summary["exp_iso"], summary["expires_in_days"]) == (nbf_iso, exp_iso, days)


@pytest.mark.parametrize(
    "seconds_left, days",
    [
        (10 * DAY, 10),  # a 10-day key, the moment it is made
        (10 * DAY - 3600, 10),  # ... and an hour later: still 10 on the day it is made
        (9 * DAY, 9),
        (9 * DAY + 1, 10),  # a started day counts
        (1, 1),  # expires within the day: 1, never 0 while valid
        (0, -1),  # expires now: expired
        (-1, -1),
        (-DAY, -1),
        (-DAY - 1, -2),
    ],
)
def test_days_until_rounds_up_while_valid(seconds_left, days):
    assert key_rules.days_until(NOW + seconds_left, NOW) == days
    if seconds_left > 0:  # <= N exactly when the key expires within N days
        assert key_rules.renewal_due({"exp": NOW + seconds_left}, days, NOW)
        assert not key_rules.renewal_due({"exp": NOW + seconds_left}, days - 1, NOW)


def test_summaries_of_nothing():
    assert key_summary.summarize_key(None, NOW) is None
    assert key_summary.summarize_keyset(None, NOW) is None
    assert key_summary.summarize_keyset({"id": "B2C_1A_x"}, NOW) == {"id": "B2C_1A_x", "key_list": []}


def test_summary_names_work_with_jinja_dot_access():
    """``result.keyset.keys`` in Jinja is the dict method: no returned name may be one of a dict's attributes."""
    staged = keyset(key("a", nbf=NOW + DAY))
    summary = key_summary.summarize_keyset(staged, NOW)
    names = (
        set(summary) | set(summary["key_list"][0]) | set(key_summary.summarize_next_key(key_rules.keys_of(staged), NOW))
    )
    assert names & set(dir(dict)) == set()


def test_summarize_next_key_adds_activates_in_days():
    summary = key_summary.summarize_next_key([key("a"), key("b", nbf=NOW + 7 * DAY, exp=NOW + 372 * DAY)], NOW)
    assert summary["kid"] == "b" and summary["activates_in_days"] == 7 and summary["nbf_iso"] == "2026-01-08T00:00:00Z"
    assert key_summary.summarize_next_key([key("a")], NOW) is None
