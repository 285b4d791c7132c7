"""Run a module's main() with patched args and a FakeGraph instead of the real Graph client."""

import json
import time
from unittest import mock

import pytest
from ansible.module_utils import basic

from ansible_collections.b2c.trustframework.plugins.module_utils.module import B2CModule
from tests.unit.module_args import patch_module_args
from tests.unit.plugins.module_utils.fake_policy_graph import FakePolicyGraph

CONNECTION = {"access_token": "unit-test-token", "graph_endpoint": "https://graph.invalid"}


class ModuleExit(Exception):
    def __init__(self, result, failed):
        super().__init__(result)
        self.result = dict(result, failed=failed)


def _exit_json(self, **kwargs):
    raise ModuleExit(kwargs, failed=False)


def _fail_json(self, msg, **kwargs):
    raise ModuleExit(dict(kwargs, msg=msg), failed=True)


@pytest.fixture(autouse=True)
def private_cache_home(tmp_path, monkeypatch):
    """Keyset locks (next to the default token cache) go under the test's own folder."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache-home"))


@pytest.fixture
def graph():
    """A tenant's keysets and custom policies, empty: a test adds what it needs."""
    return FakePolicyGraph(now=int(time.time()))


@pytest.fixture
def run_module(graph):
    """run_module(module, check_mode=False, diff=False, **args) -> result dict (raw, before Ansible's masking).

    The raw result is checked on purpose: Ansible would mask no_log values in the
    printed output, which would hide a leak in our own return values.
    """

    def run(module, check_mode=False, diff=False, **args):
        params = dict(CONNECTION, _ansible_check_mode=check_mode, _ansible_diff=diff, **args)
        warnings = []
        with (
            patch_module_args(params),
            mock.patch.object(basic.AnsibleModule, "warn", lambda self, warning: warnings.append(warning)),
            mock.patch.object(B2CModule, "graph", new_callable=mock.PropertyMock, return_value=graph),
            mock.patch.object(basic.AnsibleModule, "exit_json", _exit_json),
            mock.patch.object(basic.AnsibleModule, "fail_json", _fail_json),
        ):
            with pytest.raises(ModuleExit) as info:
                module.main()
        result = info.value.result
        if warnings:
            result["warnings"] = warnings  # as Ansible reports them
        json.dumps(result)  # must be serialisable
        return result

    return run
