"""Unit tests for dates: nbf / exp / valid_days and ISO 8601."""

import datetime

import pytest

from ansible_collections.b2c.trustframework.plugins.module_utils import dates
from ansible_collections.b2c.trustframework.plugins.module_utils.errors import ValidationError

NOW = 1767225600  # 2026-01-01T00:00:00Z
DAY = 86400


@pytest.mark.parametrize(
    "value, expected",
    [
        (None, None),
        (1767225600, 1767225600),
        (1767225600.9, 1767225600),
        ("1767225600", 1767225600),
        (" 1767225600 ", 1767225600),
        ("1767225600.5", 1767225600),
        ("2026-01-01T00:00:00Z", 1767225600),
        ("2026-01-01T00:00:00z", 1767225600),
        ("2026-01-01T01:00:00+01:00", 1767225600),
        ("2026-01-01T00:00:00", 1767225600),  # naive = UTC
        ("2026-01-01", 1767225600),
        (datetime.date(2026, 1, 1), 1767225600),
        (datetime.datetime(2026, 1, 1), 1767225600),
    ],
)
def test_parse_time_accepts_epochs_and_iso(value, expected):
    assert dates.parse_time(value, "nbf") == expected


@pytest.mark.parametrize("value", ["tomorrow", "2026-13-01", "", True, "1e5x"])
def test_parse_time_rejects_garbage_naming_the_option(value):
    with pytest.raises(ValidationError, match="^exp="):
        dates.parse_time(value, "exp")


@pytest.mark.parametrize(
    "epoch, iso",
    [
        (1767225600, "2026-01-01T00:00:00Z"),
        (0, "1970-01-01T00:00:00Z"),
        (None, None),
        (10**20, None),  # out of range: no crash
    ],
)
def test_epoch_to_iso(epoch, iso):
    assert dates.epoch_to_iso(epoch) == iso


@pytest.mark.parametrize(
    "nbf, exp, valid_days, expected",
    [
        (None, None, None, (None, None)),
        (None, NOW + DAY, None, (None, NOW + DAY)),
        (NOW, "2026-02-01T00:00:00Z", None, (NOW, NOW + 31 * DAY)),
        (None, None, 30, (None, NOW + 30 * DAY)),
        ("2026-01-10", None, 30, (NOW + 9 * DAY, NOW + 39 * DAY)),  # valid_days counts from nbf
        (NOW - DAY, None, 2, (NOW - DAY, NOW + DAY)),
    ],
)
def test_resolve_validity(nbf, exp, valid_days, expected):
    assert dates.resolve_validity(nbf, exp, valid_days, NOW) == expected


@pytest.mark.parametrize(
    "nbf, exp, valid_days, message",
    [
        (None, NOW + DAY, 5, "mutually exclusive"),
        (None, None, 0, "valid_days"),
        (None, None, -3, "valid_days"),
        (None, NOW - 1, None, "in the past"),
        (NOW + 2 * DAY, NOW + DAY, None, "must be after nbf"),
        (NOW - 10 * DAY, None, 5, "in the past"),
        ("soon", None, None, "^nbf="),
    ],
)
def test_resolve_validity_rejects(nbf, exp, valid_days, message):
    with pytest.raises(ValidationError, match=message):
        dates.resolve_validity(nbf, exp, valid_days, NOW)


@pytest.mark.parametrize(
    "nbf, exp, valid_days, fragment",
    [
        (None, None, 1000000000000000, "valid_days=1000000000000000 is after 9999-12-31T23:59:59Z"),
        (None, 253402300800, None, "exp is after 9999-12-31T23:59:59Z"),
        ("99999999999999999999", None, None, "nbf is after 9999-12-31T23:59:59Z"),
        (None, float("inf"), None, "exp=inf is not a valid time"),
    ],
)
def test_dates_beyond_what_a_key_can_carry_are_refused_locally(nbf, exp, valid_days, fragment):
    with pytest.raises(ValidationError) as err:
        dates.resolve_validity(nbf, exp, valid_days, 1767225600)
    assert fragment in str(err.value)


def test_the_latest_storable_date_is_accepted():
    assert dates.resolve_validity(None, "9999-12-31T23:59:59Z", None, 1767225600) == (None, dates.LATEST_EPOCH)


def test_one_date_limit_years_1_to_9999_both_ways():
    from ansible_collections.b2c.trustframework.plugins.module_utils import dates

    assert dates.epoch_to_iso(dates.EARLIEST_EPOCH) == "0001-01-01T00:00:00Z"
    assert dates.epoch_to_iso(dates.LATEST_EPOCH) == "9999-12-31T23:59:59Z"
    assert dates.epoch_to_iso(dates.LATEST_EPOCH + 1) is None and dates.epoch_to_iso(-(10**29)) is None
    assert dates.check_storable(dates.EARLIEST_EPOCH, "nbf") == dates.EARLIEST_EPOCH
    for epoch, message in (
        (dates.EARLIEST_EPOCH - 1, "nbf is before 0001-01-01T00:00:00Z"),
        (dates.LATEST_EPOCH + 1, "nbf is after 9999-12-31T23:59:59Z"),
    ):
        with pytest.raises(ValidationError, match=message):
            dates.check_storable(epoch, "nbf")
    with pytest.raises(ValidationError, match="nbf is before 0001"):
        dates.parse_time(-1e29, "nbf")
