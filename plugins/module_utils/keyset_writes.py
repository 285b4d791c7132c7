# -*- coding: utf-8 -*-
# Copyright: b2c.trustframework contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The keyset writes: create, replace, delete, add a key at most once, and carrying out the key and keyset plans.

Imported only by a task that writes (a Resource's ``apply``): a converged task
reads through keyset_service.py alone. A write that may have reached the
service is looked for (keyset_service.settle) before it is sent again.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

import time
from dataclasses import dataclass

from ansible_collections.b2c.trustframework.plugins.module_utils.errors import (
    CREATE_CONFLICT_CODES,
    GraphError,
    keyset_missing,
)
from ansible_collections.b2c.trustframework.plugins.module_utils.key_plan import Plan, added_key_finder, plan_key
from ansible_collections.b2c.trustframework.plugins.module_utils.key_rollover import key_to_send
from ansible_collections.b2c.trustframework.plugins.module_utils.key_rules import KTY_WIRE, find_kid, key_family
from ansible_collections.b2c.trustframework.plugins.module_utils.keyset_answers import checked_key, checked_keyset
from ansible_collections.b2c.trustframework.plugins.module_utils.keyset_names import (
    check_kid,
    normalize_name,
    strip_prefix,
)
from ansible_collections.b2c.trustframework.plugins.module_utils.keyset_service import (
    KEYSETS_PATH,
    get_key_v2,
    keyset_path,
    none_when_missing,
    read_keyset,
    read_keyset_after_write,
    settle,
)

# Sends of one add or create in all, when each failure may have reached the service.
SEND_ATTEMPTS = 3


def send_once(send, find_effect, attempts=SEND_ATTEMPTS):
    """Call ``send()`` so that its effect happens at most once.

    When a send fails in a way that may have reached the service,
    ``find_effect()`` (which settles) looks for what it would have done; only
    when that is missing is the send repeated, up to ``attempts`` sends.
    """
    for attempt in range(1, attempts + 1):
        try:
            return send()
        except GraphError as error:
            if not error.may_have_been_applied or attempt == attempts:
                raise
            found = find_effect()
            if found is not None:
                return found
    return None  # pragma: no cover - the loop always returns or raises


def create_keyset(graph, name, keys=None, sleep=time.sleep):
    """Create the keyset; returns ``(keyset, created)``.

    The bare name is sent (the documented form: the service adds B2C_1A_) and
    the returned id is used from then on. "Already exists" (AADB2C95028/95038,
    whatever the status) or any 400/409 (the conflict status is undocumented)
    may mean another run won: the keyset is read and, when it is there, used
    (``created`` False). A create that may have been applied is re-read before
    it is sent again; any other error is raised as the service sent it.
    """
    full_name = normalize_name(name)
    body = {"id": strip_prefix(full_name)}
    if keys:
        body["keys"] = keys

    def reread():
        return read_keyset_after_write(graph, full_name, sleep=sleep)

    try:
        created = send_once(lambda: graph.request("POST", KEYSETS_PATH, json=body), reread)
    except GraphError as error:
        conflict = error.has_code(*CREATE_CONFLICT_CODES)
        if not conflict and error.status not in (400, 409):
            raise
        # Only a known conflict is worth waiting for replication; any other refusal is looked up once.
        existing = reread() if conflict else read_keyset(graph, full_name)
        if existing is None:
            raise
        return existing, False
    if not created or not checked_keyset(created).get("id"):
        created = reread() or {"id": full_name, "keys": []}
    return created, True


def replace_keys(graph, keyset_id, keys):
    """PUT: replaces every key of the keyset (never read-modify-write: secrets do not come back)."""
    return _checked_if_any(checked_keyset, graph.request("PUT", keyset_path(keyset_id), json={"keys": keys}))


def delete_keyset(graph, keyset_id):
    """True when deleted, False when it was already gone."""
    return none_when_missing(lambda: graph.request("DELETE", keyset_path(keyset_id)) or True) is not None


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


def set_key_status(graph, keyset_id, kid, status):
    check_kid(kid)
    return graph.request("PATCH", keyset_path(keyset_id, "keys_v2", kid), json={"status": status})


def send_key(graph, keyset_id, desired):
    """The one POST that adds the desired key; its answer, the key, shape-checked."""
    return _checked_if_any(checked_key, _send_key(graph, keyset_id, desired))


def _checked_if_any(check, answer):
    """``answer`` shape-checked; an empty answer (204, or no body) stays empty."""
    return answer if answer is None or answer == "" else check(answer)


def _send_key(graph, keyset_id, desired):
    if desired.source == "generate":
        return generate_key(graph, keyset_id, desired.kty, desired.use, desired.nbf, desired.exp)
    if desired.source == "secret":
        return upload_secret(graph, keyset_id, desired.secret, desired.use, desired.nbf, desired.exp)
    if desired.source == "certificate":
        return upload_certificate(graph, keyset_id, desired.certificate_b64)
    return upload_pkcs12(graph, keyset_id, desired.pkcs12_b64, desired.pkcs12_password)


# ---------------------------------------------------------------------------
# Adding a key at most once
# ---------------------------------------------------------------------------


def _send_to_settled_keyset(send, sleep):
    """``send()``; "keyset missing" is definitely not applied, so it is sent again after a wait.

    That covers a keyset created a moment ago that a replica does not know yet.
    """
    refusals = []

    def attempt():
        try:
            return [send()]  # wrapped: an empty answer still counts as sent
        except GraphError as error:
            if not keyset_missing(error):
                raise
            refusals.append(error)
            return None

    sent = settle(attempt, sleep=sleep)
    if sent is None:
        raise refusals[-1]
    return sent[0]


def add_key_once(graph, keyset_id, send, is_present, attempts=SEND_ATTEMPTS, sleep=time.sleep):
    """Call ``send()`` so that at most one key is added.

    After a failure that may have reached the service, the keyset is re-read
    until ``is_present`` finds the key or the settle waits run out (a request
    that timed out may be applied a moment later, and a new key may take a
    moment to show in reads); only then is the send repeated.
    """

    def find_added_key():
        return settle(lambda: is_present(read_keyset(graph, keyset_id) or {}), sleep=sleep)

    return send_once(lambda: _send_to_settled_keyset(send, sleep), find_added_key, attempts=attempts)


# ---------------------------------------------------------------------------
# Carrying out plans
# ---------------------------------------------------------------------------


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
        if not plan.changed:
            return Applied(plan, plan.key, current, keyset_created)
    keyset_id = current.get("id") or desired.keyset
    answer, kid = plan.key, (plan.key or {}).get("kid")
    if plan.action == "status_changed":
        set_key_status(graph, keyset_id, desired.kid, desired.status)
        kid = desired.kid
    elif plan.action != "none":
        answer = add_key_once(
            graph,
            keyset_id,
            lambda: send_key(graph, keyset_id, key_to_send(desired, plan)),
            added_key_finder(current, desired),
            sleep=sleep,
        )
        kid = (answer or {}).get("kid")
    for key in plan.retire:
        set_key_status(graph, keyset_id, key["kid"], "disabled")
    after = read_keyset_after_write(graph, keyset_id, sleep=sleep) or current
    # keys_v2 is where the service reports a key's status (MicrosoftDocs/azure-docs policy-keys-overview.md: an
    # uploaded key may start disabled), so the key is read back from there.
    status_view = get_key_v2(graph, keyset_id, kid) if kid and plan.action != "none" else None
    return Applied(plan, _merge_key_views(find_kid(after, kid), answer, status_view), after, keyset_created)


def _merge_key_views(*views):
    """One view of a key from several answers (listing, action answer, keys_v2): later non-null values win."""
    merged = {}
    for view in views:
        merged.update((name, value) for name, value in (view or {}).items() if value is not None)
    return merged or None


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
