"""`make demo`: the whole tenant job against the local emulator, start to finish.

Starts the emulator (with the launcher the tests use), runs playbooks/site.yml (the policy
keys, then the sample policy set) in check+diff mode, for real, and once more (which must
report changed=0), then playbooks/report.yml, and always stops the emulator.
"""

import os
import shutil
import subprocess
import sys

from tests.emulator.pytest_plugin import EmulatorProcess
from tools.playbook_env import emulator_playbook_environment
from tools.playbook_recap import recap_counts, recap_total

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEMO_DIR = os.path.join(REPO_ROOT, ".demo")
COLLECTIONS_PATH = os.path.join(REPO_ROOT, "build", "installed")
# The application ids of the tenant's two IEF app registrations, which the sample policies need; the emulator
# does not check them, so any id does.
SAMPLE_APP_IDS = (
    "-e",
    "b2c_ief_app_id=11111111-1111-4111-8111-111111111111",
    "-e",
    "b2c_proxy_ief_app_id=22222222-2222-4222-8222-222222222222",
)


def run_playbook(title, env, playbook, *options):
    print(f"\n=== {title}: ansible-playbook {playbook} {' '.join(options)}", flush=True)
    command = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), playbook, *options]
    completed = subprocess.run(command, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, text=True, check=False)
    print(completed.stdout, end="", flush=True)
    if completed.returncode != 0:
        sys.exit(f"demo step failed: {title}")
    return completed.stdout


def run_demo(emulator):
    env = emulator_playbook_environment(emulator, COLLECTIONS_PATH, os.path.join(DEMO_DIR, "token_cache.json"))
    run_playbook("1/4 preview (check mode)", env, "playbooks/site.yml", "--check", "--diff", *SAMPLE_APP_IDS)
    run_playbook("2/4 keys and policies", env, "playbooks/site.yml", *SAMPLE_APP_IDS)
    again = run_playbook(
        "3/4 keys and policies again (must change nothing)", env, "playbooks/site.yml", *SAMPLE_APP_IDS
    )
    if not recap_counts(again) or recap_total(again, "changed"):
        sys.exit("demo failed: the second run was not idempotent (expected changed=0)")
    run_playbook("4/4 report", env, "playbooks/report.yml")


def main():
    shutil.rmtree(DEMO_DIR, ignore_errors=True)
    emulator = EmulatorProcess(os.path.join(DEMO_DIR, "emulator"))
    try:
        emulator.start()
    except RuntimeError as error:  # carries the emulator's stderr
        sys.exit(f"the emulator did not start: {error}")
    try:
        run_demo(emulator)
    finally:
        emulator.stop()
    print("\nDemo done: the second run of playbooks/site.yml (keys and policies) reported changed=0.")
    print("Next: README.md (authentication, custom policies), `ansible-doc b2c.trustframework.b2c_policy_set`,")
    print("playbooks/files/policies/README.md (the sample policies), roles/policy_keys/README.md, and")
    print("tests/emulator/README.md to try the modules by hand.")


if __name__ == "__main__":
    main()
