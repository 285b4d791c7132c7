"""TLS verification against an emulator with its own CA, and the persisted token and code caches under parallel
forks."""

import hashlib
import importlib.util
import json
import marshal
import os
import stat
import sys

import pytest

from tests.emulator.pytest_plugin import EmulatorProcess
from tests.integration.reliability.support import (
    for_keyset,
    kids,
    local_play,
    module_task,
    read_keyset,
    request_ended,
    request_started,
    run_plays,
)

CONNECTION = {"max_retries": 1, "timeout": 5}
TLS_ADVICE = ("TLS certificate verification failed", "set ca_path (or B2C_CA_PATH)", "validate_certs=false")
FORKED_HOSTS = ["fork%d" % number for number in range(1, 6)]

# name -> (module options, expected message fragments or None when the task must work)
TLS_CASES = {
    "login without the CA": ({}, TLS_ADVICE),
    "login with another emulator's CA": ({"ca_path": "{other_ca}"}, TLS_ADVICE),
    "graph without the CA": ({"auth_method": "access_token", "access_token": "{token}"}, TLS_ADVICE),
    "validate_certs false": ({"validate_certs": False}, None),
}


def _mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture(scope="module")
def tls_run(emulator, tmp_path_factory):
    """Runs every TLS case against a second emulator whose CA the playbook is not told about."""
    with EmulatorProcess() as foreign:
        values = {"other_ca": emulator.ca_path, "token": foreign.mint_token()}
        tasks = [
            module_task(
                name,
                "b2c_keyset_info",
                dict(
                    CONNECTION,
                    **{
                        key: value.format(**values) if isinstance(value, str) else value
                        for key, value in options.items()
                    },
                ),
                ignore_errors=True,
            )
            for name, (options, dummy_expected) in TLS_CASES.items()
        ]
        run = run_plays(
            foreign, tmp_path_factory.mktemp("tls"), [local_play(tasks, name="TLS")], env={"B2C_CA_PATH": ""}
        )
        yield run, foreign.requests()


@pytest.mark.integration
@pytest.mark.parametrize("case", [name for name, (dummy, expected) in TLS_CASES.items() if expected])
def test_untrusted_certificate_fails_with_advice(tls_run, case):
    run, log = tls_run
    assert run.failed(case), "%s must fail: %s" % (case, run.result(case))
    message = run.result(case)["msg"]
    for fragment in TLS_CASES[case][1]:
        assert fragment in message, "%r missing from: %s" % (fragment, message)
    assert run.requests_during(log, case) == [], "no HTTP request can reach a server whose certificate is refused"


@pytest.mark.integration
def test_validate_certs_false_works_and_warns(tls_run):
    run, log = tls_run
    result = run.result("validate_certs false")
    assert not run.failed("validate_certs false"), result.get("msg")
    assert result["keysets"] == []
    assert any(
        "validate_certs=false" in warning and "prefer ca_path" in warning for warning in result.get("warnings", [])
    ), result
    assert {item["kind"] for item in run.requests_during(log, "validate_certs false")} >= {"token", "graph"}


@pytest.fixture(scope="module")
def forked_run(emulator, tmp_path_factory):
    """Five hosts, forks=5, one credential, one token cache and one code cache in folders that do not exist yet."""
    emulator.reset()
    tmp_path = tmp_path_factory.mktemp("forks")
    cache_path = tmp_path / "cache-dir" / "token-cache.json"
    # Slow token answers widen the window in which parallel forks could all ask for a token.
    emulator.add_fault(path="/oauth2/v2.0/token$", method="POST", delay_ms=700, count=None)
    options = dict(CONNECTION, keyset="Fork_{{ inventory_hostname }}")
    tasks = [
        module_task("generate per host", "b2c_keyset_key", options),
        module_task("again", "b2c_keyset_key", options),
    ]
    run = run_plays(
        emulator,
        tmp_path,
        [local_play(tasks, name="Forks", hosts="all")],
        "--forks",
        "5",
        # PYTHONDONTWRITEBYTECODE (set on some build machines) would keep the code cache from being written.
        env={
            "B2C_TOKEN_CACHE_PATH": str(cache_path),
            "XDG_CACHE_HOME": str(tmp_path / "xdg"),
            "PYTHONDONTWRITEBYTECODE": "",
        },
        inventory=",".join(FORKED_HOSTS) + ",",
    )
    log = emulator.requests()
    stored = {host: read_keyset(emulator, "Fork_" + host) for host in FORKED_HOSTS}
    emulator.reset()
    return run, log, stored, cache_path, tmp_path / "xdg" / "b2c.trustframework" / "code" / sys.implementation.cache_tag


@pytest.mark.integration
def test_forks_share_one_token_and_a_sound_cache(forked_run):
    run, log, stored, cache_path, dummy_code_cache = forked_run
    assert run.process.returncode == 0, run.output[-8000:]
    for host in FORKED_HOSTS:
        assert not run.failed("generate per host", host)
        assert kids(stored[host]) == [run.result("generate per host", host)["key"]["kid"]], host
    spans = [
        (min(map(request_started, requests)), max(map(request_ended, requests)))
        for requests in (for_keyset(log, "Fork_" + host) for host in FORKED_HOSTS)
    ]
    assert any(
        first[0] < second[1] and second[0] < first[1] for first in spans for second in spans if first != second
    ), "the forks never ran at the same time, so the shared cache was not put to the test"
    token_requests = [item for item in log if item["kind"] == "token"]
    assert len(token_requests) == 1, "one credential, one token: %d token requests" % len(token_requests)
    with open(cache_path, encoding="utf-8") as handle:
        cache = json.load(handle)
    assert len(cache["sections"]) == 1


@pytest.mark.integration
def test_token_cache_file_is_private(forked_run):
    dummy_run, dummy_log, dummy_stored, cache_path, dummy_code_cache = forked_run
    assert _mode(cache_path) == 0o600
    assert _mode(str(cache_path) + ".lock") == 0o600
    assert _mode(cache_path.parent) == 0o700, "the cache directory is created 0700"
    leftovers = [name for name in os.listdir(cache_path.parent) if name.endswith(".tmp")]
    assert leftovers == [], "temporary cache files were left behind"


@pytest.mark.integration
def test_forks_share_one_private_code_cache_of_the_modules_they_ran(forked_run):
    """Five tasks compiled the same module_utils at once; each entry is whole, private and of this release, and
    the next task of each host, served from it, converges."""
    run, dummy_log, dummy_stored, dummy_cache_path, code_cache = forked_run
    assert run.process.returncode == 0, run.output[-8000:]
    for host in FORKED_HOSTS:
        assert not run.failed("again", host) and not run.result("again", host)["changed"], run.result("again", host)
    assert _mode(code_cache) == 0o700
    package = "ansible_collections.b2c.trustframework.plugins.module_utils."
    entries = sorted(os.listdir(code_cache))
    assert package + "key_task" in entries and package + "task_runner" in entries, entries
    assert not any(name.endswith(".tmp") for name in entries), entries
    source_folder = os.path.join(os.path.dirname(__file__), "..", "..", "plugins", "module_utils")
    for name in entries:
        assert _mode(code_cache / name) == 0o600, name
        with open(os.path.join(source_folder, name[len(package) :] + ".py"), "rb") as handle:
            stamp = importlib.util.MAGIC_NUMBER + hashlib.sha256(handle.read()).digest()
        entry = (code_cache / name).read_bytes()
        assert entry.startswith(stamp), "%s: not compiled from this release's source" % name
        assert marshal.loads(entry[len(stamp) :]).co_filename.endswith(name[len(package) :] + ".py")
