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
# The latest time a key can carry: the service stores nbf/exp as 64-bit seconds, and
# dates beyond the year 9999 cannot be shown (ISO 8601) or compared by most tools.
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


def check_storable(epoch, option):
    """``epoch``, refused locally when it lies beyond what a key can carry (LATEST_EPOCH)."""
    if epoch > LATEST_EPOCH:
        raise ValidationError("%s is after %s, later than a key can carry; give an earlier date or fewer days"
                              % (option, epoch_to_iso(LATEST_EPOCH)))
    return epoch


def _parse_iso(text, option):
    # datetime.fromisoformat() only learned the "Z" suffix in Python 3.11.
    normalised = text[:-1] + "+00:00" if text[-1:] in ("Z", "z") else text
    try:
        return datetime.datetime.fromisoformat(normalised)
    except ValueError:
        raise ValidationError(_time_hint(option, text))


def _datetime_to_epoch(moment):
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return int(moment.timestamp())


def _time_hint(option, value):
    return (
        "%s=%r is not a valid time; use epoch seconds (1767225600) or ISO 8601 "
        "(2026-01-01T00:00:00Z)" % (option, value)
    )


def epoch_to_iso(epoch):
    """UTC ISO 8601 with a ``Z`` suffix, or None when there is no usable value."""
    if epoch is None:
        return None
    try:
        moment = datetime.datetime.fromtimestamp(int(epoch), tz=datetime.timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


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
                "exp (%s) is in the past; a key that has already expired can never be used"
                % epoch_to_iso(exp)
            )
        if nbf is not None and exp <= nbf:
            raise ValidationError(
                "exp (%s) must be after nbf (%s)" % (epoch_to_iso(exp), epoch_to_iso(nbf))
            )
    return nbf, exp
