"""Fault matrix: every case is a b2c_keyset_key task of ONE playbook run against the emulator.

Each case owns a keyset (its name), so its requests can be told apart in the emulator's
request log. Faults are installed by a uri task right before the case's task, so a
Retry-After given as an HTTP date is fresh and a fault on the shared create or token
path hits exactly that case. The module tests then check, per case, that the run
converged, that the keyset holds exactly the intended key, and that the retry waited
as long as the server asked: the wait the client chose (recorded by
reliability/retry_wait_recorder) is the one asked for, and the emulator's log shows
the retry no earlier than that.
"""

import dataclasses
import email.utils
import json
import os

import pytest

from tests.integration.reliability.support import (
    RELIABILITY_DIR,
    add_faults_task,
    create_keyset,
    for_keyset,
    kids,
    local_play,
    module_task,
    read_keyset,
    request_ended,
    request_started,
    run_plays,
)
from tests.support.certs import b64, pem, pfx, self_signed, x5t

PFX_PASSWORD = "faults-pfx-password"
# Retries fast enough for a test, slow enough to tell a wait from none.
CONNECTION = {"max_retries": 3, "timeout": 5}
SHORT_TIMEOUT = 1.0
SLACK = 0.05  # the log keeps milliseconds; clocks are the same machine
BACKOFF_FIRST = (0.5, 1.0)  # retry.py: first backoff is uniform(ceiling/2, ceiling), ceiling 1 s
ONE_SECOND = (1.0, 1.0)
RECORDER_DIR = os.path.join(RELIABILITY_DIR, "retry_wait_recorder")
# Whole seconds only: 3 s after the fault is installed. On a quiet machine the task reaches the throttled
# request before that date and must wait for it; on a busy one the date may have passed, and then the
# module must retry without waiting. Either way the test compares the wait the module chose with what
# the date still asked for when the emulator answered.
HTTP_DATE_SOON = "{{ '%a, %d %b %Y %H:%M:%S GMT' | strftime(second=(now(utc=true).timestamp() | int) + 3, utc=true) }}"


@dataclasses.dataclass(frozen=True)
class FaultCase:
    """One row of the matrix: one fault (its path may use {name}, the case's keyset) and the key to ensure through it."""

    name: str
    fault: dict
    source: str = "generate"
    options: tuple = ()  # extra module options as (name, value) pairs
    asked_wait: tuple = None  # (min, max) seconds the client must wait before the retry
    # Where the wait starts: "answer" (the faulted request ended), "timeout" (the client gave up on it:
    # sent + the timeout), or "http-date" (the wait lasts until the Retry-After date).
    wait_from: str = "answer"
    fails_with: tuple = ()  # message fragments of a case that cannot converge

    @property
    def converges(self):
        return not self.fails_with

    @property
    def waits_before_retry(self):
        return self.asked_wait is not None or self.wait_from == "http-date"

    @property
    def applies_then_fails(self):
        return self.fault.get("apply_then_fail", False)


def on_keyset(method, **effect):
    return dict(effect, method=method, path="/B2C_1A_{name}$")


def on_action(action, **effect):
    return dict(effect, method="POST", path="/B2C_1A_{name}/%s$" % action)


def on_create(**effect):
    return dict(effect, method="POST", path="/trustFramework/keySets$")


def on_token(**effect):
    return dict(effect, method="POST", path="/oauth2/v2.0/token$")


SHORT_TIMEOUT_OPTION = (("timeout", SHORT_TIMEOUT),)

