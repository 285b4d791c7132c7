# -*- coding: utf-8 -*-
# Copyright: b2c.trustframework contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rollover: a staged successor's dates, the short-lead warning, the renewal lifetime check, which expired keys to disable."""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

from dataclasses import replace

from ansible_collections.b2c.trustframework.plugins.module_utils.dates import (
    SECONDS_PER_DAY,
    check_storable,
    epoch_to_iso,
)
from ansible_collections.b2c.trustframework.plugins.module_utils.errors import ValidationError
from ansible_collections.b2c.trustframework.plugins.module_utils.key_rules import (
    active_key,
    is_enabled,
    matches_kind,
    to_epoch,
)


def staged_activation(desired, now):
    """When a successor staged now activates: activate_in_days after ``now``, in whole seconds.

    Dates are whole seconds; comparing one with a fractional ``now`` would find
    every staged key a fraction of a second short of its lead time.
    """
    return int(now) + desired.activate_in_days * SECONDS_PER_DAY


def validate_rollover(desired, now):
    """Local checks of activate_in_days and disable_expired_after_days."""
    if desired.disable_expired_after_days is not None and desired.disable_expired_after_days < 0:
        raise ValidationError("disable_expired_after_days must be 0 or more")
    if desired.activate_in_days is None:
        return
    if desired.activate_in_days < 0:
        raise ValidationError("activate_in_days must be 0 or more")
    if desired.source not in ("generate", "secret"):
        raise ValidationError(
            "activate_in_days is for source=generate and source=secret; a certificate's "
            "activation comes from the certificate"
        )
    if desired.nbf is not None:
        raise ValidationError("activate_in_days and nbf are mutually exclusive; set only one of them")
    # A successor activates at the latest staged_activation and lives valid_days from then (successor_dates).
    latest_nbf = check_storable(
        staged_activation(desired, now), "activate_in_days=%d from now" % desired.activate_in_days
    )
    if desired.valid_days is not None:
        check_storable(
            latest_nbf + desired.valid_days * SECONDS_PER_DAY,
            "valid_days=%d after activate_in_days=%d" % (desired.valid_days, desired.activate_in_days),
        )
    if desired.exp is not None and desired.valid_days is None and desired.exp <= latest_nbf:
        raise ValidationError(
            "exp (%s) must be after the staged activation, activate_in_days=%d from now"
            % (epoch_to_iso(desired.exp), desired.activate_in_days)
        )
    if desired.renew_before_days is not None and desired.renew_before_days <= desired.activate_in_days:
        # Renewal would find the key due too late to publish its successor for the whole lead time.
        raise ValidationError(
            "renew_before_days (%d) must be larger than activate_in_days (%d): the successor is added when the "
            "current key expires within renew_before_days and must be published activate_in_days before it "
            "takes over" % (desired.renew_before_days, desired.activate_in_days)
        )


def successor_dates(desired, outgoing, now):
    """``(nbf, exp)`` of a key added while ``outgoing`` (or None) is the usable key it follows.

    With activate_in_days the successor is staged: nbf is that many days ahead,
    but never after ``outgoing`` expires (a late run shortens the lead time
    rather than leave the keyset without an active key), and valid_days counts
    from that nbf. The first key of a keyset is never staged: nothing would be
    active until its nbf.
    """
    if desired.activate_in_days is None or outgoing is None:
        return desired.nbf, desired.exp
    nbf = staged_activation(desired, now)
    outgoing_exp = to_epoch(outgoing.get("exp"))
    if outgoing_exp is not None:
        nbf = min(nbf, outgoing_exp)
    if desired.valid_days is not None:
        return nbf, nbf + desired.valid_days * SECONDS_PER_DAY
    return nbf, desired.exp


def key_to_send(desired, plan):
    """``desired`` with the dates the plan decided (a staged successor's nbf and exp)."""
    if desired.source not in ("generate", "secret") or plan.key is None:
        return desired
    return replace(desired, nbf=plan.key.get("nbf"), exp=plan.key.get("exp"))


def short_lead_warning(desired, plan, now):
    """A warning when a staged successor activates sooner than activate_in_days, else None."""
    if desired.activate_in_days is None or plan.action not in ("generated", "uploaded") or plan.key is None:
        return None
    nbf = to_epoch(plan.key.get("nbf"))
    if nbf is None or nbf >= staged_activation(desired, now):
        return None
    return (
        "the new key activates on %s, when the current key expires, sooner than activate_in_days=%d: relying "
        "parties that refresh their copy of the keys less often may meet tokens signed by a key they do not "
        "know yet. Renew earlier: renew_before_days must exceed activate_in_days plus the time between runs"
        % (epoch_to_iso(nbf), desired.activate_in_days)
    )


def check_service_lifetime(due, desired, keyset_id):
    """Refuse a renewal that would repeat on every run because the keys live no longer than the window.

    Without exp or valid_days the service picks the new key's lifetime; the
    due key shows what it picked last time (or what was asked then).
    """
    if desired.exp is not None:
        return  # the lifetime is ours, checked by validate_desired_key
    nbf, exp = to_epoch(due.get("nbf")), to_epoch(due.get("exp"))
    if nbf is None or exp is None:
        return
    lifetime_days = (exp - nbf) // SECONDS_PER_DAY
    if lifetime_days <= desired.renew_before_days:
        raise ValidationError(
            "key %s of keyset %s lived %d days (nbf %s, exp %s), not longer than renew_before_days=%d; without exp "
            "or valid_days the service picks the lifetime of the new key, and a key as short would be renewed on "
            "every run: set valid_days longer than renew_before_days"
            % (
                due.get("kid"),
                keyset_id,
                lifetime_days,
                epoch_to_iso(nbf),
                epoch_to_iso(exp),
                desired.renew_before_days,
            )
        )


def keys_to_retire(keys, desired, now):
    """Enabled keys of the desired kty/use whose exp passed more than disable_expired_after_days ago.

    Never the active key, and never every enabled key of that kty/use: the one
    that expired last stays. Keys without a kid cannot be addressed (a
    predicted key).
    """
    mine = [key for key in keys if is_enabled(key) and matches_kind(key, desired.family, desired.use)]
    cutoff = now - desired.disable_expired_after_days * SECONDS_PER_DAY
    active = active_key(mine, now)
    old = [
        key
        for key in mine
        if key.get("kid")
        and key is not active
        and to_epoch(key.get("exp")) is not None
        and to_epoch(key.get("exp")) < cutoff
    ]
    if old and len(old) == len(mine):
        old.remove(max(old, key=lambda key: to_epoch(key.get("exp"))))
    return old
