# -*- coding: utf-8 -*-
# Copyright: b2c.trustframework contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The task of b2c_policy_set: a set of custom policies deployed in order (base first), or deleted children first."""

from __future__ import annotations

import os

from ansible_collections.b2c.trustframework.plugins.module_utils import keyset_service
from ansible_collections.b2c.trustframework.plugins.module_utils import policy_service as service
from ansible_collections.b2c.trustframework.plugins.module_utils import policy_set_plan as set_plan
from ansible_collections.b2c.trustframework.plugins.module_utils.errors import ValidationError
from ansible_collections.b2c.trustframework.plugins.module_utils.policy_decisions import summarize_deployed
from ansible_collections.b2c.trustframework.plugins.module_utils.policy_order import policy_key
from ansible_collections.b2c.trustframework.plugins.module_utils.policy_xml import read_policy_file
from ansible_collections.b2c.trustframework.plugins.module_utils.task_runner import Outcome, Resource


def folder_files(folder):
    """Every ``*.xml`` file of ``folder`` (not its subfolders), by name."""
    if not os.path.isdir(folder):
        raise ValidationError(
            "src=%s is not a folder: give a folder of *.xml policy files, or list them in policies" % folder
        )
    names = sorted(
        name
        for name in os.listdir(folder)
        if name.lower().endswith(".xml") and os.path.isfile(os.path.join(folder, name))
    )
    if not names:
        raise ValidationError("src=%s holds no *.xml file: give the folder of the policy files" % folder)
    return [os.path.join(folder, name) for name in names]


def set_texts(params):
    """``[(text, where)]`` of the set, from the ``src`` folder or the ``policies`` list."""
    if params["src"] is not None:
        return [(read_policy_file(path), "src=%s" % path) for path in folder_files(params["src"])]
    texts = []
    for index, item in enumerate(params["policies"]):
        if item.get("src") is not None:
            texts.append((read_policy_file(item["src"]), "src=%s" % item["src"]))
        else:
            texts.append((item["content"], "policies[%d].content" % index))
    return texts


class PolicySetResource(Resource):
    kind = "policy"

    def __init__(self, params, tenant=None, now=None):
        super().__init__(params, now)
        self.tenant = tenant
        self._plan = None
        self._done = []
        self._attempted = None

    def desired(self):
        params = self.params
        return set_plan.check_desired_set(
            set_texts(params),
            self.tenant,
            state=params["state"],
            check_keysets=params["check_keysets"],
            upload_descendants=params["upload_descendants"],
            force=params["force"],
        )

    def failure_context(self, desired):
        verb = "deploy" if desired.state == "present" else "delete"
        return "Could not %s the policy set (%d policies)" % (verb, len(desired.checked))

    def lock_ids(self, desired):
        return [checked.policy_id for checked in desired.checked.values()]

    def read(self, graph, desired):
        """``(tenant, plan)``: the TenantView (the tenant's ids, the set's deployed copies, and the set's ancestors
        in the tenant for state present, or every other tenant policy, for its BasePolicy, for state absent: one
        request per policy of the tenant) and the set's plan on it, made once per read (one XML comparison per
        policy); the keysets are listed only when the plan writes and checks them."""
        ids = service.list_policy_ids(graph)
        listed = set(policy_key(policy_id) for policy_id in ids)
        deployed = {}
        for member in desired.graph.upload_order:
            key = policy_key(member.policy_id)
            deployed[key] = service.read_policy(graph, member.policy_id) if key in listed else None
        tenant = set_plan.TenantView(ids, deployed)
        if desired.state == "absent":
            others = [policy_id for policy_id in ids if policy_key(policy_id) not in desired.checked]
            tenant.others = dict(
                (policy_id, summarize_deployed(policy_id, text))
                for policy_id, text in service.read_policies(graph, others)
            )
            return tenant, set_plan.plan_set(desired, tenant)
        tenant.others = self._tenant_ancestors(graph, desired, listed)
        plan = set_plan.plan_set(desired, tenant)
        if desired.check_keysets and plan.writes:
            tenant.keysets = keyset_service.list_keysets(graph)
        return tenant, plan

    @staticmethod
    def _tenant_ancestors(graph, desired, listed):
        """The chain of each base outside the set, read from the tenant (one request per ancestor)."""
        found = {}
        for policy_id in desired.graph.outside_bases():
            while (
                policy_id
                and policy_key(policy_id) in listed
                and policy_id not in desired.graph
                and policy_key(policy_id) not in found
            ):
                text = service.read_policy(graph, policy_id)
                if text is None:
                    break
                summary = summarize_deployed(policy_id, text)
                found[policy_key(policy_id)] = summary
                policy_id = summary["base_policy"]
        return dict((summary["id"], summary) for summary in found.values())

    def plan(self, current, desired):
        tenant, plan = current
        if tenant.keysets is not None:
            set_plan.refuse_unusable_keysets(desired, tenant, plan, self.now)
        return plan

    def apply(self, graph, current, desired, plan):
        """One write at a time, in order; a failure stops the run (failure_details says where)."""
        self._plan, self._done, self._attempted = plan, [], None
        for entry in plan.writes:
            self._attempted = entry
            if service.apply_policy_plan(graph, entry):
                self._done.append(entry)
        self._attempted = None
        return bool(self._done)

    def outcome(self, current, desired, plan, applied):
        return Outcome(
            changed=plan.changed if applied is None else applied, result=dict(policies=plan.results()), diff=plan.diff()
        )

    def failure_details(self, error):
        """After a failed write: the set as far as it went (written, failed, not attempted) and ``changed``."""
        if self._attempted is None:
            return {}
        errors = getattr(error, "validation_errors", None)
        policies, after_failure = [], False
        for entry in self._plan.entries:
            result = {"id": entry.policy_id, "action": entry.action, "reason": entry.reason}
            if entry is self._attempted:
                result["action"], after_failure = "failed", True
                if errors:
                    result["validation_errors"] = errors
            elif after_failure and entry.action != "none":
                result["action"], result["reason"] = "none", "not_attempted"
            policies.append(result)
        details = dict(changed=bool(self._done), policies=policies)
        if errors:
            details["validation_errors"] = errors
        return details
