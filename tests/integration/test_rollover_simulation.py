"""Three simulated years of playbooks/rotate.yml, run every 30 days (one month skipped), against the emulator.

The emulator's clock is moved on between runs and every run lives in that time
(playbook_runner preloads libfaketime). After each run the keysets are read
straight from the emulator; the whole history is then checked: a key is active
at every day of the simulation, every key that takes over was published at
least activate_in_days before its nbf, each rollover adds exactly one key, and
with disable_expired the enabled keys stay few. The timeline is printed and
written to rollover-timeline.md in the test's tmp folder.
"""

import dataclasses
import datetime
import os

import pytest

from ansible_collections.b2c.trustframework.plugins.module_utils import key_rules, key_summary, keyset_names
from tests.integration.playbook_runner import REPO_ROOT, run_playbook
from tests.support.graph import emulator_client

DAY = 86400
ROTATE = os.path.join(REPO_ROOT, "playbooks", "rotate.yml")
KEYSETS = ("B2C_1A_TokenSigningKeyContainer", "B2C_1A_TokenEncryptionKeyContainer")
ACTIVATE_IN_DAYS = 7  # rotate.yml's default
INTERVAL_DAYS = 30
SKIPPED_RUN = 20  # the month a real schedule misses
RUN_DAYS = [INTERVAL_DAYS * month for month in range(37) if month != SKIPPED_RUN]  # 36 runs over three years
MAX_ENABLED_KEYS = 3  # the active key, a staged successor, a predecessor within its grace

pytestmark = [pytest.mark.integration, pytest.mark.long_running]


@dataclasses.dataclass
class Step:
    """One rotate.yml run: when it started and when its keys were read afterwards (emulator time), and the keys."""

    day: int
    started: int
    now: int
    keys: dict


def read_keys(emulator):
    with emulator_client(emulator) as client:
        return {name: client.get("/keySets/" + name).json()["keys"] for name in KEYSETS}


def run_simulation(emulator, tmp_path):
    steps = []
    for day in RUN_DAYS:
        started = emulator.shift_clock(days=day)["now"]
        run = run_playbook(emulator, tmp_path, ROTATE, "-e", "disable_expired=true")
        assert run.returncode == 0, "day %d:\n%s" % (day, run.stdout[-6000:] + run.stderr[-2000:])
        keys = read_keys(emulator)
        steps.append(Step(day, started, emulator.clock()["now"], keys))
    return steps


def first_seen(steps, name):
    """kid -> when the run that added the key started (emulator time): it is published from that run on."""
    seen = {}
    for step in steps:
        for key in step.keys[name]:
            seen.setdefault(key["kid"], step.started)
    return seen


def daily_active_kids(steps, name):
    """The active key (service rule) on every day of the simulation, from the keys each run left."""
    active = []
    for step, following in zip(steps, steps[1:] + [None]):
        days = (following.now - step.now) // DAY if following else INTERVAL_DAYS
        for offset in range(days):
            key = key_rules.active_key(step.keys[name], step.now + offset * DAY)
            active.append((step.now + offset * DAY, key and key["kid"]))
    return active


def short(kid):
    return (kid or "-")[:8]


def timeline(steps):
    lines = [
        "| day | date | keyset | keys | enabled | active | next (activates) | added | disabled |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    previous = None
    for step in steps:
        date = datetime.datetime.fromtimestamp(step.now, datetime.timezone.utc).strftime("%Y-%m-%d")
        for name in KEYSETS:
            keys = step.keys[name]
            before = {key["kid"]: key for key in previous.keys[name]} if previous else {}
            added = [key["kid"] for key in keys if key["kid"] not in before]
            disabled = [
                key["kid"]
                for key in keys
                if key["kid"] in before and not key_rules.is_enabled(key) and key_rules.is_enabled(before[key["kid"]])
            ]
            active = key_rules.active_key(keys, step.now)
            upcoming = key_summary.summarize_next_key(keys, step.now)
            upcoming_text = "%s (%d d)" % (short(upcoming["kid"]), upcoming["activates_in_days"]) if upcoming else "-"
            lines.append(
                "| %d | %s | %s | %d | %d | %s | %s | %s | %s |"
                % (
                    step.day,
                    date,
                    keyset_names.strip_prefix(name).replace("KeyContainer", ""),
                    len(keys),
                    len([key for key in keys if key_rules.is_enabled(key)]),
                    short(active and active["kid"]),
                    upcoming_text,
                    " ".join(map(short, added)) or "-",
                    " ".join(map(short, disabled)) or "-",
                )
            )
        previous = step
    return "\n".join(lines)


def test_three_years_of_monthly_rotation(emulator_clean, tmp_path):
    steps = run_simulation(emulator_clean, tmp_path)
    table = timeline(steps)
    (tmp_path / "rollover-timeline.md").write_text(table + "\n")
    print("\n" + table)

    for name in KEYSETS:
        seen = first_seen(steps, name)
        # At every step, and on every day in between, a key is active.
        active_days = daily_active_kids(steps, name)
        assert all(kid for _when, kid in active_days), [when for when, kid in active_days if not kid][:5]
        # Every key that takes over from another was published activate_in_days before its nbf.
        kids_by_day = [kid for _when, kid in active_days]
        takeovers = [kid for before, kid in zip(kids_by_day, kids_by_day[1:]) if kid != before]
        assert takeovers, "three years without a rollover: the simulation proves nothing"
        for kid in takeovers:
            nbf = next(key["nbf"] for key in steps[-1].keys[name] if key["kid"] == kid)
            assert nbf - seen[kid] >= ACTIVATE_IN_DAYS * DAY, (name, kid, (nbf - seen[kid]) / DAY)
        # Each rollover adds exactly one key; the first run adds the first one.
        added = [len([kid for kid in seen if seen[kid] == step.started]) for step in steps]
        assert added[0] == 1 and set(added[1:]) <= {0, 1}, added
        assert sum(added[1:]) == len(takeovers)
        # Retiring keeps the enabled keys few.
        for step in steps:
            enabled = [key for key in step.keys[name] if key_rules.is_enabled(key)]
            assert len(enabled) <= MAX_ENABLED_KEYS, (step.day, name, enabled)
        assert len(steps[-1].keys[name]) > MAX_ENABLED_KEYS  # old keys stay in the keyset, disabled
