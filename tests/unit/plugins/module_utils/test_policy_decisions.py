"""Policy decisions: ids, local refusals of the desired policy, plans in both service answer styles, key pre-flight, info views."""

from __future__ import annotations

import pytest

from ansible_collections.b2c.trustframework.plugins.module_utils import policy_decisions as pd
from ansible_collections.b2c.trustframework.plugins.module_utils import policy_keysets as pk
from ansible_collections.b2c.trustframework.plugins.module_utils.errors import ValidationError
from tests.support.policies import TENANT, policy, reformatted
from tests.unit.plugins.module_utils.keyset_samples import DAY, NOW, key, keyset

EXTENSIONS = "B2C_1A_TrustFrameworkExtensions"
AS_STORED = {"as uploaded": lambda text: text, "reformatted": reformatted}


def desired(**kwargs):
    kwargs.setdefault("content", policy())
    return pd.DesiredPolicy(**kwargs)


def plan(deployed, **kwargs):
    return pd.plan_policy(pd.check_desired_policy(desired(**kwargs), TENANT), deployed)


def test_ids_compare_without_prefix_and_case():
    assert pd.normalize_policy_id("TrustFrameworkBase") == "B2C_1A_TrustFrameworkBase"
    assert pd.normalize_policy_id("b2c_1a_TrustFrameworkBase") == "B2C_1A_TrustFrameworkBase"
    assert pd.same_policy_id("b2c_1a_trustframeworkbase", "TrustFrameworkBase")
    assert not pd.same_policy_id("B2C_1A_Base", "B2C_1A_Base2")
    for bad in ("", "B2C_1A_", "..", "a/b", None):
        with pytest.raises(ValidationError, match="is not a policy id"):
            pd.normalize_policy_id(bad)


def test_desired_policy_refusals():
    with pytest.raises(ValidationError, match="give content or src"):
        pd.check_desired_policy(pd.DesiredPolicy(), TENANT)
    with pytest.raises(ValidationError, match="give id"):
        pd.check_desired_policy(pd.DesiredPolicy(state="absent"), TENANT)
    with pytest.raises(
        ValidationError,
        match="id='SignUp' names another policy than the PolicyId 'B2C_1A_TrustFrameworkExtensions' of src=x.xml",
    ):
        pd.check_desired_policy(desired(id="SignUp", where="src=x.xml"), TENANT)
    assert pd.check_desired_policy(desired(id="trustframeworkextensions"), TENANT).policy_id == EXTENSIONS
    with pytest.raises(
        ValidationError,
        match="TenantId is 'contoso.onmicrosoft.com', but the task's tenant is 'fabrikam.onmicrosoft.com'",
    ):
        pd.check_desired_policy(desired(), "fabrikam.onmicrosoft.com")
    # Deleting by content: the policy's id is what counts, the tenant it was rendered for does not.
    assert pd.check_desired_policy(desired(state="absent"), "fabrikam.onmicrosoft.com").policy_id == EXTENSIONS
    assert pd.check_desired_policy(pd.DesiredPolicy(state="absent", id="b2c_1a_old"), TENANT).document is None


