"""b2c_keyset_info: listing, one keyset, active key, expiry filter; never changed."""

import time

import pytest

from ansible_collections.b2c.trustframework.plugins.module_utils.errors import GraphError
from ansible_collections.b2c.trustframework.plugins.modules import b2c_keyset_info

DAY = 86400


@pytest.fixture
def run(run_module):
    def run_info(**args):
        return run_module(b2c_keyset_info, **args)
    return run_info


@pytest.fixture
def tenant(graph):
    now = int(time.time())
    graph.keysets.update({
        "b2c_1a_fresh": {"id": "B2C_1A_Fresh", "keys": [
            {"kid": "f1", "kty": "RSA", "use": "sig", "nbf": now - DAY, "exp": now + 400 * DAY, "status": "enabled",
             "d": "PRIVATE"}]},
        "b2c_1a_due": {"id": "B2C_1A_Due", "keys": [
            {"kid": "d1", "kty": "RSA", "use": "sig", "nbf": now - DAY, "exp": now + 10 * DAY - 60, "status": "enabled"}]},
        "b2c_1a_empty": {"id": "B2C_1A_Empty", "keys": []},
    })
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
    graph.keysets["b2c_1a_roll"] = {"id": "B2C_1A_Roll", "keys": [
        {"kid": "old", "kty": "RSA", "use": "sig", "nbf": now - DAY, "exp": now + 20 * DAY, "status": "enabled"},
        {"kid": "new", "kty": "RSA", "use": "sig", "nbf": now + 7 * DAY - 60, "exp": now + 372 * DAY,
         "status": "enabled"}]}
    keyset = run(name="Roll")["keysets"][0]
    assert keyset["active_key"]["kid"] == "old"
    assert keyset["next_key"]["kid"] == "new" and keyset["next_key"]["activates_in_days"] == 7
    graph.keysets["b2c_1a_roll"]["keys"].pop()
    assert run(name="Roll")["keysets"][0]["next_key"] is None
