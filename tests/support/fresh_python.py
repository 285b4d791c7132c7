"""A few lines run in a fresh interpreter with this test run's import path: what a task's code imports shows
only in a process that has imported nothing yet."""

import os
import subprocess
import sys


def fresh_python(code, *args):
    """The standard output of ``python -c code args``; a failure raises CalledProcessError."""
    environment = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    command = [sys.executable, "-c", code, *args]
    return subprocess.run(command, env=environment, capture_output=True, text=True, check=True).stdout
