# -*- coding: utf-8 -*-
# Copyright: b2c.trustframework contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The task of b2c_policy: one custom policy deployed with the given content, or absent."""

from __future__ import annotations

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.b2c.trustframework.plugins.module_utils import keyset_service, policy_keysets
from ansible_collections.b2c.trustframework.plugins.module_utils import policy_decisions as decisions
from ansible_collections.b2c.trustframework.plugins.module_utils import policy_service as service
from ansible_collections.b2c.trustframework.plugins.module_utils.module import B2CModule
from ansible_collections.b2c.trustframework.plugins.module_utils.policy_xml import read_policy_file, xml_library_missing
from ansible_collections.b2c.trustframework.plugins.module_utils.task_runner import Outcome, Resource


def policy_module(argument_spec, **options):
    """The B2CModule of a policy task; fails before any request when defusedxml is missing."""
    module = B2CModule(argument_spec=argument_spec, supports_check_mode=True, **options)
    import_error = xml_library_missing()
    if import_error:
        module.fail_json(msg=missing_required_lib("defusedxml"), exception=import_error)
    return module


def task_tenant(module):
    """The tenant_id the task logs in to (None with an access token): the policy's TenantIds must name it."""
    return getattr(module.connection.credential, "tenant_id", None)


class PolicyResource(Resource):
    kind = "policy"

    def __init__(self, params, tenant=None, now=None):
        super().__init__(params, now)
        self.tenant = tenant

    def desired(self):
        params = self.params
        content, where = params["content"], "content"
        if params["src"] is not None:
            content, where = read_policy_file(params["src"]), "src=%s" % params["src"]
        desired = decisions.DesiredPolicy(
            content=content,
            id=params["id"],
            state=params["state"],
            check_keysets=params["check_keysets"],
            force=params["force"],
            where=where,
        )
        return decisions.check_desired_policy(desired, self.tenant)

    def failure_context(self, desired):
        return "Could not ensure policy %s is %s" % (desired.policy_id, desired.desired.state)

    def lock_ids(self, desired):
        return [desired.policy_id]

    def read(self, graph, desired):
        """``(the plan, the tenant's keysets or None)``: the plan needs only the deployed text, so it is made once
        here (one XML comparison per read); the keysets are listed only before an upload that checks them."""
        plan = decisions.plan_policy(desired, service.read_policy(graph, desired.policy_id))
        return plan, keyset_service.list_keysets(graph) if plan.keysets else None

    def plan(self, current, desired):
        plan, keysets = current
        if plan.keysets:
            policy_keysets.refuse_unusable_keysets(plan, keysets, self.now)
        return plan

    def apply(self, graph, current, desired, plan):
        return service.apply_policy_plan(graph, plan)

    def outcome(self, current, desired, plan, applied):
        return Outcome(
            changed=plan.changed if applied is None else applied,
            result=dict(action=plan.action, reason=plan.reason, policy=plan.policy),
            diff=plan.diff,
        )

    def failure_details(self, error):
        errors = getattr(error, "validation_errors", None)
        return {"validation_errors": errors} if errors else {}
