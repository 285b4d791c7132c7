"""Helpers of the reliability and security suites.

Playbooks are built from Python lists of tasks (written as JSON, which is YAML),
run with the `result_recorder` callback (every task result with its start and end
time, after no_log censoring), and checked against the emulator's request log and
against the keysets read straight from the emulator with a minted token.
"""

import base64
import dataclasses
import datetime
import json
import os
import re
from urllib.parse import quote, quote_plus

from tests.integration.playbook_runner import playbook_environment, run_playbook
from tests.support.graph import emulator_client

RELIABILITY_DIR = os.path.dirname(os.path.abspath(__file__))
CALLBACK_DIR = os.path.join(RELIABILITY_DIR, "callback_plugins")
KEYSETS_PATH = "/beta/trustFramework/keySets"
PREFIX = "B2C_1A_"


# -- playbooks ---------------------------------------------------------------------------------
def local_play(tasks, name="Reliability", hosts="localhost", **keywords):
    """One play on the controller, no facts."""
    play = {"name": name, "hosts": hosts, "connection": "local", "gather_facts": False, "tasks": tasks}
    play.update(keywords)
    return play


def module_task(name, module, args, **keywords):
    """A task of one of the collection's modules (or any FQCN) that registers nothing and may fail."""
    task = {"name": name, module if "." in module else "b2c.trustframework." + module: args}
    task.update(keywords)
    return task


def add_faults_task(name, emulator, faults):
    """A uri task that installs faults through the emulator's control API just before the next task."""
    return {
        "name": name,
        "ansible.builtin.uri": {
            "url": emulator.url + "/_emulator/faults",
            "method": "POST",
            "body_format": "json",
            "body": faults,
            "ca_path": emulator.ca_path,
            "status_code": 201,
        },
    }


@dataclasses.dataclass
class PlaybookRun:
    """A finished ansible-playbook run and the results the callback recorded."""

    process: object
    entries: list

    @property
    def output(self):
        return self.process.stdout + self.process.stderr

    def entry(self, task, host="localhost"):
        matches = [item for item in self.entries if item["task"] == task and item["host"] == host]
        assert matches, "task %r never reported for %s; output:\n%s" % (task, host, self.output[-6000:])
        return matches[-1]

    def result(self, task, host="localhost"):
        return self.entry(task, host)["result"]

    def failed(self, task, host="localhost"):
        return self.entry(task, host)["outcome"] == "failed"

    def requests_during(self, log, task, host="localhost"):
        """Emulator log entries of requests that started while ``task`` ran, by start time (a delayed one may end later)."""
        entry = self.entry(task, host)
        return sorted(
            (item for item in log if entry["start"] <= request_started(item) <= entry["end"]), key=request_started
        )


def run_plays(emulator, tmp_path, plays, *options, env=None, extra_vars=None, inventory="localhost,"):
    """Write ``plays`` to a playbook, run it against ``emulator`` and return a PlaybookRun."""
    playbook = tmp_path / "playbook.yml"
    playbook.write_text(json.dumps(plays, indent=1))
    results_file = tmp_path / "results.json"
    environment = playbook_environment(
        emulator,
        tmp_path,
        ANSIBLE_CALLBACK_PLUGINS=CALLBACK_DIR,
        ANSIBLE_CALLBACKS_ENABLED="result_recorder",
        RELIABILITY_RESULTS_FILE=str(results_file),
        **(env or {}),
    )
    process = run_playbook(
        emulator, tmp_path, playbook, *options, extra_vars=extra_vars, env=environment, inventory=inventory
    )
    entries = json.loads(results_file.read_text()) if results_file.exists() else []
    return PlaybookRun(process, entries)


# -- the emulator's request log --------------------------------------------------------------------
def request_ended(entry):
    """Epoch seconds when the emulator finished the request (the log records the end)."""
    return datetime.datetime.fromisoformat(entry["time"]).timestamp()


def request_started(entry):
    return request_ended(entry) - entry["duration_ms"] / 1000.0


def for_keyset(log, name):
    """Log entries whose path names keyset ``name`` (B2C_1A_ prefix, any case)."""
    wanted = "/" + (PREFIX + name).lower()
    return [item for item in log if wanted in item["path"].lower()]


# -- Graph, read directly ---------------------------------------------------------------------------
def graph(emulator):
    """A client for the emulator from its root (paths start with KEYSETS_PATH), with a freshly minted ReadWrite token."""
    return emulator_client(emulator, root="")


def read_keyset(emulator, name):
    """The keyset as the emulator holds it, or None."""
    with graph(emulator) as client:
        response = client.get("%s/%s%s" % (KEYSETS_PATH, PREFIX, name))
    if response.status_code == 400 and "AADB2C90073" in response.text:  # how B2C says "no such keyset"
        return None
    response.raise_for_status()
    return response.json()


def create_keyset(emulator, name):
    with graph(emulator) as client:
        client.post(KEYSETS_PATH, json={"id": name}).raise_for_status()


def kids(keyset):
    return [key["kid"] for key in (keyset or {}).get("keys") or []]


# -- secrets, as a request carries them -------------------------------------------------------------
def encoded_forms(value):
    """What a request carries for ``value`` and a server may quote: raw, JSON, form, percent, base64."""
    escaped = [quote_plus(value, safe=""), quote(value, safe="")]
    data = value.encode("utf-8")
    return set(
        [
            value,
            json.dumps(value)[1:-1],
            json.dumps(value, ensure_ascii=False)[1:-1],
            base64.b64encode(data).decode(),
            base64.urlsafe_b64encode(data).decode().rstrip("="),
        ]
        + escaped
        + [re.sub("%[0-9A-F]{2}", lambda escape: escape.group(0).lower(), text) for text in escaped]
    )


def leaked_runs(value, text, run=8):
    """Runs of ``run`` characters of any form of ``value`` found in ``text``."""
    return sorted(
        set(
            form[i : i + run]
            for form in encoded_forms(value)
            for i in range(len(form) - run + 1)
            if form[i : i + run] in text
        )
    )
