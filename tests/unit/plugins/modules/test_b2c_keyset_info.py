"""b2c_keyset_info: listing, one keyset, active key, expiry filter; never changed."""

import time

import pytest

from ansible_collections.b2c.trustframework.plugins.module_utils.errors import GraphError
from ansible_collections.b2c.trustframework.plugins.modules import b2c_keyset_info
from tests.support.policies import policy

DAY = 86400


@pytest.fixture
def run(run_module):
    def run_info(**args):
        return run_module(b2c_keyset_info, **args)

    return run_info


@pytest.fixture
def tenant(graph):
    now = int(time.time())
    graph.keysets.update(
        {
            "b2c_1a_fresh": {
                "id": "B2C_1A_Fresh",
                "keys": [
                    {
                        "kid": "f1",
                        "kty": "RSA",
                        "use": "sig",
                        "nbf": now - DAY,
                        "exp": now + 400 * DAY,
                        "status": "enabled",
                        "d": "PRIVATE",
                    }
                ],
            },
            "b2c_1a_due": {
                "id": "B2C_1A_Due",
                "keys": [
                    {
                        "kid": "d1",
                        "kty": "RSA",
                        "use": "sig",
                        "nbf": now - DAY,
                        "exp": now + 10 * DAY - 60,
                        "status": "enabled",
                    }
                ],
            },
            "b2c_1a_empty": {"id": "B2C_1A_Empty", "keys": []},
        }
    )
    return graph


def test_lists_every_keyset_with_active_keys(run, tenant):
    result = run(check_mode=True)
    assert result["changed"] is False
    by_id = dict((k["id"], k) for k in result["keysets"])
    assert set(by_id) == {"B2C_1A_Fresh", "B2C_1A_Due", "B2C_1A_Empty"}
    assert by_id["B2C_1A_Fresh"]["active_key"]["kid"] == "f1"
    assert by_id["B2C_1A_Empty"]["active_key"] is None
    assert by_id["B2C_1A_Due"]["key_list"][0]["expires_in_days"] == 10
    assert "PRIVATE" not in str(result)
    assert tenant.writes() == []


def test_one_keyset_without_active_key(run, tenant):
    result = run(name="due", active_key=False)
    assert [k["id"] for k in result["keysets"]] == ["B2C_1A_Due"]
    assert "active_key" not in result["keysets"][0]
    assert not [c for c in tenant.calls if c[1].endswith("getActiveKey")]


def test_missing_keyset_gives_an_empty_list(run, tenant):
    assert run(name="Nope")["keysets"] == []


@pytest.mark.parametrize("days, ids", [(30, ["B2C_1A_Due"]), (5, []), (500, ["B2C_1A_Fresh", "B2C_1A_Due"])])
def test_expiring_within_days(run, tenant, days, ids):
    assert [k["id"] for k in run(expiring_within_days=days)["keysets"]] == ids


def test_list_failure_reports_graph_details(run, graph):
    def broken(path, params=None):
        raise GraphError(status=503, code="serviceNotAvailable", request_id="r-9", retries=5)

    graph.get_all = broken
    result = run()
    assert result["failed"] and result["msg"].startswith("Could not list keysets: HTTP 503")
    assert result["request_id"] == "r-9"


def test_negative_days_rejected(run, graph):
    result = run(expiring_within_days=-1)
    assert result["failed"] and "expiring_within_days" in result["msg"]


def test_next_key_is_the_staged_successor(run, graph):
    now = int(time.time())
    graph.keysets["b2c_1a_roll"] = {
        "id": "B2C_1A_Roll",
        "keys": [
            {"kid": "old", "kty": "RSA", "use": "sig", "nbf": now - DAY, "exp": now + 20 * DAY, "status": "enabled"},
            {
                "kid": "new",
                "kty": "RSA",
                "use": "sig",
                "nbf": now + 7 * DAY - 60,
                "exp": now + 372 * DAY,
                "status": "enabled",
            },
        ],
    }
    keyset = run(name="Roll")["keysets"][0]
    assert keyset["active_key"]["kid"] == "old"
    assert keyset["next_key"]["kid"] == "new" and keyset["next_key"]["activates_in_days"] == 7
    graph.keysets["b2c_1a_roll"]["keys"].pop()
    assert run(name="Roll")["keysets"][0]["next_key"] is None


