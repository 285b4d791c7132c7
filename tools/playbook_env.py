"""The environment of an ansible-playbook run against the emulator (used by the demo, the benchmark and the tests)."""

import os

# Dropped from the caller's environment: a stray B2C_ACCESS_TOKEN or AZURE_CLIENT_CERTIFICATE_PATH
# would switch the modules to another credential, and a user's ANSIBLE_* settings would change the
# output the callers read; a FAKETIME setting would shift the modules' clock.
DROPPED_PREFIXES = ("AZURE_", "B2C_", "ANSIBLE_", "FAKETIME")


def emulator_playbook_environment(emulator, collections_path, token_cache_path, **overrides):
    """The caller's environment without Azure/B2C/Ansible settings, plus the emulator's client-secret
    credential, the collections path, the token cache file and ``overrides``."""
    env = {name: value for name, value in os.environ.items() if not name.startswith(DROPPED_PREFIXES)}
    env.update(emulator.env())
    env.update(
        ANSIBLE_COLLECTIONS_PATH=collections_path,
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_RETRY_FILES_ENABLED="0",
        ANSIBLE_LOCALHOST_WARNING="0",
        ANSIBLE_INVENTORY_UNPARSED_WARNING="0",
        B2C_TOKEN_CACHE_PATH=token_cache_path,
    )
    env.update(overrides)
    return env
