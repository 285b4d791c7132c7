# -*- coding: utf-8 -*-
# Copyright: b2c.trustframework contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""B2C keyset logic: names, key views, idempotency decisions and the keyset endpoint calls.

Layering: the modules call the functions here; the functions here call the
Graph client passed as ``graph`` (anything with ``request`` and ``get_all``).
The decision functions (``plan_*``, ``is_usable`` ...) are pure and take
``now`` (epoch seconds) so they can be tested with tables.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

import math
import re
import time
from dataclasses import dataclass, field

from ansible_collections.b2c.trustframework.plugins.module_utils.errors import (
    B2CError,
    GraphError,
    ValidationError,
)
from ansible_collections.b2c.trustframework.plugins.module_utils.key_material import (
    SECONDS_PER_DAY,
    epoch_to_iso,
    parse_time,
    redact_jwk,
)

PREFIX = "B2C_1A_"
# The service does not document a limit; the portal refuses long names and ids
# end up in policy XML, so keep them short and to a safe character set.
MAX_NAME_LENGTH = 128
_NAME_CHARS = re.compile(r"^[A-Za-z0-9_.-]+$")

KEYSETS_PATH = "/trustFramework/keySets"

# Allow-list of key members we ever return or diff. Private JWK members
# (d p q dp dq qi k) are absent by construction, even if a server sent them.
SUMMARY_FIELDS = ("kid", "kty", "use", "nbf", "exp", "x5t", "status")

FAMILY_LABELS = {"rsa": "RSA", "oct": "oct"}
# What we send as kty: the documented examples use upper case.
KTY_WIRE = {"rsa": "RSA", "oct": "OCT"}

KEY_ACTIONS = ("none", "created_keyset", "generated", "uploaded", "status_changed")
KEYSET_ACTIONS = ("none", "created", "updated", "deleted")

# Waits (seconds) when a keyset that should exist answers 404: a keyset created a
# moment ago may not have reached every replica yet.
REPLICATION_WAITS = (1, 2, 4)


# ---------------------------------------------------------------------------
# Names
# ---------------------------------------------------------------------------


def normalize_name(name, option="name"):
    """``B2C_1A_<name>``; an existing prefix (any case) is kept once, spelled canonically."""
    text = "" if name is None else str(name).strip()
    bare = strip_prefix(text)
    if not bare:
        raise ValidationError("%s must not be empty (give e.g. TokenSigningKeyContainer)" % option)
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
    """Whole days from ``now`` until ``epoch`` (floor, negative when past), or None."""
    if epoch is None:
        return None
    return int(math.floor((epoch - now) / float(SECONDS_PER_DAY)))


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
    if keyset is None:
        return None
    return {"id": keyset.get("id"), "keys": [summarize_key(key, now) for key in keys_of(keyset)]}


def keyset_diff(before, after, now):
    """Ansible diff of a keyset: the same public summaries as the return values ({} when absent)."""
    return dict(before=summarize_keyset(before, now) or {}, after=summarize_keyset(after, now) or {})


def keys_of(keyset):
    return list((keyset or {}).get("keys") or [])


def kids_of(keyset):
    return set(key.get("kid") for key in keys_of(keyset) if key.get("kid"))


def find_kid(keyset, kid):
    for key in keys_of(keyset):
        if kid is not None and key.get("kid") == kid:
            return key
    return None


# ---------------------------------------------------------------------------
# Decisions (pure)
# ---------------------------------------------------------------------------


def key_family(kty):
    """``rsa`` / ``oct`` (case-insensitive), or None for anything else."""
    family = str(kty or "").strip().lower()
    return family if family in FAMILY_LABELS else None


def same_use(a, b):
    return str(a or "").strip().lower() == str(b or "").strip().lower()


def is_enabled(key):
    """Keys without a ``status`` count as enabled (older API revisions omit it)."""
    return str(key.get("status") or "enabled").strip().lower() == "enabled"


def is_usable(key, now):
    """Enabled (or no status) and not expired; a future ``nbf`` still counts (a staged key)."""
    exp = to_epoch(key.get("exp"))
    return is_enabled(key) and (exp is None or exp > now)


def keyset_family(keyset):
    """Family of the keys already in the keyset (None when it holds none we recognise)."""
    for key in keys_of(keyset):
        family = key_family(key.get("kty"))
        if family:
            return family
    return None


def check_family(keyset, family):
    """Refuse locally what the service refuses with AADB2C95032."""
    existing = keyset_family(keyset)
    if existing and family and existing != family:
        raise ValidationError(
            "keyset %s holds %s keys; a keyset cannot mix RSA and oct keys (AADB2C95032); "
            "use another keyset for the %s key"
            % (keyset.get("id"), FAMILY_LABELS[existing], FAMILY_LABELS[family])
        )


