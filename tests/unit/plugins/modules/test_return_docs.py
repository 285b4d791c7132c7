"""Each module's RETURN documents the fields its summaries return: no field undocumented, none documented in vain."""

import time

import pytest
import yaml

from ansible_collections.b2c.trustframework.plugins.module_utils.key_summary import summarize_key
from ansible_collections.b2c.trustframework.plugins.modules import b2c_keyset, b2c_keyset_info, b2c_keyset_key
from tests.support.policies import policy

DAY = 86400
ALWAYS_ADDED = {"changed", "failed", "warnings"}  # by Ansible or the test harness, never in RETURN


def documented(module):
    return yaml.safe_load(module.RETURN)


def sample_fields(entry):
    sample = entry["sample"]
    return set((sample[0] if isinstance(sample, list) else sample))


@pytest.fixture
def tenant(graph):
    now = int(time.time())
    graph.keysets["b2c_1a_sig"] = {
        "id": "B2C_1A_Sig",
        "keys": [
            {"kid": "a", "kty": "RSA", "use": "sig", "nbf": now - DAY, "exp": now + 30 * DAY, "status": "enabled"},
            {"kid": "b", "kty": "RSA", "use": "sig", "nbf": now + 5 * DAY, "exp": now + 400 * DAY, "status": "enabled"},
        ],
    }
    return graph


def test_the_documented_key_fields_are_those_of_the_key_summary():
    key_doc = documented(b2c_keyset_key)["key"]["contains"]
    assert set(summarize_key({}, 0)) == set(key_doc)
    assert sample_fields(documented(b2c_keyset)["keyset"]["contains"]["key_list"]) == set(key_doc)
    assert sample_fields(documented(b2c_keyset_info)["keysets"]["contains"]["key_list"]) == set(key_doc)
    assert sample_fields(documented(b2c_keyset_info)["keysets"]["contains"]["next_key"]) == set(key_doc) | {
        "activates_in_days"
    }


def test_b2c_keyset_returns_what_its_return_documents(run_module, tenant):
    docs = documented(b2c_keyset)
    result = run_module(b2c_keyset, diff=True, name="Sig")
    assert set(result) - ALWAYS_ADDED == set(docs)
    assert set(result["keyset"]) == set(docs["keyset"]["contains"])


def test_b2c_keyset_key_returns_what_its_return_documents(run_module, tenant):
    docs = documented(b2c_keyset_key)
    result = run_module(b2c_keyset_key, diff=True, keyset="Sig", disable_expired=True)
    assert set(result) - ALWAYS_ADDED == set(docs)
    assert set(result["key"]) == set(docs["key"]["contains"])
    assert set(result["keyset"]) == set(docs["keyset"]["contains"])
    for key in result["keyset"]["key_list"]:
        assert set(key) == set(docs["key"]["contains"])


def test_b2c_keyset_info_returns_what_its_return_documents(run_module, tenant):
    docs = documented(b2c_keyset_info)
    tenant.policies["b2c_1a_base"] = ("B2C_1A_Base", policy("B2C_1A_Base", base=None, keysets=("B2C_1A_Sig", "Gone")))
    result = run_module(b2c_keyset_info, coverage_days=10, expected=["Sig", "Missing"], policies=True)
    assert set(result) - ALWAYS_ADDED == set(docs)
    assert set(result["reference_problems"][0]) == set(docs["reference_problems"]["contains"])
    entry = result["keysets"][0]
    assert set(entry) == set(docs["keysets"]["contains"])
    assert set(entry["active_key"]) == sample_fields(docs["keysets"]["contains"]["key_list"])
    assert set(entry["next_key"]) == sample_fields(docs["keysets"]["contains"]["next_key"])
