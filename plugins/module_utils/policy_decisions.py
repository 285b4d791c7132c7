# -*- coding: utf-8 -*-
# Copyright: b2c.trustframework contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""B2C custom policy decisions: ids, the desired policy, the plan, the key pre-flight and the info views.

Everything here is pure: no request is sent and no clock is read (``now`` is
passed in). Reading and comparing the XML is ``policy_xml``'s; the Graph calls
that carry out a plan live in ``policy_service``.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

from dataclasses import dataclass

from ansible_collections.b2c.trustframework.plugins.module_utils.errors import ValidationError
from ansible_collections.b2c.trustframework.plugins.module_utils.key_rules import is_usable, keys_of
from ansible_collections.b2c.trustframework.plugins.module_utils.keyset_names import PREFIX, strip_prefix
from ansible_collections.b2c.trustframework.plugins.module_utils.policy_tenant import check_for_tenant
from ansible_collections.b2c.trustframework.plugins.module_utils.policy_xml import (
    PolicyDocument,
    parse_policy,
    read_deployed,
    same_policy,
)

# ---------------------------------------------------------------------------
# Ids
# ---------------------------------------------------------------------------


def normalize_policy_id(policy_id, option="id"):
    """``B2C_1A_<id>``: the id used in the policy's URL (an existing prefix, any case, is spelled canonically)."""
    text = "" if policy_id is None else str(policy_id).strip()
    bare = strip_prefix(text)
    if not bare or bare in (".", "..") or "/" in bare:
        raise ValidationError("%s=%r is not a policy id: give e.g. B2C_1A_TrustFrameworkBase" % (option, text))
    return PREFIX + bare


def same_policy_id(one, other):
    """Policy ids compare case-insensitively, with or without the B2C_1A_ prefix (like keyset names)."""
    return strip_prefix(str(one or "")).lower() == strip_prefix(str(other or "")).lower()


# ---------------------------------------------------------------------------
# The desired policy
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DesiredPolicy:
    """What a b2c_policy task asks for. ``content`` is the text already read (from content or src);
    ``where`` names it in messages (``content`` or ``src=<path>``)."""

    content: str | None = None
    id: str | None = None
    state: str = "present"
    check_keysets: bool = True
    force: bool = False
    where: str = "content"


@dataclass(frozen=True, eq=False)
class CheckedPolicy:
    """A DesiredPolicy that passed every local check: its parsed XML (None without content) and the id worked on."""

    desired: DesiredPolicy
    document: PolicyDocument | None
    policy_id: str


def check_desired_policy(desired, tenant):
    """The CheckedPolicy of ``desired``, after every local refusal, before any request.

    ``tenant``: the task's tenant_id, compared with the policy's TenantIds when
    it is a domain name. An ``id`` that names another policy than the XML's
    PolicyId is refused: the XML is the truth.
    """
    document = _desired_document(desired, tenant)
    return CheckedPolicy(desired, document, desired_policy_id(desired, document))


def _desired_document(desired, tenant):
    if desired.content is None:
        if desired.state == "present":
            raise ValidationError("state=present needs the policy: give content or src")
        if desired.id is None:
            raise ValidationError("state=absent needs the policy to delete: give id (or content / src)")
        return None
    document = parse_policy(desired.content, desired.where)
    if desired.state == "present":
        check_for_tenant(document, tenant, desired.where)
    if desired.id is not None and not same_policy_id(desired.id, document.policy_id):
        raise ValidationError(
            "id=%r names another policy than the PolicyId %r of %s: leave id out or make them agree"
            % (desired.id, document.policy_id, desired.where)
        )
    return document


def desired_policy_id(desired, document):
    """The id the task works on: the XML's PolicyId when there is one, else the ``id`` option."""
    return normalize_policy_id(
        document.policy_id if document is not None else desired.id, "PolicyId" if document is not None else "id"
    )


# ---------------------------------------------------------------------------
# The plan
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PolicyPlan:
    """What a run does to one policy.

    ``action``: none / created / updated / deleted; ``reason``: content (the
    deployed policy is missing or differs), forced, absent (deleted) or none.
    ``upload``: the text to PUT (as given), or None. ``keysets``: the
    StorageReferenceIds to find usable before the upload (empty without
    ``check_keysets``).
    """

    action: str
    reason: str
    policy_id: str
    upload: str | None
    keysets: tuple
    policy: dict | None
    diff: dict

    @property
    def changed(self):
        return self.action != "none"


def policy_summary(document, policy_id=None):
    """The public view of a policy: ``id``, ``base_policy`` (its PolicyId), ``keysets``, ``sha256`` of the compared form."""
    if document is None:
        return None
    base = document.base_policy.policy_id if document.base_policy is not None else None
    return {
        "id": document.policy_id or policy_id,
        "base_policy": base,
        "keysets": list(document.keysets),
        "sha256": document.sha256,
    }


def plan_policy(checked, deployed_text):
    """The plan for a CheckedPolicy given the deployed text (None when the policy is missing).

    Compared as XML (policy_xml.same_policy): a copy the service reformatted is
    no change. ``changed`` never comes from a status code.
    """
    desired, document, policy_id = checked.desired, checked.document, checked.policy_id
    before = deployed_text or ""
    if desired.state == "absent":
        if deployed_text is None:
            return PolicyPlan("none", "none", policy_id, None, (), None, {"before": "", "after": ""})
        return PolicyPlan("deleted", "absent", policy_id, None, (), None, {"before": before, "after": ""})
    summary = policy_summary(document, policy_id)
    deployed = read_deployed(deployed_text)
    if deployed_text is None:
        action, reason = "created", "content"
    elif desired.force:
        action, reason = "updated", "forced"
    elif deployed is not None and same_policy(document, deployed):
        return PolicyPlan("none", "none", policy_id, None, (), summary, {"before": before, "after": before})
    else:
        action, reason = "updated", "content"
    keysets = document.keysets if desired.check_keysets else ()
    return PolicyPlan(
        action, reason, policy_id, document.text, keysets, summary, {"before": before, "after": document.text}
    )


