"""The Python the modules run with: by default a venv holding only the collection's runtime requirements.

The development venv also holds ansible-lint's dependencies (click, rich,
pygments); httpx imports its command-line tool when click is installed, which
adds ~27 ms to every task that a user's controller or execution environment
(built from requirements.txt) does not pay. Modules need only the runtime
requirements: AnsiballZ ships ansible's own module_utils with each task.
"""

import os
import subprocess
import sys

from bench.paths import REPO_ROOT

RUNTIME_VENV = os.path.join(REPO_ROOT, "build", "bench-runtime")
REQUIREMENTS = os.path.join(REPO_ROOT, "requirements.txt")


def runtime_python():
    """Create (once per requirements.txt change) the runtime venv and return its python."""
    python = os.path.join(RUNTIME_VENV, "bin", "python")
    stamp = os.path.join(RUNTIME_VENV, ".installed")
    if not os.path.exists(stamp) or os.path.getmtime(stamp) < os.path.getmtime(REQUIREMENTS):
        print(f"creating {RUNTIME_VENV} from requirements.txt", flush=True)
        subprocess.run([sys.executable, "-m", "venv", "--clear", RUNTIME_VENV], check=True)
        subprocess.run([python, "-m", "pip", "install", "--quiet", "-r", REQUIREMENTS], check=True)
        open(stamp, "w", encoding="utf-8").close()
    return python
