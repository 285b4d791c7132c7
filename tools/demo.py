"""`make demo`: the provisioning job against the local emulator, start to finish.

Starts the emulator, runs playbooks/provision.yml in check+diff mode, for
real, and once more (which must report changed=0), then playbooks/report.yml,
and always stops the emulator.
"""

import os
import shutil
import subprocess
import sys
import time

from tools.playbook_recap import recap_counts, recap_total

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEMO_DIR = os.path.join(REPO_ROOT, ".demo")
COLLECTIONS_PATH = os.path.join(REPO_ROOT, "build", "installed")
READY_TIMEOUT_SECONDS = 30


def start_emulator(state_dir):
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.emulator", "--port", "0", "--state-dir", state_dir],
        cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True,
    )
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if line.startswith("READY "):
            return process, line.split()[1]
        if not line and process.poll() is not None:
            break
    process.kill()
    sys.exit("the emulator did not start; run `python -m tests.emulator --port 0 --state-dir /tmp/e` to see why")


def playbook_env(url, state_dir):
    env = dict(os.environ)
    env.update(
        ANSIBLE_COLLECTIONS_PATH=COLLECTIONS_PATH,
        ANSIBLE_FORCE_COLOR=env.get("ANSIBLE_FORCE_COLOR", "0"),
        ANSIBLE_LOCALHOST_WARNING="0",
        ANSIBLE_INVENTORY_UNPARSED_WARNING="0",
        AZURE_TENANT_ID="emulator.onmicrosoft.com",
        AZURE_CLIENT_ID="emulator-client",
        AZURE_CLIENT_SECRET="emulator-secret",
        B2C_GRAPH_ENDPOINT=url,
        AZURE_AUTHORITY_HOST=url,
        B2C_CA_PATH=os.path.join(state_dir, "ca.pem"),
        B2C_TOKEN_CACHE_PATH=os.path.join(DEMO_DIR, "token_cache.json"),
    )
    return env


def run_playbook(title, env, playbook, *options):
    print(f"\n=== {title}: ansible-playbook {playbook} {' '.join(options)}", flush=True)
    command = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), playbook, *options]
    completed = subprocess.run(command, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, text=True, check=False)
    print(completed.stdout, end="", flush=True)
    if completed.returncode != 0:
        sys.exit(f"demo step failed: {title}")
    return completed.stdout


def main():
    shutil.rmtree(DEMO_DIR, ignore_errors=True)
    state_dir = os.path.join(DEMO_DIR, "emulator")
    os.makedirs(state_dir)
    emulator, url = start_emulator(state_dir)
    try:
        env = playbook_env(url, state_dir)
        run_playbook("1/4 preview (check mode)", env, "playbooks/provision.yml", "--check", "--diff")
        run_playbook("2/4 provision", env, "playbooks/provision.yml")
        again = run_playbook("3/4 provision again (must change nothing)", env, "playbooks/provision.yml")
        if not recap_counts(again) or recap_total(again, "changed"):
            sys.exit("demo failed: the second run was not idempotent (expected changed=0)")
        run_playbook("4/4 report", env, "playbooks/report.yml")
    finally:
        emulator.terminate()
        emulator.wait(timeout=10)
    print("\nDemo done: the second provisioning run reported changed=0.")
    print("Next: README.md (authentication, module_defaults), `ansible-doc b2c.trustframework.b2c_keyset_key`,")
    print("roles/policy_keys/README.md, and tests/emulator/README.md to try the modules by hand.")


if __name__ == "__main__":
    main()
