"""Playbooks run in the emulator's shifted time: the modules see the same "now" as the service."""

import pytest

from tests.integration.reliability.support import local_play, module_task, run_plays

KEYSET = "ClockedSigning"


def _run(emulator, tmp_path, task):
    run = run_plays(emulator, tmp_path, [local_play([task], name="Clock")])
    assert run.process.returncode == 0, run.output[-4000:]
    return run.result(task["name"])


@pytest.mark.integration
def test_modules_follow_the_emulators_clock(emulator_clean, tmp_path):
    """A 30-day key, 20 days later: 9 whole days left (10 only if no time passed at all), in the module's view."""
    generated = _run(emulator_clean, tmp_path, module_task(
        "generate", "b2c_keyset_key", {"keyset": KEYSET, "create_keyset": True, "valid_days": 30}))
    assert generated["key"]["expires_in_days"] in (29, 30)

    emulator_clean.shift_clock(days=20)
    emulator_clean.clear_requests()
    info = _run(emulator_clean, tmp_path, module_task("info", "b2c_keyset_info", {"name": KEYSET}))

    keyset = info["keysets"][0]
    assert keyset["active_key"]["kid"] == generated["key"]["kid"]
    assert keyset["active_key"]["expires_in_days"] in (9, 10), keyset
    # The token cached by the first run (real time) had expired in shifted time: a new one was fetched.
    assert [entry["kind"] for entry in emulator_clean.requests(kind="token")] == ["token"]
