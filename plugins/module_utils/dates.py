# -*- coding: utf-8 -*-
# Copyright: b2c.trustframework contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Key validity dates: nbf / exp / valid_days options as epoch seconds, and epoch seconds as ISO 8601."""

from __future__ import annotations

import datetime
import math
import re

from ansible_collections.b2c.trustframework.plugins.module_utils.errors import ValidationError

SECONDS_PER_DAY = 86400
# The times a key can carry: the years 1 to 9999, what ISO 8601 (and .NET's DateTime) can hold; a date
# outside them cannot be shown, and is refused before it is sent or shown.
EARLIEST_EPOCH = -62135596800  # 0001-01-01T00:00:00Z
LATEST_EPOCH = 253402300799  # 9999-12-31T23:59:59Z

_NUMERIC = re.compile(r"^[+-]?\d+(\.\d+)?$")


def parse_time(value, option):
    """Return ``value`` as integer epoch seconds.

    Accepts an int/float, a numeric string, or an ISO 8601 date/time ("Z",
    an offset, or naive which means UTC). ``None`` stays ``None``.
    """
    if value is None:
        return None
    # bool is an int subclass; "nbf: true" is a typo, not the epoch second 1.
    if isinstance(value, bool):
        raise ValidationError(_time_hint(option, value))
    return check_storable(_epoch(value, option), option)


def _epoch(value, option):
    if isinstance(value, float) and not math.isfinite(value):
        raise ValidationError(_time_hint(option, value))
    if isinstance(value, (int, float)):
        return int(value)
    if isinstance(value, datetime.datetime):
        return _datetime_to_epoch(value)
    if isinstance(value, datetime.date):
        return _datetime_to_epoch(datetime.datetime(value.year, value.month, value.day))
    text = str(value).strip()
    if _NUMERIC.match(text):
        return int(text.partition(".")[0])
    return _datetime_to_epoch(_parse_iso(text, option))


def is_storable(epoch):
    """True when ``epoch`` (whole seconds) lies in the years 1 to 9999: the one date limit of the collection."""
    return EARLIEST_EPOCH <= epoch <= LATEST_EPOCH


def check_storable(epoch, option):
    """``epoch``, refused locally when it lies outside what a key can carry (is_storable)."""
    if epoch > LATEST_EPOCH:
        raise ValidationError(
            "%s is after %s, later than a key can carry; give an earlier date or fewer days"
            % (option, epoch_to_iso(LATEST_EPOCH))
        )
    if not is_storable(epoch):
        raise ValidationError(
            "%s is before %s, earlier than a key can carry; give a later date" % (option, epoch_to_iso(EARLIEST_EPOCH))
        )
    return epoch


def _parse_iso(text, option):
    # datetime.fromisoformat() only learned the "Z" suffix in Python 3.11.
    normalised = text[:-1] + "+00:00" if text[-1:] in ("Z", "z") else text
    try:
        return datetime.datetime.fromisoformat(normalised)
    except ValueError:
        raise ValidationError(_time_hint(option, text)) from None


def _datetime_to_epoch(moment):
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return int(moment.timestamp())


def _time_hint(option, value):
    return "%s=%r is not a valid time; use epoch seconds (1767225600) or ISO 8601 (2026-01-01T00:00:00Z)" % (
        option,
        value,
    )


def epoch_to_iso(epoch):
    """UTC ISO 8601 with a ``Z`` suffix, or None when there is no usable value."""
    if epoch is None or not is_storable(int(epoch)):
        return None
    try:
        moment = datetime.datetime.fromtimestamp(int(epoch), tz=datetime.timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None
    return moment.isoformat().replace("+00:00", "Z")  # four-digit years, unlike strftime("%Y")


def resolve_validity(nbf, exp, valid_days, now):
    """Turn the nbf/exp/valid_days options into ``(nbf, exp)`` integer epochs (or None).

    ``valid_days`` counts from ``nbf`` when given, else from ``now``.
    """
    nbf = parse_time(nbf, "nbf")
    exp = parse_time(exp, "exp")
    if exp is not None and valid_days is not None:
        raise ValidationError("exp and valid_days are mutually exclusive; set only one of them")
    if valid_days is not None:
        if isinstance(valid_days, bool) or int(valid_days) <= 0:
            raise ValidationError("valid_days=%r must be a positive number of days" % (valid_days,))
        start = nbf if nbf is not None else int(now)
        exp = check_storable(start + int(valid_days) * SECONDS_PER_DAY, "valid_days=%d" % valid_days)
    if exp is not None:
        if exp <= now:
            raise ValidationError(
                "exp (%s) is in the past; a key that has already expired can never be used" % epoch_to_iso(exp)
            )
        if nbf is not None and exp <= nbf:
            raise ValidationError("exp (%s) must be after nbf (%s)" % (epoch_to_iso(exp), epoch_to_iso(nbf)))
    return nbf, exp
