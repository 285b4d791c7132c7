"""Unit tests for keysets: names, key views, decisions (tables) and the endpoint calls (fake graph)."""

import json

import pytest

from ansible_collections.b2c.trustframework.plugins.module_utils import keysets as ks
from ansible_collections.b2c.trustframework.plugins.module_utils.errors import B2CError, GraphError, ValidationError

from tests.unit.plugins.module_utils.fake_graph import LEAKY_PRIVATE_D, FakeGraph

NOW = 1767225600  # 2026-01-01T00:00:00Z
DAY = 86400


def key(kid, kty="RSA", use="sig", nbf=NOW - 10 * DAY, exp=NOW + 100 * DAY, status="enabled", **extra):
    data = {"kid": kid, "kty": kty, "use": use, "nbf": nbf, "exp": exp, "status": status}
    data.update(extra)
    return dict((k, v) for k, v in data.items() if v is not None)


def keyset(*keys, name="B2C_1A_Sig"):
    return {"id": name, "keys": list(keys)}


# --------------------------------------------------------------------------- names

@pytest.mark.parametrize("given, expected", [
    ("TokenSigningKeyContainer", "B2C_1A_TokenSigningKeyContainer"),
    ("B2C_1A_TokenSigningKeyContainer", "B2C_1A_TokenSigningKeyContainer"),
    ("b2c_1a_Facebook", "B2C_1A_Facebook"),
    ("  spaced  ", "B2C_1A_spaced"),
    ("a-b.c_d9", "B2C_1A_a-b.c_d9"),
])
def test_normalize_name(given, expected):
    assert ks.normalize_name(given) == expected


@pytest.mark.parametrize("given, message", [
    ("", "must not be empty"),
    (None, "must not be empty"),
    ("B2C_1A_", "must not be empty"),
    ("has space", "may only hold"),
    ("a/b", "may only hold"),
    ("x" * 200, "too long"),
])
def test_normalize_name_rejects_naming_the_option(given, message):
    with pytest.raises(ValidationError, match="^keyset.*" + message):
        ks.normalize_name(given, "keyset")


# --------------------------------------------------------------------------- key views

def test_summary_is_an_allow_list():
    leaky = key("k1", d="D", p="P", q="Q", dp="DP", dq="DQ", qi="QI", k="SECRET", n="N", e="AQAB", x5c=["c"])
    summary = ks.summarize_key(leaky, NOW)
    assert set(summary) == set(ks.SUMMARY_FIELDS) | {"nbf_iso", "exp_iso", "expires_in_days"}
    text = json.dumps(ks.summarize_keyset(keyset(leaky), NOW))
    for private in ('"D"', '"P"', '"Q"', '"DP"', '"DQ"', '"QI"', "SECRET"):
        assert private not in text


