# -*- coding: utf-8 -*-
# Copyright: b2c.trustframework contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a policy-set run will do: the desired set after its local checks, the tenant as read, the plan.

Pure, like ``policy_decisions``: the order and its refusals are
``policy_order``'s, each policy's own plan is ``policy_decisions.plan_policy``.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

import dataclasses
from dataclasses import dataclass, field

from ansible_collections.b2c.trustframework.plugins.module_utils.errors import ValidationError
from ansible_collections.b2c.trustframework.plugins.module_utils.policy_decisions import (
    DesiredPolicy,
    check_desired_policy,
    normalize_policy_id,
    plan_policy,
)
from ansible_collections.b2c.trustframework.plugins.module_utils.policy_keysets import keyset_problems
from ansible_collections.b2c.trustframework.plugins.module_utils.policy_order import Member, PolicySet, policy_key


@dataclass(frozen=True, eq=False)
class DesiredSet:
    """The set after every local refusal: its CheckedPolicy by policy key, and its BasePolicy graph."""

    checked: dict
    graph: PolicySet
    state: str = "present"
    check_keysets: bool = True
    upload_descendants: bool = True


def check_desired_set(texts, tenant, state="present", check_keysets=True, upload_descendants=True, force=False):
    """The DesiredSet of ``texts`` (``[(text, where)]``): every refusal of b2c_policy for each policy, then the
    refusals of the set itself (one PolicyId in two files, a loop, a chain deeper than 10 within the set)."""
    if not texts:
        raise ValidationError("the policy set is empty: give the policies to deploy")
    checked = [
        check_desired_policy(
            DesiredPolicy(content=text, state=state, check_keysets=check_keysets, force=force, where=where), tenant
        )
        for text, where in texts
    ]
    graph = PolicySet([_member(policy) for policy in checked])
    if state == "present":
        graph.refuse_depth({})  # the ancestors in the set alone; the tenant's are counted once read
    return DesiredSet(
        dict((policy_key(policy.policy_id), policy) for policy in checked),
        graph,
        state,
        check_keysets,
        upload_descendants,
    )


def _member(checked):
    base = checked.document.base_policy
    base_id = normalize_policy_id(base.policy_id, "BasePolicy/PolicyId") if base is not None else None
    return Member(checked.policy_id, base_id, checked.desired.where)


@dataclass
class TenantView:
    """The tenant as the set task read it.

    ``ids``: every policy id. ``deployed``: policy key -> the deployed XML of each set member (None when
    missing). ``others``: policy id -> ``{id, base_policy, keysets}`` of the tenant policies outside the set that
    were read: the ancestors of the set (state present) or every one of them (state absent).
    ``keysets``: the tenant's keysets, listed only when the key pre-flight is to run.
    """

    ids: list
    deployed: dict
    others: dict = field(default_factory=dict)
    keysets: list | None = None

    def bases(self):
        return dict((policy_id, summary["base_policy"]) for policy_id, summary in self.others.items())


@dataclass(frozen=True)
class SetPlan:
    """The set's PolicyPlans in upload order (delete order for state absent)."""

    entries: tuple

    @property
    def writes(self):
        return [entry for entry in self.entries if entry.action != "none"]

    @property
    def changed(self):
        return bool(self.writes)

    def results(self):
        return [{"id": entry.policy_id, "action": entry.action, "reason": entry.reason} for entry in self.entries]

    def diff(self):
        """One ``{before, after, before_header, after_header}`` per policy written, in the order of the writes."""
        return [
            dict(
                entry.diff,
                before_header="%s (deployed)" % entry.policy_id,
                after_header="%s (%s)" % (entry.policy_id, "deleted" if entry.action == "deleted" else "set"),
            )
            for entry in self.writes
        ]


