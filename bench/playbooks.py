"""The plays the benchmark times, written as files so a run can be repeated by hand.

Every play repeats one task N times as N separate tasks (not a loop), because
a real pipeline's cost is per task: one module process, one connection setup,
one token lookup each.
"""

import os

import yaml

BENCH_KEYSET = "Bench"
GRAPH_KEYSET_PATH = "/beta/trustFramework/keySets/B2C_1A_" + BENCH_KEYSET


def _write_yaml(path, document):
    with open(path, "w", encoding="utf-8") as handle:
        yaml.safe_dump(document, handle, sort_keys=False)
    return path


def _play(name, hosts, tasks):
    return [{"name": name, "hosts": hosts, "connection": "local", "gather_facts": False, "tasks": tasks}]


def ping_tasks(count):
    return [{"name": f"ping {i}", "ansible.builtin.ping": None} for i in range(1, count + 1)]


def uri_tasks(count):
    """The hand-written alternative: GET the keyset with a token the caller already holds."""
    return [
        {
            "name": f"GET keyset with uri {i}",
            "ansible.builtin.uri": {
                "url": "{{ bench_graph_endpoint }}" + GRAPH_KEYSET_PATH,
                "headers": {"Authorization": "Bearer {{ bench_access_token }}"},
                "ca_path": "{{ bench_ca_path }}",
            },
            "no_log": True,  # the header holds the token
        }
        for i in range(1, count + 1)
    ]


def keyset_info_tasks(count):
    return [
        {"name": f"read keyset {i}", "b2c.trustframework.b2c_keyset_info": {"name": BENCH_KEYSET}}
        for i in range(1, count + 1)
    ]


def keyset_key_tasks(count, keyset=BENCH_KEYSET):
    return [
        {
            "name": f"ensure signing key {i}",
            "b2c.trustframework.b2c_keyset_key": {"keyset": keyset, "kty": "rsa", "use": "sig"},
        }
        for i in range(1, count + 1)
    ]


def tenant_keyset_tasks(keysets_per_tenant):
    """One converged key task per keyset of the host; hosts own distinct keysets (one emulator tenant)."""
    return [
        {
            "name": f"ensure signing key of keyset {k}",
            "b2c.trustframework.b2c_keyset_key": {
                "keyset": "{{ bench_keyset_prefix }}K%d" % k, "kty": "rsa", "use": "sig",
            },
        }
        for k in range(1, keysets_per_tenant + 1)
    ]


def write_single_host_play(directory, name, tasks):
    return _write_yaml(os.path.join(directory, name + ".yml"), _play(name, "localhost", tasks))


def write_tenants_play(directory, name, keysets_per_tenant):
    return _write_yaml(
        os.path.join(directory, name + ".yml"), _play(name, "tenants", tenant_keyset_tasks(keysets_per_tenant))
    )


def tenant_names(count):
    return ["tenant%02d" % i for i in range(1, count + 1)]


def tenant_keyset_prefix(host):
    return "Bench" + host.capitalize()


def tenant_keyset_names(tenants, keysets_per_tenant):
    """The keysets the scale-out plays expect: distinct per host, because the emulator has one tenant."""
    return [f"{tenant_keyset_prefix(host)}K{k}" for host in tenant_names(tenants)
            for k in range(1, keysets_per_tenant + 1)]


def write_inventory(path, python, tenants=0):
    """localhost plus `tenants` hosts, all local; each tenant host names its own keysets."""
    hosts = {name: {"bench_keyset_prefix": tenant_keyset_prefix(name)} for name in tenant_names(tenants)}
    group_all = {
        "vars": {"ansible_connection": "local", "ansible_python_interpreter": python},
        "hosts": {"localhost": None},
    }
    if hosts:
        group_all["children"] = {"tenants": {"hosts": hosts}}
    return _write_yaml(path, {"all": group_all})
