"""What the benchmark times: the cases, and the plays and inventories they run, written as files
so that a run can be repeated by hand.

Every play repeats one task N times as N separate tasks (not a loop), because a real
pipeline's cost is per task: one module process, one connection setup, one token lookup each.
"""

import copy
import dataclasses
import os
import shutil

import yaml

from bench import REPO_ROOT

BENCH_KEYSET = "Bench"
GRAPH_KEYSET_PATH = "/beta/trustFramework/keySets/B2C_1A_" + BENCH_KEYSET
SITE_PLAYBOOK = os.path.join(REPO_ROOT, "playbooks", "site.yml")
SAMPLE_POLICY_DIR = os.path.join(REPO_ROOT, "playbooks", "files", "policies")
# A fifth policy for the site case: one more relying party, rendered from the sample's greeting.
EXTRA_RELYING_PARTY = ("greeting.xml", "B2C_1A_SAMPLE_GREETING", "B2C_1A_BENCH_GREETING")
SITE_HOST_VARS = {
    "b2c_ief_app_id": "0f3e2d1c-0000-4000-8000-0000000000a1",
    "b2c_proxy_ief_app_id": "0f3e2d1c-0000-4000-8000-0000000000b2",
}


# -- tasks ----------------------------------------------------------------------------------------
def _numbered_tasks(count, name, module, args, **keywords):
    """`count` copies of one task, named "<name> 1" to "<name> <count>" (own copies: no YAML anchors in the play)."""
    return [dict({"name": f"{name} {i}", module: copy.deepcopy(args)}, **keywords) for i in range(1, count + 1)]


def ping_tasks(count):
    return _numbered_tasks(count, "ping", "ansible.builtin.ping", None)


def uri_tasks(count):
    """The hand-written alternative: GET the keyset with a token the caller already holds."""
    request = {
        "url": "{{ bench_graph_endpoint }}" + GRAPH_KEYSET_PATH,
        "ca_path": "{{ bench_ca_path | default(omit) }}",  # given with --trust ca-path only
        "headers": {"Authorization": "Bearer {{ bench_access_token }}"},
    }
    return _numbered_tasks(
        count, "GET keyset with uri", "ansible.builtin.uri", request, no_log=True
    )  # the header holds the token


def keyset_info_tasks(count):
    return _numbered_tasks(count, "read keyset", "b2c.trustframework.b2c_keyset_info", {"name": BENCH_KEYSET})


def keyset_key_tasks(count):
    return _numbered_tasks(
        count,
        "ensure signing key",
        "b2c.trustframework.b2c_keyset_key",
        {"keyset": BENCH_KEYSET, "kty": "rsa", "use": "sig"},
    )


def tenant_keyset_tasks(keysets_per_tenant):
    """One converged key task per keyset of the host; hosts own distinct keysets (one emulator tenant)."""
    return [
        {
            "name": f"ensure signing key of keyset {k}",
            "b2c.trustframework.b2c_keyset_key": {
                "keyset": "{{ bench_keyset_prefix }}K%d" % k,
                "kty": "rsa",
                "use": "sig",
            },
        }
        for k in range(1, keysets_per_tenant + 1)
    ]


# -- hosts ----------------------------------------------------------------------------------------
def tenant_names(count):
    return ["tenant%02d" % i for i in range(1, count + 1)]


def tenant_keyset_prefix(host):
    return "Bench" + host.capitalize()


def keysets_to_prepare(tenants, keysets_per_tenant):
    """Every keyset a converged case expects: the single-host one, and K distinct ones per tenant host
    (distinct because the emulator has one tenant)."""
    return [BENCH_KEYSET] + [
        f"{tenant_keyset_prefix(host)}K{k}" for host in tenant_names(tenants) for k in range(1, keysets_per_tenant + 1)
    ]


