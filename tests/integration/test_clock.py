"""Playbooks run in the emulator's shifted time: the modules see the same "now" as the service."""

import os

import pytest

from tests.integration.playbook_runner import REPO_ROOT, run_playbook
from tests.integration.reliability.support import local_play, module_task, read_keyset, run_plays

KEYSET = "ClockedSigning"


def _run(emulator, tmp_path, task):
    run = run_plays(emulator, tmp_path, [local_play([task], name="Clock")])
    assert run.process.returncode == 0, run.output[-4000:]
    return run.result(task["name"])


@pytest.mark.integration
def test_modules_follow_the_emulators_clock(emulator_clean, tmp_path):
    """A 30-day key, 20 days later: 9 whole days left (10 only if no time passed at all), in the module's view."""
    generated = _run(
        emulator_clean,
        tmp_path,
        module_task("generate", "b2c_keyset_key", {"keyset": KEYSET, "create_keyset": True, "valid_days": 30}),
    )
    assert generated["key"]["expires_in_days"] in (29, 30)

    emulator_clean.shift_clock(days=20)
    emulator_clean.clear_requests()
    info = _run(emulator_clean, tmp_path, module_task("info", "b2c_keyset_info", {"name": KEYSET}))

    keyset = info["keysets"][0]
    assert keyset["active_key"]["kid"] == generated["key"]["kid"]
    assert keyset["active_key"]["expires_in_days"] in (9, 10), keyset
    # The token cached by the first run (real time) had expired in shifted time: a new one was fetched.
    assert [entry["kind"] for entry in emulator_clean.requests(kind="token")] == ["token"]


@pytest.mark.integration
def test_an_ordinary_staged_renewal_warns_of_nothing(emulator_clean, tmp_path):
    """rotate.yml stages by default: a 30-day key renewed 10 days before it expires has the whole 7-day lead."""
    rotate = os.path.join(REPO_ROOT, "playbooks", "rotate.yml")
    options = ("-e", "valid_days=30", "-e", "renew_before_days=14", "-e", "activate_in_days=7")
    first = run_playbook(emulator_clean, tmp_path, rotate, *options)
    assert first.returncode == 0, first.stdout[-4000:]
    emulator_clean.shift_clock(days=20)
    renewal = run_playbook(emulator_clean, tmp_path, rotate, *options)
    assert renewal.returncode == 0, renewal.stdout[-4000:]
    assert len(read_keyset(emulator_clean, "TokenSigningKeyContainer")["keys"]) == 2, "the renewal added a successor"
    assert "sooner than activate_in_days" not in renewal.stdout + renewal.stderr
    assert "[WARNING]" not in renewal.stdout + renewal.stderr, renewal.stdout[-4000:]
