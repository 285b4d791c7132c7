"""Run the cases against one emulator: prepare the keysets, warm up, then time repetitions."""

import dataclasses
import json
import os

from bench import playbooks
from bench.ansible_run import PlaybookFailed, playbook_env, run_playbook
from bench.emulator import count_requests_by_kind, create_keysets_with_signing_key, env_for, fresh_token_cache_path


@dataclasses.dataclass
class Sample:
    """One timed ansible-playbook run and what it asked the emulator."""

    tasks_per_host: int
    module_runs: int
    wall_s: float
    cpu_s: float
    requests: dict


class CaseRunner:
    def __init__(self, emulator, work_dir, keysets_per_tenant, module_python, log=print):
        self.emulator = emulator
        self.module_python = module_python
        self.work_dir = work_dir
        self.keysets_per_tenant = keysets_per_tenant
        self.log = log
        # One credential, one cache file shared by every warm case, as in a pipeline that keeps its cache.
        self.warm_token_cache = os.path.join(work_dir, "token-cache-warm.json")
        self.token_vars_path = os.path.join(work_dir, "uri-vars.json")
        self._written = {}
        self._run_number = 0

    def sizes(self, case, tasks):
        """Tasks per host to time: N, plus N/2 to get the per-task slope; K keysets for the tenant plays."""
        if case.tenants:
            return [self.keysets_per_tenant]
        if case.measure_slope and tasks >= 2:
            return [tasks, tasks // 2]
        return [tasks]

    def _play_files(self, case, tasks_per_host):
        if (case.key, tasks_per_host) not in self._written:
            self._written[case.key, tasks_per_host] = case.write_play(self.work_dir, tasks_per_host, self.module_python)
        return self._written[case.key, tasks_per_host]

    def _token_cache_for(self, case):
        if case.fresh_token_cache:
            return fresh_token_cache_path(self.work_dir, case.key)
        return self.warm_token_cache

    def run(self, case, tasks_per_host, allow_changes=False):
        """One run with a cleared request log, so the log afterwards holds exactly this run's requests."""
        playbook, inventory = self._play_files(case, tasks_per_host)
        env = playbook_env(env_for(self.emulator, self._token_cache_for(case)), self.work_dir, self.module_python)
        self._run_number += 1
        log_path = os.path.join(self.work_dir, f"run-{self._run_number:04d}-{case.key}-{tasks_per_host}.log")
        extra_vars = self.token_vars_path if case.needs_token_vars else None
        self.emulator.clear_requests()
        wall, cpu = run_playbook(playbook, inventory, env, case.forks, log_path, extra_vars, allow_changes)
        requests = count_requests_by_kind(self.emulator.requests())
        return Sample(tasks_per_host, case.module_runs(tasks_per_host), wall, cpu, requests)

    def prepare(self, cases):
        """Create the keysets the converged cases expect, mint the uri token, then run every case once untimed.

        The untimed run also fills the warm token cache and the byte-code caches,
        and proves each play is converged (a changed task fails it).
        """
        tenants = max(case.tenants for case in cases)
        names = [playbooks.BENCH_KEYSET] + playbooks.tenant_keyset_names(tenants, self.keysets_per_tenant)
        self.log(f"preparing: {len(names)} keysets with an RSA signing key each")
        token = self.emulator.mint_token(lifetime=3 * 3600)
        create_keysets_with_signing_key(self.emulator, names, token)
        with open(self.token_vars_path, "w", encoding="utf-8") as handle:
            json.dump({"bench_graph_endpoint": self.emulator.url, "bench_ca_path": self.emulator.ca_path,
                       "bench_access_token": token}, handle)
        os.chmod(self.token_vars_path, 0o600)
        for case in cases:
            self.log(f"warm-up: {case.key}")
            self.run(case, min(self.sizes(case, 2)))


def measure(runner, cases, tasks, repeat, log=print):
    """Repetitions interleave the cases, so a slow minute on the machine spreads over all of them.

    Returns {case key: {"samples": {tasks_per_host: [Sample]}, "error": str | None}}.
    """
    results = {case.key: {"samples": {}, "error": None} for case in cases}
    for repetition in range(1, repeat + 1):
        for case in cases:
            outcome = results[case.key]
            if outcome["error"]:
                continue
            for size in runner.sizes(case, tasks):
                try:
                    sample = runner.run(case, size)
                except PlaybookFailed as exc:
                    outcome["error"] = str(exc)
                    log(f"[{repetition}/{repeat}] {case.key}: FAILED, {exc}")
                    break
                outcome["samples"].setdefault(size, []).append(sample)
                log(f"[{repetition}/{repeat}] {case.key:<9} {sample.module_runs:>3} task runs  "
                    f"{sample.wall_s:6.2f} s  {sample.wall_s / sample.module_runs:.3f} s/task  "
                    f"cpu {sample.cpu_s / sample.module_runs:.3f} s/task  {sample.requests}")
    return results
