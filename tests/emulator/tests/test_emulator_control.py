"""Control API, request log redaction, start-up options and persistence across restarts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from tests.emulator.pytest_plugin import REPO_ROOT, EmulatorProcess
from tests.support.graph import emulator_client


def test_request_log_fields_and_redaction(anonymous, graph, emulator_clean):
    secret_values = ["emulator-secret", "TOP-SECRET-K", "pfx-password", "qs-secret"]
    anonymous.post(
        f"/{emulator_clean.tenant}/oauth2/v2.0/token?client_secret=qs-secret",
        data={
            "grant_type": "client_credentials",
            "client_id": emulator_clean.client_id,
            "client_secret": emulator_clean.client_secret,
            "scope": "https://graph.microsoft.com/.default",
        },
    )
    graph.post("/keySets", json={"id": "Logged"}, headers={"client-request-id": "trace-me"})
    graph.post("/keySets/B2C_1A_Logged/uploadSecret", json={"use": "sig", "k": "TOP-SECRET-K"})
    graph.post("/keySets/B2C_1A_Logged/uploadPkcs12", json={"key": "AAAA", "password": "pfx-password"})
    entries = emulator_clean.requests()
    text = json.dumps(entries)
    for secret in secret_values + [graph.headers["Authorization"].split()[1]]:
        assert secret not in text
    assert [entry["kind"] for entry in entries] == ["token", "graph", "graph", "graph"]
    assert entries[0]["query"] == "client_secret=REDACTED"
    assert entries[1]["client_request_id"] == "trace-me" and entries[1]["status"] == 201
    assert set(entries[1]) >= {"seq", "time", "method", "path", "query", "status", "client_request_id", "kind"}
    assert [entry["seq"] for entry in entries] == sorted(entry["seq"] for entry in entries)
    assert emulator_clean.requests(kind="token") == entries[:1]


def test_control_calls_are_not_logged_and_log_clears(graph, emulator_clean):
    graph.get("/keySets")
    emulator_clean.faults()
    emulator_clean.mint_token()
    assert [entry["kind"] for entry in emulator_clean.requests()] == ["graph"]
    emulator_clean.clear_requests()
    assert emulator_clean.requests() == []


def test_reset_clears_keysets_faults_and_log(graph, emulator_clean):
    graph.post("/keySets", json={"id": "Gone"})
    emulator_clean.add_fault(path="nothing-matches", status=500)
    emulator_clean.reset()
    assert emulator_clean.faults() == [] and emulator_clean.requests() == []
    assert graph.get("/keySets").json()["value"] == []


def test_env_for_playbooks(emulator):
    env = emulator.env()
    assert env["B2C_GRAPH_ENDPOINT"] == env["AZURE_AUTHORITY_HOST"] == emulator.url
    assert env["B2C_CA_PATH"] == emulator.ca_path and os.path.exists(emulator.ca_path)
    assert env["AZURE_TENANT_ID"] == emulator.tenant and env["AZURE_CLIENT_SECRET"] == emulator.client_secret


def test_state_ca_and_tokens_survive_restart(tmp_path):
    state_dir = str(tmp_path / "state")
    with EmulatorProcess(state_dir=state_dir, extra_args=["--page-size", "2"]) as emu:
        token = emu.mint_token()
        with open(emu.ca_path, "rb") as handle:
            ca_before = handle.read()
        with emulator_client(emu, token=token) as graph:
            graph.post("/keySets", json={"id": "Durable"})
            graph.post("/keySets/B2C_1A_Durable/generateKey", json={"use": "sig", "kty": "RSA"})
        emu.restart()
        with open(emu.ca_path, "rb") as handle:
            assert handle.read() == ca_before
        with emulator_client(emu, token=token) as graph:  # the old token still verifies: the signing key persisted
            keys = graph.get("/keySets/B2C_1A_Durable").json()["keys"]
        assert len(keys) == 1 and keys[0]["kty"] == "RSA"


def test_startup_options_page_size_fault_and_latency(tmp_path):
    fault = json.dumps({"method": "GET", "path": "keySets$", "status": 503, "count": 1})
    args = ["--page-size", "1", "--fault", fault, "--latency-ms", "50", "--token-lifetime", "120"]
    with EmulatorProcess(state_dir=str(tmp_path), extra_args=args) as emu:
        with emulator_client(emu) as graph:
            assert graph.get("/keySets").status_code == 503
            graph.post("/keySets", json={"id": "A"})
            graph.post("/keySets", json={"id": "B"})
            started = time.monotonic()
            page = graph.get("/keySets").json()
            assert time.monotonic() - started >= 0.05
        assert len(page["value"]) == 1 and "@odata.nextLink" in page
        assert emu.info()["token_lifetime"] == 120


def test_sigterm_exits_cleanly(tmp_path):
    emu = EmulatorProcess(state_dir=str(tmp_path)).start()
    process = emu.process
    emu.stop()
    assert process.returncode == 0


def test_bad_fault_option_fails_fast(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.emulator",
            "--port",
            "0",
            "--state-dir",
            str(tmp_path),
            "--fault",
            '{"path": "x"}',
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )
    assert result.returncode != 0 and "--fault" in result.stderr
