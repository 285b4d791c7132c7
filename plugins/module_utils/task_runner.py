# -*- coding: utf-8 -*-
# Copyright: b2c.trustframework contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one way a task runs: validate -> read -> plan -> (check mode or nothing to do: stop) -> lock ->
read and plan again -> apply -> result and diff.

A module hands its task to :func:`run_task` with a :class:`Resource`: the
resource knows what it manages (its options, its reads, its decisions, its
writes, its return values); the runner owns check mode, the controller lock,
the re-read under the lock, warnings, the failure context and the result.
"""

from __future__ import annotations

import contextlib
import time
from typing import NamedTuple

from ansible_collections.b2c.trustframework.plugins.module_utils.errors import B2CError

INVALID_OPTIONS = "Invalid options"


class Outcome(NamedTuple):
    """What a task reports: the return values besides ``changed`` and ``diff``.

    ``diff`` is shown in diff mode only (``{"before": ..., "after": ...}``).
    ``failure`` turns the result into a failed one that still carries the
    return values: a write that happened but left something unusable.
    """

    changed: bool
    result: dict
    diff: dict | None = None
    failure: str | None = None


class NothingToDo(NamedTuple):
    """The plan of a read-only resource."""

    changed: bool = False


class Resource:
    """What one kind of task manages (a keyset, a key, a policy, a set of policies), for :func:`run_task`.

    A module defines a subclass and passes an instance built from its options.
    Every method may raise ``B2CError``; the runner turns it into ``fail_json``
    with :meth:`failure_context` (or "Invalid options" from :meth:`desired`).
    None of the methods calls ``exit_json``, ``fail_json`` or ``warn``:
    warnings are appended to ``self.warnings`` and shown by the runner.

    - ``kind``: names the lock ("keyset", "policy"); ids of one kind share
      one lock namespace, so a policy task and a policy-set task that write
      the same policy exclude each other.
    - :meth:`desired`: the desired state from ``self.params``, with every
      local check done (no request yet).
    - :meth:`failure_context`: "Could not ..." for messages of failures
      after validation.
    - :meth:`lock_ids`: the ids written when the plan is carried out (a
      policy set returns each of its policy ids; the runner takes them in a
      fixed order, so two sets cannot deadlock). An empty list: no lock.
    - :meth:`read`: the current state (None when missing), Graph reads only.
    - :meth:`plan`: pure decision from ``current`` and ``desired``; the
      returned object has ``changed`` (nothing else is read by the runner).
    - :meth:`apply`: carry out a changed plan and return what the writes
      produced, read back once the writes are visible (settled). Called
      under the lock, after a second :meth:`read` and :meth:`plan`.
    - :meth:`outcome`: the :class:`Outcome` from ``current`` (the last read),
      the plan and what :meth:`apply` returned (None in check mode or when
      nothing was to do: then the plan's prediction is the result).
    - :meth:`failure_details`: extra return values for a failure (a policy
      set says which policies were uploaded before one was refused).

    ``self.now`` is the task's clock (epoch seconds), read once.
    """

    kind = None

    def __init__(self, params, now=None):
        self.params = params
        self.now = time.time() if now is None else now
        self.warnings = []

    def desired(self):
        raise NotImplementedError

    def failure_context(self, desired):
        raise NotImplementedError

    def lock_ids(self, desired):
        return []

    def read(self, graph, desired):
        raise NotImplementedError

    def plan(self, current, desired):
        return NothingToDo()

    def apply(self, graph, current, desired, plan):
        raise NotImplementedError

    def outcome(self, current, desired, plan, applied):
        raise NotImplementedError

    def failure_details(self, error):
        return {}


def run_task(module, resource):
    """Run one task of ``module`` (a B2CModule) on ``resource``; ends with exit_json or fail_json."""
    try:
        desired = resource.desired()
    except B2CError as error:
        _fail(module, resource, error, INVALID_OPTIONS)
    context = resource.failure_context(desired)
    try:
        outcome = _decide_and_apply(module, resource, desired)
    except B2CError as error:
        _fail(module, resource, error, context)
    _show_warnings(module, resource)
    result = dict(outcome.result, changed=outcome.changed)
    if module._diff and outcome.diff is not None:
        result["diff"] = outcome.diff
    if outcome.failure:
        module.fail_json(msg="%s: %s" % (context, outcome.failure), **result)
    module.exit_json(**result)


def _decide_and_apply(module, resource, desired):
    graph = module.graph
    current = resource.read(graph, desired)
    plan = resource.plan(current, desired)
    applied = None
    if plan.changed and not module.check_mode:
        with _locks(module, resource.kind, resource.lock_ids(desired)):
            # Another fork or run may have written while we read: read and decide again, holding the lock.
            current = resource.read(graph, desired)
            plan = resource.plan(current, desired)
            if plan.changed:
                applied = resource.apply(graph, current, desired, plan)
    return resource.outcome(current, desired, plan, applied)


@contextlib.contextmanager
def _locks(module, kind, ids):
    """Hold the controller lock of every id (task_lock.py), taken in one order by every task."""
    # Imported here: a task with nothing to write never needs the lock code.
    from ansible_collections.b2c.trustframework.plugins.module_utils.task_lock import (
        lock_path,
        resource_lock,
        tenant_named_by,
    )

    settings = module.connection
    tenant = getattr(settings.credential, "tenant_id", None)
    try:  # the token was obtained by the read before: one spelling of the tenant, whichever the task gave
        tenant = tenant_named_by(module.graph.token_provider.get_token()) or tenant
    except B2CError:
        pass
    warnings = []
    with contextlib.ExitStack() as stack:
        unique = dict((resource_id.lower(), resource_id) for resource_id in ids)  # ids compare case-insensitively
        for folded in sorted(unique):
            resource_id = unique[folded]
            path = lock_path(settings.token_cache_path, settings.endpoints.graph_root, tenant, kind, resource_id)
            stack.enter_context(resource_lock(path, kind, resource_id, warnings))
        for warning in warnings:
            module.warn(warning)
        yield


def _show_warnings(module, resource):
    for warning in resource.warnings:
        module.warn(warning)
    del resource.warnings[:]


def _fail(module, resource, error, context):
    _show_warnings(module, resource)
    module.fail_b2c(error, context, **resource.failure_details(error))
