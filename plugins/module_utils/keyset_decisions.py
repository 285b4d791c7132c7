# -*- coding: utf-8 -*-
# Copyright: b2c.trustframework contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""B2C keyset decisions: names, key views, the active-key rule, local refusals and plans.

Everything here is pure: no request is sent and no clock is read; functions
that depend on time take ``now`` (epoch seconds), so they are tested with
tables. The Graph calls that carry out a plan live in ``keyset_service``.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

import math
import re
from dataclasses import dataclass, field, replace

from ansible_collections.b2c.trustframework.plugins.module_utils.dates import SECONDS_PER_DAY, epoch_to_iso, parse_time
from ansible_collections.b2c.trustframework.plugins.module_utils.errors import B2CError, ValidationError
from ansible_collections.b2c.trustframework.plugins.module_utils.redaction import redact_jwk

PREFIX = "B2C_1A_"
# The service does not document a limit; the portal refuses long names and ids
# end up in policy XML, so keep them short and to a safe character set.
MAX_NAME_LENGTH = 128
_NAME_CHARS = re.compile(r"^[A-Za-z0-9_.-]+$")
_BASE64URL = re.compile(r"^[A-Za-z0-9_-]+$")

# Keysets B2C creates and uses itself (reference section 7.5): after a second key
# was added to this one, creating any policy key failed with AADB2C90063.
SERVICE_MANAGED_KEYSETS = ("B2C_1A_AdminClientEncryptionKeyContainer",)
# The portal's Delete keeps a copy named <id>.bak (AADB2C95027): a backup, not a keyset a policy uses.
BACKUP_SUFFIX = ".bak"

# Allow-list of key members we ever return or diff. Private JWK members
# (d p q dp dq qi k) are absent by construction, even if a server sent them.
SUMMARY_FIELDS = ("kid", "kty", "use", "nbf", "exp", "x5t", "status")

FAMILY_LABELS = {"rsa": "RSA", "oct": "oct"}
# What we send as kty: the documented examples use upper case.
KTY_WIRE = {"rsa": "RSA", "oct": "OCT"}


# ---------------------------------------------------------------------------
# Names
# ---------------------------------------------------------------------------


def normalize_name(name, option="name"):
    """``B2C_1A_<name>``: the one id used to create, read and write a keyset.

    An existing prefix (any case) is kept once, spelled canonically. A name that
    still starts with the prefix once it is removed is refused: the service
    would store it under another id than the one we read.
    """
    text = "" if name is None else str(name).strip()
    bare = strip_prefix(text)
    if not bare:
        raise ValidationError("%s must not be empty (give e.g. TokenSigningKeyContainer)" % option)
    if strip_prefix(bare) != bare:
        raise ValidationError(
            "%s=%r carries the B2C_1A_ prefix twice; give the name once, e.g. %s%s"
            % (option, text, PREFIX, strip_prefix(bare))
        )
    if not _NAME_CHARS.match(bare):
        raise ValidationError(
            "%s=%r may only hold letters, digits, '_', '-' and '.'" % (option, text)
        )
    full = PREFIX + bare
    if len(full) > MAX_NAME_LENGTH:
        raise ValidationError(
            "%s=%r is too long (%d characters with the B2C_1A_ prefix, at most %d)"
            % (option, text, len(full), MAX_NAME_LENGTH)
        )
    return full


def strip_prefix(name):
    """The name without the ``B2C_1A_`` prefix (compared case-insensitively)."""
    if name[: len(PREFIX)].upper() == PREFIX:
        return name[len(PREFIX):]
    return name


def is_service_managed(keyset_id):
    return str(keyset_id or "").lower() in [name.lower() for name in SERVICE_MANAGED_KEYSETS]


def is_backup(keyset_id):
    return str(keyset_id or "").lower().endswith(BACKUP_SUFFIX)


def refuse_service_managed(keyset_id, what):
    """Refuse locally any write to a keyset B2C owns (reference section 7.5)."""
    if is_service_managed(keyset_id):
        raise ValidationError(
            "refusing to %s %s: B2C creates and uses this keyset itself and it must hold exactly the one key "
            "B2C put there (a second key breaks the creation of every policy key with AADB2C90063); "
            "leave it alone and use a keyset of your own" % (what, keyset_id)
        )


def check_kid(kid):
    """A kid is one URL path segment: ``.``, ``..`` or empty would address another resource."""
    if kid is not None and str(kid).strip() in ("", ".", ".."):
        raise ValidationError("kid=%r is not a key id; list the keys and their kid with b2c.trustframework.b2c_keyset_info" % (kid,))


