"""Run ansible-playbook against the emulator the way a user would, for the integration suites."""

import json
import os
import subprocess
import sys

from tools.playbook_env import emulator_playbook_environment

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TARGETS_DIR = os.path.join(REPO_ROOT, "tests", "integration", "targets")
COLLECTIONS_PATH = os.path.join(REPO_ROOT, "build", "collections")
ANSIBLE_PLAYBOOK = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")


def playbook_environment(emulator, tmp_path, **overrides):
    """Environment of a playbook run: the emulator's credentials and nothing inherited from the caller's Azure setup."""
    return emulator_playbook_environment(
        emulator, COLLECTIONS_PATH, str(tmp_path / "token-cache.json"),
        ANSIBLE_ROLES_PATH=TARGETS_DIR,
        ANSIBLE_LOCAL_TEMP=str(tmp_path / "ansible-tmp"),
        ANSIBLE_PYTHON_INTERPRETER=sys.executable,
        REQUESTS_CA_BUNDLE="/nonexistent/ca.pem",  # must never be consulted: the modules use ca_path
        **overrides)


def run_playbook(emulator, tmp_path, playbook, *options, extra_vars=None, env=None, inventory="localhost,"):
    """Run one playbook (a path) and return the CompletedProcess; stdout and stderr are text."""
    command = [ANSIBLE_PLAYBOOK, "-i", inventory, str(playbook), *options]
    if extra_vars:
        vars_file = tmp_path / "extra-vars.json"
        vars_file.write_text(json.dumps(extra_vars))
        command += ["-e", "@%s" % vars_file]
    return subprocess.run(command, cwd=REPO_ROOT, env=env or playbook_environment(emulator, tmp_path),
                          capture_output=True, text=True, timeout=600, check=False)