def test_a_named_keyset_is_one_request_and_its_active_key_follows_the_documented_rule(run, graph):
    now = int(time.time())
    graph.keysets["b2c_1a_roll"] = {
        "id": "B2C_1A_Roll",
        "keys": [
            {
                "kid": "long",
                "kty": "RSA",
                "use": "sig",
                "nbf": now - 30 * DAY,
                "exp": now + 900 * DAY,
                "status": "enabled",
            },
            {"kid": "newer", "kty": "RSA", "use": "sig", "nbf": now - DAY, "exp": now + 100 * DAY, "status": "enabled"},
            {"kid": "staged", "kty": "RSA", "use": "sig", "nbf": now + 5 * DAY, "exp": now + 400 * DAY},
        ],
    }
    result = run(name="Roll")
    assert [call[:2] for call in graph.calls] == [("GET", "/trustFramework/keySets/B2C_1A_Roll")]
    entry = result["keysets"][0]
    assert entry["active_key"]["kid"] == "newer", "the latest nbf that has passed wins, not the longest-lived key"
    assert entry["next_key"]["kid"] == "staged"


def covered_by(result):
    return dict((k["id"], (k["covered"], k["coverage_problem"])) for k in result["keysets"])


def test_coverage_is_judged_with_the_successor_that_takes_over_in_time(run, tenant):
    now = int(time.time())
    tenant.keysets["b2c_1a_staged"] = {
        "id": "B2C_1A_Staged",
        "keys": [
            {"kid": "s1", "kty": "RSA", "use": "sig", "nbf": now - DAY, "exp": now + 10 * DAY, "status": "enabled"},
            {
                "kid": "s2",
                "kty": "RSA",
                "use": "sig",
                "nbf": now + 5 * DAY,
                "exp": now + 400 * DAY,
                "status": "enabled",
            },
        ],
    }
    tenant.keysets["b2c_1a_late"] = {
        "id": "B2C_1A_Late",
        "keys": [
            {"kid": "l1", "kty": "RSA", "use": "sig", "nbf": now - DAY, "exp": now + 10 * DAY, "status": "enabled"},
            {
                "kid": "l2",
                "kty": "RSA",
                "use": "sig",
                "nbf": now + 20 * DAY,
                "exp": now + 400 * DAY,
                "status": "enabled",
            },
        ],
    }
    tenant.keysets["b2c_1a_short"] = {
        "id": "B2C_1A_Short",
        "keys": [
            {"kid": "h1", "kty": "RSA", "use": "sig", "nbf": now - DAY, "exp": now + 10 * DAY, "status": "enabled"},
            {"kid": "h2", "kty": "RSA", "use": "sig", "nbf": now + 5 * DAY, "exp": now + 20 * DAY, "status": "enabled"},
        ],
    }
    tenant.keysets["b2c_1a_old.bak"] = {"id": "B2C_1A_Old.bak", "keys": []}
    result = covered_by(run(coverage_days=30, active_key=False))
    assert result == {
        "B2C_1A_Fresh": (True, None),
        "B2C_1A_Due": (False, "the active key expires in 10 days and no successor is staged to take over before"),
        "B2C_1A_Empty": (False, "no active key"),
        "B2C_1A_Staged": (True, None),
        "B2C_1A_Late": (False, "the active key expires in 10 days and no successor is staged to take over before"),
        "B2C_1A_Short": (False, "the active key and its successor both expire within 30 days"),
        "B2C_1A_Old.bak": (None, None),
    }
    assert "covered" not in run()["keysets"][0], "without coverage_days nothing is judged"


