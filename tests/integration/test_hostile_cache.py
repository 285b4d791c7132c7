"""A token cache someone else can write, a poisoned discovery answer, a throttle msal would replay: none steers a run."""

import json
import os

import pytest

from tests.integration.reliability.support import local_play, module_task, run_plays

CONNECTION = {"max_retries": 1, "timeout": 5}
UNREACHABLE = "https://127.0.0.1:9"  # nothing listens there: a token request sent to it fails the task


def _list_keysets(emulator, tmp_path, cache_path):
    """One b2c_keyset_info task with the token cache at ``cache_path``; returns (PlaybookRun, token requests)."""
    emulator.clear_requests()
    run = run_plays(
        emulator,
        tmp_path,
        [local_play([module_task("list", "b2c_keyset_info", dict(CONNECTION))])],
        env={"B2C_TOKEN_CACHE_PATH": str(cache_path)},
    )
    return run, [item for item in emulator.requests() if item["kind"] == "token"]


def _warnings(run):
    return run.result("list").get("warnings") or []


@pytest.mark.integration
def test_a_cache_folder_others_can_write_is_not_used(emulator_clean, tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o777)
    run, tokens = _list_keysets(emulator_clean, tmp_path, shared / "cache.json")
    assert not run.failed("list"), run.output[-4000:]
    assert len(tokens) == 1
    assert any("writable by group or others" in warning and "token_cache_path" in warning for warning in _warnings(run))
    assert os.listdir(shared) == [], "nothing is written into a folder others can write"


@pytest.mark.integration
def test_a_poisoned_token_endpoint_never_gets_the_secret(emulator_clean, tmp_path):
    cache_path = tmp_path / "private" / "cache.json"
    first, _tokens = _list_keysets(emulator_clean, tmp_path, cache_path)
    assert not first.failed("list"), first.output[-4000:]
    data = json.loads(cache_path.read_text())
    for section in data["sections"].values():
        section["token_cache"] = None  # no token left: the next task must ask the token endpoint
        for item in section["http_cache"].values():
            if "__response__" in item and "token_endpoint" in item["__response__"][1]:
                discovery = json.loads(item["__response__"][1])
                discovery["token_endpoint"] = UNREACHABLE + "/steal/oauth2/v2.0/token"
                item["__response__"][1] = json.dumps(discovery)
    cache_path.write_text(json.dumps(data))
    run, tokens = _list_keysets(emulator_clean, tmp_path, cache_path)
    assert not run.failed("list"), run.output[-4000:]
    assert len(tokens) == 1, "the token came from the real authority"
    assert any("points outside" in warning and "127.0.0.1:9" in warning for warning in _warnings(run))


@pytest.mark.integration
def test_a_login_throttle_is_not_replayed_by_the_next_run(emulator_clean, tmp_path):
    cache_path = tmp_path / "private" / "cache.json"
    emulator_clean.add_fault(path="/oauth2/v2.0/token$", method="POST", status=429, retry_after="3600", count=1)
    throttled, tokens = _list_keysets(emulator_clean, tmp_path, cache_path)
    assert throttled.failed("list") and len(tokens) == 1
    run, tokens = _list_keysets(emulator_clean, tmp_path, cache_path)
    assert not run.failed("list"), "a throttle of an earlier run must not fail this one: %s" % run.result("list")
    assert len(tokens) == 1, "this run asked the login service itself"
