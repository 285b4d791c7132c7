"""Many forks writing to one keyset at once: the keyset lock leaves exactly one key, whatever the source."""

import pytest

from tests.integration.reliability.support import (
    create_keyset,
    kids,
    local_play,
    module_task,
    read_keyset,
    run_plays,
)

HOSTS = ["racer%d" % number for number in range(1, 9)]
CONNECTION = {"max_retries": 1, "timeout": 10}
SECRET = "race-secret-value-0123456789"
# task name -> (keyset, module options)
RACES = {
    "generate into a missing keyset": ("Race_Generate", {}),
    "secret into a missing keyset": ("Race_Secret", {"source": "secret", "secret": SECRET}),
    "generate into an existing empty keyset": ("Race_Existing", {}),
}


@pytest.fixture(scope="module")
def race(emulator, tmp_path_factory):
    """Eight hosts, forks=8, no run_once: every host runs every task against the same keyset at the same time."""
    emulator.reset()
    create_keyset(emulator, "Race_Existing")
    # Slow reads widen the window in which every fork finds the keyset without a key.
    emulator.add_fault(path="/trustFramework/keySets/", method="GET", delay_ms=300, count=None)
    tasks = [
        module_task(name, "b2c_keyset_key", dict(CONNECTION, keyset=keyset, **options))
        for name, (keyset, options) in RACES.items()
    ]
    run = run_plays(
        emulator,
        tmp_path_factory.mktemp("race"),
        [local_play(tasks, name="Race", hosts="all")],
        "--forks",
        str(len(HOSTS)),
        inventory=",".join(HOSTS) + ",",
    )
    stored = {name: read_keyset(emulator, keyset) for name, (keyset, _options) in RACES.items()}
    emulator.reset()
    return run, stored


@pytest.mark.integration
@pytest.mark.parametrize("task", list(RACES))
def test_forks_leave_exactly_one_key(race, task):
    run, stored = race
    assert run.process.returncode == 0, run.output[-8000:]
    assert len(kids(stored[task])) == 1, "%d keys in %s" % (len(kids(stored[task])), stored[task])
    results = [run.result(task, host) for host in HOSTS]
    assert {result["key"]["kid"] for result in results} == set(kids(stored[task])), "every fork reports the one key"
    assert sum(1 for result in results if result["action"] in ("generated", "uploaded")) == 1
    entries = [run.entry(task, host) for host in HOSTS]
    assert any(
        one["start"] < other["end"] and other["start"] < one["end"]
        for one in entries
        for other in entries
        if one is not other
    ), "the forks never ran at the same time"


@pytest.mark.integration
def test_one_tenant_spelled_two_ways_is_one_lock(emulator, tmp_path):
    """Half the forks name the tenant by its domain, half by its GUID (the emulator takes both): still one key."""
    emulator.reset()
    emulator.add_fault(path="/trustFramework/keySets/", method="GET", delay_ms=300, count=None)
    spelled = "{{ '%s' if inventory_hostname[-1] | int is even else '%s' }}" % (emulator.tenant, emulator.tenant_guid)
    task = module_task(
        "generate, the tenant spelled two ways",
        "b2c_keyset_key",
        dict(CONNECTION, keyset="Race_Spelled", tenant_id=spelled),
    )
    run = run_plays(
        emulator,
        tmp_path,
        [local_play([task], name="Race", hosts="all")],
        "--forks",
        str(len(HOSTS)),
        inventory=",".join(HOSTS) + ",",
    )
    stored = read_keyset(emulator, "Race_Spelled")
    emulator.reset()
    assert run.process.returncode == 0, run.output[-8000:]
    assert len(kids(stored)) == 1, "%d keys in %s" % (len(kids(stored)), stored)
    assert sum(1 for host in HOSTS if run.result(task["name"], host)["action"] == "generated") == 1
