# -*- coding: utf-8 -*-
# Copyright: b2c.trustframework contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""B2C custom policy decisions: ids, the desired policy, the plan and the info view of one policy.

Everything here is pure: no request is sent and no clock is read (``now`` is
passed in). Reading and comparing the XML is ``policy_xml``'s; the Graph calls
that carry out a plan live in ``policy_service``.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

from dataclasses import dataclass

from ansible_collections.b2c.trustframework.plugins.module_utils.errors import ValidationError
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