# ---------------------------------------------------------------------------
# Key views
# ---------------------------------------------------------------------------


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


def summarize_key(key, now):
    """The public view of a key: used for return values AND diffs."""
    if key is None:
        return None
    summary = dict((name, key.get(name)) for name in SUMMARY_FIELDS)
    nbf = to_epoch(key.get("nbf"))
    exp = to_epoch(key.get("exp"))
    summary["nbf_iso"] = epoch_to_iso(nbf)
    summary["exp_iso"] = epoch_to_iso(exp)
    summary["expires_in_days"] = days_until(exp, now)
    return summary


def summarize_keyset(keyset, now):
    """The public summary of a keyset. Its list is ``key_list``, not ``keys``: Jinja resolves
    ``result.keyset.keys`` to the dict method, so that name could not be read with dot access."""
    if keyset is None:
        return None
    return {"id": keyset.get("id"), "key_list": [summarize_key(key, now) for key in keys_of(keyset)]}


def keyset_diff(before, after, now):
    """Ansible diff of a keyset: the same public summaries as the return values ({} when absent)."""
    return dict(before=summarize_keyset(before, now) or {}, after=summarize_keyset(after, now) or {})


def keys_of(keyset):
    return list((keyset or {}).get("keys") or [])


def find_kid(keyset, kid):
    for key in keys_of(keyset):
        if kid is not None and key.get("kid") == kid:
            return key
    return None


