# -*- coding: utf-8 -*-
# Copyright: b2c.trustframework contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a run learns about earlier adds: keys that were unusable on arrival, duplicates a late write left.

Keys cannot be removed one by one, so a key added by mistake stays forever.
These checks (no network, like the key rules) keep a run from adding such
a key again and say what an earlier run left behind.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

from ansible_collections.b2c.trustframework.plugins.module_utils.dates import epoch_to_iso
from ansible_collections.b2c.trustframework.plugins.module_utils.errors import B2CError
from ansible_collections.b2c.trustframework.plugins.module_utils.key_rules import (
    is_enabled,
    is_usable,
    keys_of,
    matches_kind,
    to_epoch,
)

# Two enabled keys of one kind whose dates lie this close were added by one request applied twice
# (a resend after a late write) or by two writers at once, not by two decisions (duplicate_cause).
DUPLICATE_WINDOW = 900  # seconds


def refuse_expired_again(current, desired, now):
    """Refuse an add that would repeat an earlier one which arrived already expired.

    Without ``exp`` the service picks the expiry from ``nbf``; when an earlier
    key of this kind with the same ``nbf`` got an expiry that has passed, the
    same request would add another key that can never be used.
    """
    if desired.source not in ("generate", "secret") or desired.exp is not None or desired.nbf is None:
        return
    for key in keys_of(current):
        exp = to_epoch(key.get("exp"))
        same_request = matches_kind(key, desired.family, desired.use) and to_epoch(key.get("nbf")) == desired.nbf
        if same_request and exp is not None and exp <= now:
            raise B2CError(
                "keyset %s already holds key %s with nbf %s, which the service gave exp %s, already past: the same "
                "request would add another key that can never be used"
                % (current.get("id"), key.get("kid"), epoch_to_iso(desired.nbf), epoch_to_iso(exp)),
                hint="Give exp or valid_days (counted from nbf), or a later nbf.",
            )


def unusable_on_arrival(key, now):
    """Why a key the service has just added can never be used (it arrived expired), or None."""
    exp = to_epoch((key or {}).get("exp"))
    if exp is not None and exp <= now:
        return (
            "the service added key %s with exp %s, which has already passed, so it can never be used; "
            "give exp or valid_days so that the next run does not add another one" % (key.get("kid"), epoch_to_iso(exp))
        )
    return None


def late_write_duplicates(current, key, desired, now):
    """The usable enabled keys of the desired kind that duplicate ``key`` (dates within DUPLICATE_WINDOW).

    A request that timed out, was sent again and then applied late leaves two
    such keys. B2C signs with one of them; the other is harmless but permanent.
    """
    if not key or not key.get("kid") or desired.source not in ("generate", "secret"):
        return []

    def close(name, other):
        one, two = to_epoch(key.get(name)), to_epoch(other.get(name))
        return (one is None) == (two is None) and (one is None or abs(one - two) <= DUPLICATE_WINDOW)

    return [
        other
        for other in keys_of(current)
        if other.get("kid") != key.get("kid")
        and matches_kind(other, desired.family, desired.use)
        and is_enabled(other)
        and is_usable(other, now)
        and close("nbf", other)
        and close("exp", other)
    ]


def duplicate_cause(key, duplicates, desired):
    """Who most likely added the twin keys: one request applied twice, two writers, or either.

    A resent request carries the dates of the first one, so when this task's
    requests carry dates computed from the writer's clock (valid_days,
    activate_in_days), twins with the same dates to the second come from one
    request, and twins with other dates from two writers (each computed its
    own). When the service picks the dates, or they are fixed options, the
    keys cannot tell.
    """
    if desired.valid_days is None and desired.activate_in_days is None:
        return (
            "two writers (another controller, or a run of another user: the controller lock does not exclude "
            "them) or one request applied twice after a late write; both are possible, the keys cannot tell"
        )
    same = all(to_epoch(key.get(name)) == to_epoch(other.get(name)) for other in duplicates for name in ("nbf", "exp"))
    if same:
        return "most likely one request applied twice after a late write (the keys carry the same dates to the second)"
    return (
        "most likely two writers at once (another controller, or a run of another user: the controller lock "
        "does not exclude them), as a resent request would carry the same dates"
    )


def duplicates_warning(keyset_id, key, duplicates, desired):
    kids = ", ".join(str(other.get("kid")) for other in duplicates)
    return (
        "keyset %s holds %d enabled keys of one kind added within %d minutes of each other (%s and %s), %s; "
        "B2C uses one of them. Nothing was added. To keep a single enabled key, disable the others with "
        "b2c.trustframework.b2c_keyset_key (keyset: %s, kid: ..., status: disabled)."
        % (
            keyset_id,
            len(duplicates) + 1,
            DUPLICATE_WINDOW // 60,
            key.get("kid"),
            kids,
            duplicate_cause(key, duplicates, desired),
            keyset_id,
        )
    )