@pytest.mark.parametrize("stored", AS_STORED.values(), ids=AS_STORED.keys())
def test_lifecycle_plans(stored):
    created = plan(None)
    assert (created.action, created.reason, created.changed) == ("created", "content", True)
    assert created.upload == policy() and created.policy_id == EXTENSIONS
    assert created.diff == {"before": "", "after": policy()}
    assert created.keysets == ("B2C_1A_TokenSigningKeyContainer",)
    assert created.policy["id"] == EXTENSIONS and created.policy["base_policy"] == "B2C_1A_TrustFrameworkBase"
    assert created.policy["keysets"] == ["B2C_1A_TokenSigningKeyContainer"] and len(created.policy["sha256"]) == 64

    deployed = stored(policy())
    unchanged = plan(deployed)
    assert (unchanged.action, unchanged.reason, unchanged.changed, unchanged.upload) == ("none", "none", False, None)
    assert unchanged.diff == {"before": deployed, "after": deployed}
    assert unchanged.policy == created.policy

    changed_text = policy().replace('Id="JwtIssuer"', 'Id="JwtIssuer2"')
    updated = plan(deployed, content=changed_text)
    assert (updated.action, updated.reason, updated.upload) == ("updated", "content", changed_text)
    assert updated.diff == {"before": deployed, "after": changed_text}
    assert updated.policy["sha256"] != created.policy["sha256"]

    forced = plan(deployed, force=True)
    assert (forced.action, forced.reason, forced.upload) == ("updated", "forced", policy())

    deleted = plan(deployed, state="absent", content=None, id="TrustFrameworkExtensions")
    assert (deleted.action, deleted.reason, deleted.policy_id, deleted.upload) == (
        "deleted",
        "absent",
        EXTENSIONS,
        None,
    )
    assert deleted.diff == {"before": deployed, "after": ""} and deleted.policy is None

    gone = plan(None, state="absent", content=None, id="TrustFrameworkExtensions")
    assert (gone.action, gone.changed, gone.diff) == ("none", False, {"before": "", "after": ""})


def test_an_unreadable_deployed_copy_is_replaced():
    assert plan("not xml at all").action == "updated"


def test_without_check_keysets_nothing_is_checked():
    assert plan(None, check_keysets=False).keysets == ()


# ----------------------------------------------------------------------------- keys first
def test_keyset_pre_flight():
    two = plan(
        None,
        content=policy(
            keysets=("B2C_1A_TokenSigningKeyContainer", "B2C_1A_TokenEncryptionKeyContainer", "B2C_1A_FacebookSecret")
        ),
    )
    tenant_keysets = [
        keyset(key("k1"), name="b2c_1a_tokensigningkeycontainer"),  # usable, other case
        keyset(key("k2", exp=NOW - DAY), key("k3", status="disabled"), name="B2C_1A_TokenEncryptionKeyContainer"),
    ]
    with pytest.raises(ValidationError) as err:
        pk.refuse_unusable_keysets(two, tenant_keysets, NOW)
    message = str(err.value)
    assert message.startswith("policy B2C_1A_TrustFrameworkExtensions was not uploaded: ")
    assert "TokenSigningKeyContainer" not in message
    assert "B2C_1A_TokenEncryptionKeyContainer has no usable key" in message
    assert "B2C_1A_FacebookSecret does not exist: create it with its key (b2c.trustframework.b2c_keyset_key" in message
    assert "check_keysets=false" in message
    tenant_keysets.append(keyset(key("k4", nbf=NOW + DAY), name="B2C_1A_FacebookSecret"))  # a staged key counts
    tenant_keysets[1]["keys"].append(key("k5"))
    pk.refuse_unusable_keysets(two, tenant_keysets, NOW)
    assert pk.keyset_problems(["B2C_1A_Empty"], [keyset(name="B2C_1A_Empty")], NOW) == [
        "B2C_1A_Empty has no usable key (none that is enabled and unexpired): add one with b2c.trustframework.b2c_keyset_key"
    ]


# ----------------------------------------------------------------------------- info
def test_info_views_and_keyset_references():
    base = policy(
        policy_id="B2C_1A_TrustFrameworkBase",
        base=None,
        keysets=("B2C_1A_TokenSigningKeyContainer", "B2C_1A_TokenEncryptionKeyContainer"),
    )
    summaries = [
        pd.summarize_deployed("B2C_1A_TrustFrameworkBase", reformatted(base)),
        pd.summarize_deployed(
            EXTENSIONS, policy(keysets=("b2c_1a_tokensigningkeycontainer", "B2C_1A_FacebookSecret")), with_content=True
        ),
        pd.summarize_deployed("B2C_1A_Broken", "<TrustFrameworkPolicy"),
    ]
    assert summaries[0] == {
        "id": "B2C_1A_TrustFrameworkBase",
        "base_policy": None,
        "keysets": ["B2C_1A_TokenSigningKeyContainer", "B2C_1A_TokenEncryptionKeyContainer"],
    }
    assert summaries[1]["base_policy"] == "B2C_1A_TrustFrameworkBase" and summaries[1]["content"].startswith("<?xml")
    assert summaries[2] == {"id": "B2C_1A_Broken", "base_policy": None, "keysets": []}
    assert pk.keyset_references(summaries) == {
        "B2C_1A_FacebookSecret": [EXTENSIONS],
        "B2C_1A_TokenEncryptionKeyContainer": ["B2C_1A_TrustFrameworkBase"],
        "B2C_1A_TokenSigningKeyContainer": ["B2C_1A_TrustFrameworkBase", EXTENSIONS],
    }


