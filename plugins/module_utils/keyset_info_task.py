# -*- coding: utf-8 -*-
# Copyright: b2c.trustframework contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The task of b2c_keyset_info: the keysets, their active and next keys, expiry and coverage."""

from __future__ import annotations

from dataclasses import dataclass

from ansible_collections.b2c.trustframework.plugins.module_utils import (
    key_rules,
    key_summary,
    keyset_names,
    policy_keysets,
    policy_service,
)
from ansible_collections.b2c.trustframework.plugins.module_utils import keyset_service as service
from ansible_collections.b2c.trustframework.plugins.module_utils.errors import ValidationError
from ansible_collections.b2c.trustframework.plugins.module_utils.task_runner import Outcome, Resource


@dataclass
class InfoRequest:
    name: str | None
    active_key: bool
    expiring_within_days: int | None
    expected: list | None
    coverage_days: int | None
    policies: bool = False


WITHOUT_POLICY_READ = "Leave out policies=true to list the keysets without the policies that use them."


def _at_least_zero(params, option):
    if params[option] is not None and params[option] < 0:
        raise ValidationError("%s must be 0 or more" % option)
    return params[option]


def user_owned(keyset):
    """Not B2C's own keyset and not a portal backup: the user's to renew and to judge."""
    return not (keyset_names.is_service_managed(keyset["id"]) or keyset_names.is_backup(keyset["id"]))


class KeysetInfoResource(Resource):
    def desired(self):
        params = self.params
        name = keyset_names.normalize_name(params["name"]) if params["name"] is not None else None
        expected = None
        if params["expected"] is not None:
            names = [keyset_names.normalize_name(item, "expected") for item in params["expected"]]
            expected = list(dict((name.lower(), name) for name in names).values())  # once each, in any case
        return InfoRequest(
            name=name,
            active_key=params["active_key"],
            expiring_within_days=_at_least_zero(params, "expiring_within_days"),
            expected=expected,
            coverage_days=_at_least_zero(params, "coverage_days"),
            policies=params["policies"],
        )

    def failure_context(self, desired):
        return "Could not read keyset %s" % desired.name if desired.name else "Could not list keysets"

    def read(self, graph, desired):
        """``(keysets, keyset references or None)``: one request per named keyset, or the listing (its pages), and
        with ``policies`` the policy listing and one request per policy; the rules decide the rest locally."""
        if desired.name is None:
            keysets = service.list_keysets(graph)
        else:
            keyset = service.read_keyset(graph, desired.name)
            keysets = [keyset] if keyset is not None else []
        references = None
        if desired.policies:
            references = policy_service.read_keyset_references(graph, WITHOUT_POLICY_READ)
            if desired.name is not None:
                references = policy_keysets.references_to(references, desired.name)
        return keysets, references

    def outcome(self, current, desired, plan, applied):
        keysets, references = current
        present = set(keyset["id"].lower() for keyset in keysets)
        found = keysets
        if desired.expiring_within_days is not None:
            found = [
                keyset
                for keyset in found
                if user_owned(keyset) and key_rules.keyset_needs_renewal(keyset, desired.expiring_within_days, self.now)
            ]
        result = dict(keysets=[self.describe(keyset, desired, references) for keyset in found])
        if desired.expected is not None:
            result["missing"] = [name for name in desired.expected if name.lower() not in present]
        if references is not None:
            result["reference_problems"] = policy_keysets.reference_problems(references, keysets, self.now)
        return Outcome(changed=False, result=result)

    def describe(self, keyset, desired, references):
        now, keys = self.now, key_rules.keys_of(keyset)
        entry = key_summary.summarize_keyset(keyset, now)
        entry["service_managed"] = keyset_names.is_service_managed(keyset["id"])
        entry["backup"] = keyset_names.is_backup(keyset["id"])
        entry["next_key"] = key_summary.summarize_next_key(keys, now)
        active = key_summary.summarize_key(key_rules.active_key(keys, now), now)
        if desired.active_key:
            entry["active_key"] = active
        if desired.coverage_days is not None:
            problem = key_rules.coverage_problem(active, entry["next_key"], desired.coverage_days)
            judged = user_owned(keyset)
            entry["covered"] = problem is None if judged else None
            entry["coverage_problem"] = problem if judged else None
        if references is not None:
            entry["policies"] = policy_keysets.policies_using(references, keyset["id"])
        return entry
