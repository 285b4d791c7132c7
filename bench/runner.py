"""How the benchmark times a case: the emulator it runs against, the Python the modules run with,
and each ansible-playbook run, timed and checked, with the requests it made."""

import collections
import contextlib
import dataclasses
import json
import os
import resource
import ssl
import subprocess
import sys
import time

from bench import COLLECTIONS_PATH, REPO_ROOT, scenarios
from tests.emulator.pytest_plugin import EmulatorProcess
from tests.support.graph import emulator_client
from tools.playbook_env import emulator_playbook_environment
from tools.playbook_recap import recap_total

# `make bench` runs us with the venv's python; ansible-playbook is its neighbour.
ANSIBLE_PLAYBOOK = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
RUNTIME_VENV = os.path.join(REPO_ROOT, "build", "bench-runtime")
REQUIREMENTS = os.path.join(REPO_ROOT, "requirements.txt")
KEY_VALIDITY_SECONDS = 2 * 365 * 24 * 3600


class PlaybookFailed(RuntimeError):
    """A timed run failed or changed something; its output is kept in the work directory."""


def runtime_python():
    """A venv holding only the collection's runtime requirements (made once per requirements.txt change).

    The development venv also holds ansible-lint's dependencies (click, rich, pygments);
    httpx imports its command-line tool when click is installed, which adds ~27 ms to every
    task that a user's controller or execution environment (built from requirements.txt)
    does not pay. Modules need only the runtime requirements: AnsiballZ ships ansible's
    own module_utils with each task.
    """
    python = os.path.join(RUNTIME_VENV, "bin", "python")
    stamp = os.path.join(RUNTIME_VENV, ".installed")
    if not os.path.exists(stamp) or os.path.getmtime(stamp) < os.path.getmtime(REQUIREMENTS):
        print(f"creating {RUNTIME_VENV} from requirements.txt", flush=True)
        subprocess.run([sys.executable, "-m", "venv", "--clear", RUNTIME_VENV], check=True)
        subprocess.run([python, "-m", "pip", "install", "--quiet", "-r", REQUIREMENTS], check=True)
        open(stamp, "w", encoding="utf-8").close()
    return python


@contextlib.contextmanager
def running_emulator(state_dir, latency_ms):
    """Run the emulator with `latency_ms` added to every Graph/login request; always stop it on the way out."""
    emulator = EmulatorProcess(state_dir, extra_args=["--latency-ms", str(latency_ms)])
    try:
        emulator.start()
        yield emulator
    finally:
        emulator.stop()


def create_keysets_with_signing_key(emulator, names, token):
    """Create each keyset straight through Graph with one usable RSA signing key.

    Done without the collection's modules so the reference cases (ping, uri)
    can run even when a module is broken, and so the converged cases start
    from a state the module did not shape itself.
    """
    now = int(time.time())
    with emulator_client(emulator, token=token) as graph:
        for name in names:
            created = graph.post("/keySets", json={"id": name})
            created.raise_for_status()
            graph.post(
                f"/keySets/{created.json()['id']}/generateKey",
                json={"use": "sig", "kty": "RSA", "nbf": now - 60, "exp": now + KEY_VALIDITY_SECONDS},
            ).raise_for_status()


