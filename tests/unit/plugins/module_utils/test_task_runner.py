"""task_runner.py: check mode writes nothing, the plan is made again under the lock, failures carry their context."""

import os
from types import SimpleNamespace

import pytest

from ansible_collections.b2c.trustframework.plugins.module_utils import task_runner
from ansible_collections.b2c.trustframework.plugins.module_utils.errors import B2CError, ValidationError
from ansible_collections.b2c.trustframework.plugins.module_utils.task_runner import Outcome, Resource, run_task


class Ended(Exception):
    def __init__(self, result):
        super().__init__(result)
        self.result = result


class FakeModule:
    """The part of B2CModule the runner uses."""

    def __init__(self, tmp_path, check_mode=False, diff=False):
        self.graph = SimpleNamespace(token_provider=SimpleNamespace(get_token=lambda: "opaque-token"))
        self.check_mode, self._diff = check_mode, diff
        self.connection = SimpleNamespace(
            token_cache_path=str(tmp_path / "tokens.json"),
            endpoints=SimpleNamespace(graph_root="https://graph.invalid"),
            credential=SimpleNamespace(tenant_id="t1"),
        )
        self.warnings = []
        self.lock_dir = tmp_path / "locks"

    def warn(self, warning):
        self.warnings.append(warning)

    def exit_json(self, **result):
        raise Ended(dict(result, failed=False))

    def fail_json(self, msg, **result):
        raise Ended(dict(result, msg=msg, failed=True))

    def fail_b2c(self, error, context, **details):
        self.fail_json("%s: %s" % (context, error), **details)


class Counter(Resource):
    """A resource whose state is a number the task wants to be ``want``; every call is recorded."""

    kind = "counter"

    def __init__(self, params, module, states):
        super().__init__(params, now=0)
        self.module, self.states, self.calls = module, list(states), []

    def desired(self):
        if self.params["want"] < 0:
            raise ValidationError("want must be 0 or more")
        self.warnings.append("desired built")
        return self.params["want"]

    def failure_context(self, desired):
        return "Could not count to %d" % desired

    def lock_ids(self, desired):
        return ["B", "a", "A"]

    def read(self, graph, desired):
        locked = self.module.lock_dir.exists() and bool(os.listdir(self.module.lock_dir))
        self.calls.append(("read", locked))
        return self.states.pop(0)

    def plan(self, current, desired):
        self.calls.append(("plan", current))
        return SimpleNamespace(changed=current != desired, current=current)

    def apply(self, graph, current, desired, plan):
        self.calls.append(("apply", current))
        if self.params.get("refuse"):
            raise B2CError("the service said no")
        return desired

    def outcome(self, current, desired, plan, applied):
        after = desired if applied is None and plan.changed else (applied if applied is not None else current)
        return Outcome(changed=plan.changed, result=dict(value=after), diff=dict(before=current, after=after))

    def failure_details(self, error):
        return dict(value=None)


def run(tmp_path, states, check_mode=False, diff=False, **params):
    module = FakeModule(tmp_path, check_mode=check_mode, diff=diff)
    resource = Counter(dict(dict(want=2), **params), module, states)
    with pytest.raises(Ended) as ended:
        run_task(module, resource)
    return ended.value.result, resource.calls, module


def test_check_mode_reads_and_plans_once_and_writes_nothing(tmp_path):
    result, calls, module = run(tmp_path, [1], check_mode=True, diff=True)
    assert calls == [("read", False), ("plan", 1)]
    assert result == dict(changed=True, value=2, diff=dict(before=1, after=2), failed=False)
    assert not module.lock_dir.exists(), "check mode takes no lock"
    assert module.warnings == ["desired built"]


def test_nothing_to_do_takes_no_lock_and_shows_no_diff_without_diff_mode(tmp_path):
    result, calls, module = run(tmp_path, [2])
    assert calls == [("read", False), ("plan", 2)]
    assert result == dict(changed=False, value=2, failed=False)
    assert not module.lock_dir.exists()


def test_a_write_reads_and_plans_again_under_the_lock(tmp_path):
    result, calls, module = run(tmp_path, [1, 0])
    assert calls == [("read", False), ("plan", 1), ("read", True), ("plan", 0), ("apply", 0)]
    assert result["changed"] is True and result["value"] == 2
    assert len(os.listdir(module.lock_dir)) == 2, "ids compare case-insensitively: A and a are one lock"


def test_a_change_made_by_another_writer_meanwhile_is_not_applied_again(tmp_path):
    result, calls, unused_module = run(tmp_path, [1, 2])
    assert calls == [("read", False), ("plan", 1), ("read", True), ("plan", 2)]
    assert result["changed"] is False


def test_a_failure_carries_the_context_the_details_and_the_warnings(tmp_path):
    result, calls, module = run(tmp_path, [1, 1], refuse=True)
    assert calls[-1] == ("apply", 1)
    assert result == dict(msg="Could not count to 2: the service said no", value=None, failed=True)
    assert module.warnings == ["desired built"]


def test_invalid_options_fail_before_any_read(tmp_path):
    result, calls, unused_module = run(tmp_path, [1], want=-1)
    assert calls == []
    assert result["failed"] and result["msg"] == task_runner.INVALID_OPTIONS + ": want must be 0 or more"


def test_an_outcome_failure_fails_with_the_return_values(tmp_path):
    class Unusable(Counter):
        def outcome(self, current, desired, plan, applied):
            return Outcome(changed=True, result=dict(value=applied), failure="it arrived broken")

    module = FakeModule(tmp_path)
    with pytest.raises(Ended) as ended:
        run_task(module, Unusable(dict(want=2), module, [1, 1]))
    assert ended.value.result == dict(msg="Could not count to 2: it arrived broken", changed=True, value=2, failed=True)


def test_the_lock_is_held_while_the_plan_is_applied(tmp_path):
    from ansible_collections.b2c.trustframework.plugins.module_utils.task_lock import (
        LockTimeout,
        lock_path,
        resource_lock,
    )

    held = []

    class Probe(Counter):
        def apply(self, graph, current, desired, plan):
            path = lock_path(str(tmp_path / "tokens.json"), "https://graph.invalid", "t1", "counter", "a")
            with pytest.raises(LockTimeout):
                with resource_lock(path, "counter", "a", [], wait=0):
                    pass  # pragma: no cover
            held.append(path)
            return desired

    module = FakeModule(tmp_path)
    with pytest.raises(Ended):
        run_task(module, Probe(dict(want=2), module, [1, 1]))
    assert held
