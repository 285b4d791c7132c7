"""Run the unit tests and the module integration targets on every ansible-core minor the collection claims,
and on the lowest versions of the runtime requirements.

The claimed minors come from ``requires_ansible`` in meta/runtime.yml (both bounds are required, so
the claim and the matrix cannot drift apart). Each minor gets its own venv under build/matrix/ with
that ansible-core and requirements-test.txt, on the Python that minor needs; a venv is reused while
its inputs are unchanged.

The ``floor`` environment holds every runtime requirement at its floor: the lower bound of
``requires_ansible`` and of each line of requirements.txt, installed with ``pip --constraint`` of
``name==floor``, so a floor that is too low fails here instead of in an execution environment.

    python -m tools.test_matrix                    # every claimed minor, then the floor
    python -m tools.test_matrix 2.16 2.21          # some of them
    python -m tools.test_matrix --unit-only floor  # the floor, unit tests only (make test-floor)
"""

from __future__ import annotations

import argparse
import glob
import hashlib
import os
import re
import subprocess
import sys
import time
from typing import NamedTuple, Optional

import yaml

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MATRIX_DIR = os.path.join(REPO_ROOT, "build", "matrix")
RUNTIME_REQUIREMENTS = "requirements.txt"
TEST_REQUIREMENTS = "requirements-test.txt"
UNIT_TESTS = ("tests/unit",)
TESTS = UNIT_TESTS + ("tests/integration/test_targets.py",)
FLOOR = "floor"
PYTHON = os.environ.get("PYTHON", "python3.11")
# ansible-core 2.20 dropped Python 3.11 on the controller (its support matrix: 3.12 to 3.14).
NEWER_PYTHON = "3.12"
FIRST_MINOR_WITHOUT_PY311 = 20
_FLOOR_LINE = re.compile(r"^\s*([A-Za-z0-9._-]+)\s*>=\s*([0-9][0-9.]*)\s*(?:,.*)?$")


class Result(NamedTuple):
    name: str
    version: str  # the ansible-core installed, or why there is none
    passed: bool
    seconds: float
    log_path: str


class Environment(NamedTuple):
    name: str  # an ansible-core minor ("2.19") or FLOOR
    python: Optional[str]  # the interpreter to build the venv with; None when the machine has none
    python_wanted: str  # what to look for, for the message when python is None
    install: tuple  # pip install arguments


def _requires_ansible(runtime_path):
    with open(runtime_path, encoding="utf-8") as handle:
        spec = yaml.safe_load(handle)["requires_ansible"]
    lower = re.search(r">=\s*2\.(\d+)\.0\b", spec)
    upper = re.search(r"<\s*2\.(\d+)(?:\.0)?\b", spec)
    if not (lower and upper):
        raise SystemExit("requires_ansible %r needs a '>=2.N.0' and a '<2.M' bound to define the matrix" % spec)
    return int(lower.group(1)), int(upper.group(1))


RUNTIME_YML = os.path.join(REPO_ROOT, "meta", "runtime.yml")


def claimed_minors(runtime_path=RUNTIME_YML):
    """['2.16', ..., '2.21'] for requires_ansible '>=2.16.0,<2.22.0'."""
    lower, upper = _requires_ansible(runtime_path)
    return ["2.%d" % minor for minor in range(lower, upper)]


RUNTIME_REQUIREMENTS_PATH = os.path.join(REPO_ROOT, RUNTIME_REQUIREMENTS)


def runtime_floors(requirements_path=RUNTIME_REQUIREMENTS_PATH):
    """{'httpx': '0.27', ...}: the '>=' bound of every requirement; a requirement without one is an error."""
    floors = {}
    with open(requirements_path, encoding="utf-8") as handle:
        for line in handle:
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            match = _FLOOR_LINE.match(line)
            if not match:
                raise SystemExit(
                    "%s: %r has no '>=' floor for the floor environment to test" % (RUNTIME_REQUIREMENTS, line)
                )
            floors[match.group(1).lower()] = match.group(2)
    return floors


def _requirement_name(line):
    return re.split(r"[\s<>=!~;\[]", line.strip(), maxsplit=1)[0].lower()


def find_python(version):
    """A working interpreter for Python ``version`` ('3.12'): $PYTHON_3_12, python3.12 on PATH, or pyenv's."""
    candidates = [os.environ.get("PYTHON_" + version.replace(".", "_")), "python" + version]
    pyenv_root = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    installed = glob.glob(os.path.join(pyenv_root, "versions", version + ".*", "bin", "python" + version))
    candidates += sorted(installed, key=lambda path: [int(part) for part in re.findall(r"\d+", path)], reverse=True)
    for candidate in filter(None, candidates):
        try:  # a pyenv shim of a version that is not selected is on PATH but fails
            if subprocess.run([candidate, "-c", ""], capture_output=True, check=False).returncode == 0:
                return candidate
        except OSError:
            continue
    return None


def minor_environment(minor):
    if int(minor.split(".")[1]) < FIRST_MINOR_WITHOUT_PY311:
        python, wanted = PYTHON, PYTHON
    else:
        python, wanted = find_python(NEWER_PYTHON), "python" + NEWER_PYTHON
    return Environment(minor, python, wanted, ("ansible-core==%s.*" % minor, "-r", TEST_REQUIREMENTS))


