"""The BasePolicy graph of a policy set: refusals, upload and delete orders, reasons, orphans."""

from __future__ import annotations

import pytest

from ansible_collections.b2c.trustframework.plugins.module_utils.errors import ValidationError
from ansible_collections.b2c.trustframework.plugins.module_utils.policy_order import Member, PolicySet, policy_key


def member(policy_id, base=None, where=None):
    return Member("B2C_1A_" + policy_id, "B2C_1A_" + base if base else None, where or "src=%s.xml" % policy_id)


# base -> localization, extensions -> two relying parties; given in an order that is not the upload order
STARTER = [
    member("SignIn", "Ext"),
    member("Ext", "Base"),
    member("Base"),
    member("Profile", "Ext"),
    member("Loc", "Base"),
]


def ids(members):
    return [m.policy_id.replace("B2C_1A_", "") for m in members]


def test_upload_order_is_base_first_then_by_level_and_id():
    assert ids(PolicySet(STARTER).upload_order) == ["Base", "Ext", "Loc", "Profile", "SignIn"]


def test_the_order_does_not_depend_on_the_order_given():
    orders = set(
        tuple(ids(PolicySet(list(rotation)).upload_order))
        for rotation in (STARTER, STARTER[::-1], STARTER[2:] + STARTER[:2])
    )
    assert len(orders) == 1


def test_ties_compare_ids_case_insensitively():
    given = [member("b", "Base"), member("A", "Base"), member("Base")]
    assert ids(PolicySet(given).upload_order) == ["Base", "A", "b"]


def test_delete_order_is_children_first():
    assert ids(PolicySet(STARTER).delete_order) == ["Profile", "SignIn", "Ext", "Loc", "Base"]


def test_a_cycle_is_refused_naming_each_policy_and_file():
    with pytest.raises(ValidationError) as error:
        PolicySet([member("A", "C"), member("B", "A"), member("C", "B"), member("RP", "A")])
    assert str(error.value).startswith(
        "the BasePolicy chain loops: B2C_1A_A (src=A.xml) -> B2C_1A_C (src=C.xml) -> "
        "B2C_1A_B (src=B.xml) -> B2C_1A_A (src=A.xml)"
    )


def test_a_policy_that_is_its_own_base_is_a_cycle():
    with pytest.raises(ValidationError, match=r"loops: B2C_1A_A \(src=A.xml\) -> B2C_1A_A \(src=A.xml\)"):
        PolicySet([member("A", "A")])


def test_two_files_with_one_policy_id_are_refused_naming_both_files():
    with pytest.raises(ValidationError) as error:
        PolicySet([member("Base", where="src=a/base.xml"), Member("b2c_1a_BASE", None, "src=b/base.xml")])
    assert str(error.value) == (
        "src=a/base.xml and src=b/base.xml both have PolicyId B2C_1A_Base: a set holds each policy once"
    )


def test_bases_outside_the_set_are_listed_once():
    policy_set = PolicySet([member("Ext", "Base"), member("RP", "Ext"), member("RP2", "base"), member("Other", "Z")])
    assert policy_set.outside_bases() == ["B2C_1A_Base", "B2C_1A_Z"]


def test_a_base_neither_in_the_set_nor_in_the_tenant_is_refused():
    policy_set = PolicySet([member("Ext", "Base"), member("RP", "Ext"), member("Other", "Gone")])
    with pytest.raises(ValidationError) as error:
        policy_set.refuse_for_tenant(["B2C_1A_Base"], {})
    assert str(error.value) == (
        "B2C_1A_Other (src=Other.xml) inherits from B2C_1A_Gone, which is neither in the set "
        "nor in the tenant: add the base policy to the set or deploy it first"
    )
    policy_set.refuse_for_tenant(["B2C_1A_base", "B2C_1A_GONE"], {})  # ids compare case-insensitively


def chain_of(length):
    """A straight chain P1 <- P2 <- ... <- P<length>."""
    return [member("P%d" % 1)] + [member("P%d" % n, "P%d" % (n - 1)) for n in range(2, length + 1)]


def test_ten_policies_deep_is_the_limit():
    PolicySet(chain_of(10)).refuse_for_tenant([], {})
    with pytest.raises(ValidationError) as error:
        PolicySet(chain_of(11)).refuse_for_tenant([], {})
    assert str(error.value).startswith(
        "the inheritance chain of B2C_1A_P11 (src=P11.xml) is 11 policies deep: B2C_1A_P11 -> B2C_1A_P10 -> "
    )
    assert str(error.value).endswith("-> B2C_1A_P1; the service allows 10, the policy counted")