CASES = [
    FaultCase("RelThrottledSeconds", on_action("generateKey", status=429, retry_after="1"), asked_wait=ONE_SECOND),
    FaultCase("RelThrottledHttpDate", on_keyset("GET", status=429, retry_after=HTTP_DATE_SOON), wait_from="http-date"),
    FaultCase("RelUnavailable", on_keyset("GET", status=503, retry_after="1"), asked_wait=ONE_SECOND),
    FaultCase("RelGatewayTimeout", on_keyset("GET", status=504), asked_wait=BACKOFF_FIRST),
    FaultCase("RelUnavailableOnGenerate", on_action("generateKey", status=503)),
    FaultCase("RelDroppedRead", on_keyset("GET", drop=True), asked_wait=BACKOFF_FIRST),
    FaultCase("RelDroppedGenerate", on_action("generateKey", drop=True)),
    FaultCase(
        "RelReadTimeout",
        on_keyset("GET", delay_ms=int(SHORT_TIMEOUT * 1000) + 1500),
        options=SHORT_TIMEOUT_OPTION,
        asked_wait=BACKOFF_FIRST,
        wait_from="timeout",
    ),
    FaultCase(
        "RelReadTimeoutOnGenerate",
        on_action("generateKey", delay_ms=int(SHORT_TIMEOUT * 1000) + 1000),
        options=SHORT_TIMEOUT_OPTION,
    ),
    FaultCase("RelAppliedGenerate", on_action("generateKey", apply_then_fail=True)),
    FaultCase("RelAppliedSecret", on_action("uploadSecret", apply_then_fail=True), source="secret"),
    FaultCase("RelAppliedCertificate", on_action("uploadCertificate", apply_then_fail=True), source="certificate"),
    FaultCase("RelAppliedPkcs12", on_action("uploadPkcs12", apply_then_fail=True, status=502), source="pkcs12"),
    FaultCase("RelLaggedCreate", on_create(replication_lag_ms=1500)),
    FaultCase(
        "RelTokenEndpointBlip",
        on_token(status=503, retry_after="1"),
        options=(("token_cache_path", ""),),
        asked_wait=ONE_SECOND,
    ),
    FaultCase(
        "RelPersistentRead",
        on_keyset("GET", status=503, retry_after="1", count=None),
        options=(("max_retries", 2),),
        fails_with=("HTTP 503", "after 2 retries", "try again later or raise max_retries"),
    ),
    FaultCase(
        "RelPersistentGenerate",
        on_action("generateKey", status=503, count=None),
        fails_with=("HTTP 503", "generateKey", "re-read the current state before retrying"),
    ),
]


def _key_options(case, material):
    by_source = {
        "generate": {},
        "secret": {"source": "secret", "secret": "faults-secret-value"},
        "certificate": {"source": "certificate", "certificate": material["certificate"]},
        "pkcs12": {"source": "pkcs12", "pkcs12": material["pkcs12"], "pkcs12_password": PFX_PASSWORD},
    }
    return dict(CONNECTION, keyset=case.name, **by_source[case.source], **dict(case.options))


def _case_tasks(case, emulator, material):
    """Install the case's fault, run the case, remove what is left of the fault (count null)."""
    installed = dict({"count": 1}, **case.fault)
    installed["path"] = installed["path"].format(name=case.name)
    return [
        add_faults_task("faults " + case.name, emulator, [installed]),
        module_task("case " + case.name, "b2c_keyset_key", _key_options(case, material), ignore_errors=True),
        {
            "name": "clear faults " + case.name,
            "ansible.builtin.uri": {
                "url": emulator.url + "/_emulator/faults",
                "method": "DELETE",
                "ca_path": emulator.ca_path,
                "status_code": 204,
            },
        },
    ]


@pytest.fixture(scope="module")
def key_material():
    key, cert = self_signed("faults-certificate")
    pfx_key, pfx_cert = self_signed("faults-pkcs12")
    return {
        "certificate": pem(cert),
        "certificate_x5t": x5t(cert),
        "pkcs12": b64(pfx(pfx_key, pfx_cert, PFX_PASSWORD)),
        "pkcs12_x5t": x5t(pfx_cert),
    }


JWT_PATTERN = r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+"
STALE_CACHE_KEYSET = "RelStaleCachedToken"
EXPIRED_ACCESS_TOKEN_KEYSET = "RelExpiredAccessToken"