# ---------------------------------------------------------------------------
# Keys first: the pre-flight of an upload
# ---------------------------------------------------------------------------


def _folded(keyset_id):
    """A keyset name as StorageReferenceIds and keyset ids compare: without B2C_1A_, in any case."""
    return strip_prefix(str(keyset_id or "")).lower()


def _keysets_by_reference(keysets):
    """The tenant's keysets by the StorageReferenceId that serves them: the full id (B2C_1A_...), in any case.

    A reference without the prefix is not served: the service looks the keyset up by its id (its message names
    the reference as written: azure-docs #20564), so a bare name is refused at upload.
    """
    return dict((str(keyset.get("id") or "").lower(), keyset) for keyset in keysets or [])


def _served(by_reference, keyset_id):
    return by_reference.get(str(keyset_id or "").lower())


def _prefix_advice(keyset_id):
    if str(keyset_id or "").upper().startswith(PREFIX):
        return ""
    return " (a StorageReferenceId names the keyset's full id: %s%s)" % (PREFIX, keyset_id)


def has_usable_key(keyset, now):
    return any(is_usable(key, now) for key in keys_of(keyset))


def keyset_problems(keyset_ids, keysets, now):
    """One line per keyset of ``keyset_ids`` missing from ``keysets`` (the tenant's) or without a usable key."""
    by_reference = _keysets_by_reference(keysets)
    problems = []
    for keyset_id in keyset_ids:
        found = _served(by_reference, keyset_id)
        if found is None:
            problems.append(
                "%s does not exist%s: create it with its key (b2c.trustframework.b2c_keyset_key, "
                "or the b2c.trustframework.policy_keys role)" % (keyset_id, _prefix_advice(keyset_id))
            )
        elif not has_usable_key(found, now):
            problems.append(
                "%s has no usable key (none that is enabled and unexpired): add one with "
                "b2c.trustframework.b2c_keyset_key" % found.get("id")
            )
    return problems


def refuse_unusable_keysets(plan, keysets, now):
    """Refuse the upload, before it is sent, when a keyset the policy uses is missing or has no usable key.

    The service refuses the first ("does not have CryptographicKey referenced by
    storageReferenceId": azure-docs #20564); the second fails every sign-in at
    run time (AADB2C90019 / AADB2C90220, error-codes.md).
    """
    problems = keyset_problems(plan.keysets, keysets, now)
    if problems:
        raise ValidationError(
            "policy %s was not uploaded: %s. Set check_keysets=false to upload anyway"
            % (plan.policy_id, "; ".join(problems))
        )


# ---------------------------------------------------------------------------
# b2c_policy_info
# ---------------------------------------------------------------------------


def summarize_deployed(policy_id, text, with_content=False):
    """The info view of one deployed policy: ``{id, base_policy, keysets}`` and, when asked, ``content``.

    The id is the XML's PolicyId (the truth), else ``policy_id`` (as listed or asked for).
    """
    document = read_deployed(text)
    base = document.base_policy if document is not None else None
    summary = {
        "id": (document.policy_id if document is not None else None) or policy_id,
        "base_policy": base.policy_id if base is not None else None,
        "keysets": list(document.keysets) if document is not None else [],
    }
    if with_content:
        summary["content"] = text
    return summary


def keyset_references(summaries):
    """Keyset id -> the ids of the policies whose own XML uses it (keysets merged case-insensitively)."""
    names = {}
    users = {}
    for summary in summaries:
        for keyset_id in summary.get("keysets") or []:
            key = _folded(keyset_id)
            names.setdefault(key, keyset_id)
            users.setdefault(key, [])
            if summary["id"] not in users[key]:
                users[key].append(summary["id"])
    return dict((names[key], sorted(users[key], key=str.lower)) for key in sorted(names))


# ---------------------------------------------------------------------------
# Keys and policies together: who uses a keyset, which references cannot be served
# ---------------------------------------------------------------------------


def references_to(references, keyset_id):
    """The entry of a :func:`keyset_references` mapping that names ``keyset_id`` in any spelling (or ``{}``)."""
    wanted = _folded(keyset_id)
    return dict((name, users) for name, users in references.items() if _folded(name) == wanted)


def policies_using(references, keyset_id):
    """The ids of the policies that use ``keyset_id``, from a :func:`keyset_references` mapping ([] when none)."""
    return next(iter(references_to(references, keyset_id).values()), [])


def _unusable_reason(keyset, now):
    if keyset is None:
        return "does not exist"
    if not keys_of(keyset):
        return "has no key"
    if not has_usable_key(keyset, now):
        return "has no usable key: every key is expired or disabled"
    return None


def reference_problems(references, keysets, now):
    """The keysets deployed policies use that cannot serve them: missing, empty, or only expired or disabled keys.

    ``references``: a :func:`keyset_references` mapping; ``keysets``: the
    tenant's keysets (as read). One entry per keyset, ``{keyset, policies,
    problem}``, the keyset named as the service reports it (as the policies
    spell it when missing). Such a policy fails every sign-in that needs the
    key (AADB2C90019 / AADB2C90220, error-codes.md).
    """
    by_reference = _keysets_by_reference(keysets)
    problems = []
    for keyset_id, users in references.items():
        found = _served(by_reference, keyset_id)
        reason = _unusable_reason(found, now)
        if reason is not None:
            problems.append({"keyset": found.get("id") if found else keyset_id, "policies": users, "problem": reason})
    return problems