def _children_cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_playbook(playbook, inventory, env, forks, log_path, extra_vars_path=None, converged=True):
    """Return (wall seconds, CPU seconds); raise PlaybookFailed unless every host ran cleanly and (when
    `converged`) changed nothing.

    CPU time (user + system of ansible-playbook and every process it waited
    for, module runs included) is reported next to wall time because it hardly
    moves when other work shares the machine; wall time does.
    """
    command = [ANSIBLE_PLAYBOOK, "-i", inventory, "--forks", str(forks), playbook]
    if extra_vars_path:
        command += ["--extra-vars", "@" + extra_vars_path]
    cpu_before = _children_cpu_seconds()
    started = time.perf_counter()
    completed = subprocess.run(
        command,
        cwd=os.path.dirname(playbook),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - started
    cpu = _children_cpu_seconds() - cpu_before
    output = completed.stdout
    with open(log_path, "w", encoding="utf-8") as handle:
        handle.write(output)
    name = os.path.basename(playbook)
    if (
        completed.returncode != 0
        or recap_total(output, "failed")
        or recap_total(output, "unreachable")
        or not recap_total(output, "ok")
    ):
        raise PlaybookFailed(f"{name} failed (rc={completed.returncode}); see {log_path}")
    if converged and recap_total(output, "changed"):
        raise PlaybookFailed(
            f"{name} reported changed={recap_total(output, 'changed')} on a converged run; see {log_path}"
        )
    return wall, cpu


@dataclasses.dataclass
class Sample:
    """One timed ansible-playbook run and what it asked the emulator: request counts by kind, and the
    Graph requests by method and path kind ("GET policies/{id}/$value")."""

    tasks_per_host: int
    module_runs: int
    wall_s: float
    cpu_s: float
    requests: dict
    graph_calls: dict = dataclasses.field(default_factory=dict)


GRAPH_PREFIX = "/beta/trustFramework/"


def graph_call_kind(entry):
    """The method and the path with ids replaced: GET keySets/{id}/getActiveKey for GET .../keySets/B2C_1A_X/getActiveKey."""
    path = entry["path"]
    if path.startswith(GRAPH_PREFIX):
        parts = path.removeprefix(GRAPH_PREFIX).split("/")
        path = "/".join("{id}" if i % 2 else part for i, part in enumerate(parts))
    return f"{entry['method']} {path}"


def write_trust_bundle(path, ca_path):
    """The system CA bundle plus the emulator's CA: what SSL_CERT_FILE names in the `system` trust mode."""
    with open(path, "wb") as bundle:
        system_bundle = ssl.get_default_verify_paths().cafile
        if system_bundle and os.path.exists(system_bundle):
            with open(system_bundle, "rb") as handle:
                bundle.write(handle.read().rstrip(b"\n") + b"\n")
        with open(ca_path, "rb") as handle:
            bundle.write(handle.read())
    return path


class CaseRunner:
    """Runs the cases against one emulator, each run in a neutral environment with a cleared request log.

    ``trust`` says how the tasks trust the emulator's certificate. ``system`` (as against Graph, whose CA
    is in the system store): no ca_path; SSL_CERT_FILE names the system bundle plus the emulator's CA, so
    each task loads the system store as it does for Graph. ``ca-path``: ca_path / B2C_CA_PATH, where uri
    replaces the system store with the one CA and the modules add it to the system store.
    """

    def __init__(self, emulator, work_dir, keysets_per_tenant, module_python, log=print, trust="system"):
        self.emulator = emulator
        self.trust = trust
        self.trust_bundle = os.path.join(work_dir, "trust-bundle.pem")
        self.module_python = module_python
        self.work_dir = work_dir
        self.keysets_per_tenant = keysets_per_tenant
        self.log = log
        # One credential, one cache file shared by every warm case, as in a pipeline that keeps its cache.
        self.warm_token_cache = os.path.join(work_dir, "token-cache-warm.json")
        self.token_vars_path = os.path.join(work_dir, "uri-vars.json")
        self.ansible_config = os.path.join(work_dir, "ansible.cfg")
        self._written = {}
        self._run_number = 0

    def sizes(self, case, tasks):
        """Tasks per host to time: N, plus N/2 to get the per-task slope; K keysets for the tenant plays."""
        if case.tenants:
            return [self.keysets_per_tenant]
        if case.policies:
            return [case.policies]
        if case.measure_slope and tasks >= 2:
            return [tasks, tasks // 2]
        return [tasks]

    def _play_files(self, case, tasks_per_host):
        if (case.key, tasks_per_host) not in self._written:
            self._written[case.key, tasks_per_host] = case.write_play(self.work_dir, tasks_per_host, self.module_python)
        return self._written[case.key, tasks_per_host]

    def environment(self, case, **extra):
        """Connection settings as a pipeline passes them (environment variables); a cold case gets a new cache file."""
        cache = self.warm_token_cache
        if case.fresh_token_cache:
            cache = os.path.join(self.work_dir, f"token-cache-{case.key}-{self._run_number}.json")
        env = emulator_playbook_environment(
            self.emulator,
            COLLECTIONS_PATH,
            cache,
            ANSIBLE_CONFIG=self.ansible_config,  # no user ansible.cfg
            ANSIBLE_PYTHON_INTERPRETER=self.module_python,
            **extra,
        )
        if self.trust == "system":
            del env["B2C_CA_PATH"]
            env["SSL_CERT_FILE"] = self.trust_bundle
        env.pop("PYTHONDONTWRITEBYTECODE", None)  # set on some build machines; real controllers keep byte-code caches
        # The modules' code cache (code_cache.py) in the work folder: filled by the untimed run, as a controller's
        # is by its first task, and never shared with the user's own.
        env["XDG_CACHE_HOME"] = os.path.join(self.work_dir, "xdg-cache")
        return env

    def run(self, case, tasks_per_host, converged=True, **extra_env):
        """One run with a cleared request log, so the log afterwards holds exactly this run's requests."""
        playbook, inventory = self._play_files(case, tasks_per_host)
        self._run_number += 1
        log_path = os.path.join(self.work_dir, f"run-{self._run_number:04d}-{case.key}-{tasks_per_host}.log")
        extra_vars = self.token_vars_path if case.needs_token_vars else None
        env = self.environment(case, **extra_env)
        self.emulator.clear_requests()
        wall, cpu = run_playbook(playbook, inventory, env, case.forks, log_path, extra_vars, converged)
        entries = self.emulator.requests()
        requests = dict(collections.Counter(entry["kind"] for entry in entries))
        graph_calls = dict(collections.Counter(graph_call_kind(entry) for entry in entries if entry["kind"] == "graph"))
        return Sample(tasks_per_host, case.module_runs(tasks_per_host), wall, cpu, requests, graph_calls)

    def prepare(self, cases):
        """Create the keysets the converged cases expect, mint the uri token, then run every case once untimed.

        The untimed run also fills the warm token cache and the byte-code caches,
        and proves each play is converged (a changed task fails it). site.yml converges the tenant itself
        first (keys and policies), in a run that may change things.
        """
        names = scenarios.keysets_to_prepare(max(case.tenants for case in cases), self.keysets_per_tenant)
        self.log(f"preparing: {len(names)} keysets with an RSA signing key each")
        token = self.emulator.mint_token(lifetime=3 * 3600)
        create_keysets_with_signing_key(self.emulator, names, token)
        uri_vars = {"bench_graph_endpoint": self.emulator.url, "bench_access_token": token}
        if self.trust == "system":
            write_trust_bundle(self.trust_bundle, self.emulator.ca_path)
        else:
            uri_vars["bench_ca_path"] = self.emulator.ca_path
        with open(self.token_vars_path, "w", encoding="utf-8") as handle:
            json.dump(uri_vars, handle)
        os.chmod(self.token_vars_path, 0o600)
        open(self.ansible_config, "w", encoding="utf-8").close()
        for case in cases:
            if case.policies:  # site.yml provisions its own keys and policies: a first run converges the tenant
                self.log(f"converging: {case.key}")
                self.run(case, case.policies, converged=False)
            self.log(f"warm-up: {case.key}")
            self.run(case, min(self.sizes(case, 2)))

    def measure(self, cases, tasks, repeat):
        """Repetitions interleave the cases, so a slow minute on the machine spreads over all of them.

        Returns {case key: {"samples": {tasks_per_host: [Sample]}, "error": str | None}}.
        """
        results = {case.key: {"samples": {}, "error": None} for case in cases}
        for repetition in range(1, repeat + 1):
            for case in cases:
                outcome = results[case.key]
                if outcome["error"]:
                    continue
                for size in self.sizes(case, tasks):
                    try:
                        sample = self.run(case, size)
                    except PlaybookFailed as exc:
                        outcome["error"] = str(exc)
                        self.log(f"[{repetition}/{repeat}] {case.key}: FAILED, {exc}")
                        break
                    outcome["samples"].setdefault(size, []).append(sample)
                    self.log(
                        f"[{repetition}/{repeat}] {case.key:<9} {sample.module_runs:>3} task runs  "
                        f"{sample.wall_s:6.2f} s  {sample.wall_s / sample.module_runs:.3f} s/task  "
                        f"cpu {sample.cpu_s / sample.module_runs:.3f} s/task  {sample.requests}"
                    )
        return results