def floor_environment():
    """requirements-test.txt without its runtime pins, requirements.txt, and a constraint of each floor."""
    directory = os.path.join(MATRIX_DIR, FLOOR)
    os.makedirs(directory, exist_ok=True)
    lower, _upper = _requires_ansible(os.path.join(REPO_ROOT, "meta", "runtime.yml"))
    floors = dict(runtime_floors(), **{"ansible-core": "2.%d.0" % lower})
    test_only = os.path.join(directory, "requirements-test-only.txt")
    with (
        open(os.path.join(REPO_ROOT, TEST_REQUIREMENTS), encoding="utf-8") as source,
        open(test_only, "w", encoding="utf-8") as target,
    ):
        for line in source:
            bare = line.split("#", 1)[0].strip()
            if bare and not bare.startswith("-r") and _requirement_name(bare) not in floors:
                target.write(bare + "\n")
    constraints = os.path.join(directory, "constraints.txt")
    with open(constraints, "w", encoding="utf-8") as handle:
        handle.writelines("%s==%s\n" % item for item in sorted(floors.items()))
    install = ("ansible-core", "-r", RUNTIME_REQUIREMENTS, "-r", test_only, "--constraint", constraints)
    return Environment(FLOOR, PYTHON, PYTHON, install)


def environment(name):
    return floor_environment() if name == FLOOR else minor_environment(name)


def _inputs_digest(env):
    digest = hashlib.sha256(("%s %s %s\n" % (env.name, env.python, env.install)).encode())
    for name in (RUNTIME_REQUIREMENTS, TEST_REQUIREMENTS) + tuple(
        arg for arg in env.install if arg.startswith(MATRIX_DIR)
    ):
        with open(os.path.join(REPO_ROOT, name), "rb") as handle:
            digest.update(handle.read())
    return digest.hexdigest()


def _run(command, log):
    log.write("$ %s\n" % " ".join(command))
    log.flush()
    return subprocess.run(command, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT, check=False).returncode


def prepare_venv(env, log):
    """Create (or reuse) build/matrix/<name>/venv; return its python, or None when the install failed."""
    venv = os.path.join(MATRIX_DIR, env.name, "venv")
    python = os.path.join(venv, "bin", "python")
    stamp = os.path.join(venv, ".installed")
    wanted = _inputs_digest(env)
    if os.path.exists(stamp):
        with open(stamp, encoding="utf-8") as handle:
            if handle.read() == wanted:
                return python
    steps = (
        [env.python, "-m", "venv", "--clear", venv],
        [python, "-m", "pip", "install", "--quiet", "--upgrade", "pip"],
        [python, "-m", "pip", "install", "--quiet", *env.install],
    )
    for command in steps:
        if _run(command, log) != 0:
            return None
    with open(stamp, "w", encoding="utf-8") as handle:
        handle.write(wanted)
    return python


def run_environment(name, tests=TESTS):
    """Install (or reuse) the venv of one environment and run the tests in it."""
    os.makedirs(os.path.join(MATRIX_DIR, name), exist_ok=True)
    log_path = os.path.join(MATRIX_DIR, name, "log.txt")
    started = time.monotonic()
    env = environment(name)
    with open(log_path, "w", encoding="utf-8") as log:
        if env.python is None:
            log.write(
                "no %s on this machine (set PYTHON_%s, or install it)\n"
                % (env.python_wanted, NEWER_PYTHON.replace(".", "_"))
            )
            return Result(name, "no " + env.python_wanted, False, time.monotonic() - started, log_path)
        python = prepare_venv(env, log)
        if python is None:
            return Result(name, "install failed", False, time.monotonic() - started, log_path)
        version = subprocess.run(
            [
                python,
                "-c",
                "import ansible.release as r, sys; print(r.__version__, 'on Python %d.%d' % sys.version_info[:2])",
            ],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        tests_started = time.monotonic()
        code = _run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider", *tests], log)
        log.write("tests took %.0f s\n" % (time.monotonic() - tests_started))
    return Result(name, version, code == 0, time.monotonic() - started, log_path)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "environments", nargs="*", help="ansible-core minors, or 'floor' (default: every claimed minor, then the floor)"
    )
    parser.add_argument("--unit-only", action="store_true", help="run tests/unit only")
    args = parser.parse_args(argv)
    names = args.environments or claimed_minors() + [FLOOR]
    tests = UNIT_TESTS if args.unit_only else TESTS
    results = []
    for name in names:
        print("=== %s" % ("requirements at their floors" if name == FLOOR else "ansible-core " + name), flush=True)
        result = run_environment(name, tests)
        results.append(result)
        print(
            "    %s %s in %.0f s (log: %s)"
            % (
                result.version,
                "passed" if result.passed else "FAILED",
                result.seconds,
                os.path.relpath(result.log_path, REPO_ROOT),
            ),
            flush=True,
        )
    print("\n| environment | ansible-core | result | duration |\n|---|---|---|---:|")
    for result in results:
        verdict = "pass" if result.passed else "FAIL"
        print("| %s | %s | %s | %.0f s |" % (result.name, result.version, verdict, result.seconds))
    return 0 if all(result.passed for result in results) else 1


if __name__ == "__main__":
    sys.exit(main())
