"""The policy_keys role passes every key option of b2c_keyset_key, and its argument spec knows each of them."""

import os

import yaml

from ansible_collections.b2c.trustframework.plugins.modules import b2c_keyset_key

ROLE = os.path.join(os.path.dirname(__file__), "..", "..", "..", "roles", "policy_keys")
# Item keys of the role's own: `name` is the module's `keyset`; the *_variable keys name variables holding secrets.
ROLE_ONLY = {"name", "secret_variable", "pkcs12_password_variable"}


def load(*parts):
    with open(os.path.join(ROLE, *parts)) as handle:
        return yaml.safe_load(handle)


def key_task():
    return next(task for task in load("tasks", "main.yml") if "b2c.trustframework.b2c_keyset_key" in task)


def test_the_key_task_passes_every_option_of_the_module():
    passed = set(key_task()["b2c.trustframework.b2c_keyset_key"])
    assert passed == set(b2c_keyset_key.ARGUMENT_SPEC)


def test_the_argument_spec_takes_every_option_the_task_reads_from_an_item():
    item_spec = load("meta", "argument_specs.yml")["argument_specs"]["main"]["options"]["b2c_policy_keys"]["options"]
    assert set(item_spec) == (set(b2c_keyset_key.ARGUMENT_SPEC) - {"keyset"}) | ROLE_ONLY


def test_kty_and_use_are_left_to_the_module_which_compares_them_in_any_case():
    item_spec = load("meta", "argument_specs.yml")["argument_specs"]["main"]["options"]["b2c_policy_keys"]["options"]
    assert "choices" not in item_spec["kty"] and "choices" not in item_spec["use"]
