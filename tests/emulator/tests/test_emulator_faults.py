"""Injected faults: status + count, Retry-After, delay, drop, apply_then_fail, replication lag."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.emulator.errors import B2C_MESSAGES
from tests.emulator.tests.helpers import b2c_refusal, graph_error_code


def test_status_fault_affects_count_requests_then_stops(graph, emulator_clean):
    emulator_clean.add_fault(method="GET", path=r"/keySets$", status=503, count=2, retry_after="2")
    first, second, third = (graph.get("/keySets") for dummy in range(3))
    assert first.status_code == second.status_code == 503
    assert first.headers["Retry-After"] == "2" and graph_error_code(first) == "serviceNotAvailable"
    assert third.status_code == 200
    assert emulator_clean.faults() == []
    assert [entry["fault"] for entry in emulator_clean.requests(kind="graph")] == ["status", "status", None]


def test_fault_with_custom_code_and_method_filter(graph, emulator_clean):
    emulator_clean.add_fault(method="POST", path="keySets", status=429, code="activityLimitReached", retry_after="1")
    assert graph.get("/keySets").status_code == 200  # GET does not match a POST fault
    response = graph.post("/keySets", json={"id": "x"})
    assert response.status_code == 429 and graph_error_code(response) == "activityLimitReached"
    assert graph.get("/keySets").json()["value"] == []  # the faulted create did not happen


def test_unlimited_fault_until_cleared(graph, emulator_clean):
    emulator_clean.add_fault(path="keySets", status=500, count=None)
    assert all(graph.get("/keySets").status_code == 500 for dummy in range(3))
    emulator_clean.clear_faults()
    assert graph.get("/keySets").status_code == 200


def test_delay_fault(graph, emulator_clean):
    emulator_clean.add_fault(path="keySets$", delay_ms=300)
    started = time.monotonic()
    response = graph.get("/keySets")
    assert response.status_code == 200 and time.monotonic() - started >= 0.3


def test_drop_fault_closes_connection_without_response(graph, emulator_clean):
    emulator_clean.add_fault(path="keySets$", drop=True)
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        graph.get("/keySets")
    assert graph.get("/keySets").status_code == 200  # a new connection works
    dropped = emulator_clean.requests(kind="graph")[0]
    assert dropped["fault"] == "drop" and dropped["status"] is None


def test_apply_then_fail_changes_state_yet_answers_500(graph, keyset, emulator_clean):
    emulator_clean.add_fault(method="POST", path="generateKey$", apply_then_fail=True)
    response = graph.post(f"/keySets/{keyset}/generateKey", json={"use": "sig", "kty": "RSA"})
    assert response.status_code == 500 and graph_error_code(response) == "generalException"
    assert len(graph.get(f"/keySets/{keyset}").json()["keys"]) == 1


def test_apply_then_fail_with_status(graph, emulator_clean):
    emulator_clean.add_fault(method="POST", path="keySets$", apply_then_fail=True, status=504)
    assert graph.post("/keySets", json={"id": "Made"}).status_code == 504
    assert graph.get("/keySets/B2C_1A_Made").status_code == 200


def test_replication_lag_hides_new_keyset_from_reads(graph, emulator_clean):
    emulator_clean.add_fault(method="POST", path="keySets$", replication_lag_ms=400)
    assert graph.post("/keySets", json={"id": "Lagging"}).status_code == 201
    assert b2c_refusal(graph.get("/keySets/B2C_1A_Lagging")) == "AADB2C90073"  # what the real service says (7.1)
    assert graph.get("/keySets").json()["value"] == []
    time.sleep(0.45)
    assert graph.get("/keySets/B2C_1A_Lagging").status_code == 200


@pytest.mark.parametrize(
    "code, status",
    [
        ("AADB2C95043", 400),
        ("AADB2C95043", 429),  # throttled, with or without 429 (B2C error-code reference)
        ("AADB2C90244", 400),
        ("AADB2C90244", 429),
        ("AADB2C90229", 400),
        ("AADB2C90229", 429),
        ("AADB2C95053", 400),  # concurrent writes to the same object
    ],
)
def test_fault_injects_b2c_codes_in_the_b2c_body(graph, keyset, emulator_clean, code, status):
    emulator_clean.add_fault(method="POST", path="generateKey$", status=status, code=code, retry_after="3")
    response = graph.post(f"/keySets/{keyset}/generateKey", json={"use": "sig", "kty": "RSA"})
    assert b2c_refusal(response, status) == code  # also checks innerError.correlationId
    assert response.json()["error"]["message"] == B2C_MESSAGES[code] and response.headers["Retry-After"] == "3"
    assert graph.get(f"/keySets/{keyset}").json()["keys"] == []


@pytest.mark.parametrize("apply_then_fail, keys_after", [(False, 0), (True, 1)])
def test_fault_injects_internal_error_500_on_upload_secret(graph, keyset, emulator_clean, apply_then_fail, keys_after):
    # Real service: AADB2C90063 as HTTP 500, intermittently on uploadSecret (microsoft-graph-docs-contrib #2254,
    # Azure/azure-cli #17741); with apply_then_fail the key was added all the same (an ambiguous failure).
    emulator_clean.add_fault(
        method="POST", path="uploadSecret$", status=500, code="AADB2C90063", apply_then_fail=apply_then_fail
    )
    response = graph.post(f"/keySets/{keyset}/uploadSecret", json={"use": "sig", "k": "s3cret"})
    assert b2c_refusal(response, 500) == "AADB2C90063"
    assert response.json()["error"]["message"] == "The B2C service has an internal error."
    assert len(graph.get(f"/keySets/{keyset}").json()["keys"]) == keys_after


def test_fault_on_token_endpoint_has_oauth_shape(anonymous, emulator_clean):
    emulator_clean.add_fault(path="/oauth2/v2.0/token$", status=503, retry_after="1")
    response = anonymous.post(f"/{emulator_clean.tenant}/oauth2/v2.0/token", data={})
    assert response.status_code == 503 and response.json()["error"] and response.headers["Retry-After"] == "1"


@pytest.mark.parametrize(
    "fault",
    [
        {"status": 500},  # no path
        {"path": "x"},  # no effect
        {"path": "(", "status": 500},  # bad regex
        {"path": "x", "status": 500, "colour": 1},  # unknown field
        {"path": "x", "drop": True, "status": 500},  # contradictory
        {"path": "x", "status": 500, "count": 0},
        {"path": "x", "code": "AADB2C95043", "delay_ms": 5},  # a code without a failure to carry it
    ],
)
def test_invalid_faults_are_refused(anonymous, fault):
    response = anonymous.post("/_emulator/faults", json=fault)
    assert response.status_code == 400 and response.json()["error"]


def test_faults_accept_a_list_and_list_back(anonymous, emulator_clean):
    response = anonymous.post("/_emulator/faults", json=[{"path": "a", "status": 500}, {"path": "b", "delay_ms": 5}])
    assert response.status_code == 201 and len(response.json()) == 2
    assert [fault["path"] for fault in emulator_clean.faults()] == ["a", "b"]
    assert anonymous.delete("/_emulator/faults").status_code == 204 and emulator_clean.faults() == []


def test_a_fault_message_needs_a_failure(emulator_clean):
    with pytest.raises(httpx.HTTPStatusError):
        emulator_clean.add_fault(path="keySets$", delay_ms=10, message="no status to carry it")
