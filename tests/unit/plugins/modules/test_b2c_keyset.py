"""b2c_keyset: present/absent, check mode, keys, update_keys, secrets never returned."""

import json

import pytest

from ansible_collections.b2c.trustframework.plugins.module_utils.errors import GraphError
from ansible_collections.b2c.trustframework.plugins.modules import b2c_keyset
from tests.support.policies import policy
from tests.unit.plugins.module_utils.fake_policy_graph import POLICIES

OCT_SECRET = "c3VwZXItc2VjcmV0LW9jdC1rZXk"


@pytest.fixture
def run(run_module):
    def run_keyset(**args):
        return run_module(b2c_keyset, **args)

    return run_keyset


def test_present_check_apply_idempotent(run, graph):
    checked = run(name="TokenSigningKeyContainer", check_mode=True, diff=True)
    assert checked["changed"] is True
    assert checked["keyset"] == {"id": "B2C_1A_TokenSigningKeyContainer", "key_list": []}
    assert checked["diff"] == {"before": {}, "after": {"id": "B2C_1A_TokenSigningKeyContainer", "key_list": []}}
    assert graph.writes() == []
    applied = run(name="TokenSigningKeyContainer", diff=True)
    assert applied["changed"] is True and applied["keyset"]["id"] == "B2C_1A_TokenSigningKeyContainer"
    assert graph.posts_to("/keySets") == [("POST", "/trustFramework/keySets", {"id": "TokenSigningKeyContainer"})]
    again = run(id="b2c_1a_tokensigningkeycontainer", diff=True)
    assert again["changed"] is False
    assert again["diff"]["before"] == again["diff"]["after"]


def test_absent(run, graph):
    assert run(name="Gone", state="absent")["changed"] is False
    run(name="Gone")
    checked = run(name="Gone", state="absent", check_mode=True, diff=True)
    assert (checked["changed"], checked["keyset"], checked["diff"]["after"]) == (True, None, {})
    assert ("DELETE", "/trustFramework/keySets/B2C_1A_Gone") not in graph.writes()
    deleted = run(name="Gone", state="absent")
    assert (deleted["changed"], deleted["keyset"]) == (True, None)
    assert run(name="Gone", state="absent")["changed"] is False


def policy_reads(graph):
    return [(method, path) for method, path, _body in graph.calls if path.startswith(POLICIES)]


def test_policies_are_read_only_to_delete_an_existing_keyset(run, graph):
    graph.policies["b2c_1a_base"] = ("B2C_1A_Base", policy("B2C_1A_Base", base=None, keysets=("B2C_1A_Other",)))
    run(name="Gone", state="absent")
    run(name="Gone")
    run(name="Gone")
    assert policy_reads(graph) == []
    assert run(name="Gone", state="absent", force=True)["changed"] is True
    assert policy_reads(graph) == []
    run(name="Gone")
    assert run(name="Gone", state="absent")["changed"] is True
    # Once per task, although the keyset is read again under the lock before the delete.
    assert policy_reads(graph) == [("GET", POLICIES), ("GET", POLICIES + "/B2C_1A_Base/$value")]
    assert [path for method, path in graph.writes() if method == "DELETE"] == [
        "/trustFramework/keySets/B2C_1A_Gone"
    ] * 2


@pytest.mark.parametrize("check_mode", [True, False])
def test_absent_refuses_a_keyset_that_deployed_policies_use(run, graph, check_mode):
    graph.policies.update(
        {
            "b2c_1a_base": (
                "B2C_1A_Base",
                policy("B2C_1A_Base", base=None, keysets=("b2c_1a_tokensigningkeycontainer",)),
            ),
            "b2c_1a_ext": (
                "B2C_1A_Ext",
                policy("B2C_1A_Ext", base="B2C_1A_Base", keysets=("TokenSigningKeyContainer",)),
            ),
            "b2c_1a_rp": ("B2C_1A_RP", policy("B2C_1A_RP", base="B2C_1A_Ext", keysets=())),
        }
    )
    run(name="TokenSigningKeyContainer")
    refused = run(name="B2C_1A_TOKENSIGNINGKEYCONTAINER", state="absent", check_mode=check_mode)
    assert refused["failed"] is True and refused.get("changed") is not True
    assert (
        "keyset B2C_1A_TokenSigningKeyContainer is used by the deployed policies B2C_1A_Base, B2C_1A_Ext: "
        "deleting it breaks their sign-ins"
    ) in refused["msg"]
    assert "set force=true to delete the keyset anyway" in refused["msg"]
    assert "B2C_1A_RP" not in refused["msg"]
    assert [w for w in graph.writes() if w[0] == "DELETE"] == []
    forced = run(name="TokenSigningKeyContainer", state="absent", force=True, check_mode=check_mode)
    assert forced["changed"] is True and forced["keyset"] is None


def test_absent_without_policy_read_permission_deletes_nothing_and_says_what_to_do(run, graph):
    run(name="Denied")
    graph.fail(
        "GET",
        POLICIES,
        GraphError(
            status=403,
            code="Authorization_RequestDenied",
            method="GET",
            path=POLICIES,
            graph_message="Insufficient privileges to complete the operation.",
        ),
    )
    denied = run(name="Denied", state="absent")
    assert denied["failed"] is True and denied["status"] == 403
    assert denied["msg"].startswith("Could not ensure keyset B2C_1A_Denied is absent: HTTP 403")
    assert "Policy.Read.All" in denied["msg"] and "set force=true to delete it without that check" in denied["msg"]
    assert graph.writes() == [("POST", "/trustFramework/keySets")]
    assert run(name="Denied", state="absent", force=True)["changed"] is True