def _validity_order(key):
    # The key that stays valid longest wins: no exp = never expires; ties: latest nbf.
    exp = to_epoch(key.get("exp"))
    nbf = to_epoch(key.get("nbf"))
    return (exp is None, exp or 0, nbf is None, nbf or 0)


def newest_usable(keys, kty, use, now):
    """The usable key of that family/use that stays valid longest, or None.

    ``kty``/``use`` of None match anything. Picking by validity (not by upload
    order) makes renewal converge: once a fresh key exists, nothing is due.
    """
    family = key_family(kty) if kty is not None else None
    candidates = [
        key for key in keys
        if is_usable(key, now)
        and (family is None or key_family(key.get("kty")) == family)
        and (use is None or same_use(key.get("use"), use))
    ]
    return max(candidates, key=_validity_order) if candidates else None


def renewal_due(key, renew_before_days, now):
    """True when ``key`` expires within ``renew_before_days`` days."""
    if renew_before_days is None or key is None:
        return False
    exp = to_epoch(key.get("exp"))
    return exp is not None and exp - now <= renew_before_days * SECONDS_PER_DAY


def normalize_thumbprint(value):
    """x5t as unpadded base64url; tolerates padding and surrounding blanks."""
    return str(value or "").strip().rstrip("=")


def find_by_thumbprint(keys, thumbprint):
    wanted = normalize_thumbprint(thumbprint)
    for key in keys:
        if wanted and normalize_thumbprint(key.get("x5t")) == wanted:
            return key
    return None


def keyset_needs_renewal(keyset, within_days, now):
    """True when, for some kty/use pair, the longest-lived enabled key expires within N days.

    Older keys superseded by a newer one do not count (keys cannot be removed
    one by one, so expired predecessors stay forever); a pair whose every key
    has expired does count.
    """
    groups = {}
    for key in keys_of(keyset):
        if is_enabled(key):
            pair = (key_family(key.get("kty")), str(key.get("use") or "").lower())
            groups.setdefault(pair, []).append(key)
    for keys in groups.values():
        best = max(keys, key=_validity_order)
        exp = to_epoch(best.get("exp"))
        if exp is not None and exp - now <= within_days * SECONDS_PER_DAY:
            return True
    return False


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

    @property
    def changed(self):
        return self.action != "none" or self.create_keyset


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
    if desired.source == "generate" and key_family(desired.kty) is None:
        raise ValidationError("kty=%r must be rsa or oct" % (desired.kty,))
    if desired.source == "secret" and not (desired.secret or "").strip():
        raise ValidationError("secret is empty; with source=secret, set secret to the value to upload (for example an IdP client secret)")
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


def plan_key(current, desired, now, key_v2=None):
    """Decide what b2c_keyset_key does for keyset state ``current`` (None = missing).

    ``key_v2`` is the keys_v2 view of ``desired.kid`` (status mode only).
    """
    if desired.status:
        return _plan_status(current, desired, key_v2)
    if current is None:
        if not desired.create_keyset:
            raise B2CError(
                "keyset %s does not exist and create_keyset is false" % desired.keyset,
                hint="Create it first (b2c.trustframework.b2c_keyset) or set create_keyset: true.",
            )
        return Plan(desired.add_action, "keyset %s does not exist: create it, then add the key" % desired.keyset,
                    create_keyset=True, key=predicted_key(desired))
    check_family(current, desired.family)
    if desired.force:
        return Plan(desired.add_action, "force is set: always add a key", key=predicted_key(desired))
    if desired.source in ("certificate", "pkcs12"):
        return _plan_certificate(current, desired)
    return _plan_generate_or_secret(current, desired, now)


def _plan_certificate(current, desired):
    match = find_by_thumbprint(keys_of(current), desired.x5t)
    if match is not None:
        return Plan("none", "a key with x5t %s is present" % desired.x5t, key=match)
    return Plan("uploaded", "no key with x5t %s" % desired.x5t, key=predicted_key(desired))