def _token_tasks(cache_path, expired_token):
    """A cached token that the cache still thinks valid but Graph rejects; then an expired access_token."""
    cached = dict(CONNECTION, token_cache_path=cache_path)
    return [
        module_task("warm the token cache", "b2c_keyset_info", dict(cached, active_key=False)),
        {
            "name": "swap an expired token into the cache",
            "ansible.builtin.replace": {"path": cache_path, "regexp": JWT_PATTERN, "replace": expired_token},
        },
        module_task(
            "case " + STALE_CACHE_KEYSET, "b2c_keyset_key", dict(cached, keyset=STALE_CACHE_KEYSET), ignore_errors=True
        ),
        module_task(
            "case " + EXPIRED_ACCESS_TOKEN_KEYSET,
            "b2c_keyset_key",
            dict(
                CONNECTION, keyset=EXPIRED_ACCESS_TOKEN_KEYSET, auth_method="access_token", access_token=expired_token
            ),
            ignore_errors=True,
        ),
    ]


@dataclasses.dataclass
class Matrix:
    run: object
    log: list
    stored: dict
    cache_path: str
    expired_token: str
    waits: list  # the waits of the retry loop, as the retry_wait_recorder wrote them


def _recorded_waits(path):
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


@pytest.fixture(scope="module")
def matrix(emulator, key_material, tmp_path_factory):
    """Runs the whole matrix once; keeps the run, the request log and every case keyset as stored."""
    emulator.reset()
    tmp_path = tmp_path_factory.mktemp("faults")
    cache_path, expired_token = str(tmp_path / "stale-cache" / "cache.json"), emulator.mint_token(lifetime=-600)
    waits_path = str(tmp_path / "retry-waits.jsonl")
    tasks = [task for case in CASES for task in _case_tasks(case, emulator, key_material)]
    tasks += _token_tasks(cache_path, expired_token)
    run = run_plays(
        emulator,
        tmp_path,
        [local_play(tasks, name="Fault matrix")],
        env={"PYTHONPATH": RECORDER_DIR, "RETRY_WAIT_LOG": waits_path},
    )
    log = emulator.requests()
    names = [case.name for case in CASES] + [STALE_CACHE_KEYSET, EXPIRED_ACCESS_TOKEN_KEYSET]
    stored = {name: read_keyset(emulator, name) for name in names}
    emulator.reset()
    return Matrix(run, log, stored, cache_path, expired_token, _recorded_waits(waits_path))


def _case_log(run, log, case):
    return run.requests_during(log, "case " + case.name)


def _first_fault_and_retry(case_log):
    """The first faulted request and the next request of the same method and path (its retry)."""
    for index, item in enumerate(case_log):
        if item["fault"] in ("status", "drop", "delay"):
            retry = next(
                (
                    later
                    for later in case_log[index + 1 :]
                    if (later["method"], later["path"]) == (item["method"], item["path"])
                ),
                None,
            )
            return item, retry
    return None, None


def _waits_during(waits, run, task):
    entry = run.entry(task)
    return [wait for wait in waits if entry["start"] <= wait["start"] <= entry["end"]]


def _asked_wait(case, run, faulted):
    """``(earliest retry start, (min, max) wait the client may choose, the Retry-After date or None)``."""
    if case.wait_from == "http-date":
        stored = run.result("faults " + case.name)["json"][0]
        asked_until = email.utils.parsedate_to_datetime(stored["retry_after"]).timestamp()
        answered = request_ended(faulted)
        # Chosen after the answer arrived, so never more than what was left of the date then; a date
        # already past asks for no wait.
        return max(asked_until, answered), (0.0, max(0.0, asked_until - answered) + SLACK), asked_until
    if case.wait_from == "timeout":
        reference = request_started(faulted) + SHORT_TIMEOUT
    else:
        reference = request_ended(faulted)
    return reference + case.asked_wait[0], case.asked_wait, None


