"""Run one ansible-playbook, time it, and check it did what a converged run should."""

import os
import resource
import subprocess
import time

from bench.paths import ANSIBLE_PLAYBOOK, COLLECTIONS_PATH
from tools.playbook_recap import recap_total


class PlaybookFailed(RuntimeError):
    """A timed run failed or changed something; its output is kept in the work directory."""


def playbook_env(connection_env, work_dir, module_python):
    """The environment of one ansible-playbook run: `connection_env` plus a neutral Ansible setup.

    Inherited AZURE_*/B2C_*/ANSIBLE_* variables are dropped: a stray
    B2C_ACCESS_TOKEN or certificate path would switch the modules to another
    auth method, and a user's Ansible settings would change the numbers.
    """
    env = {name: value for name, value in os.environ.items() if not name.startswith(("AZURE_", "B2C_", "ANSIBLE_"))}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # set on some build machines; real controllers keep byte-code caches
    config_path = os.path.join(work_dir, "ansible.cfg")
    if not os.path.exists(config_path):
        open(config_path, "w", encoding="utf-8").close()  # no user or project ansible.cfg changes the numbers
    env.update(
        ANSIBLE_CONFIG=config_path,
        ANSIBLE_COLLECTIONS_PATH=COLLECTIONS_PATH,
        ANSIBLE_PYTHON_INTERPRETER=module_python,
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_RETRY_FILES_ENABLED="0",
        ANSIBLE_LOCALHOST_WARNING="0",
    )
    env.update(connection_env)
    return env


def _children_cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_playbook(playbook, inventory, env, forks, log_path, extra_vars_path=None, allow_changes=False):
    """Return (wall seconds, CPU seconds); raise PlaybookFailed unless every host ran cleanly.

    CPU time (user + system of ansible-playbook and every process it waited
    for, module runs included) is reported next to wall time because it hardly
    moves when other work shares the machine; wall time does.
    """
    command = [ANSIBLE_PLAYBOOK, "-i", inventory, "--forks", str(forks), playbook]
    if extra_vars_path:
        command += ["--extra-vars", "@" + extra_vars_path]
    cpu_before = _children_cpu_seconds()
    started = time.perf_counter()
    completed = subprocess.run(command, cwd=os.path.dirname(playbook), env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, check=False)
    wall = time.perf_counter() - started
    cpu = _children_cpu_seconds() - cpu_before
    with open(log_path, "w", encoding="utf-8") as handle:
        handle.write(completed.stdout)
    output = completed.stdout
    if completed.returncode != 0 or recap_total(output, "failed") or recap_total(output, "unreachable") \
            or not recap_total(output, "ok"):
        raise PlaybookFailed(f"{os.path.basename(playbook)} failed (rc={completed.returncode}); see {log_path}")
    changed = recap_total(output, "changed")
    if changed and not allow_changes:
        raise PlaybookFailed(
            f"{os.path.basename(playbook)} reported changed={changed} on a converged run; see {log_path}"
        )
    return wall, cpu
