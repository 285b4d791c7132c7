"""The benchmark cases: what each play runs, on which hosts, with which token cache."""

import dataclasses
import os

from bench import playbooks


@dataclasses.dataclass
class Case:
    key: str
    label: str
    tasks: object = None          # count -> list of tasks, for single-host cases
    tenants: int = 0              # > 0: the scale-out play on that many tenant hosts
    fresh_token_cache: bool = False
    needs_token_vars: bool = False
    measure_slope: bool = True

    @property
    def forks(self):
        return max(self.tenants, 1)

    def module_runs(self, tasks_per_host):
        """How many task executions (module processes) one run of the play makes."""
        return tasks_per_host * self.forks

    def write_play(self, directory, tasks_per_host, module_python):
        """Write the play (and its inventory) for this size; return (playbook, inventory)."""
        name = f"{self.key}-{tasks_per_host}"
        inventory = playbooks.write_inventory(
            os.path.join(directory, f"inventory-{self.key}.yml"), module_python, tenants=self.tenants
        )
        if self.tenants:
            return playbooks.write_tenants_play(directory, name, tasks_per_host), inventory
        return playbooks.write_single_host_play(directory, name, self.tasks(tasks_per_host)), inventory


def all_cases(tenants):
    return [
        Case("ping", "ansible.builtin.ping (floor)", tasks=playbooks.ping_tasks),
        Case("uri", "ansible.builtin.uri GET, token given", tasks=playbooks.uri_tasks, needs_token_vars=True),
        Case("info", "b2c_keyset_info, converged", tasks=playbooks.keyset_info_tasks),
        Case("key_warm", "b2c_keyset_key, converged, warm token cache", tasks=playbooks.keyset_key_tasks),
        Case("key_cold", "b2c_keyset_key, converged, cold token cache", tasks=playbooks.keyset_key_tasks,
             fresh_token_cache=True, measure_slope=False),
        Case("scale_1", "b2c_keyset_key, 1 tenant host", tenants=1, measure_slope=False),
        Case(f"scale_{tenants}", f"b2c_keyset_key, {tenants} tenant hosts, forks={tenants}", tenants=tenants,
             measure_slope=False),
    ]
