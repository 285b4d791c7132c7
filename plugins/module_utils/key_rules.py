# -*- coding: utf-8 -*-
# Copyright: b2c.trustframework contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Key rules: which key is usable, which is active, which takes over next, when renewal is due.
Pure (no request, no clock: time comes in as ``now``, epoch seconds).
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

import math

from ansible_collections.b2c.trustframework.plugins.module_utils.dates import SECONDS_PER_DAY
from ansible_collections.b2c.trustframework.plugins.module_utils.errors import ValidationError

FAMILY_LABELS = {"rsa": "RSA", "oct": "oct"}
# What we send as kty: the documented examples use upper case.
KTY_WIRE = {"rsa": "RSA", "oct": "OCT"}


def to_epoch(value):
    """Epoch seconds from an int or numeric string (samples show both); None otherwise."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return int(value)
    try:
        return int(float(str(value).strip()))
    except ValueError:
        return None


def days_until(epoch, now):
    """Days left until ``epoch``, a started day counting as a whole one; negative once past; or None.

    Rounded up while ``epoch`` is ahead, so a key made with ``valid_days: 10`` shows 10
    on the day it is made, and ``days_until(exp) <= N`` holds exactly when the key
    expires within N days (what ``renew_before_days`` and the report's threshold mean).
    Once past: -1 on the first day after it, -2 on the second, and so on.
    """
    if epoch is None:
        return None
    seconds = epoch - now
    if seconds > 0:
        return int(math.ceil(seconds / float(SECONDS_PER_DAY)))
    return min(-1, int(math.floor(seconds / float(SECONDS_PER_DAY))))


def keys_of(keyset):
    return list((keyset or {}).get("keys") or [])


def find_kid(keyset, kid):
    for key in keys_of(keyset):
        if kid is not None and key.get("kid") == kid:
            return key
    return None


def key_family(kty):
    """``rsa`` / ``oct`` (case-insensitive), or None for anything else."""
    family = str(kty or "").strip().lower()
    return family if family in FAMILY_LABELS else None


def key_use(key):
    return str(key.get("use") or "").strip().lower()


def same_use(a, b):
    return str(a or "").strip().lower() == str(b or "").strip().lower()


def is_enabled(key):
    """Keys without a ``status`` count as enabled (older API revisions omit it)."""
    return str(key.get("status") or "enabled").strip().lower() == "enabled"


def is_usable(key, now):
    """Enabled (or no status) and not expired; a future ``nbf`` still counts (a staged key)."""
    exp = to_epoch(key.get("exp"))
    return is_enabled(key) and (exp is None or exp > now)


def active_key(keys, now):
    """The key the service signs with (the B2C article policy-keys-overview), or None.

    The enabled key with the latest ``nbf`` that has passed and whose ``exp`` has
    not; failing that, an enabled key without ``nbf`` that has not expired (the
    documented safety net is a key with neither date; keys without ``nbf`` come
    last in the service's order).
    """
    live = [key for key in keys if is_usable(key, now)]
    started = [key for key in live if to_epoch(key.get("nbf")) is not None and to_epoch(key.get("nbf")) <= now]
    if started:
        return max(started, key=lambda key: to_epoch(key.get("nbf")))
    undated = [key for key in live if to_epoch(key.get("nbf")) is None]
    return undated[0] if undated else None


def next_key(keys, now):
    """The key that takes over next (the B2C article policy-keys-overview), or None.

    The enabled key with the earliest ``nbf`` still ahead and an ``exp`` after
    that ``nbf``: when its nbf passes it is the started key with the latest nbf.
    """

    def waiting(key):
        nbf, exp = to_epoch(key.get("nbf")), to_epoch(key.get("exp"))
        return is_enabled(key) and nbf is not None and nbf > now and (exp is None or exp > nbf)

    staged = [key for key in keys if waiting(key)]
    return min(staged, key=lambda key: to_epoch(key.get("nbf"))) if staged else None


def matches_kind(key, family, use):
    return (family is None or key_family(key.get("kty")) == family) and (use is None or same_use(key.get("use"), use))


def newest_usable(keys, kty, use, now):
    """The usable key of that family/use whose validity ends last, or None.

    ``kty``/``use`` of None match anything. Dated keys come first: a key
    without ``exp`` (the safety net) must not hide that the dated keys are due.
    Picking by validity (not upload order) makes renewal converge.
    """
    family = key_family(kty) if kty is not None else None
    candidates = [key for key in keys if is_usable(key, now) and matches_kind(key, family, use)]
    dated = [key for key in candidates if to_epoch(key.get("exp")) is not None]
    pool = dated or candidates
    return max(pool, key=lambda key: (to_epoch(key.get("exp")) or 0, to_epoch(key.get("nbf")) or 0)) if pool else None


def renewal_due(key, renew_before_days, now):
    """True when ``key`` expires within ``renew_before_days`` days."""
    if renew_before_days is None or key is None:
        return False
    exp = to_epoch(key.get("exp"))
    return exp is not None and exp - now <= renew_before_days * SECONDS_PER_DAY


def keyset_needs_renewal(keyset, within_days, now):
    """True when, for some kty/use pair, the dated enabled keys all end within N days.

    Older keys superseded by a newer one do not count (keys cannot be removed
    one by one, so expired predecessors stay forever); a pair whose every dated
    key has expired does count, even when a dateless safety-net key remains.
    """
    pairs = set((key_family(key.get("kty")), key_use(key)) for key in keys_of(keyset) if is_enabled(key))
    for family, use in pairs:
        dated = [
            key
            for key in keys_of(keyset)
            if is_enabled(key) and matches_kind(key, family, use) and to_epoch(key.get("exp")) is not None
        ]
        if dated and renewal_due(max(dated, key=lambda key: to_epoch(key.get("exp"))), within_days, now):
            return True
    return False


def normalize_thumbprint(value):
    """x5t as unpadded base64url; tolerates padding and surrounding blanks."""
    return str(value or "").strip().rstrip("=")


def find_by_thumbprint(keys, thumbprint):
    wanted = normalize_thumbprint(thumbprint)
    for key in keys:
        if wanted and normalize_thumbprint(key.get("x5t")) == wanted:
            return key
    return None


def _first(keys, describe):
    for key in keys:
        value = describe(key)
        if value:
            return value
    return None


def check_family(keyset, family):
    """AADB2C95032: a keyset holds RSA keys or oct keys, never both."""
    existing = _first(keys_of(keyset), lambda key: key_family(key.get("kty")))
    if existing and family and existing != family:
        raise ValidationError(
            "keyset %s holds %s keys; a keyset cannot mix RSA and oct keys (AADB2C95032); "
            "use another keyset for the %s key" % (keyset.get("id"), FAMILY_LABELS[existing], FAMILY_LABELS[family])
        )


def check_use(keyset, use):
    """AADB2C95042: a keyset holds signing keys or encryption keys, never both."""
    existing = _first(keys_of(keyset), key_use)
    if existing and use and existing != str(use).lower():
        raise ValidationError(
            "keyset %s holds %s keys; a keyset cannot mix sig and enc keys (AADB2C95042); "
            "use another keyset for the %s key" % (keyset.get("id"), existing, str(use).lower())
        )


def coverage_problem(active, successor, within_days):
    """Why the keys of a keyset stop covering the next ``within_days`` days, or None when they cover them.

    Covered: the active key is valid beyond them, or a successor that takes
    over before the active key expires (``next_key``) is valid beyond them.
    ``active`` and ``successor`` are key summaries (with ``expires_in_days``).
    """
    if active is None:
        return "no active key"
    left = active.get("expires_in_days")
    if left is None or left > within_days:
        return None
    if successor is None or to_epoch(successor.get("nbf")) > to_epoch(active.get("exp")):
        return "the active key expires in %d days and no successor is staged to take over before" % left
    successor_left = successor.get("expires_in_days")
    if successor_left is not None and successor_left <= within_days:
        return "the active key and its successor both expire within %d days" % within_days
    return None