@pytest.mark.parametrize("nbf, exp, nbf_iso, exp_iso, days", [
    (NOW, NOW + DAY * 3 // 2, "2026-01-01T00:00:00Z", "2026-01-02T12:00:00Z", 1),
    (str(NOW), str(NOW + 30 * DAY), "2026-01-01T00:00:00Z", "2026-01-31T00:00:00Z", 30),
    (None, NOW - 1, None, "2025-12-31T23:59:59Z", -1),
    (None, NOW - 3 * DAY, None, "2025-12-29T00:00:00Z", -3),
    (None, None, None, None, None),
    ("garbage", None, None, None, None),
])
def test_summary_times(nbf, exp, nbf_iso, exp_iso, days):
    summary = ks.summarize_key({"kid": "k", "nbf": nbf, "exp": exp}, NOW)
    assert (summary["nbf"], summary["exp"]) == (nbf, exp)  # raw values as Graph returned them
    assert (summary["nbf_iso"], summary["exp_iso"], summary["expires_in_days"]) == (nbf_iso, exp_iso, days)


def test_summaries_of_nothing():
    assert ks.summarize_key(None, NOW) is None
    assert ks.summarize_keyset(None, NOW) is None
    assert ks.summarize_keyset({"id": "B2C_1A_x"}, NOW) == {"id": "B2C_1A_x", "keys": []}


# --------------------------------------------------------------------------- decisions

@pytest.mark.parametrize("candidate, usable", [
    (key("a"), True),
    (key("a", status=None), True),
    (key("a", status="Enabled"), True),
    (key("a", status="disabled"), False),
    (key("a", status="unknownFutureValue"), False),
    (key("a", exp=None), True),
    (key("a", exp=NOW), False),
    (key("a", exp=str(NOW - 1)), False),
    (key("a", nbf=NOW + 5 * DAY), True),  # staged key: still counts
])
def test_is_usable(candidate, usable):
    assert ks.is_usable(candidate, NOW) is usable


@pytest.mark.parametrize("kty, family", [("RSA", "rsa"), ("rsa", "rsa"), ("OCT", "oct"), ("oct", "oct"),
                                         ("EC", None), (None, None)])
def test_key_family(kty, family):
    assert ks.key_family(kty) == family


def test_family_mix_is_refused_locally():
    with pytest.raises(ValidationError, match="holds RSA keys; a keyset cannot mix RSA and oct keys "
                                              r"\(AADB2C95032\); use another keyset"):
        ks.check_family(keyset(key("a")), "oct")
    ks.check_family(keyset(key("a")), "rsa")
    ks.check_family(keyset(), "oct")
    assert ks.keyset_family(keyset(key("s", kty="OCT"))) == "oct"


def test_newest_usable_prefers_longest_validity():
    old = key("old", exp=NOW + 10 * DAY)
    new = key("new", exp=NOW + 300 * DAY)
    forever = key("forever", exp=None)
    enc = key("enc", use="enc", exp=NOW + 900 * DAY)
    off = key("off", status="disabled", exp=NOW + 999 * DAY)
    assert ks.newest_usable([old, new, enc, off], "rsa", "sig", NOW)["kid"] == "new"
    assert ks.newest_usable([old, forever, new], "RSA", "SIG", NOW)["kid"] == "forever"
    assert ks.newest_usable([old, enc], "oct", "sig", NOW) is None
    assert ks.newest_usable([old, enc], None, None, NOW)["kid"] == "enc"


@pytest.mark.parametrize("exp, days, due", [
    (NOW + 10 * DAY, 30, True),
    (NOW + 30 * DAY, 30, True),
    (NOW + 31 * DAY, 30, False),
    (None, 30, False),
    (NOW + 10 * DAY, None, False),
    (NOW + 1, 0, False),
])
def test_renewal_due(exp, days, due):
    assert ks.renewal_due(key("a", exp=exp), days, NOW) is due


def desired(**kwargs):
    kwargs.setdefault("keyset", "B2C_1A_Sig")
    return ks.DesiredKey(**kwargs)


X5T = "abcdefghijklmnopqrstuvwxyz0"

PLAN_CASES = [
    # id, current keyset (None = missing), desired options, expected action, keyset created
    ("missing keyset -> create and generate", None, {}, "generated", True),
    ("missing keyset -> create and upload secret", None, {"source": "secret", "secret": "s"}, "uploaded", True),
    ("empty keyset -> generate", keyset(), {}, "generated", False),
    ("usable key -> nothing", keyset(key("a")), {}, "none", False),
    ("usable key, kty/use case-insensitive", keyset(key("a", kty="rsa", use="SIG")), {"kty": "RSA", "use": "sig"},
     "none", False),
    ("usable key without exp -> nothing", keyset(key("a", exp=None)), {}, "none", False),
    ("only expired key -> generate", keyset(key("a", exp=NOW - DAY)), {}, "generated", False),
    ("only disabled key -> generate", keyset(key("a", status="disabled")), {}, "generated", False),
    ("other use only -> generate", keyset(key("a", use="enc")), {"use": "sig"}, "generated", False),
    ("force -> generate", keyset(key("a")), {"force": True}, "generated", False),
    ("renew due -> generate", keyset(key("a", exp=NOW + 5 * DAY)), {"renew_before_days": 30}, "generated", False),
    ("renew not due -> nothing", keyset(key("a", exp=NOW + 50 * DAY)), {"renew_before_days": 30}, "none", False),
    ("renew: newer key covers -> nothing", keyset(key("a", exp=NOW + 5 * DAY), key("b", exp=NOW + 400 * DAY)),
     {"renew_before_days": 30}, "none", False),
    ("oct generate in oct keyset", keyset(key("s", kty="OCT")), {"kty": "oct"}, "none", False),
    ("secret on_create, usable secret -> nothing", keyset(key("s", kty="OCT")), {"source": "secret"}, "none", False),
    ("secret on_create, other use -> upload", keyset(key("s", kty="OCT", use="enc")), {"source": "secret"},
     "uploaded", False),
    ("secret on_create, expired -> upload", keyset(key("s", kty="OCT", exp=NOW - 1)), {"source": "secret"},
     "uploaded", False),
    ("secret always -> upload", keyset(key("s", kty="OCT")), {"source": "secret", "update_secret": "always"},
     "uploaded", False),
    ("secret renew due -> upload", keyset(key("s", kty="OCT", exp=NOW + DAY)),
     {"source": "secret", "renew_before_days": 7}, "uploaded", False),
    ("certificate present by x5t -> nothing", keyset(key("c", x5t=X5T)), {"source": "certificate", "x5t": X5T},
     "none", False),
    ("certificate x5t with padding matches", keyset(key("c", x5t=X5T + "=")), {"source": "certificate", "x5t": X5T},
     "none", False),
    ("certificate present but expired/disabled still matches", keyset(key("c", x5t=X5T, status="disabled")),
     {"source": "certificate", "x5t": X5T}, "none", False),
    ("certificate absent -> upload", keyset(key("c", x5t="other")), {"source": "certificate", "x5t": X5T},
     "uploaded", False),
    ("pkcs12 present by x5t -> nothing", keyset(key("c", x5t=X5T)), {"source": "pkcs12", "x5t": X5T}, "none", False),
    ("pkcs12 absent -> upload", keyset(), {"source": "pkcs12", "x5t": X5T}, "uploaded", False),
    ("pkcs12 force -> upload", keyset(key("c", x5t=X5T)), {"source": "pkcs12", "x5t": X5T, "force": True},
     "uploaded", False),
    ("certificate ignores renew_before_days", keyset(key("c", x5t=X5T, exp=NOW + DAY)),
     {"source": "certificate", "x5t": X5T, "renew_before_days": 30}, "none", False),
    ("status: already disabled -> nothing", keyset(key("a", status="disabled")),
     {"kid": "a", "status": "disabled"}, "none", False),
    ("status: enabled -> disable", keyset(key("a")), {"kid": "a", "status": "disabled"}, "status_changed", False),
    ("status: no status known -> set", keyset(key("a", status=None)), {"kid": "a", "status": "enabled"},
     "status_changed", False),
]


@pytest.mark.parametrize("current, options, action, created", [c[1:] for c in PLAN_CASES],
                         ids=[c[0] for c in PLAN_CASES])
def test_plan_key(current, options, action, created):
    plan = ks.plan_key(current, desired(**options), NOW)
    assert (plan.action, plan.create_keyset) == (action, created)
    assert plan.changed is (action != "none" or created)
    assert plan.reason


def test_plan_key_returns_the_matching_key_or_a_prediction():
    current = keyset(key("a"))
    assert ks.plan_key(current, desired(), NOW).key["kid"] == "a"
    predicted = ks.plan_key(current, desired(force=True, use="sig", nbf=NOW, exp=NOW + DAY), NOW).key
    assert predicted == {"kid": None, "kty": "RSA", "use": "sig", "nbf": NOW, "exp": NOW + DAY, "x5t": None,
                         "status": None}
    assert ks.plan_key(keyset(), desired(source="secret"), NOW).key["kty"] == "OCT"


def test_plan_status_prefers_the_keys_v2_view():
    current = keyset(key("a", status=None))
    plan = ks.plan_key(current, desired(kid="a", status="disabled"), NOW, key_v2=key("a", status="disabled"))
    assert plan.action == "none"


@pytest.mark.parametrize("current, options, error, message", [
    (None, {"create_keyset": False}, B2CError, "does not exist and create_keyset is false"),
    (keyset(key("a")), {"source": "secret"}, ValidationError, "holds RSA keys; a keyset cannot mix"),
    (keyset(key("s", kty="oct")), {"kty": "rsa"}, ValidationError, "holds oct keys"),
    (keyset(key("a")), {"kty": "oct", "force": True}, ValidationError, "AADB2C95032"),
    (None, {"kid": "a", "status": "enabled"}, B2CError, "does not exist; cannot set the status"),
    (keyset(key("a")), {"kid": "zz", "status": "enabled"}, B2CError, "has no key with kid 'zz'"),
])
def test_plan_key_errors(current, options, error, message):
    with pytest.raises(error, match=message):
        ks.plan_key(current, desired(**options), NOW)


@pytest.mark.parametrize("options, message", [
    ({"kty": "EC"}, "kty='EC' must be rsa or oct"),
    ({"renew_before_days": -1}, "0 or more"),
    ({"renew_before_days": 30, "exp": NOW + 10 * DAY}, "renewed on every run"),
    ({"source": "secret", "secret": ""}, "secret is empty"),
    ({"source": "secret", "secret": "  "}, "secret is empty"),
])
def test_validate_desired_key(options, message):
    with pytest.raises(ValidationError, match=message):
        ks.validate_desired_key(desired(**options), NOW)


def test_validate_desired_key_accepts_certificates_expiring_within_the_window():
    ks.validate_desired_key(desired(source="certificate", renew_before_days=30, exp=NOW + DAY), NOW)
    ks.validate_desired_key(desired(renew_before_days=30, exp=NOW + 60 * DAY), NOW)


def test_desired_key_repr_hides_secrets():
    text = repr(desired(source="secret", secret="hunter2", pkcs12_password="pw-123", pkcs12_b64="PFXDATA"))
    assert "hunter2" not in text and "pw-123" not in text and "PFXDATA" not in text


def test_keyset_after_plan():
    current = keyset(key("a"))
    add = ks.plan_key(current, desired(force=True), NOW)
    assert [k["kid"] for k in ks.keyset_after_plan(current, add, "B2C_1A_Sig")["keys"]] == ["a", None]
    assert current["keys"] == [key("a")]  # not modified
    created = ks.plan_key(None, desired(), NOW)
    assert ks.keyset_after_plan(None, created, "B2C_1A_Sig")["id"] == "B2C_1A_Sig"
    disable = ks.plan_key(current, desired(kid="a", status="disabled"), NOW)
    assert ks.keyset_after_plan(current, disable, "B2C_1A_Sig")["keys"][0]["status"] == "disabled"
    same = ks.plan_key(current, desired(), NOW)
    assert ks.keyset_after_plan(current, same, "B2C_1A_Sig") is current


KEYSET_CASES = [
    ("absent, missing", None, {"state": "absent"}, "none"),
    ("absent, exists", keyset(), {"state": "absent"}, "deleted"),
    ("present, missing", None, {}, "created"),
    ("present, missing, with keys", None, {"keys": [{"kid": "a"}]}, "created"),
    ("present, exists", keyset(key("a")), {}, "none"),
    ("keys given but update_keys false", keyset(key("a")), {"keys": [{"kid": "b"}]}, "none"),
    ("update_keys, same kids", keyset(key("a"), key("b")), {"keys": [{"kid": "b"}, {"kid": "a"}], "update_keys": True},
     "none"),
    ("update_keys, other kids", keyset(key("a")), {"keys": [{"kid": "b"}], "update_keys": True}, "updated"),
    ("update_keys, empty list", keyset(key("a")), {"keys": [], "update_keys": True}, "updated"),
]


@pytest.mark.parametrize("current, options, action", [c[1:] for c in KEYSET_CASES], ids=[c[0] for c in KEYSET_CASES])
def test_plan_keyset(current, options, action):
    plan = ks.plan_keyset(current, ks.DesiredKeyset(name="B2C_1A_Sig", **options))
    assert plan.action == action


def test_plan_keyset_update_keys_needs_kids():
    with pytest.raises(ValidationError, match="give every entry of keys a kid"):
        ks.plan_keyset(keyset(), ks.DesiredKeyset(name="B2C_1A_Sig", keys=[{"kty": "oct"}], update_keys=True))


def test_keyset_after_keyset_plan_redacts_keys():
    wanted = ks.DesiredKeyset(name="B2C_1A_Sig", keys=[{"kid": "a", "kty": "oct", "k": "SECRET"}])
    after = ks.keyset_after_keyset_plan(None, ks.plan_keyset(None, wanted), wanted)
    assert after == {"id": "B2C_1A_Sig", "keys": [{"kid": "a", "kty": "oct"}]}


@pytest.mark.parametrize("keys, within, needs", [
    ([key("a", exp=NOW + 5 * DAY)], 30, True),
    ([key("a", exp=NOW + 50 * DAY)], 30, False),
    ([key("a", exp=NOW - 5 * DAY)], 30, True),  # only key expired: needs attention
    ([key("a", exp=NOW - 5 * DAY), key("b", exp=NOW + 300 * DAY)], 30, False),  # superseded predecessor
    ([key("a", exp=NOW + 300 * DAY), key("e", use="enc", exp=NOW + DAY)], 30, True),
    ([key("a", exp=NOW + 5 * DAY, status="disabled")], 30, False),
    ([key("a", exp=None)], 30, False),
    ([], 30, False),
])
def test_keyset_needs_renewal(keys, within, needs):
    assert ks.keyset_needs_renewal(keyset(*keys), within, NOW) is needs


# --------------------------------------------------------------------------- endpoint calls

def no_sleep(_seconds):
    pass


def test_read_keyset_normalizes_and_maps_404_to_none():
    graph = FakeGraph([keyset(key("a"), name="B2C_1A_Sig")])
    assert ks.read_keyset(graph, "Sig")["id"] == "B2C_1A_Sig"
    assert ks.read_keyset(graph, "Missing") is None
    assert [c[1] for c in graph.calls] == ["/trustFramework/keySets/B2C_1A_Sig", "/trustFramework/keySets/B2C_1A_Missing"]


def test_read_keyset_raises_other_errors():
    graph = FakeGraph()
    graph.fail("GET", "B2C_1A_Sig", GraphError(status=403, code="Authorization_RequestDenied"))
    with pytest.raises(GraphError):
        ks.read_keyset(graph, "Sig")


def test_create_keyset_sends_the_bare_name_and_uses_the_returned_id():
    graph = FakeGraph()
    created, was_created = ks.create_keyset(graph, "b2c_1a_New")
    assert (created["id"], was_created) == ("B2C_1A_New", True)
    assert graph.calls[0] == ("POST", "/trustFramework/keySets", {"id": "New"})


def test_create_keyset_with_keys():
    graph = FakeGraph()
    ks.create_keyset(graph, "New", keys=[{"kid": "a", "kty": "oct", "k": "x"}])
    assert graph.calls[0][2]["keys"][0]["kid"] == "a"


@pytest.mark.parametrize("status", [400, 409])
def test_create_keyset_that_exists_rereads(status):
    graph = FakeGraph([keyset(key("a"), name="B2C_1A_Old")])
    graph.fail("POST", "/keySets", GraphError(status=status, code="AADB2C95028"))
    existing, was_created = ks.create_keyset(graph, "Old")
    assert (existing["keys"][0]["kid"], was_created) == ("a", False)


def test_create_keyset_409_from_the_fake_itself():
    graph = FakeGraph([keyset(name="B2C_1A_Old")])
    assert ks.create_keyset(graph, "Old")[1] is False


def test_create_keyset_400_without_keyset_is_raised():
    graph = FakeGraph()
    graph.fail("POST", "/keySets", GraphError(status=400, code="invalidRequest"))
    with pytest.raises(GraphError):
        ks.create_keyset(graph, "New", sleep=no_sleep)


def test_create_keyset_ambiguous_failure_that_applied():
    graph = FakeGraph()
    graph.fail("POST", "/keySets", applied=True)
    assert ks.create_keyset(graph, "New", sleep=no_sleep) == ({"id": "B2C_1A_New", "keys": []}, True)


def test_create_keyset_403_is_raised_without_reread():
    graph = FakeGraph()
    graph.fail("POST", "/keySets", GraphError(status=403, code="accessDenied"))
    with pytest.raises(GraphError):
        ks.create_keyset(graph, "New")
    assert len(graph.calls) == 1


def test_action_bodies():
    graph = FakeGraph([keyset(name="B2C_1A_R"), keyset(name="B2C_1A_S")])
    ks.generate_key(graph, "B2C_1A_R", "rsa", "SIG", nbf=NOW, exp=str(NOW + DAY))
    ks.upload_secret(graph, "B2C_1A_S", "hunter2", "enc", exp=NOW + DAY)
    assert graph.calls[0] == ("POST", "/trustFramework/keySets/B2C_1A_R/generateKey",
                              {"use": "sig", "kty": "RSA", "nbf": NOW, "exp": NOW + DAY})
    assert graph.calls[1] == ("POST", "/trustFramework/keySets/B2C_1A_S/uploadSecret",
                              {"use": "enc", "k": "hunter2", "exp": NOW + DAY})
    for _method, _path, body in graph.calls:
        assert "@odata.type" not in body


def test_oct_generate_sends_OCT():
    graph = FakeGraph([keyset(name="B2C_1A_S")])
    ks.generate_key(graph, "B2C_1A_S", "oct", "sig")
    assert graph.calls[0][2] == {"use": "sig", "kty": "OCT"}


def test_kid_is_quoted_in_keys_v2_paths():
    graph = FakeGraph([keyset(key("a/b c"), name="B2C_1A_Sig")])
    assert ks.get_key_v2(graph, "B2C_1A_Sig", "a/b c")["kid"] == "a/b c"
    assert graph.calls[0][1] == "/trustFramework/keySets/B2C_1A_Sig/keys_v2/a%2Fb%20c"


def test_get_key_v2_accepts_bare_and_wrapped():
    class Answer:
        def __init__(self, answer):
            self.answer = answer

        def request(self, method, path, json=None, params=None):
            return self.answer

    assert ks.get_key_v2(Answer({"kid": "a", "status": "enabled"}), "x", "a")["status"] == "enabled"
    assert ks.get_key_v2(Answer({"value": {"kid": "a", "status": "disabled"}}), "x", "a")["status"] == "disabled"
    assert ks.get_key_v2(FakeGraph([keyset(name="B2C_1A_Sig")]), "B2C_1A_Sig", "zz") is None


def test_set_key_status_patches_only_status():
    graph = FakeGraph([keyset(key("a"), name="B2C_1A_Sig")])
    ks.set_key_status(graph, "B2C_1A_Sig", "a", "disabled")
    assert graph.calls[-1] == ("PATCH", "/trustFramework/keySets/B2C_1A_Sig/keys_v2/a", {"status": "disabled"})
    assert graph.keys("B2C_1A_Sig")[0]["status"] == "disabled"


@pytest.mark.parametrize("status, result", [(404, None), (400, None)])
def test_get_active_key_none_on_4xx(status, result):
    graph = FakeGraph([keyset(name="B2C_1A_Sig")])
    graph.fail("GET", "getActiveKey", GraphError(status=status))
    assert ks.get_active_key(graph, "B2C_1A_Sig") is result


@pytest.mark.parametrize("status", [401, 403, 429, 500])
def test_get_active_key_raises_real_errors(status):
    graph = FakeGraph([keyset(name="B2C_1A_Sig")])
    graph.fail("GET", "getActiveKey", GraphError(status=status))
    with pytest.raises(GraphError):
        ks.get_active_key(graph, "B2C_1A_Sig")


def test_delete_keyset():
    graph = FakeGraph([keyset(name="B2C_1A_Sig")])
    assert ks.delete_keyset(graph, "B2C_1A_Sig") is True
    assert ks.delete_keyset(graph, "B2C_1A_Sig") is False


def test_replace_keys_puts_the_list():
    graph = FakeGraph([keyset(key("a"), name="B2C_1A_Sig")])
    ks.replace_keys(graph, "B2C_1A_Sig", [{"kid": "b", "kty": "oct", "k": "x"}])
    assert graph.calls[-1] == ("PUT", "/trustFramework/keySets/B2C_1A_Sig", {"keys": [{"kid": "b", "kty": "oct", "k": "x"}]})


def test_list_keysets_uses_get_all():
    graph = FakeGraph([keyset(name="B2C_1A_A"), keyset(name="B2C_1A_B")])
    assert [k["id"] for k in ks.list_keysets(graph)] == ["B2C_1A_A", "B2C_1A_B"]


# --------------------------------------------------------------------------- exactly once

def generate_once(graph, keyset_id="B2C_1A_Sig", attempts=3):
    wanted = desired()
    before = ks.read_keyset(graph, keyset_id)
    return ks.add_key_once(graph, keyset_id, lambda: ks.send_key(graph, keyset_id, wanted),
                           ks.added_key_finder(before, wanted), attempts=attempts, sleep=no_sleep)


@pytest.mark.parametrize("applied, posts", [(True, 1), (False, 2)])
def test_add_key_once_after_an_ambiguous_failure(applied, posts):
    graph = FakeGraph([keyset(key("old", exp=NOW - DAY), name="B2C_1A_Sig")])
    graph.fail("POST", "generateKey", applied=applied)
    added = generate_once(graph)
    assert added["kid"] != "old"
    assert len(graph.posts_to("generateKey")) == posts
    assert len(graph.keys("B2C_1A_Sig")) == 2  # exactly one new key


def test_add_key_once_never_retries_a_definite_failure():
    graph = FakeGraph([keyset(name="B2C_1A_Sig")])
    graph.fail("POST", "generateKey", GraphError(status=400, code="invalidRequest"))
    with pytest.raises(GraphError):
        generate_once(graph)
    assert len(graph.posts_to("generateKey")) == 1


def test_add_key_once_gives_up_after_attempts():
    graph = FakeGraph([keyset(name="B2C_1A_Sig")])
    graph.fail("POST", "generateKey", times=5)
    with pytest.raises(GraphError):
        generate_once(graph, attempts=3)
    assert len(graph.posts_to("generateKey")) == 3
    assert graph.keys("B2C_1A_Sig") == []


def test_add_key_once_gives_up_when_the_last_attempt_applied_but_never_adds_two():
    graph = FakeGraph([keyset(name="B2C_1A_Sig")])
    graph.fail("POST", "generateKey", applied=True, times=5)
    assert generate_once(graph)["kty"] == "RSA"
    assert len(graph.keys("B2C_1A_Sig")) == 1


def test_add_key_once_tolerates_replication_lag_on_the_reread():
    graph = FakeGraph([keyset(name="B2C_1A_Sig")])
    graph.fail("POST", "generateKey", applied=True)
    graph.fail("GET", "B2C_1A_Sig", GraphError(status=404), times=2)
    wanted = desired()
    before = keyset(name="B2C_1A_Sig")
    added = ks.add_key_once(graph, "B2C_1A_Sig", lambda: ks.send_key(graph, "B2C_1A_Sig", wanted),
                            ks.added_key_finder(before, wanted), sleep=no_sleep)
    assert added is not None
    assert len(graph.keys("B2C_1A_Sig")) == 1


def test_add_key_once_waits_for_a_key_the_service_applies_late():
    """A timed-out send that the service applies a moment later must not be sent again."""
    graph = FakeGraph([keyset(name="B2C_1A_Sig")])
    graph.fail("POST", "generateKey")  # not applied yet when the client gives up
    wanted = desired()
    slept = []

    def service_applies_it_while_we_wait(seconds):
        if not slept:
            graph.request("POST", "/trustFramework/keySets/B2C_1A_Sig/generateKey", json={"kty": "RSA", "use": "sig"})
        slept.append(seconds)

    added = ks.add_key_once(graph, "B2C_1A_Sig", lambda: ks.send_key(graph, "B2C_1A_Sig", wanted),
                            ks.added_key_finder(keyset(name="B2C_1A_Sig"), wanted), sleep=service_applies_it_while_we_wait)
    assert added is not None and slept == [1]
    assert len(graph.keys("B2C_1A_Sig")) == 1


def test_add_key_once_retries_a_404_send_after_a_wait():
    graph = FakeGraph([keyset(name="B2C_1A_Sig")])
    graph.fail("POST", "generateKey", GraphError(status=404), times=2)
    slept = []
    wanted = desired()
    ks.add_key_once(graph, "B2C_1A_Sig", lambda: ks.send_key(graph, "B2C_1A_Sig", wanted),
                    ks.added_key_finder(None, wanted), sleep=slept.append)
    assert slept == [1, 2]
    assert len(graph.keys("B2C_1A_Sig")) == 1


def test_add_key_once_404_that_persists_is_raised():
    graph = FakeGraph([keyset(name="B2C_1A_Sig")])
    graph.fail("POST", "generateKey", GraphError(status=404), times=10)
    with pytest.raises(GraphError):
        ks.add_key_once(graph, "B2C_1A_Sig", lambda: ks.send_key(graph, "B2C_1A_Sig", desired()),
                        lambda _keyset: None, sleep=no_sleep)
    assert len(graph.posts_to("generateKey")) == len(ks.REPLICATION_WAITS) + 1


def test_added_key_finder_for_certificates_uses_x5t():
    finder = ks.added_key_finder(keyset(), desired(source="certificate", x5t=X5T))
    assert finder(keyset(key("c", x5t=X5T)))["kid"] == "c"
    assert finder(keyset(key("c", x5t="other"))) is None


def test_added_key_finder_ignores_known_kids_and_other_families():
    before = keyset(key("old"))
    finder = ks.added_key_finder(before, desired())
    assert finder(keyset(key("old"))) is None
    assert finder(keyset(key("old"), key("enc", use="enc"))) is None
    assert finder(keyset(key("old"), key("new")))["kid"] == "new"


# --------------------------------------------------------------------------- apply

def test_apply_creates_the_keyset_then_generates():
    graph = FakeGraph()
    wanted = desired(keyset="B2C_1A_New")
    plan = ks.plan_key(None, wanted, NOW)
    applied = ks.apply_key_plan(graph, None, wanted, plan, NOW, sleep=no_sleep)
    assert applied.keyset_created is True
    assert applied.key["kid"] and applied.key["status"] == "enabled"
    assert [k["kid"] for k in applied.keyset["keys"]] == [applied.key["kid"]]
    assert LEAKY_PRIVATE_D not in json.dumps(ks.summarize_keyset(applied.keyset, NOW))
    assert LEAKY_PRIVATE_D not in json.dumps(ks.summarize_key(applied.key, NOW))


def test_apply_when_another_run_created_the_keyset_with_a_key():
    graph = FakeGraph([keyset(key("theirs"), name="B2C_1A_New")])
    wanted = desired(keyset="B2C_1A_New")
    applied = ks.apply_key_plan(graph, None, wanted, ks.plan_key(None, wanted, NOW), NOW, sleep=no_sleep)
    assert (applied.plan.action, applied.keyset_created, applied.key["kid"]) == ("none", False, "theirs")
    assert graph.posts_to("generateKey") == []


def test_apply_status_change():
    graph = FakeGraph([keyset(key("a"), name="B2C_1A_Sig")])
    current = ks.read_keyset(graph, "Sig")
    wanted = desired(kid="a", status="disabled")
    applied = ks.apply_key_plan(graph, current, wanted, ks.plan_key(current, wanted, NOW), NOW, sleep=no_sleep)
    assert applied.key["status"] == "disabled"
    assert applied.keyset["keys"][0]["status"] == "disabled"