# ---------------------------------------------------------------------------
# Which key is usable, which is active
# ---------------------------------------------------------------------------


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
    """The key the service signs with (reference section 7.4), or None.

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
        dated = [key for key in keys_of(keyset)
                 if is_enabled(key) and matches_kind(key, family, use) and to_epoch(key.get("exp")) is not None]
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


# ---------------------------------------------------------------------------
# What the service refuses, refused here first (reference section 7.2)
# ---------------------------------------------------------------------------


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
            "use another keyset for the %s key"
            % (keyset.get("id"), FAMILY_LABELS[existing], FAMILY_LABELS[family])
        )


def check_use(keyset, use):
    """AADB2C95042: a keyset holds signing keys or encryption keys, never both."""
    existing = _first(keys_of(keyset), key_use)
    if existing and use and existing != str(use).lower():
        raise ValidationError(
            "keyset %s holds %s keys; a keyset cannot mix sig and enc keys (AADB2C95042); "
            "use another keyset for the %s key" % (keyset.get("id"), existing, str(use).lower())
        )


# ---------------------------------------------------------------------------
# b2c_keyset_key
# ---------------------------------------------------------------------------


@dataclass
class DesiredKey:
    """What b2c_keyset_key should ensure. Secret payloads are kept out of repr()."""

    keyset: str
    source: str = "generate"
    kty: str = "rsa"
    use: str = "sig"
    nbf: int | None = None
    exp: int | None = None
    update_secret: str = "on_create"
    x5t: str | None = None
    renew_before_days: int | None = None
    force: bool = False
    create_keyset: bool = True
    kid: str | None = None
    status: str | None = None
    activate_in_days: int | None = None
    valid_days: int | None = None
    disable_expired: bool = False
    disable_expired_after_days: int = 30
    secret: str | None = field(default=None, repr=False)
    certificate_b64: str | None = field(default=None, repr=False)
    pkcs12_b64: str | None = field(default=None, repr=False)
    pkcs12_password: str | None = field(default=None, repr=False)

    @property
    def family(self):
        if self.source == "generate":
            return key_family(self.kty)
        if self.source == "secret":
            return "oct"
        return "rsa"  # certificates and PKCS#12 bundles become RSA keys

    @property
    def add_action(self):
        return "generated" if self.source == "generate" else "uploaded"


@dataclass
class Plan:
    """Outcome of a decision: ``action`` plus why, and the key it concerns.

    ``key`` is the matching existing key (no change), the predicted sketch of
    the key to be added (kid unknown), or the key whose status changes.
    ``create_keyset`` is reported separately from the key action.
    """

    action: str
    reason: str
    create_keyset: bool = False
    key: dict | None = None
    retire: list = field(default_factory=list)

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


def validate_desired_key(desired, now):
    """Local sanity checks that need no keyset state."""
    refuse_service_managed(desired.keyset, "change the keys of")
    check_kid(desired.kid)
    if desired.source == "generate" and key_family(desired.kty) is None:
        raise ValidationError("kty=%r must be rsa or oct" % (desired.kty,))
    if desired.source == "secret" and not (desired.secret or "").strip():
        raise ValidationError("secret is empty; with source=secret, set secret to the value to upload (for example an IdP client secret)")
    if desired.exp is not None and desired.exp <= now:
        raise ValidationError("exp (%s) is in the past; the service refuses such a key (AADB2C90214)" % epoch_to_iso(desired.exp))
    if desired.renew_before_days is not None:
        if desired.renew_before_days < 0:
            raise ValidationError("renew_before_days must be 0 or more")
        # Certificates bring their own validity; renew_before_days does not apply to them.
        renewable = desired.source in ("generate", "secret")
        if renewable and desired.exp is not None and desired.exp - now <= desired.renew_before_days * SECONDS_PER_DAY:
            # Otherwise every run would find the new key due and add another one.
            raise ValidationError(
                "the new key would expire within renew_before_days=%d and be renewed on every run; "
                "make exp / valid_days longer than renew_before_days" % desired.renew_before_days
            )
    validate_rollover(desired, now)


def plan_key(current, desired, now, key_v2=None):
    """Decide what b2c_keyset_key does for keyset state ``current`` (None = missing).

    ``key_v2`` is the keys_v2 view of ``desired.kid`` (status mode only).
    """
    if desired.status:
        return _plan_status(current, desired, key_v2, now)
    plan = _plan_add(current, desired, now)
    if desired.disable_expired:
        plan.retire = keys_to_retire(keys_of(keyset_after_plan(current, plan, desired.keyset)), desired, now)
    return plan


def _plan_add(current, desired, now):
    if current is None:
        if not desired.create_keyset:
            raise B2CError(
                "keyset %s does not exist and create_keyset is false" % desired.keyset,
                hint="Create it first (b2c.trustframework.b2c_keyset) or set create_keyset: true.",
            )
        return Plan(desired.add_action, "keyset %s does not exist: create it, then add the key" % desired.keyset,
                    create_keyset=True, key=predicted_key(desired))
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
        return Plan(desired.add_action, "no usable %s key in %s" % (label, current.get("id")),
                    key=predicted_key(desired))
    if renewal_due(best, desired.renew_before_days, now):
        check_service_lifetime(best, desired, current.get("id"))
        return _plan_successor(desired, best,
                               "usable key %s expires in %s days (renew_before_days=%d)"
                               % (best.get("kid"), days_until(to_epoch(best.get("exp")), now),
                                  desired.renew_before_days), now)
    return Plan("none", "usable %s key %s present" % (label, best.get("kid")), key=best)


def _plan_status(current, desired, key_v2, now):
    if current is None:
        raise B2CError("keyset %s does not exist; cannot set the status of key %s" % (desired.keyset, desired.kid),
                       hint="Check keyset and kid with b2c.trustframework.b2c_keyset_info.")
    key = key_v2 or find_kid(current, desired.kid)
    if key is None:
        raise B2CError("keyset %s has no key with kid %r" % (current.get("id"), desired.kid),
                       hint="List the keys and their kid with b2c.trustframework.b2c_keyset_info.")
    if str(key.get("status") or "").lower() == desired.status:
        return Plan("none", "key %s is already %s" % (desired.kid, desired.status), key=key)
    if desired.status == "disabled" and not desired.force:
        check_disable_keeps_a_key(current, key, now)
    return Plan("status_changed", "key %s: %s -> %s" % (desired.kid, key.get("status"), desired.status),
                key=dict(key, status=desired.status))


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
    same_pair = [item for item in others
                 if is_usable(item, now) and matches_kind(item, key_family(key.get("kty")), key_use(key) or None)]
    if active is not None and active.get("kid") == kid:
        what = "the active key of keyset %s" % keyset.get("id")
    elif is_usable(key, now) and not same_pair:
        what = "the last usable %s/%s key of keyset %s" % (
            FAMILY_LABELS.get(key_family(key.get("kty")), key.get("kty")), key_use(key), keyset.get("id"))
    else:
        return
    raise ValidationError("key %s is %s; disabling it %s. Set force: true to disable it anyway"
                          % (kid, what, _next_active(others, now)))


def _next_active(keys, now):
    """What disabling a key leaves active, in words, given the keys that remain."""
    successor = active_key(keys, now)
    if successor is not None:
        return "makes key %s the active key" % successor.get("kid")
    staged = [item for item in keys if is_usable(item, now) and to_epoch(item.get("nbf")) is not None]
    if staged:
        first = min(staged, key=lambda item: to_epoch(item.get("nbf")))
        return "leaves no active key until key %s starts at %s" % (first.get("kid"), epoch_to_iso(to_epoch(first.get("nbf"))))
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
        keys = [dict(key, status=plan.key["status"]) if key.get("kid") == plan.key.get("kid") else key
                for key in keys]
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


# ---------------------------------------------------------------------------
# Rollover: staged successors, the next key, retiring expired keys
# ---------------------------------------------------------------------------


def validate_rollover(desired, now):
    """Local checks of activate_in_days and disable_expired_after_days."""
    if desired.disable_expired_after_days is not None and desired.disable_expired_after_days < 0:
        raise ValidationError("disable_expired_after_days must be 0 or more")
    if desired.activate_in_days is None:
        return
    if desired.activate_in_days < 0:
        raise ValidationError("activate_in_days must be 0 or more")
    if desired.source not in ("generate", "secret"):
        raise ValidationError("activate_in_days is for source=generate and source=secret; a certificate's "
                              "activation comes from the certificate")
    if desired.nbf is not None:
        raise ValidationError("activate_in_days and nbf are mutually exclusive; set only one of them")
    lead = desired.activate_in_days * SECONDS_PER_DAY
    if desired.exp is not None and desired.valid_days is None and desired.exp <= now + lead:
        raise ValidationError("exp (%s) must be after the staged activation, activate_in_days=%d from now"
                              % (epoch_to_iso(desired.exp), desired.activate_in_days))
    if desired.renew_before_days is not None and desired.renew_before_days <= desired.activate_in_days:
        # Renewal would find the key due too late to publish its successor for the whole lead time.
        raise ValidationError(
            "renew_before_days (%d) must be larger than activate_in_days (%d): the successor is added when the "
            "current key expires within renew_before_days and must be published activate_in_days before it "
            "takes over" % (desired.renew_before_days, desired.activate_in_days))


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
    nbf = int(now) + desired.activate_in_days * SECONDS_PER_DAY
    outgoing_exp = to_epoch(outgoing.get("exp"))
    if outgoing_exp is not None:
        nbf = min(nbf, outgoing_exp)
    if desired.valid_days is not None:
        return nbf, nbf + desired.valid_days * SECONDS_PER_DAY
    return nbf, desired.exp


def _plan_successor(desired, outgoing, reason, now):
    nbf, exp = successor_dates(desired, outgoing, now)
    if nbf is not None and nbf > now:
        reason += "; the new key is staged: it activates on %s" % epoch_to_iso(nbf)
    return Plan(desired.add_action, reason, key=predicted_key(replace(desired, nbf=nbf, exp=exp)))


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
    if nbf is None or nbf >= now + desired.activate_in_days * SECONDS_PER_DAY:
        return None
    return ("the new key activates on %s, when the current key expires, sooner than activate_in_days=%d: relying "
            "parties that refresh their copy of the keys less often may meet tokens signed by a key they do not "
            "know yet. Renew earlier: renew_before_days must exceed activate_in_days plus the time between runs"
            % (epoch_to_iso(nbf), desired.activate_in_days))


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
            % (due.get("kid"), keyset_id, lifetime_days, epoch_to_iso(nbf), epoch_to_iso(exp),
               desired.renew_before_days))


def next_key(keys, now):
    """The key that takes over next (reference section 7.4), or None.

    The enabled key with the earliest ``nbf`` still ahead and an ``exp`` after
    that ``nbf``: when its nbf passes it is the started key with the latest nbf.
    """
    def waiting(key):
        nbf, exp = to_epoch(key.get("nbf")), to_epoch(key.get("exp"))
        return is_enabled(key) and nbf is not None and nbf > now and (exp is None or exp > nbf)

    staged = [key for key in keys if waiting(key)]
    return min(staged, key=lambda key: to_epoch(key.get("nbf"))) if staged else None


def summarize_next_key(keys, now):
    """The public view of :func:`next_key` plus ``activates_in_days``, or None."""
    key = next_key(keys, now)
    if key is None:
        return None
    return dict(summarize_key(key, now), activates_in_days=days_until(to_epoch(key.get("nbf")), now))


def keys_to_retire(keys, desired, now):
    """Enabled keys of the desired kty/use whose exp passed more than disable_expired_after_days ago.

    Never the active key, and never every enabled key of that kty/use: the one
    that expired last stays. Keys without a kid cannot be addressed (a
    predicted key).
    """
    mine = [key for key in keys if is_enabled(key) and matches_kind(key, desired.family, desired.use)]
    cutoff = now - desired.disable_expired_after_days * SECONDS_PER_DAY
    active = active_key(mine, now)
    old = [key for key in mine if key.get("kid") and key is not active
           and to_epoch(key.get("exp")) is not None and to_epoch(key.get("exp")) < cutoff]
    if old and len(old) == len(mine):
        old.remove(max(old, key=lambda key: to_epoch(key.get("exp"))))
    return old


# ---------------------------------------------------------------------------
# b2c_keyset
# ---------------------------------------------------------------------------


@dataclass
class DesiredKeyset:
    name: str
    state: str = "present"
    keys: list | None = field(default=None, repr=False)
    update_keys: bool = False


def validate_desired_keyset(desired):
    """Local checks that need no keyset state: B2C's own keyset is only ever read."""
    if desired.state == "absent":
        refuse_service_managed(desired.name, "delete")
    elif desired.keys is not None:
        refuse_service_managed(desired.name, "set the keys of")