# -- policies -------------------------------------------------------------------------------------
def write_policy_set(directory):
    """The sample set plus one more relying party, in `directory`; returns how many policies it holds."""
    os.makedirs(directory, exist_ok=True)
    names = sorted(name for name in os.listdir(SAMPLE_POLICY_DIR) if name.endswith(".xml"))
    for name in names:
        shutil.copyfile(os.path.join(SAMPLE_POLICY_DIR, name), os.path.join(directory, name))
    source, sample_id, bench_id = EXTRA_RELYING_PARTY
    with open(os.path.join(SAMPLE_POLICY_DIR, source), encoding="utf-8") as handle:
        template = handle.read()
    with open(os.path.join(directory, bench_id.lower() + ".xml"), "w", encoding="utf-8") as handle:
        handle.write(template.replace(sample_id, bench_id))
    return len(names) + 1


# -- files ----------------------------------------------------------------------------------------
def _write_yaml(path, document):
    with open(path, "w", encoding="utf-8") as handle:
        yaml.safe_dump(document, handle, sort_keys=False)
    return path


def _write_play(directory, name, hosts, tasks):
    play = [{"name": name, "hosts": hosts, "connection": "local", "gather_facts": False, "tasks": tasks}]
    return _write_yaml(os.path.join(directory, name + ".yml"), play)


def _write_inventory(path, python, tenants, localhost_vars=None):
    """localhost plus `tenants` hosts, all local; each tenant host names its own keysets."""
    group_all = {
        "vars": {"ansible_connection": "local", "ansible_python_interpreter": python},
        "hosts": {"localhost": localhost_vars},
    }
    if tenants:
        hosts = {name: {"bench_keyset_prefix": tenant_keyset_prefix(name)} for name in tenant_names(tenants)}
        group_all["children"] = {"tenants": {"hosts": hosts}}
    return _write_yaml(path, {"all": group_all})


# -- cases ----------------------------------------------------------------------------------------
@dataclasses.dataclass
class Case:
    key: str
    label: str
    tasks: object = None  # count -> list of tasks, for single-host cases
    tenants: int = 0  # > 0: the scale-out play on that many tenant hosts
    policies: int = 0  # > 0: playbooks/site.yml over a set of that many policies (figures per policy)
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
        """Write the play (and its inventory) for this size; return (playbook, inventory).

        For the tenant plays, `tasks_per_host` is the number of keysets per host; for site.yml, of policies.
        """
        name = f"{self.key}-{tasks_per_host}"
        if self.policies:
            policy_dir = os.path.join(directory, "policies")
            if write_policy_set(policy_dir) != tasks_per_host:
                raise ValueError(f"the site case needs {tasks_per_host} policies")
            host_vars = dict(SITE_HOST_VARS, b2c_policy_dir=policy_dir)
            path = os.path.join(directory, f"inventory-{self.key}.yml")
            return SITE_PLAYBOOK, _write_inventory(path, module_python, 0, host_vars)
        inventory = _write_inventory(os.path.join(directory, f"inventory-{self.key}.yml"), module_python, self.tenants)
        if self.tenants:
            return _write_play(directory, name, "tenants", tenant_keyset_tasks(tasks_per_host)), inventory
        return _write_play(directory, name, "localhost", self.tasks(tasks_per_host)), inventory


def all_cases(tenants):
    """The cases of a full run; the scale-out case compares `tenants` hosts (2 or more) with one."""
    return [
        Case("ping", "ansible.builtin.ping (floor)", tasks=ping_tasks),
        Case("uri", "ansible.builtin.uri GET, token given", tasks=uri_tasks, needs_token_vars=True),
        Case("info", "b2c_keyset_info, converged", tasks=keyset_info_tasks),
        Case("key_warm", "b2c_keyset_key, converged, warm token cache", tasks=keyset_key_tasks),
        Case(
            "key_cold",
            "b2c_keyset_key, converged, cold token cache",
            tasks=keyset_key_tasks,
            fresh_token_cache=True,
            measure_slope=False,
        ),
        Case("site", "site.yml converged, 5 policies (figures per policy)", policies=5, measure_slope=False),
        Case("scale_1", "b2c_keyset_key, 1 tenant host", tenants=1, measure_slope=False),
        Case(
            f"scale_{tenants}",
            f"b2c_keyset_key, {tenants} tenant hosts, forks={tenants}",
            tenants=tenants,
            measure_slope=False,
        ),
    ]