def _plan_generate_or_secret(current, desired, now):
    label = "%s/%s" % (FAMILY_LABELS[desired.family], desired.use)
    if desired.source == "secret" and desired.update_secret == "always":
        return Plan("uploaded", "update_secret=always: a secret cannot be read back to compare",
                    key=predicted_key(desired))
    best = newest_usable(keys_of(current), desired.family, desired.use, now)
    if best is None:
        return Plan(desired.add_action, "no usable %s key in %s" % (label, current.get("id")),
                    key=predicted_key(desired))
    if renewal_due(best, desired.renew_before_days, now):
        return Plan(desired.add_action,
                    "usable key %s expires in %s days (renew_before_days=%d)"
                    % (best.get("kid"), days_until(to_epoch(best.get("exp")), now), desired.renew_before_days),
                    key=predicted_key(desired))
    return Plan("none", "usable %s key %s present" % (label, best.get("kid")), key=best)


def _plan_status(current, desired, key_v2):
    if current is None:
        raise B2CError("keyset %s does not exist; cannot set the status of key %s" % (desired.keyset, desired.kid),
                       hint="Check keyset and kid with b2c.trustframework.b2c_keyset_info.")
    key = key_v2 or find_kid(current, desired.kid)
    if key is None:
        raise B2CError("keyset %s has no key with kid %r" % (current.get("id"), desired.kid),
                       hint="List the keys and their kid with b2c.trustframework.b2c_keyset_info.")
    if str(key.get("status") or "").lower() == desired.status:
        return Plan("none", "key %s is already %s" % (desired.kid, desired.status), key=key)
    return Plan("status_changed", "key %s: %s -> %s" % (desired.kid, key.get("status"), desired.status),
                key=dict(key, status=desired.status))


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
    return dict(base, keys=keys)


@dataclass
class DesiredKeyset:
    name: str
    state: str = "present"
    keys: list | None = field(default=None, repr=False)
    update_keys: bool = False


def plan_keyset(current, desired):
    """Decide what b2c_keyset does: none / created / updated / deleted."""
    if desired.state == "absent":
        if current is None:
            return Plan("none", "keyset %s is already absent" % desired.name)
        return Plan("deleted", "keyset %s exists" % current.get("id"))
    if current is None:
        return Plan("created", "keyset %s does not exist" % desired.name)
    if desired.update_keys and desired.keys is not None:
        _require_kids(desired.keys)
        wanted = set(key.get("kid") for key in desired.keys)
        if wanted != kids_of(current):
            return Plan("updated", "the keyset's kids differ from keys (update_keys=true)")
    return Plan("none", "keyset %s exists" % current.get("id"))


def _require_kids(keys):
    if any(not key.get("kid") for key in keys):
        raise ValidationError("update_keys compares keys by kid: give every entry of keys a kid")


def keyset_after_keyset_plan(current, plan, desired):
    if plan.action == "deleted":
        return None
    if plan.action == "created":
        return {"id": desired.name, "keys": [redact_jwk(key) for key in desired.keys or []]}
    if plan.action == "updated":
        return dict(current, keys=[redact_jwk(key) for key in desired.keys])
    return current


def clean_jwks(keys, option="keys"):
    """The ``keys`` option as JWKs to send: unset members dropped, times as integers, one family only."""
    cleaned = []
    for index, key in enumerate(keys):
        jwk = dict((name, value) for name, value in key.items() if value is not None)
        for name in ("nbf", "exp"):
            if name in jwk:
                jwk[name] = parse_time(jwk[name], "%s[%d].%s" % (option, index, name))
        if jwk.get("kty") is not None and key_family(jwk["kty"]) is None:
            raise ValidationError("%s[%d].kty=%r must be rsa or oct" % (option, index, jwk["kty"]))
        cleaned.append(jwk)
    families = set(key_family(jwk.get("kty")) for jwk in cleaned) - {None}
    if len(families) > 1:
        raise ValidationError("%s mixes RSA and oct keys; a keyset cannot mix them (AADB2C95032)" % option)
    return cleaned


# ---------------------------------------------------------------------------
# Graph calls
# ---------------------------------------------------------------------------


def _quote(segment):
    # Imported late: graph_client pulls in httpx, which the pure logic above does not need.
    from ansible_collections.b2c.trustframework.plugins.module_utils.graph_client import quote_segment

    return quote_segment(segment)


def keyset_path(keyset_id, *parts):
    return "/".join([KEYSETS_PATH, _quote(keyset_id)] + [_quote(part) for part in parts])


def read_keyset(graph, name):
    """The keyset, or None when the service answers 404."""
    try:
        return graph.request("GET", keyset_path(normalize_name(name)))
    except GraphError as error:
        if error.status == 404:
            return None
        raise


def read_keyset_after_write(graph, keyset_id, sleep=time.sleep, waits=REPLICATION_WAITS):
    """Like read_keyset, but a 404 right after a write is retried a few times (replication lag)."""
    for wait in tuple(waits) + (None,):
        keyset = read_keyset(graph, keyset_id)
        if keyset is not None or wait is None:
            return keyset
        sleep(wait)
    return None  # pragma: no cover - the loop always returns