def test_create_with_keys_never_returns_private_members(run, graph):
    keys = [{"kty": "oct", "use": "sig", "k": OCT_SECRET, "exp": "2030-01-01T00:00:00Z"}]
    checked = run(name="Legacy", keys=keys, check_mode=True, diff=True)
    assert checked["keyset"]["key_list"][0]["exp"] == 1893456000
    created = run(name="Legacy", keys=keys, diff=True)
    assert created["changed"] is True
    sent = graph.posts_to("/keySets")[0][2]
    assert sent["keys"][0] == {"kty": "oct", "use": "sig", "k": OCT_SECRET, "exp": 1893456000}
    for result in (checked, created):
        assert OCT_SECRET not in json.dumps(result)


def test_keys_are_ignored_on_an_existing_keyset_without_update_keys(run, graph):
    run(name="K")
    assert run(name="K", keys=[{"kty": "oct", "use": "sig", "k": OCT_SECRET}])["changed"] is False


def test_update_keys_replaces_when_the_keys_differ(run, graph):
    run(name="K", keys=[{"kty": "oct", "use": "sig", "k": OCT_SECRET, "exp": "2030-01-01T00:00:00Z"}])
    keys = [{"kty": "oct", "use": "sig", "k": OCT_SECRET, "exp": "2031-01-01T00:00:00Z"}]
    checked = run(name="K", keys=keys, update_keys=True, check_mode=True, diff=True)
    assert checked["changed"] is True and [k["exp"] for k in checked["diff"]["after"]["key_list"]] == [1924992000]
    assert not [w for w in graph.writes() if w[0] == "PUT"]
    updated = run(name="K", keys=keys, update_keys=True)
    assert updated["changed"] is True and [k["exp"] for k in updated["keyset"]["key_list"]] == [1924992000]
    assert OCT_SECRET not in json.dumps(updated)
    assert run(name="K", keys=keys, update_keys=True)["changed"] is False


@pytest.mark.parametrize(
    "args, message",
    [
        ({"keys": [{"kid": "a", "kty": "oct"}], "update_keys": True}, "keys[0].kid is set"),
        (
            {"keys": [{"kty": "RSA", "use": "sig", "n": "N", "e": "AQAB"}, {"kty": "oct", "use": "sig", "k": "YQ"}]},
            "mixes RSA and oct keys",
        ),
        (
            {"keys": [{"kty": "oct", "use": "sig", "k": "YQ"}, {"kty": "oct", "use": "enc", "k": "Yg"}]},
            "cannot mix them (AADB2C95042)",
        ),
        ({"keys": [{"kty": "oct", "use": "sig", "k": "a+b/c"}]}, "keys[0].k must be the secret as base64url"),
        ({"keys": [{"kty": "oct", "use": "sig", "k": "YQ", "exp": "2001-01-01T00:00:00Z"}]}, "AADB2C90214"),
        ({"keys": [{"kty": "EC"}]}, "keys[0].kty='EC' must be rsa or oct"),
        ({"keys": [{"kty": "oct", "exp": "soon"}]}, "keys[0].exp='soon'"),
        ({"name": "AdminClientEncryptionKeyContainer", "state": "absent"}, "B2C creates and uses this keyset itself"),
        ({"name": ""}, "name must not be empty"),
    ],
)
def test_invalid_options(run, graph, args, message):
    if "update_keys" in args or args.get("state") == "absent":
        run(name=args.get("name", "K"))
        graph.calls.clear()
    result = run(**dict({"name": "K"}, **args))
    assert result["failed"] and message in result["msg"], result["msg"]
    assert graph.writes() == []


@pytest.mark.parametrize("status", [400, 409])
def test_create_race_already_exists_is_not_a_failure(run, graph, status):
    """Another run created the keyset between our read and our create: the service answers "already exists"
    (AADB2C95028, as 400 today; a 409 is handled alike), the module re-reads it and reports no change."""
    from ansible_collections.b2c.trustframework.plugins.module_utils.errors import GraphError

    graph.keysets["b2c_1a_race"] = {"id": "B2C_1A_Race", "keys": []}
    # Both our reads (the plan's and the one under the lock) miss it; the create then meets it.
    graph.fail("GET", "B2C_1A_Race", GraphError(status=404), times=2)
    graph.fail(
        "POST",
        "/trustFramework/keySets",
        GraphError(status=status, code="AADB2C95028", method="POST", graph_message="already exists"),
    )
    result = run(name="Race")
    assert result.get("failed") is not True and result["keyset"]["id"] == "B2C_1A_Race"
    assert result["changed"] is False
    assert len(graph.posts_to("/keySets")) == 1, "the create met the existing keyset once and was not sent again"


def test_create_conflict_without_a_known_code_is_re_read_too(run, graph):
    """SPEC: on 400/409 from create, re-read the keyset and carry on if it is there, whatever the code says."""
    from ansible_collections.b2c.trustframework.plugins.module_utils.errors import GraphError

    graph.keysets["b2c_1a_race"] = {"id": "B2C_1A_Race", "keys": []}
    graph.fail("GET", "B2C_1A_Race", GraphError(status=404), times=2)
    graph.fail("POST", "/trustFramework/keySets", GraphError(status=409, code="Conflict", method="POST"))
    result = run(name="Race")
    assert result.get("failed") is not True and result["changed"] is False
    assert len(graph.posts_to("/keySets")) == 1


def test_create_refused_for_another_reason_fails_when_the_keyset_is_not_there(run, graph):
    from ansible_collections.b2c.trustframework.plugins.module_utils.errors import GraphError

    graph.fail(
        "POST",
        "/trustFramework/keySets",
        GraphError(status=400, code="AADB2C90000", method="POST", graph_message="refused"),
    )
    result = run(name="Refused")
    assert result["failed"] and "AADB2C90000" in result["msg"], result["msg"]
