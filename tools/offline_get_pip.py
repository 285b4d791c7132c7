"""Offline stand-in for the get-pip.py bootstrap script that ansible-test downloads.

ansible-test builds its sanity venvs without pip and fetches get-pip.py from a
host that air-gapped machines cannot reach.  `make sanity` copies this file to
the cache path ansible-test looks in first; it bootstraps pip from the
standard library (ensurepip) and then installs the pip version ansible-test
asked for from the configured package index.
"""

import os
import subprocess
import sys

# Options that only the real get-pip.py understands; plain pip rejects them.
GET_PIP_ONLY_OPTIONS = {"--no-setuptools", "--no-wheel"}


def main():
    pip_args = [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY_OPTIONS]
    env = dict(os.environ)
    # ensurepip points PIP_CONFIG_FILE at os.devnull, which would hide the
    # machine's pip.conf (index URL, CA bundle) from the follow-up install.
    env.pop("PIP_CONFIG_FILE", None)
    subprocess.run([sys.executable, "-m", "ensurepip", "--default-pip"], check=True, env=env, stdout=subprocess.DEVNULL)
    subprocess.run([sys.executable, "-m", "pip", "install"] + pip_args, check=True, env=env)


if __name__ == "__main__":
    main()