def test_the_depth_counts_the_ancestors_read_from_the_tenant():
    in_set = chain_of(9)[1:]  # P2..P9; P1 and its ancestors T1, T2 are in the tenant
    tenant_bases = {"B2C_1A_P1": "B2C_1A_T1", "b2c_1a_t1": None}
    PolicySet(in_set).refuse_for_tenant(["B2C_1A_P1", "B2C_1A_T1"], tenant_bases)  # 8 + P1 + T1 = 10
    tenant_bases["b2c_1a_t1"] = "B2C_1A_T2"
    with pytest.raises(ValidationError) as error:
        PolicySet(in_set).refuse_for_tenant(["B2C_1A_P1", "B2C_1A_T1", "B2C_1A_T2"], tenant_bases)
    assert "is 11 policies deep" in str(error.value)
    assert str(error.value).endswith(
        "-> B2C_1A_P2 -> B2C_1A_P1 (in the tenant) -> B2C_1A_T1 (in the tenant) -> "
        "B2C_1A_T2 (in the tenant); the service allows 10, the policy counted"
    )


def test_a_loop_among_tenant_policies_ends_the_chain():
    policy_set = PolicySet([member("RP", "T1")])
    chain = policy_set.chain(policy_set.members[0], {"b2c_1a_t1": "B2C_1A_T2", "b2c_1a_t2": "B2C_1A_T1"})
    assert chain == ["B2C_1A_RP", "B2C_1A_T1 (in the tenant)", "B2C_1A_T2 (in the tenant)"]


def test_more_than_200_policies_counts_the_tenant_policies_outside_the_set():
    policy_set = PolicySet([member("Base")] + [member("RP%03d" % n, "Base") for n in range(99)])
    tenant = ["B2C_1A_Base", "B2C_1A_RP000"] + ["B2C_1A_Other%03d" % n for n in range(100)]
    policy_set.refuse_for_tenant(tenant, {})  # 100 in the set + 100 others
    with pytest.raises(ValidationError) as error:
        policy_set.refuse_for_tenant(tenant + ["B2C_1A_OneMore"], {})
    assert str(error.value).startswith(
        "the set has 100 policies and the tenant 101 others: 201 is more than the "
        "service's limit of 200 policies per tenant"
    )


def reasons(policy_set, upload_descendants=True, **own):
    keyed = dict(
        (policy_key(m.policy_id), own.get(m.policy_id.replace("B2C_1A_", ""), "none")) for m in policy_set.members
    )
    return [(ids([m])[0], reason) for m, reason in policy_set.upload_reasons(keyed, upload_descendants)]


def test_a_changed_policy_brings_its_descendants_directly_or_not():
    assert reasons(PolicySet(STARTER), Ext="content") == [
        ("Base", "none"),
        ("Ext", "content"),
        ("Loc", "none"),
        ("Profile", "ancestor"),
        ("SignIn", "ancestor"),
    ]
    assert reasons(PolicySet(STARTER), Base="content", SignIn="content") == [
        ("Base", "content"),
        ("Ext", "ancestor"),
        ("Loc", "ancestor"),
        ("Profile", "ancestor"),
        ("SignIn", "content"),
    ]


def test_without_upload_descendants_only_changed_policies_are_uploaded():
    assert reasons(PolicySet(STARTER), False, Ext="content") == [
        ("Base", "none"),
        ("Ext", "content"),
        ("Loc", "none"),
        ("Profile", "none"),
        ("SignIn", "none"),
    ]


def test_nothing_changed_uploads_nothing():
    assert set(reason for _id, reason in reasons(PolicySet(STARTER))) == {"none"}


def test_forced_members_keep_their_reason_and_bring_no_other():
    forced = dict((name, "forced") for name in ids(STARTER))
    assert set(reason for _id, reason in reasons(PolicySet(STARTER), **forced)) == {"forced"}


def test_tenant_children_outside_the_set_are_found_and_refused():
    policy_set = PolicySet(STARTER)
    tenant_bases = {
        "B2C_1A_Base": None,
        "B2C_1A_Ext": "B2C_1A_Base",
        "B2C_1A_SignIn": "B2C_1A_Ext",
        "B2C_1A_OldSignIn": "b2c_1a_ext",
        "B2C_1A_Admin": "B2C_1A_Ext",
        "B2C_1A_Unrelated": "B2C_1A_Z",
    }
    assert policy_set.tenant_children(tenant_bases) == {"ext": ["B2C_1A_Admin", "B2C_1A_OldSignIn"]}
    with pytest.raises(ValidationError) as error:
        policy_set.refuse_orphans(tenant_bases)
    assert str(error.value) == (
        "B2C_1A_Ext (src=Ext.xml) still has children in the tenant outside the set: "
        "B2C_1A_Admin, B2C_1A_OldSignIn: delete them first or add them to the set"
    )
    policy_set.refuse_orphans({"B2C_1A_SignIn": "B2C_1A_Ext", "B2C_1A_Unrelated": "B2C_1A_Z"})
