"""b2c_policy_info on the task runner: every policy or one, base policies, keysets, keyset_references, content."""

import pytest
import yaml

from ansible_collections.b2c.trustframework.plugins.modules import b2c_policy_info
from tests.support.policies import policy
from tests.unit.plugins.module_utils.fake_policy_graph import FakePolicyGraph

BASE = "B2C_1A_TrustFrameworkBase"
EXTENSIONS = "B2C_1A_TrustFrameworkExtensions"
SIGNING = "B2C_1A_TokenSigningKeyContainer"


@pytest.fixture
def graph():
    return FakePolicyGraph(
        reformat=True,
        policies={
            BASE: policy(policy_id=BASE, base=None, keysets=(SIGNING, "B2C_1A_TokenEncryptionKeyContainer")),
            EXTENSIONS: policy(keysets=(SIGNING, "B2C_1A_FacebookSecret")),
        },
    )


def test_every_policy_with_its_base_and_keysets(run_module, graph):
    result = run_module(b2c_policy_info, check_mode=True)
    assert result["changed"] is False
    assert result["policies"] == [
        {"id": BASE, "base_policy": None, "keysets": [SIGNING, "B2C_1A_TokenEncryptionKeyContainer"]},
        {"id": EXTENSIONS, "base_policy": BASE, "keysets": [SIGNING, "B2C_1A_FacebookSecret"]},
    ]
    assert result["keyset_references"] == {
        "B2C_1A_FacebookSecret": [EXTENSIONS],
        "B2C_1A_TokenEncryptionKeyContainer": [BASE],
        SIGNING: [BASE, EXTENSIONS],
    }
    assert graph.policy_writes() == []


def test_one_policy_with_its_content(run_module, graph):
    result = run_module(b2c_policy_info, name="trustframeworkextensions", content=True)
    assert [item["id"] for item in result["policies"]] == [EXTENSIONS]
    assert result["policies"][0]["content"] == graph.request("GET", "/trustFramework/policies/%s/$value" % EXTENSIONS)
    assert result["keyset_references"] == {"B2C_1A_FacebookSecret": [EXTENSIONS], SIGNING: [EXTENSIONS]}


def test_a_missing_policy_is_an_empty_list(run_module, graph):
    result = run_module(b2c_policy_info, name="Nope")
    assert (result["failed"], result["policies"], result["keyset_references"]) == (False, [], {})


def test_the_result_holds_what_return_documents(run_module, graph):
    docs = yaml.safe_load(b2c_policy_info.RETURN)
    result = run_module(b2c_policy_info, content=True)
    assert set(result) - {"changed", "failed"} == set(docs)
    assert set(result["policies"][0]) == set(docs["policies"]["contains"])