def plan_keyset(current, desired):
    """Decide what b2c_keyset does: none / created / updated / deleted."""
    validate_desired_keyset(desired)
    if desired.state == "absent":
        if current is None:
            return Plan("none", "keyset %s is already absent" % desired.name)
        return Plan("deleted", "keyset %s exists" % current.get("id"))
    if current is None:
        return Plan("created", "keyset %s does not exist" % desired.name)
    if desired.update_keys and desired.keys is not None and not same_keys(desired.keys, keys_of(current)):
        return Plan("updated", "the keyset's keys differ from keys (update_keys=true)")
    return Plan("none", "keyset %s exists" % current.get("id"))


# What identifies a key the service holds, as far as it can be read back: oct
# secrets (k) never come back, and the service assigns every kid itself.
_IDENTITY_FIELDS = ("nbf", "exp", "n", "e", "x5t")


def _same_key(wanted, held):
    if key_family(wanted.get("kty")) != key_family(held.get("kty")) or not same_use(wanted.get("use"), held.get("use")):
        return False
    for name in _IDENTITY_FIELDS:
        if wanted.get(name) is not None and str(wanted[name]) != str(held.get(name)):
            return False
    return True


def same_keys(wanted, held):
    """True when each wanted key matches its own held key and nothing else is held (one to one)."""
    remaining = list(held)
    for key in wanted:
        match = next((candidate for candidate in remaining if _same_key(key, candidate)), None)
        if match is None:
            return False
        remaining.remove(match)
    return not remaining


