"""Run the unit tests and the module integration targets on every ansible-core minor the collection claims.

The claimed minors come from ``requires_ansible`` in meta/runtime.yml (both bounds are required, so
the claim and the matrix cannot drift apart). Each minor gets its own venv under build/matrix/ with
that ansible-core and requirements-test.txt; a venv is reused while its inputs are unchanged.

    python -m tools.test_matrix            # every claimed minor
    python -m tools.test_matrix 2.16 2.19  # some of them
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import subprocess
import sys
import time
from typing import NamedTuple

import yaml

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MATRIX_DIR = os.path.join(REPO_ROOT, "build", "matrix")
REQUIREMENTS = ("requirements.txt", "requirements-test.txt")
TESTS = ("tests/unit", "tests/integration/test_targets.py")
PYTHON = os.environ.get("PYTHON", "python3.11")


class Result(NamedTuple):
    minor: str
    version: str  # the ansible-core installed, or why there is none
    passed: bool
    seconds: float
    log_path: str


def claimed_minors(runtime_path=os.path.join(REPO_ROOT, "meta", "runtime.yml")):
    """['2.16', ..., '2.19'] for requires_ansible '>=2.16.0,<2.20.0'."""
    with open(runtime_path, encoding="utf-8") as handle:
        spec = yaml.safe_load(handle)["requires_ansible"]
    lower = re.search(r">=\s*2\.(\d+)\.0\b", spec)
    upper = re.search(r"<\s*2\.(\d+)(?:\.0)?\b", spec)
    if not (lower and upper):
        raise SystemExit("requires_ansible %r needs a '>=2.N.0' and a '<2.M' bound to define the matrix" % spec)
    return ["2.%d" % minor for minor in range(int(lower.group(1)), int(upper.group(1)))]


def _inputs_digest(minor):
    digest = hashlib.sha256(("%s %s\n" % (minor, PYTHON)).encode())
    for name in REQUIREMENTS:
        with open(os.path.join(REPO_ROOT, name), "rb") as handle:
            digest.update(handle.read())
    return digest.hexdigest()


def _run(command, log):
    log.write("$ %s\n" % " ".join(command))
    log.flush()
    return subprocess.run(command, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT, check=False).returncode


def prepare_venv(minor, log):
    """Create (or reuse) build/matrix/<minor>/venv; return its python, or None when the install failed."""
    venv = os.path.join(MATRIX_DIR, minor, "venv")
    python = os.path.join(venv, "bin", "python")
    stamp = os.path.join(venv, ".installed")
    wanted = _inputs_digest(minor)
    if os.path.exists(stamp):
        with open(stamp, encoding="utf-8") as handle:
            if handle.read() == wanted:
                return python
    steps = (
        [PYTHON, "-m", "venv", "--clear", venv],
        [python, "-m", "pip", "install", "--quiet", "--upgrade", "pip"],
        [python, "-m", "pip", "install", "--quiet", "ansible-core==%s.*" % minor, "-r", "requirements-test.txt"],
    )
    for command in steps:
        if _run(command, log) != 0:
            return None
    with open(stamp, "w", encoding="utf-8") as handle:
        handle.write(wanted)
    return python


def run_minor(minor):
    """Install (or reuse) the venv of one minor and run the tests in it."""
    os.makedirs(os.path.join(MATRIX_DIR, minor), exist_ok=True)
    log_path = os.path.join(MATRIX_DIR, minor, "log.txt")
    started = time.monotonic()
    with open(log_path, "w", encoding="utf-8") as log:
        python = prepare_venv(minor, log)
        if python is None:
            return Result(minor, "install failed", False, time.monotonic() - started, log_path)
        version = subprocess.run([python, "-c", "import ansible.release as r; print(r.__version__)"],
                                 capture_output=True, text=True, check=False).stdout.strip()
        tests_started = time.monotonic()
        code = _run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider", *TESTS], log)
        log.write("tests took %.0f s\n" % (time.monotonic() - tests_started))
    return Result(minor, version, code == 0, time.monotonic() - started, log_path)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("minors", nargs="*", help="ansible-core minors to run (default: every claimed one)")
    minors = parser.parse_args(argv).minors or claimed_minors()
    results = []
    for minor in minors:
        print("=== ansible-core %s" % minor, flush=True)
        result = run_minor(minor)
        results.append(result)
        print("    %s %s in %.0f s (log: %s)" % (result.version, "passed" if result.passed else "FAILED",
                                                 result.seconds, os.path.relpath(result.log_path, REPO_ROOT)),
              flush=True)
    print("\n| ansible-core | result | duration |\n|---|---|---:|")
    for result in results:
        print("| %s | %s | %.0f s |" % (result.version, "pass" if result.passed else "FAIL", result.seconds))
    return 0 if all(result.passed for result in results) else 1


if __name__ == "__main__":
    sys.exit(main())
