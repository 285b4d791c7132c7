# -*- coding: utf-8 -*-
# Copyright: b2c.trustframework contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The task of b2c_policy_info: the deployed policies, their base policy and keysets, and who uses each keyset."""

from __future__ import annotations

from ansible_collections.b2c.trustframework.plugins.module_utils import policy_decisions as decisions
from ansible_collections.b2c.trustframework.plugins.module_utils import policy_keysets
from ansible_collections.b2c.trustframework.plugins.module_utils import policy_service as service
from ansible_collections.b2c.trustframework.plugins.module_utils.task_runner import Outcome, Resource


class PolicyInfoResource(Resource):
    def desired(self):
        name = self.params["name"]
        return decisions.normalize_policy_id(name, "name") if name is not None else None

    def failure_context(self, desired):
        return "Could not read policy %s" % desired if desired else "Could not list policies"

    def read(self, graph, desired):
        """The listing (its pages) and one request per policy: the list holds ids only."""
        return service.read_policies(graph, None if desired is None else [desired])

    def outcome(self, current, desired, plan, applied):
        policies = [
            decisions.summarize_deployed(policy_id, text, self.params["content"]) for policy_id, text in current
        ]
        return Outcome(
            changed=False, result=dict(policies=policies, keyset_references=policy_keysets.keyset_references(policies))
        )