def keyset_after_keyset_plan(current, plan, desired):
    if plan.action == "deleted":
        return None
    if plan.action == "created":
        return {"id": desired.name, "keys": [redact_jwk(key) for key in desired.keys or []]}
    if plan.action == "updated":
        return dict(current, keys=[redact_jwk(key) for key in desired.keys])
    return current


def clean_jwks(keys, now, option="keys"):
    """The ``keys`` option as JWKs to send, after the checks the service would make (reference section 7.2)."""
    cleaned = [_clean_jwk(key, now, "%s[%d]" % (option, index)) for index, key in enumerate(keys)]
    if len(set(key_family(jwk.get("kty")) for jwk in cleaned) - {None}) > 1:
        raise ValidationError("%s mixes RSA and oct keys; a keyset cannot mix them (AADB2C95032)" % option)
    if len(set(key_use(jwk) for jwk in cleaned) - {""}) > 1:
        raise ValidationError("%s mixes sig and enc keys; a keyset cannot mix them (AADB2C95042)" % option)
    return cleaned


def _clean_jwk(key, now, where):
    jwk = dict((name, value) for name, value in key.items() if value is not None)
    if jwk.get("kid"):
        raise ValidationError("%s.kid is set; the service assigns key ids itself and refuses a kid here (AADB2C95059): "
                              "remove it" % where)
    jwk.pop("kid", None)
    for name in ("nbf", "exp"):
        if name in jwk:
            jwk[name] = parse_time(jwk[name], "%s.%s" % (where, name))
    family = key_family(jwk.get("kty"))
    if family is None:
        raise ValidationError("%s.kty=%r must be rsa or oct (AADB2C95031/95037)" % (where, jwk.get("kty")))
    if key_use(jwk) not in ("sig", "enc"):
        raise ValidationError("%s.use=%r must be sig or enc (AADB2C95033)" % (where, jwk.get("use")))
    if family == "rsa" and not (jwk.get("n") and jwk.get("e")):
        raise ValidationError("%s is an RSA key without n and e; the service refuses it (AADB2C95039)" % where)
    if family == "oct" and not _BASE64URL.match(str(jwk.get("k") or "")):
        raise ValidationError("%s.k must be the secret as base64url without padding (letters, digits, '-' and '_'); "
                              "the service refuses anything else (AADB2C95029)" % where)
    if "exp" in jwk and jwk["exp"] <= now:
        raise ValidationError("%s.exp (%s) is in the past; the service refuses such a key (AADB2C90214)"
                              % (where, epoch_to_iso(jwk["exp"])))
    return jwk
