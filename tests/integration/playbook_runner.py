"""Run ansible-playbook against the emulator the way a user would, for the integration suites."""

import glob
import json
import os
import subprocess
import sys

from tools.playbook_env import emulator_playbook_environment

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TARGETS_DIR = os.path.join(REPO_ROOT, "tests", "integration", "targets")
COLLECTIONS_PATH = os.path.join(REPO_ROOT, "build", "collections")
ANSIBLE_PLAYBOOK = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
# Where Debian/Ubuntu (multiarch), Fedora and a source build put libfaketime.
LIBFAKETIME_PATTERNS = (
    "/usr/lib/*/faketime/libfaketime.so.1",
    "/usr/lib64/faketime/libfaketime.so.1",
    "/usr/lib/faketime/libfaketime.so.1",
    "/usr/local/lib/faketime/libfaketime.so.1",
)
MISSING_LIBFAKETIME = (
    "Running playbooks in shifted time needs libfaketime: run `make system-deps` "
    "(or install it: apt-get install libfaketime, dnf install libfaketime)."
)


def libfaketime_path():
    """The installed libfaketime library, or None."""
    for pattern in LIBFAKETIME_PATTERNS:
        found = sorted(glob.glob(pattern))
        if found:
            return found[0]
    return None


def shifted_time_environment(offset_seconds):
    """Variables that make a process and its children see real time + offset_seconds (libfaketime).

    Only the time changes: TLS still verifies (the emulator's certificates are valid 2000-3000).
    The monotonic clock is shifted too, by the same constant: libfaketime 0.9.10 answers EINVAL
    to Python's time.sleep when it is not (FAKETIME_DONT_FAKE_MONOTONIC=1). Known limit: a
    threading wait with a timeout (Event.wait(t), Lock.acquire(timeout=t)) also waits the
    offset; ansible-playbook and the collection's modules do not wait that way.
    """
    if not offset_seconds:
        return {}
    library = libfaketime_path()
    if library is None:
        raise RuntimeError(MISSING_LIBFAKETIME)
    preload = [library] + [item for item in os.environ.get("LD_PRELOAD", "").split(":") if item]
    return {"LD_PRELOAD": ":".join(preload), "FAKETIME": "%+d" % offset_seconds, "FAKETIME_DONT_FAKE_MONOTONIC": "0"}


def playbook_environment(emulator, tmp_path, clock_offset_seconds=None, **overrides):
    """Environment of a playbook run: the emulator's credentials and nothing inherited from the caller's Azure setup.

    The playbook lives in the emulator's time (see POST /_emulator/clock) unless clock_offset_seconds
    gives another offset from real time, for example 0 to test a client whose clock is behind.
    """
    offset = emulator.clock()["offset_seconds"] if clock_offset_seconds is None else clock_offset_seconds
    return emulator_playbook_environment(
        emulator,
        COLLECTIONS_PATH,
        str(tmp_path / "token-cache.json"),
        ANSIBLE_ROLES_PATH=TARGETS_DIR,
        ANSIBLE_LOCAL_TEMP=str(tmp_path / "ansible-tmp"),
        ANSIBLE_PYTHON_INTERPRETER=sys.executable,
        REQUESTS_CA_BUNDLE="/nonexistent/ca.pem",  # must never be consulted: the modules use ca_path
        **dict(shifted_time_environment(offset), **overrides),
    )


def run_playbook(
    emulator, tmp_path, playbook, *options, extra_vars=None, env=None, inventory="localhost,", cwd=REPO_ROOT
):
    """Run one playbook (a path) from ``cwd`` and return the CompletedProcess; stdout and stderr are text."""
    command = [ANSIBLE_PLAYBOOK, "-i", inventory, str(playbook), *options]
    if extra_vars:
        vars_file = tmp_path / "extra-vars.json"
        vars_file.write_text(json.dumps(extra_vars))
        command += ["-e", "@%s" % vars_file]
    return subprocess.run(
        command,
        cwd=cwd,
        env=env or playbook_environment(emulator, tmp_path),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