def test_expected_names_that_are_missing_are_returned(run, tenant):
    result = run(expected=["Fresh", "B2C_1A_Facebook", "b2c_1a_fresh", "fresh", "DUE"])
    assert result["missing"] == ["B2C_1A_Facebook"]
    assert "missing" not in run()
    assert run(expected=[])["missing"] == [], "an empty list still reports, so a gate can read it"


@pytest.mark.parametrize(
    "args, message",
    [
        ({"coverage_days": -1}, "coverage_days must be 0 or more"),
        ({"expected": ["B2C_1A_B2C_1A_X"]}, "expected='B2C_1A_B2C_1A_X' carries the B2C_1A_ prefix twice"),
        ({"expected": ["X"], "name": "X"}, "mutually exclusive"),
    ],
)
def test_bad_coverage_options_fail_before_any_request(run, tenant, args, message):
    result = run(**args)
    assert result["failed"] and message in result["msg"]
    assert tenant.calls == []


@pytest.fixture
def with_policies(tenant):
    """Fresh is used by two policies, Empty by one, and a missing keyset by the extension."""
    tenant.policies.update(
        {
            "b2c_1a_base": ("B2C_1A_Base", policy("B2C_1A_Base", base=None, keysets=("b2c_1a_fresh", "B2C_1A_Empty"))),
            "b2c_1a_ext": ("B2C_1A_Ext", policy("B2C_1A_Ext", base="B2C_1A_Base", keysets=("Fresh", "B2C_1A_Gone"))),
        }
    )
    return tenant


def test_policies_per_keyset_and_the_references_that_cannot_be_served(run, with_policies):
    result = run(policies=True)
    assert dict((k["id"], k["policies"]) for k in result["keysets"]) == {
        "B2C_1A_Fresh": ["B2C_1A_Base", "B2C_1A_Ext"],
        "B2C_1A_Due": [],
        "B2C_1A_Empty": ["B2C_1A_Base"],
    }
    assert result["reference_problems"] == [  # by keyset name
        {"keyset": "B2C_1A_Empty", "policies": ["B2C_1A_Base"], "problem": "has no key"},
        {"keyset": "B2C_1A_Gone", "policies": ["B2C_1A_Ext"], "problem": "does not exist"},
    ]
    assert [path for _m, path, _b in with_policies.calls if "policies" in path] == [
        "/trustFramework/policies",
        "/trustFramework/policies/B2C_1A_Base/$value",
        "/trustFramework/policies/B2C_1A_Ext/$value",
    ]


def test_without_policies_no_policy_is_read(run, with_policies):
    result = run()
    assert "reference_problems" not in result and all("policies" not in k for k in result["keysets"])
    assert not [path for _m, path, _b in with_policies.calls if "policies" in path]


@pytest.mark.parametrize(
    "name, keysets, problems",
    [
        ("fresh", {"B2C_1A_Fresh": ["B2C_1A_Base", "B2C_1A_Ext"]}, []),
        ("Gone", {}, [{"keyset": "B2C_1A_Gone", "policies": ["B2C_1A_Ext"], "problem": "does not exist"}]),
        ("Due", {"B2C_1A_Due": []}, []),
    ],
)
def test_a_named_keyset_is_judged_alone(run, with_policies, name, keysets, problems):
    result = run(name=name, policies=True)
    assert dict((k["id"], k["policies"]) for k in result["keysets"]) == keysets
    assert result["reference_problems"] == problems


def test_without_policy_read_permission_the_failure_says_what_to_do(run, with_policies):
    with_policies.fail("GET", "/trustFramework/policies", GraphError(status=403, code="Authorization_RequestDenied"))
    result = run(policies=True)
    assert result["failed"] is True and result["status"] == 403
    assert "Policy.Read.All" in result["msg"] and "Leave out policies=true" in result["msg"]
