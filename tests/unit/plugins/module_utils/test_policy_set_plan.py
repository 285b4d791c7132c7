"""Policy-set plans: reasons and diffs per policy, the key pre-flight over uploads and ancestors, the tenant's depth."""

from __future__ import annotations

import pytest

from ansible_collections.b2c.trustframework.plugins.module_utils import policy_set_plan as sp
from ansible_collections.b2c.trustframework.plugins.module_utils.errors import ValidationError
from tests.support.policies import TENANT, policy, reformatted
from tests.unit.plugins.module_utils.keyset_samples import NOW, key, keyset

SIGNING = "B2C_1A_TokenSigningKeyContainer"
EXT = policy("B2C_1A_Ext", base="B2C_1A_Base", keysets=("B2C_1A_ExtKey",))
RP = policy("B2C_1A_RP", base="B2C_1A_Ext", keysets=())


def desired(*texts, **options):
    return sp.check_desired_set([(text, "policies[%d].content" % n) for n, text in enumerate(texts)], TENANT, **options)


def tenant_with(deployed=None, others=None, keysets=None):
    deployed = dict((key_id.replace("B2C_1A_", "").lower(), text) for key_id, text in (deployed or {}).items())
    ids = list(others or {}) + ["B2C_1A_" + key_id for key_id in deployed]
    return sp.TenantView(ids, deployed, others or {}, keysets)


BASE_IN_TENANT = {"B2C_1A_Base": {"id": "B2C_1A_Base", "base_policy": None, "keysets": [SIGNING]}}


def test_an_empty_set_is_refused():
    with pytest.raises(ValidationError, match="the policy set is empty"):
        desired()


def test_an_ancestor_upload_shows_the_unchanged_policy_as_its_diff():
    plan = sp.plan_set(
        desired(EXT.replace("Sign in", "Other"), RP),
        tenant_with({"B2C_1A_Ext": EXT, "B2C_1A_RP": reformatted(RP)}, BASE_IN_TENANT),
    )
    assert [(entry.policy_id, entry.action, entry.reason) for entry in plan.entries] == [
        ("B2C_1A_Ext", "updated", "content"),
        ("B2C_1A_RP", "updated", "ancestor"),
    ]
    assert plan.entries[1].upload == RP
    assert plan.diff()[1] == {
        "before": reformatted(RP),
        "after": RP,
        "before_header": "B2C_1A_RP (deployed)",
        "after_header": "B2C_1A_RP (set)",
    }


def test_deletes_show_the_deployed_policy_going():
    plan = sp.plan_set(desired(EXT, RP, state="absent"), tenant_with({"B2C_1A_Ext": EXT, "B2C_1A_RP": RP}))
    assert [(d["before_header"], d["after_header"], d["after"]) for d in plan.diff()] == [
        ("B2C_1A_RP (deployed)", "B2C_1A_RP (deleted)", ""),
        ("B2C_1A_Ext (deployed)", "B2C_1A_Ext (deleted)", ""),
    ]


def test_the_key_pre_flight_covers_the_ancestors_in_the_tenant():
    wanted = desired(EXT, RP)
    tenant = tenant_with(others=BASE_IN_TENANT, keysets=[keyset(key("k1"), name="B2C_1A_ExtKey")])
    plan = sp.plan_set(wanted, sp.TenantView(tenant.ids, tenant.deployed, tenant.others), NOW)
    assert sp.keysets_needed(wanted, tenant, plan) == {
        "B2C_1A_ExtKey": ["B2C_1A_Ext"],
        SIGNING: ["B2C_1A_Base (in the tenant)"],
    }
    with pytest.raises(ValidationError) as error:
        sp.plan_set(wanted, tenant, NOW)
    assert str(error.value) == (
        "no policy of the set was uploaded: %s does not exist: create it with its key (b2c.trustframework.b2c_keyset_key, "
        "or the b2c.trustframework.policy_keys role) (needed by B2C_1A_Base (in the tenant)). Set check_keysets=false "
        "to upload anyway" % SIGNING
    )


def test_keysets_of_policies_that_are_not_uploaded_nor_ancestors_are_not_checked():
    other = policy("B2C_1A_Other", base="B2C_1A_Base", keysets=("B2C_1A_Gone",))
    wanted = desired(EXT, RP, other)
    tenant = tenant_with(
        {"B2C_1A_Other": other},
        BASE_IN_TENANT,
        keysets=[keyset(key("k1"), name="B2C_1A_ExtKey"), keyset(key("k2"), name=SIGNING)],
    )
    plan = sp.plan_set(wanted, tenant, NOW)
    assert [entry.action for entry in plan.entries] == ["created", "none", "created"]


def test_the_depth_counts_the_tenant_ancestors_that_were_read():
    chain = [policy("B2C_1A_P%d" % n, base="B2C_1A_P%d" % (n - 1), keysets=()) for n in range(3, 11)]  # P3..P10
    others = {
        "B2C_1A_P2": {"id": "B2C_1A_P2", "base_policy": "B2C_1A_P1", "keysets": []},
        "B2C_1A_P1": {"id": "B2C_1A_P1", "base_policy": None, "keysets": []},
    }
    sp.plan_set(desired(*chain), tenant_with(others=others))
    others["B2C_1A_P1"]["base_policy"] = "B2C_1A_P0"
    others["B2C_1A_P0"] = {"id": "B2C_1A_P0", "base_policy": None, "keysets": []}
    with pytest.raises(ValidationError, match="the inheritance chain of B2C_1A_P10 .* is 11 policies deep"):
        sp.plan_set(desired(*chain), tenant_with(others=others))


def test_a_bare_keyset_name_is_its_own_reference_and_is_not_served():
    bare = policy("B2C_1A_RP", base="B2C_1A_Ext", keysets=("ExtKey",))
    wanted = desired(EXT, bare)
    tenant = tenant_with(
        others=BASE_IN_TENANT, keysets=[keyset(key("k1"), name="B2C_1A_ExtKey"), keyset(key("k2"), name=SIGNING)]
    )
    with pytest.raises(ValidationError) as error:
        sp.plan_set(wanted, tenant, NOW)
    assert str(error.value).startswith(
        "no policy of the set was uploaded: ExtKey does not exist (a StorageReferenceId "
        "names the keyset's full id: B2C_1A_ExtKey)"
    )
    assert str(error.value).count("does not exist") == 1 and "(needed by B2C_1A_RP)" in str(error.value)
