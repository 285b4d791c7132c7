# -*- coding: utf-8 -*-
# Copyright: b2c.trustframework contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The key plan: what b2c_keyset_key does to a keyset (add a key, set a status, nothing), and why."""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

from dataclasses import replace
from typing import NamedTuple

from ansible_collections.b2c.trustframework.plugins.module_utils.dates import epoch_to_iso
from ansible_collections.b2c.trustframework.plugins.module_utils.errors import B2CError, ValidationError
from ansible_collections.b2c.trustframework.plugins.module_utils.key_rollover import (
    check_service_lifetime,
    keys_to_retire,
    successor_dates,
)
from ansible_collections.b2c.trustframework.plugins.module_utils.key_rules import (
    FAMILY_LABELS,
    KTY_WIRE,
    active_key,
    check_family,
    check_use,
    days_until,
    find_by_thumbprint,
    find_kid,
    is_usable,
    key_family,
    key_use,
    keys_of,
    matches_kind,
    newest_usable,
    renewal_due,
    to_epoch,
)


class Plan(NamedTuple):
    """Outcome of a decision: ``action`` plus why, and the key it concerns.

    ``key`` is the matching existing key (no change), the predicted sketch of
    the key to be added (kid unknown), or the key whose status changes.
    ``create_keyset`` is reported separately from the key action.
    """

    action: str
    reason: str
    create_keyset: bool = False
    key: dict | None = None
    retire: tuple = ()  # the keys disable_expired disables

    @property
    def changed(self):
        return self.action != "none" or self.create_keyset or bool(self.retire)


def predicted_key(desired):
    """The key an add would produce, as far as we can know it before the service answers."""
    return {
        "kid": None,
        "kty": KTY_WIRE[desired.family],
        "use": desired.use,
        "nbf": desired.nbf,
        "exp": desired.exp,
        "x5t": desired.x5t,
        "status": None,
    }


def plan_key(current, desired, now, key_v2=None):
    """Decide what b2c_keyset_key does for keyset state ``current`` (None = missing).

    ``key_v2`` is the keys_v2 view of ``desired.kid`` (status mode only).
    """
    if desired.status:
        return _plan_status(current, desired, key_v2, now)
    plan = _plan_add(current, desired, now)
    if desired.disable_expired:
        plan = plan._replace(
            retire=tuple(keys_to_retire(keys_of(keyset_after_plan(current, plan, desired.keyset)), desired, now))
        )
    return plan


def _plan_add(current, desired, now):
    if current is None:
        if not desired.create_keyset:
            raise B2CError(
                "keyset %s does not exist and create_keyset is false" % desired.keyset,
                hint="Create it first (b2c.trustframework.b2c_keyset) or set create_keyset: true.",
            )
        return Plan(
            desired.add_action,
            "keyset %s does not exist: create it, then add the key" % desired.keyset,
            create_keyset=True,
            key=predicted_key(desired),
        )
    check_family(current, desired.family)
    check_use(current, desired.use)
    if desired.source in ("certificate", "pkcs12"):
        if desired.force:
            return Plan(desired.add_action, "force is set: always add a key", key=predicted_key(desired))
        return _plan_certificate(current, desired)
    return _plan_generate_or_secret(current, desired, now)


def _plan_certificate(current, desired):
    match = find_by_thumbprint(keys_of(current), desired.x5t)
    if match is not None:
        return Plan("none", "a key with x5t %s is present" % desired.x5t, key=match)
    return Plan("uploaded", "no key with x5t %s" % desired.x5t, key=predicted_key(desired))


def _plan_generate_or_secret(current, desired, now):
    label = "%s/%s" % (FAMILY_LABELS[desired.family], desired.use)
    best = newest_usable(keys_of(current), desired.family, desired.use, now)
    if desired.force:
        return _plan_successor(desired, best, "force is set: always add a key", now)
    if desired.source == "secret" and desired.update_secret == "always":
        return _plan_successor(desired, best, "update_secret=always: a secret cannot be read back to compare", now)
    if best is None:
        return Plan(
            desired.add_action, "no usable %s key in %s" % (label, current.get("id")), key=predicted_key(desired)
        )
    if renewal_due(best, desired.renew_before_days, now):
        check_service_lifetime(best, desired, current.get("id"))
        return _plan_successor(
            desired,
            best,
            "usable key %s expires in %s days (renew_before_days=%d)"
            % (best.get("kid"), days_until(to_epoch(best.get("exp")), now), desired.renew_before_days),
            now,
        )
    return Plan("none", "usable %s key %s present" % (label, best.get("kid")), key=best)


