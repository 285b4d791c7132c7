"""Run the sanity tests that check module code (compile, import) on the oldest and newest Python the
collection claims for its modules (tests/config.yml ``modules.python_requires`` and PYTHON_RANGE_NEWEST).

The full sanity suite runs on the controller's Python (make sanity); this adds the two ends of the claimed
range. An interpreter that is missing fails the run, naming it: a claim nobody tests is not a claim.
"""

import os
import re
import shutil
import subprocess
import sys

import yaml

from tools.test_matrix import find_python

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The newest Python the modules are claimed (and tested) to run on; the oldest is tests/config.yml's floor.
PYTHON_RANGE_NEWEST = "3.13"


CONFIG_PATH = os.path.join(REPO_ROOT, "tests", "config.yml")


def claimed_range(config_path=CONFIG_PATH):
    with open(config_path, encoding="utf-8") as handle:
        requires = yaml.safe_load(handle)["modules"]["python_requires"]
    match = re.fullmatch(r">=\s*(\d+\.\d+)", requires.strip())
    if not match:
        raise SystemExit("tests/config.yml: python_requires %r is not of the form '>=3.N'" % requires)
    return match.group(1), PYTHON_RANGE_NEWEST


def main(argv):
    snapshot, ansible_test = argv
    for version in claimed_range():
        python = find_python(version)
        if python is None:
            raise SystemExit(
                "make sanity: no python%s found ($PYTHON_%s, PATH or pyenv): the claimed module range "
                "is tested on it" % (version, version.replace(".", "_"))
            )
        python = shutil.which(python) or python
        env = dict(os.environ, PATH=os.path.dirname(python) + os.pathsep + os.environ["PATH"])
        subprocess.run(
            [
                ansible_test,
                "sanity",
                "--venv",
                "--python",
                version,
                "--color",
                "no",
                "--test",
                "compile",
                "--test",
                "import",
            ],
            cwd=snapshot,
            env=env,
            check=True,
        )


if __name__ == "__main__":
    main(sys.argv[1:])