# ----------------------------------------------------------------------------- keys and policies together
REFERENCES = {
    "B2C_1A_FacebookSecret": [EXTENSIONS],
    "b2c_1a_tokenencryptionkeycontainer": ["B2C_1A_TrustFrameworkBase"],
    "B2C_1A_TokenSigningKeyContainer": ["B2C_1A_TrustFrameworkBase", EXTENSIONS],
    "B2C_1A_TokenStagedContainer": [EXTENSIONS],
    "B2C_1A_Empty": [EXTENSIONS],
}


def test_policies_using_compares_keyset_names_like_the_service():
    for name in (
        "TokenEncryptionKeyContainer",
        "B2C_1A_TOKENENCRYPTIONKEYCONTAINER",
        "b2c_1a_TokenEncryptionKeyContainer",
    ):
        assert pk.policies_using(REFERENCES, name) == ["B2C_1A_TrustFrameworkBase"]
    assert pk.policies_using(REFERENCES, "B2C_1A_TokenStagedContainer") == [EXTENSIONS]
    assert pk.policies_using(REFERENCES, "B2C_1A_TokenSigningKey") == []
    assert pk.policies_using({}, "B2C_1A_TokenSigningKeyContainer") == []


def test_a_reference_without_the_prefix_is_not_served_by_the_prefixed_keyset():
    """The service looks a StorageReferenceId up by the keyset's full id: a bare name is refused at upload."""
    tenant_keysets = [keyset(key("s1"), name="B2C_1A_TokenSigningKeyContainer")]
    problems = pk.keyset_problems(["TokenSigningKeyContainer"], tenant_keysets, NOW)
    assert len(problems) == 1 and "full id: B2C_1A_TokenSigningKeyContainer" in problems[0]
    assert pk.keyset_problems(["b2c_1a_tokensigningkeycontainer"], tenant_keysets, NOW) == []
    assert pk.reference_problems({"TokenSigningKeyContainer": [EXTENSIONS]}, tenant_keysets, NOW) == [
        {"keyset": "TokenSigningKeyContainer", "policies": [EXTENSIONS], "problem": "does not exist"}
    ]


def test_reference_problems_name_each_keyset_that_cannot_serve_its_policies():
    tenant_keysets = [
        keyset(key("s1", exp=NOW - DAY), key("s2"), name="B2C_1A_TokenSigningKeyContainer"),  # one usable key
        keyset(key("e1", exp=NOW - DAY), key("e2", status="disabled"), name="B2C_1A_TokenEncryptionKeyContainer"),
        keyset(key("t1", nbf=NOW + DAY), name="B2C_1A_TokenStagedContainer"),  # staged counts
        keyset(name="B2C_1A_Empty"),
        keyset(name="B2C_1A_Unused"),  # not referenced
    ]
    assert pk.reference_problems(REFERENCES, tenant_keysets, NOW) == [
        {"keyset": "B2C_1A_FacebookSecret", "policies": [EXTENSIONS], "problem": "does not exist"},
        {
            "keyset": "B2C_1A_TokenEncryptionKeyContainer",
            "policies": ["B2C_1A_TrustFrameworkBase"],
            "problem": "has no usable key: every key is expired or disabled",
        },
        {"keyset": "B2C_1A_Empty", "policies": [EXTENSIONS], "problem": "has no key"},
    ]
    assert pk.reference_problems({}, tenant_keysets, NOW) == []