def _describe(case_log):
    return json.dumps(
        [(item["method"], item["path"].rsplit("/", 1)[-1], item["status"], item["fault"]) for item in case_log]
    )


def _params(condition):
    """The cases for which ``condition`` holds, as pytest params."""
    return [pytest.param(case, id=case.name, marks=[pytest.mark.integration]) for case in CASES if condition(case)]


@pytest.mark.integration
def test_the_matrix_ran_every_case(matrix):
    run = matrix.run
    assert run.process.returncode == 0, run.output[-8000:]
    for case in CASES:
        assert run.entry("case " + case.name)


@pytest.mark.parametrize("case", _params(lambda case: case.converges))
def test_fault_converges_to_exactly_one_key(matrix, key_material, case):
    run, log, stored = matrix.run, matrix.log, matrix.stored
    result = run.result("case " + case.name)
    case_log = _case_log(run, log, case)
    assert not run.failed("case " + case.name), "%s: %s\nrequests: %s" % (
        case.name,
        result.get("msg"),
        _describe(case_log),
    )
    assert result["changed"] is True
    assert result["action"] in ("generated", "uploaded")
    assert kids(stored[case.name]) == [result["key"]["kid"]], "keyset must hold exactly the one added key"
    expected_x5t = key_material.get(case.source + "_x5t")
    if expected_x5t:
        assert stored[case.name]["keys"][0]["x5t"] == expected_x5t
    assert any(item["fault"] for item in case_log), "the fault never fired: %s" % _describe(case_log)


@pytest.mark.parametrize("case", _params(lambda case: case.converges and case.waits_before_retry))
def test_retry_waits_as_long_as_asked(matrix, case):
    """One wait before the retry, as long as the server asked (or the first backoff), and no retry before it ends.

    The wait's length is the one the client chose (recorded), never a wall-clock bound: a busy machine
    may start the retry later, never earlier.
    """
    run, log = matrix.run, matrix.log
    case_log = _case_log(run, log, case)
    faulted, retry = _first_fault_and_retry(case_log)
    assert faulted is not None and retry is not None, "no faulted request followed by a retry: %s" % _describe(case_log)
    earliest, (shortest, longest), asked_until = _asked_wait(case, run, faulted)
    waits = _waits_during(matrix.waits, run, "case " + case.name)
    assert len(waits) == 1, "expected one wait before the one retry, recorded: %s" % waits
    chosen = waits[0]
    assert shortest <= chosen["seconds"] <= longest, "waited %.3f s, asked %s" % (
        chosen["seconds"],
        (shortest, longest),
    )
    if asked_until is not None:
        assert chosen["start"] + chosen["seconds"] >= asked_until - SLACK, "the wait ended before the Retry-After date"
    retried = request_started(retry)
    assert retried >= earliest - SLACK, "retried %.3f s too early" % (earliest - retried)


@pytest.mark.parametrize(
    "case", _params(lambda case: case.converges and case.source == "generate" and not case.applies_then_fails)
)
def test_fault_sends_one_successful_add(matrix, case):
    """Sends that failed before reaching the service may be repeated; only one may succeed."""
    run, log = matrix.run, matrix.log
    adds = [item for item in _case_log(run, log, case) if item["path"].endswith("/generateKey")]
    assert [item["status"] for item in adds if item["status"] == 200] == [200], _describe(adds)


@pytest.mark.parametrize("case", _params(lambda case: case.applies_then_fails))
def test_applied_then_failed_add_is_not_repeated(matrix, case):
    run, log = matrix.run, matrix.log
    adds = [item for item in for_keyset(_case_log(run, log, case), case.name) if item["method"] == "POST"]
    assert [item["fault"] for item in adds] == ["apply_then_fail"], (
        "exactly one add, the one applied then failed; it must not be sent again: %s" % _describe(adds)
    )


