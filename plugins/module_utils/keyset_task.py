# -*- coding: utf-8 -*-
# Copyright: b2c.trustframework contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The task of b2c_keyset: a keyset exists (with given keys) or is absent."""

from __future__ import annotations

from ansible_collections.b2c.trustframework.plugins.module_utils import (
    key_summary,
    keyset_names,
    keyset_plan,
    policy_service,
)
from ansible_collections.b2c.trustframework.plugins.module_utils import keyset_service as service
from ansible_collections.b2c.trustframework.plugins.module_utils.policy_keysets import policies_using
from ansible_collections.b2c.trustframework.plugins.module_utils.task_runner import Outcome, Resource

WITHOUT_POLICY_READ = (
    "b2c_keyset reads the deployed policies before it deletes a keyset, to refuse deleting one "
    "they use; set force=true to delete it without that check."
)


class KeysetResource(Resource):
    kind = "keyset"

    def __init__(self, params, now=None):
        super().__init__(params, now)
        self.used_by = None  # the policies that use the keyset, read once, only to delete it

    def desired(self):
        params, keys = self.params, self.params["keys"]
        desired = keyset_plan.DesiredKeyset(
            name=keyset_names.normalize_name(params["name"], "name"),
            state=params["state"],
            keys=keyset_plan.clean_jwks(keys, self.now) if keys is not None else None,
            update_keys=params["update_keys"],
            force=params["force"],
        )
        keyset_plan.validate_desired_keyset(desired)
        return desired

    def failure_context(self, desired):
        return "Could not ensure keyset %s is %s" % (desired.name, desired.state)

    def lock_ids(self, desired):
        return [desired.name]

    def read(self, graph, desired):
        keyset = service.read_keyset(graph, desired.name)
        if keyset is not None and desired.state == "absent" and not desired.force and self.used_by is None:
            # Once per task, not again under the lock: it costs a request per deployed policy, and a policy
            # uploaded after it would be missed either way (policy writes take another lock).
            references = policy_service.read_keyset_references(graph, WITHOUT_POLICY_READ)
            self.used_by = policies_using(references, keyset["id"])
        return keyset

    def plan(self, current, desired):
        return keyset_plan.plan_keyset(current, desired, self.used_by or ())

    def apply(self, graph, current, desired, plan):
        # pylint: disable-next=import-outside-toplevel
        from ansible_collections.b2c.trustframework.plugins.module_utils import keyset_writes

        return keyset_writes.apply_keyset_plan(graph, current, desired, plan)

    def outcome(self, current, desired, plan, applied):
        after, changed = keyset_plan.keyset_after_keyset_plan(current, plan, desired), plan.changed
        if applied is not None:
            after, changed = applied
        return Outcome(
            changed=changed,
            result=dict(keyset=key_summary.summarize_keyset(after, self.now)),
            diff=key_summary.keyset_diff(current, after, self.now),
        )