def _plan_successor(desired, outgoing, reason, now):
    nbf, exp = successor_dates(desired, outgoing, now)
    if nbf is not None and nbf > now:
        reason += "; the new key is staged: it activates on %s" % epoch_to_iso(nbf)
    return Plan(desired.add_action, reason, key=predicted_key(replace(desired, nbf=nbf, exp=exp)))


def _plan_status(current, desired, key_v2, now):
    if current is None:
        raise B2CError(
            "keyset %s does not exist; cannot set the status of key %s" % (desired.keyset, desired.kid),
            hint="Check keyset and kid with b2c.trustframework.b2c_keyset_info.",
        )
    key = key_v2 or find_kid(current, desired.kid)
    if key is None:
        raise B2CError(
            "keyset %s has no key with kid %r" % (current.get("id"), desired.kid),
            hint="List the keys and their kid with b2c.trustframework.b2c_keyset_info.",
        )
    if str(key.get("status") or "").lower() == desired.status:
        return Plan("none", "key %s is already %s" % (desired.kid, desired.status), key=key)
    if desired.status == "disabled" and not desired.force:
        check_disable_keeps_a_key(current, key, now)
    return Plan(
        "status_changed",
        "key %s: %s -> %s" % (desired.kid, key.get("status"), desired.status),
        key=dict(key, status=desired.status),
    )


def check_disable_keeps_a_key(keyset, key, now):
    """Refuse to disable the active key, or the last usable key of its kty/use (``force`` skips this).

    Either leaves the policies that use the keyset with another key than the operator
    may think, or with none at all; the message names the key that would then be active.
    """
    kid = key.get("kid")
    # The status comes from ``key`` (the keys_v2 view when there is one), the rest from the keyset.
    keys = [dict(item, status=key.get("status")) if item.get("kid") == kid else item for item in keys_of(keyset)]
    active = active_key(keys, now)
    others = [item for item in keys if item.get("kid") != kid]
    same_pair = [
        item
        for item in others
        if is_usable(item, now) and matches_kind(item, key_family(key.get("kty")), key_use(key) or None)
    ]
    if active is not None and active.get("kid") == kid:
        what = "the active key of keyset %s" % keyset.get("id")
    elif is_usable(key, now) and not same_pair:
        what = "the last usable %s/%s key of keyset %s" % (
            FAMILY_LABELS.get(key_family(key.get("kty")), key.get("kty")),
            key_use(key),
            keyset.get("id"),
        )
    else:
        return
    raise ValidationError(
        "key %s is %s; disabling it %s. Set force: true to disable it anyway" % (kid, what, _next_active(others, now))
    )


def _next_active(keys, now):
    """What disabling a key leaves active, in words, given the keys that remain."""
    successor = active_key(keys, now)
    if successor is not None:
        return "makes key %s the active key" % successor.get("kid")
    staged = [item for item in keys if is_usable(item, now) and to_epoch(item.get("nbf")) is not None]
    if staged:
        first = min(staged, key=lambda item: to_epoch(item.get("nbf")))
        return "leaves no active key until key %s starts at %s" % (
            first.get("kid"),
            epoch_to_iso(to_epoch(first.get("nbf"))),
        )
    return "leaves no active key, so the policies that use the keyset fail"


def keyset_after_plan(current, plan, keyset_id):
    """The keyset as it will look once ``plan`` is applied (check-mode prediction and diff)."""
    if not plan.changed:
        return current
    base = current if current is not None else {"id": keyset_id, "keys": []}
    keys = keys_of(base)
    if plan.action in ("generated", "uploaded"):
        keys.append(plan.key)
    elif plan.action == "status_changed":
        keys = [dict(key, status=plan.key["status"]) if key.get("kid") == plan.key.get("kid") else key for key in keys]
    retired = set(key.get("kid") for key in plan.retire)
    keys = [dict(key, status="disabled") if key.get("kid") in retired else key for key in keys]
    return dict(base, keys=keys)


def added_key_finder(before, desired):
    """``is_present(keyset)``: finds the key our add produced, in a keyset read after it.

    Certificates are recognised by x5t; generated keys and secrets by a kid
    that was not there before, with the right family and use.
    """
    known = set(key.get("kid") for key in keys_of(before))

    def is_present(keyset):
        if desired.x5t:
            return find_by_thumbprint(keys_of(keyset), desired.x5t)
        for key in reversed(keys_of(keyset)):
            if key.get("kid") not in known and matches_kind(key, desired.family, desired.use):
                return key
        return None

    return is_present