def list_keysets(graph):
    return graph.get_all(KEYSETS_PATH)


def create_keyset(graph, name, keys=None, sleep=time.sleep):
    """Create the keyset; returns ``(keyset, created)``.

    The bare name is sent (the documented form: the service adds B2C_1A_) and
    the returned id is used from then on. When create answers 400/409 (the
    live service says AADB2C95028 "already exists") or may have been applied,
    the keyset is re-read and used if present (``created`` is then False
    unless the failed request itself created it).
    """
    full_name = normalize_name(name)
    body = {"id": strip_prefix(full_name)}
    if keys:
        body["keys"] = keys
    try:
        created = graph.request("POST", KEYSETS_PATH, json=body)
    except GraphError as error:
        if not (error.may_have_been_applied or error.status in (400, 409)):
            raise
        existing = read_keyset_after_write(graph, full_name, sleep=sleep)
        if existing is None:
            raise
        return existing, bool(error.may_have_been_applied)
    if not created or not created.get("id"):
        created = read_keyset_after_write(graph, full_name, sleep=sleep) or {"id": full_name, "keys": []}
    return created, True


def replace_keys(graph, keyset_id, keys):
    """PUT: replaces every key of the keyset (never read-modify-write: secrets do not come back)."""
    return graph.request("PUT", keyset_path(keyset_id), json={"keys": keys})


def delete_keyset(graph, keyset_id):
    """True when deleted, False when it was already gone."""
    try:
        graph.request("DELETE", keyset_path(keyset_id))
    except GraphError as error:
        if error.status == 404:
            return False
        raise
    return True


def _validity(body, nbf, exp):
    if nbf is not None:
        body["nbf"] = int(nbf)
    if exp is not None:
        body["exp"] = int(exp)
    return body


def generate_key(graph, keyset_id, kty, use, nbf=None, exp=None):
    body = _validity({"use": use.lower(), "kty": KTY_WIRE[key_family(kty)]}, nbf, exp)
    return graph.request("POST", keyset_path(keyset_id, "generateKey"), json=body)


def upload_secret(graph, keyset_id, secret, use, nbf=None, exp=None):
    body = _validity({"use": use.lower(), "k": secret}, nbf, exp)
    return graph.request("POST", keyset_path(keyset_id, "uploadSecret"), json=body)


def upload_certificate(graph, keyset_id, cert_b64):
    return graph.request("POST", keyset_path(keyset_id, "uploadCertificate"), json={"key": cert_b64})


def upload_pkcs12(graph, keyset_id, pfx_b64, password):
    body = {"key": pfx_b64, "password": password or ""}
    return graph.request("POST", keyset_path(keyset_id, "uploadPkcs12"), json=body)


def get_active_key(graph, keyset_id):
    """The active key, or None when the service has none to offer.

    The docs do not say what an empty or all-expired keyset answers; expect a
    4xx. Auth and throttling failures (401/403/429) are real errors and raised.
    """
    try:
        return graph.request("GET", keyset_path(keyset_id, "getActiveKey"))
    except GraphError as error:
        if error.status is not None and 400 <= error.status < 500 and error.status not in (401, 403, 429):
            return None
        raise


def _unwrap_value(answer):
    # The keys_v2 GET sample wraps the key in {"value": {...}}; accept both shapes.
    if isinstance(answer, dict) and isinstance(answer.get("value"), dict):
        return answer["value"]
    return answer


def get_key_v2(graph, keyset_id, kid):
    """The keys_v2 view of one key (with ``status``), or None on 404."""
    try:
        return _unwrap_value(graph.request("GET", keyset_path(keyset_id, "keys_v2", kid)))
    except GraphError as error:
        if error.status == 404:
            return None
        raise


def set_key_status(graph, keyset_id, kid, status):
    return graph.request("PATCH", keyset_path(keyset_id, "keys_v2", kid), json={"status": status})


def send_key(graph, keyset_id, desired):
    """The one POST that adds the desired key."""
    if desired.source == "generate":
        return generate_key(graph, keyset_id, desired.kty, desired.use, desired.nbf, desired.exp)
    if desired.source == "secret":
        return upload_secret(graph, keyset_id, desired.secret, desired.use, desired.nbf, desired.exp)
    if desired.source == "certificate":
        return upload_certificate(graph, keyset_id, desired.certificate_b64)
    return upload_pkcs12(graph, keyset_id, desired.pkcs12_b64, desired.pkcs12_password)