def plan_set(desired, tenant, now=None):
    """The SetPlan for ``desired`` on ``tenant`` (a TenantView); refuses what the tenant makes impossible.

    The key pre-flight runs when ``tenant.keysets`` was listed (``now``: the clock for "usable").
    """
    if desired.state == "absent":
        desired.graph.refuse_orphans(tenant.bases())
        return SetPlan(
            tuple(
                plan_policy(
                    desired.checked[policy_key(member.policy_id)], tenant.deployed.get(policy_key(member.policy_id))
                )
                for member in desired.graph.delete_order
            )
        )
    desired.graph.refuse_for_tenant(tenant.ids, tenant.bases())
    plans = dict((key, plan_policy(checked, tenant.deployed.get(key))) for key, checked in desired.checked.items())
    reasons = desired.graph.upload_reasons(
        dict((key, plan.reason) for key, plan in plans.items()), desired.upload_descendants
    )
    plan = SetPlan(
        tuple(_with_reason(plans[policy_key(member.policy_id)], desired, reason) for member, reason in reasons)
    )
    if tenant.keysets is not None:
        refuse_unusable_keysets(desired, tenant, plan, now)
    return plan


def _with_reason(policy_plan, desired, reason):
    """A member's plan, uploaded because an ancestor is (``reason`` ancestor), else as planned."""
    if reason != "ancestor":
        return policy_plan
    text = desired.checked[policy_key(policy_plan.policy_id)].document.text
    return dataclasses.replace(
        policy_plan,
        action="updated",
        reason="ancestor",
        upload=text,
        diff={"before": policy_plan.diff["before"], "after": text},
    )


# ---------------------------------------------------------------------------
# Keys first: the pre-flight over the uploads and their ancestors
# ---------------------------------------------------------------------------


def keysets_needed(desired, tenant, plan):
    """Keyset id -> the policies that reference it, over the policies to upload and all their ancestors (in the
    set or read from the tenant): the service validates a policy with its ancestors (troubleshoot.md).

    References compare as the service serves them, by the full id in any case: a bare name is another
    reference (and one no keyset serves).
    """
    needed, names = {}, {}
    for policy_id, keysets in _uploads_and_ancestors(desired, tenant, plan):
        for keyset_id in keysets:
            key = keyset_id.lower()
            names.setdefault(key, keyset_id)
            users = needed.setdefault(key, [])
            if policy_id not in users:
                users.append(policy_id)
    return dict((names[key], needed[key]) for key in sorted(needed))


def _uploads_and_ancestors(desired, tenant, plan):
    """``[(policy id, its own keysets)]``: each policy to upload, then its ancestors, each policy once."""
    others = dict((policy_key(policy_id), summary) for policy_id, summary in tenant.others.items())
    seen, found = set(), []
    for entry in plan.writes:
        policy_id = entry.policy_id
        while policy_id and policy_key(policy_id) not in seen:
            seen.add(policy_key(policy_id))
            checked = desired.checked.get(policy_key(policy_id))
            if checked is not None:
                document = checked.document
                found.append((checked.policy_id, document.keysets))
                policy_id = document.base_policy.policy_id if document.base_policy is not None else None
            elif policy_key(policy_id) in others:
                summary = others[policy_key(policy_id)]
                found.append(("%s (in the tenant)" % summary["id"], summary["keysets"]))
                policy_id = summary["base_policy"]
            else:
                policy_id = None
    return found


def refuse_unusable_keysets(desired, tenant, plan, now):
    """Refuse every upload, before the first, when a keyset the uploads or their ancestors use is missing or
    has no usable key: one line per keyset, naming the policies that need it."""
    lines = []
    for keyset_id, users in keysets_needed(desired, tenant, plan).items():
        for problem in keyset_problems([keyset_id], tenant.keysets, now):
            lines.append("%s (needed by %s)" % (problem, ", ".join(users)))
    if lines:
        raise ValidationError(
            "no policy of the set was uploaded: %s. Set check_keysets=false to upload anyway" % "; ".join(lines)
        )
