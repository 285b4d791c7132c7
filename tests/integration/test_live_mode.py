"""`make test-live` works: run the live suite (tests/live) against the emulator as a stand-in tenant.

Proves that the suite skips cleanly without credentials, passes against a server, touches only keysets and
policies carrying its run prefix, and deletes them afterwards, also when a scenario fails; and that the policy case
reports whether the service handed back the uploaded bytes, both ways. A subset of the scenarios keeps this short;
`make test-live` with the emulator's variables runs all of them.
"""

import os
import re
import subprocess
import sys

import pytest

from tests.integration.playbook_runner import REPO_ROOT
from tests.integration.reliability.support import KEYSETS_PATH, graph

pytestmark = pytest.mark.integration

LIVE_SUITE = os.path.join(REPO_ROOT, "tests", "live")
KEYSET_PATH = KEYSETS_PATH + "/"
POLICIES_PATH = "/beta/trustFramework/policies"
POLICY_PATH = POLICIES_PATH + "/"
# The policy case's finding, as tests/live/test_live.py prints it after the tests.
POLICY_FINDING = re.compile(
    r"policy B2C_1A_LiveT\w+_Policy read back: bytes unchanged: (yes|no) "
    r"\(sha256 uploaded (\w+), returned (\w+)\); canonical form: equal;"
)


def live_suite(tmp_path, emulator, *options):
    """Run tests/live in a new pytest process; with an emulator, point the B2C_LIVE_* variables at it."""
    env = dict((k, v) for k, v in os.environ.items() if not k.startswith(("AZURE_", "B2C_")))
    if emulator is not None:
        env.update(
            B2C_LIVE_TENANT_ID=emulator.tenant,
            B2C_LIVE_CLIENT_ID=emulator.client_id,
            B2C_LIVE_CLIENT_SECRET=emulator.client_secret,
            B2C_GRAPH_ENDPOINT=emulator.url,
            AZURE_AUTHORITY_HOST=emulator.url,
            B2C_CA_PATH=emulator.ca_path,
        )
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-m",
        "live",
        "-rs",
        "--basetemp",
        str(tmp_path / "live"),
        LIVE_SUITE,
        *options,
    ]
    return subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)


def listed_ids(emulator, path):
    with graph(emulator) as client:
        response = client.get(path)
    response.raise_for_status()
    return [item["id"] for item in response.json()["value"]]


def keyset_ids(emulator):
    return listed_ids(emulator, KEYSETS_PATH)


def touched_names(log, path):
    return {entry["path"][len(path) :].split("/")[0] for entry in log if entry["path"].startswith(path)}


def policy_finding(run, emulator):
    """(bytes unchanged, uploaded sha256) of the finding; the hash is the one of the body the emulator received."""
    finding = POLICY_FINDING.search(run.stdout)
    assert finding, run.stdout[-12000:]
    unchanged, uploaded, returned = finding.groups()
    uploads = [entry["body"]["sha256"] for entry in emulator.requests("graph") if entry["method"] == "PUT"]
    assert uploads == [uploaded], (uploads, uploaded)
    assert (unchanged == "yes") == (uploaded == returned)
    return unchanged == "yes"


def test_without_credentials_every_test_is_skipped_and_says_why(tmp_path):
    run = live_suite(tmp_path, None)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "SKIPPED" in run.stdout and "passed" not in run.stdout
    assert "missing: B2C_LIVE_TENANT_ID, B2C_LIVE_CLIENT_ID, B2C_LIVE_CLIENT_SECRET" in run.stdout


def test_against_the_emulator_passes_and_leaves_nothing(emulator_clean, tmp_path):
    run = live_suite(tmp_path, emulator_clean, "-k", "keyset or generate-sig or report or policy")
    assert run.returncode == 0, run.stdout[-12000:] + run.stderr[-4000:]
    assert "4 passed" in run.stdout and "skipped" not in run.stdout
    log = emulator_clean.requests("graph")
    for path in (KEYSET_PATH, POLICY_PATH):
        touched = touched_names(log, path)
        assert touched and all(name.startswith("B2C_1A_LiveT") for name in touched), touched
        assert any(entry["method"] == "DELETE" and entry["path"].startswith(path) for entry in log), path
    assert keyset_ids(emulator_clean) == [] and listed_ids(emulator_clean, POLICIES_PATH) == []
    assert policy_finding(run, emulator_clean) is True  # the emulator's default: the text as uploaded


def test_the_policy_case_reports_a_reformatted_copy(emulator_clean, tmp_path):
    emulator_clean.set_policy_format(True)
    run = live_suite(tmp_path, emulator_clean, "-k", "policy")
    assert run.returncode == 0, run.stdout[-12000:] + run.stderr[-4000:]
    assert policy_finding(run, emulator_clean) is False
    assert listed_ids(emulator_clean, POLICIES_PATH) == []


def test_a_failed_scenario_still_deletes_its_keyset(emulator_clean, tmp_path):
    # generateKey refused: the keyset the module created first must not outlive the run.
    emulator_clean.add_fault(method="POST", path="/generateKey$", status=403, count=None)
    run = live_suite(tmp_path, emulator_clean, "-k", "generate-sig")
    assert run.returncode == 1, run.stdout[-12000:]
    assert "1 failed" in run.stdout
    assert any(
        entry["method"] == "POST" and entry["path"] == KEYSETS_PATH for entry in emulator_clean.requests("graph")
    ), "the scenario never created its keyset"
    assert keyset_ids(emulator_clean) == []