def added_key_finder(before, desired):
    """``is_present(keyset)`` for add_key_once: finds the key our add produced.

    Certificates are recognised by x5t; generated keys and secrets by a kid
    that was not there before, with the right family and use.
    """
    known = kids_of(before)

    def is_present(keyset):
        if desired.x5t:
            return find_by_thumbprint(keys_of(keyset), desired.x5t)
        for key in reversed(keys_of(keyset)):
            if (key.get("kid") not in known and key_family(key.get("kty")) == desired.family
                    and same_use(key.get("use"), desired.use)):
                return key
        return None

    return is_present


def _send_tolerating_lag(send, sleep, waits):
    # A 404 is a definite "not applied": safe to resend after a short wait,
    # which covers a keyset created a moment ago that a replica does not know yet.
    for wait in tuple(waits) + (None,):
        try:
            return send()
        except GraphError as error:
            if error.status != 404 or wait is None:
                raise
        sleep(wait)
    return None  # pragma: no cover - the loop always returns or raises


def add_key_once(graph, keyset_id, send, is_present, attempts=3, sleep=time.sleep, waits=REPLICATION_WAITS):
    """Call ``send()`` so that at most one key is added.

    When a send fails in a way that may have reached the service, the keyset is
    re-read until ``is_present`` finds the key or the settle waits run out; only
    then is the send repeated (up to ``attempts`` sends in all).
    """
    for attempt in range(1, attempts + 1):
        try:
            return _send_tolerating_lag(send, sleep, waits)
        except GraphError as error:
            if not error.may_have_been_applied or attempt == attempts:
                raise
            found = _find_added_key(graph, keyset_id, is_present, sleep, waits)
            if found is not None:
                return found
    return None  # pragma: no cover - the loop always returns or raises


def _find_added_key(graph, keyset_id, is_present, sleep, waits):
    """The key an ambiguous send added, or None once the waits are over.

    A request that timed out may still be applied by the service a moment
    later, and a new key may take a moment to show in reads (replication), so
    one empty read is not proof that the key is missing.
    """
    for wait in tuple(waits) + (None,):
        keyset = read_keyset(graph, keyset_id)
        found = is_present(keyset) if keyset is not None else None
        if found is not None or wait is None:
            return found
        sleep(wait)
    return None  # pragma: no cover - the loop always returns


@dataclass
class Applied:
    """What apply_key_plan did: the key concerned, the keyset afterwards, whether the keyset was created."""

    plan: Plan
    key: dict | None
    keyset: dict | None
    keyset_created: bool = False


def apply_key_plan(graph, current, desired, plan, now, sleep=time.sleep):
    """Carry out a b2c_keyset_key plan (the only writes of that module)."""
    keyset_created = False
    if plan.create_keyset:
        current, keyset_created = create_keyset(graph, desired.keyset, sleep=sleep)
        # Create may have found an existing keyset (another run won the race): decide again.
        plan = plan_key(current, desired, now)
        if plan.action == "none":
            return Applied(plan, plan.key, current, keyset_created)
    keyset_id = current.get("id") or desired.keyset
    if plan.action == "status_changed":
        set_key_status(graph, keyset_id, desired.kid, desired.status)
        key = get_key_v2(graph, keyset_id, desired.kid) or plan.key
    else:
        key = add_key_once(graph, keyset_id, lambda: send_key(graph, keyset_id, desired),
                           added_key_finder(current, desired), sleep=sleep)
    after = read_keyset_after_write(graph, keyset_id, sleep=sleep) or current
    return Applied(plan, _merge_key_views(key, find_kid(after, (key or {}).get("kid"))), after, keyset_created)


def _merge_key_views(answer, listed):
    """The action's answer, completed by the keyset listing (which may carry ``status``)."""
    if not listed:
        return answer
    merged = dict(listed)
    merged.update((name, value) for name, value in (answer or {}).items() if value is not None)
    return merged


def apply_keyset_plan(graph, current, desired, plan, sleep=time.sleep):
    """Carry out a b2c_keyset plan; returns ``(keyset_after, changed)``."""
    if plan.action == "created":
        created, was_created = create_keyset(graph, desired.name, keys=desired.keys, sleep=sleep)
        return read_keyset_after_write(graph, created["id"], sleep=sleep) or created, was_created
    if plan.action == "updated":
        answer = replace_keys(graph, current["id"], desired.keys)
        return read_keyset_after_write(graph, current["id"], sleep=sleep) or answer, True
    if plan.action == "deleted":
        return None, delete_keyset(graph, current["id"])
    return current, False