@pytest.mark.parametrize("case", _params(lambda case: not case.converges))
def test_persistent_fault_fails_clearly_with_nothing_added(matrix, case):
    run, log, stored = matrix.run, matrix.log, matrix.stored
    result = run.result("case " + case.name)
    assert run.failed("case " + case.name), "a persistent fault must fail the task"
    assert "Could not ensure the key in keyset B2C_1A_%s" % case.name in result["msg"]
    for fragment in case.fails_with:
        assert fragment in result["msg"], "%r missing from: %s" % (fragment, result["msg"])
    assert result["status"] == 503 and result["request_id"]
    assert kids(stored[case.name]) == [], "no key may be added when the fault never clears"
    max_retries = dict(case.options).get("max_retries")
    if max_retries is not None:
        case_log = _case_log(run, log, case)
        assert len([item for item in case_log if item["fault"] == "status"]) == 1 + max_retries, _describe(case_log)


@pytest.mark.integration
def test_token_rejected_by_graph_is_replaced_once(matrix):
    """A cached token that has expired server-side: one 401, one new token, then the key; the cache is healed."""
    run, log = matrix.run, matrix.log
    task = "case " + STALE_CACHE_KEYSET
    assert not run.failed(task), run.result(task).get("msg")
    assert kids(matrix.stored[STALE_CACHE_KEYSET]) == [run.result(task)["key"]["kid"]]
    during = run.requests_during(log, task)
    assert [item["status"] for item in during if item["status"] == 401] == [401], _describe(during)
    assert len([item for item in during if item["kind"] == "token"]) == 1, _describe(during)
    with open(matrix.cache_path, encoding="utf-8") as handle:
        cache = handle.read()
    json.loads(cache)
    assert matrix.expired_token not in cache, "the rejected token must not stay in the cache"


@pytest.mark.integration
def test_expired_access_token_fails_with_advice_and_adds_nothing(matrix):
    run = matrix.run
    task = "case " + EXPIRED_ACCESS_TOKEN_KEYSET
    assert run.failed(task)
    message = run.result(task)["msg"]
    assert "rejected the supplied access token (HTTP 401)" in message
    assert "Supply a fresh token in access_token (or B2C_ACCESS_TOKEN)" in message
    assert matrix.expired_token not in message
    assert matrix.stored[EXPIRED_ACCESS_TOKEN_KEYSET] is None
    during = run.requests_during(matrix.log, task)
    assert [(item["method"], item["status"]) for item in during] == [("GET", 401)], _describe(during)


@pytest.mark.integration
def test_read_only_client_gets_the_permission_message_and_can_still_read(emulator_clean, tmp_path):
    create_keyset(emulator_clean, "RelReadOnly")
    reader = {
        "AZURE_CLIENT_ID": emulator_clean.read_only_client_id,
        "AZURE_CLIENT_SECRET": emulator_clean.read_only_client_secret,
    }
    tasks = [
        module_task("add a key", "b2c_keyset_key", dict(CONNECTION, keyset="RelReadOnly"), ignore_errors=True),
        module_task("read the keyset", "b2c_keyset_info", dict(CONNECTION, name="RelReadOnly")),
    ]
    run = run_plays(emulator_clean, tmp_path, [local_play(tasks, name="Read-only client")], env=reader)
    assert run.process.returncode == 0, run.output[-6000:]
    denied = run.result("add a key")
    assert run.failed("add a key") and denied["status"] == 403
    assert denied["graph_error_code"] == "Authorization_RequestDenied" and denied["request_id"]
    for fragment in ("TrustFrameworkKeySet.ReadWrite.All", "admin consent", "B2C IEF Keyset Administrator"):
        assert fragment in denied["msg"], denied["msg"]
    listed = run.result("read the keyset")["keysets"]
    assert [(keyset["id"], keyset["key_list"], keyset["active_key"]) for keyset in listed] == [
        ("B2C_1A_RelReadOnly", [], None)
    ]
    assert kids(read_keyset(emulator_clean, "RelReadOnly")) == []
