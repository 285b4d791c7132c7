"""Unit tests for the keyset decisions: names, key views, the active-key rule, local refusals and plans (tables)."""

import json
import re

import pytest

from ansible_collections.b2c.trustframework.plugins.module_utils import keyset_decisions as ks
from ansible_collections.b2c.trustframework.plugins.module_utils.errors import B2CError, ValidationError

from tests.unit.plugins.module_utils.keyset_samples import DAY, NOW, X5T, desired, key, keyset


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
    ("B2C_1A_b2c_1a_X", "carries the B2C_1A_ prefix twice"),
    ("b2c_1a_B2C_1A_X", "prefix twice; give the name once, e.g. B2C_1A_X"),
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
    (NOW, NOW + DAY * 3 // 2, "2026-01-01T00:00:00Z", "2026-01-02T12:00:00Z", 2),
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


@pytest.mark.parametrize("seconds_left, days", [
    (10 * DAY, 10),          # a 10-day key, the moment it is made
    (10 * DAY - 3600, 10),   # ... and an hour later: still 10 on the day it is made
    (9 * DAY, 9),
    (9 * DAY + 1, 10),       # a started day counts
    (1, 1),                  # expires within the day: 1, never 0 while valid
    (0, -1),                 # expires now: expired
    (-1, -1),
    (-DAY, -1),
    (-DAY - 1, -2),
])
def test_days_until_rounds_up_while_valid(seconds_left, days):
    assert ks.days_until(NOW + seconds_left, NOW) == days
    if seconds_left > 0:  # <= N exactly when the key expires within N days
        assert ks.renewal_due({"exp": NOW + seconds_left}, days, NOW)
        assert not ks.renewal_due({"exp": NOW + seconds_left}, days - 1, NOW)


def test_summaries_of_nothing():
    assert ks.summarize_key(None, NOW) is None
    assert ks.summarize_keyset(None, NOW) is None
    assert ks.summarize_keyset({"id": "B2C_1A_x"}, NOW) == {"id": "B2C_1A_x", "key_list": []}


def test_summary_names_work_with_jinja_dot_access():
    """``result.keyset.keys`` in Jinja is the dict method: no returned name may be one of a dict's attributes."""
    staged = keyset(key("a", nbf=NOW + DAY))
    summary = ks.summarize_keyset(staged, NOW)
    names = set(summary) | set(summary["key_list"][0]) | set(ks.summarize_next_key(ks.keys_of(staged), NOW))
    assert names & set(dir(dict)) == set()


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
    with pytest.raises(ValidationError, match="holds oct keys"):
        ks.check_family(keyset(key("s", kty="OCT")), "rsa")


def test_use_mix_is_refused_locally():
    with pytest.raises(ValidationError, match=r"holds sig keys; a keyset cannot mix sig and enc keys \(AADB2C95042\)"):
        ks.check_use(keyset(key("a")), "enc")
    ks.check_use(keyset(key("a", use="SIG")), "sig")
    ks.check_use(keyset(), "enc")


def test_newest_usable_prefers_longest_validity():
    old = key("old", exp=NOW + 10 * DAY)
    new = key("new", exp=NOW + 300 * DAY)
    forever = key("forever", exp=None)
    enc = key("enc", use="enc", exp=NOW + 900 * DAY)
    off = key("off", status="disabled", exp=NOW + 999 * DAY)
    assert ks.newest_usable([old, new, enc, off], "rsa", "sig", NOW)["kid"] == "new"
    # A key without exp (the safety net) does not hide the dated keys: renewal is decided on them.
    assert ks.newest_usable([old, forever, new], "RSA", "SIG", NOW)["kid"] == "new"
    assert ks.newest_usable([forever], "rsa", "sig", NOW)["kid"] == "forever"
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
    ("force -> generate", keyset(key("a")), {"force": True}, "generated", False),
    ("renew due -> generate", keyset(key("a", exp=NOW + 5 * DAY)), {"renew_before_days": 30, "exp": NOW + 400 * DAY},
     "generated", False),
    ("renew due, service lifetime long enough -> generate", keyset(key("a", nbf=NOW - 700 * DAY, exp=NOW + 5 * DAY)),
     {"renew_before_days": 30}, "generated", False),
    ("renew not due -> nothing", keyset(key("a", exp=NOW + 50 * DAY)), {"renew_before_days": 30}, "none", False),
    ("renew: newer key covers -> nothing", keyset(key("a", exp=NOW + 5 * DAY), key("b", exp=NOW + 400 * DAY)),
     {"renew_before_days": 30}, "none", False),
    ("renew: a dateless key does not hide the due key", keyset(key("a", exp=NOW + 5 * DAY), key("n", nbf=None, exp=None)),
     {"renew_before_days": 30, "exp": NOW + 400 * DAY}, "generated", False),
    ("renew: staged successor covers -> nothing", keyset(key("a", exp=NOW + 5 * DAY),
                                                         key("b", nbf=NOW + 3 * DAY, exp=NOW + 400 * DAY)),
     {"renew_before_days": 30}, "none", False),
    ("oct generate in oct keyset", keyset(key("s", kty="OCT")), {"kty": "oct"}, "none", False),
    ("secret on_create, usable secret -> nothing", keyset(key("s", kty="OCT")), {"source": "secret"}, "none", False),
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
    ("status: enabled -> disable, force", keyset(key("a")), {"kid": "a", "status": "disabled", "force": True},
     "status_changed", False),
    ("status: disable a key that is neither active nor the last", keyset(key("old", nbf=NOW - 20 * DAY), key("new")),
     {"kid": "old", "status": "disabled"}, "status_changed", False),
    ("status: disable an expired key", keyset(key("gone", exp=NOW - DAY), key("a")), {"kid": "gone", "status": "disabled"},
     "status_changed", False),
    ("status: disable a staged key next to the active one", keyset(key("a"), key("next", nbf=NOW + DAY)),
     {"kid": "next", "status": "disabled"}, "status_changed", False),
    ("status: enable is never refused", keyset(key("a", status="disabled")), {"kid": "a", "status": "enabled"},
     "status_changed", False),
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
    (keyset(key("a", use="enc")), {"use": "sig"}, ValidationError, "AADB2C95042"),
    (keyset(key("s", kty="OCT", use="enc")), {"source": "secret", "use": "sig", "force": True}, ValidationError,
     "cannot mix sig and enc"),
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
    ({"exp": NOW - 1}, r"in the past; the service refuses such a key \(AADB2C90214\)"),
    ({"keyset": "B2C_1A_AdminClientEncryptionKeyContainer"}, "B2C creates and uses this keyset itself"),
    ({"keyset": "b2c_1a_adminclientencryptionkeycontainer", "kid": "x", "status": "disabled"}, "refusing to change"),
    ({"kid": "..", "status": "disabled"}, "is not a key id"),
    ({"kid": ".", "status": "disabled"}, "is not a key id"),
    ({"kid": "", "status": "disabled"}, "is not a key id"),
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
    disable = ks.plan_key(current, desired(kid="a", status="disabled", force=True), NOW)
    assert ks.keyset_after_plan(current, disable, "B2C_1A_Sig")["keys"][0]["status"] == "disabled"
    same = ks.plan_key(current, desired(), NOW)
    assert ks.keyset_after_plan(current, same, "B2C_1A_Sig") is current


DISABLE_REFUSALS = [
    ("the only key", keyset(key("a")), "a",
     "key a is the active key of keyset B2C_1A_Sig; disabling it leaves no active key, so the policies"),
    ("the active key, an older one takes over", keyset(key("old", nbf=NOW - 20 * DAY), key("a")), "a",
     "key a is the active key of keyset B2C_1A_Sig; disabling it makes key old the active key"),
    ("the active key, a staged one follows", keyset(key("a"), key("next", nbf=NOW + 2 * DAY)), "a",
     "key a is the active key of keyset B2C_1A_Sig; disabling it leaves no active key until key next starts at "
     "2026-01-03T00:00:00Z"),
    ("the last usable key, staged", keyset(key("gone", exp=NOW - DAY), key("next", nbf=NOW + DAY)), "next",
     "key next is the last usable RSA/sig key of keyset B2C_1A_Sig; disabling it leaves no active key"),
    ("the active key has no status (counts as enabled)", keyset(key("a", status=None), key("b", status="disabled")), "a",
     "key a is the active key"),
    ("the last usable oct/enc key", keyset(key("s", kty="OCT", use="enc", nbf=None)), "s",
     "key s is the active key of keyset B2C_1A_Sig"),
]


@pytest.mark.parametrize("current, kid, message", [c[1:] for c in DISABLE_REFUSALS], ids=[c[0] for c in DISABLE_REFUSALS])
def test_disabling_the_active_or_last_usable_key_needs_force(current, kid, message):
    with pytest.raises(ValidationError, match="^" + re.escape(message)) as refused:
        ks.plan_key(current, desired(kid=kid, status="disabled"), NOW)
    assert str(refused.value).endswith("Set force: true to disable it anyway")
    forced = ks.plan_key(current, desired(kid=kid, status="disabled", force=True), NOW)
    assert (forced.action, forced.key["status"]) == ("status_changed", "disabled")


KEYSET_CASES = [
    ("absent, missing", None, {"state": "absent"}, "none"),
    ("absent, exists", keyset(), {"state": "absent"}, "deleted"),
    ("present, missing", None, {}, "created"),
    ("present, missing, with keys", None, {"keys": [{"kty": "oct"}]}, "created"),
    ("present, exists", keyset(key("a")), {}, "none"),
    ("keys given but update_keys false", keyset(key("a")), {"keys": [{"kty": "oct"}]}, "none"),
    ("update_keys, same keys in another order", keyset(key("a", n="N1"), key("b", n="N2")),
     {"keys": [{"kty": "rsa", "use": "SIG", "n": "N2"}, {"kty": "RSA", "use": "sig", "n": "N1"}], "update_keys": True},
     "none"),
    ("update_keys, matched by what is set", keyset(key("a")), {"keys": [{"kty": "RSA", "use": "sig"}], "update_keys": True},
     "none"),
    ("update_keys, other modulus", keyset(key("a", n="N1")), {"keys": [{"kty": "RSA", "use": "sig", "n": "N9"}],
                                                              "update_keys": True}, "updated"),
    ("update_keys, other dates", keyset(key("s", kty="OCT")), {"keys": [{"kty": "oct", "use": "sig", "exp": NOW + DAY}],
                                                               "update_keys": True}, "updated"),
    ("update_keys, one key more held", keyset(key("a"), key("b")), {"keys": [{"kty": "RSA", "use": "sig"}],
                                                                    "update_keys": True}, "updated"),
    ("update_keys, empty list", keyset(key("a")), {"keys": [], "update_keys": True}, "updated"),
]


@pytest.mark.parametrize("current, options, action", [c[1:] for c in KEYSET_CASES], ids=[c[0] for c in KEYSET_CASES])
def test_plan_keyset(current, options, action):
    plan = ks.plan_keyset(current, ks.DesiredKeyset(name="B2C_1A_Sig", **options))
    assert plan.action == action


@pytest.mark.parametrize("current, options", [
    (keyset(key("a"), name="B2C_1A_AdminClientEncryptionKeyContainer"), {"state": "absent"}),
    (keyset(key("a"), name="B2C_1A_AdminClientEncryptionKeyContainer"), {"keys": [], "update_keys": True}),
])
def test_plan_keyset_refuses_to_touch_the_service_managed_keyset(current, options):
    with pytest.raises(ValidationError, match="B2C_1A_AdminClientEncryptionKeyContainer: B2C creates and uses"):
        ks.plan_keyset(current, ks.DesiredKeyset(name=current["id"], **options))


@pytest.mark.parametrize("keys, message", [
    ([{"kid": "a", "kty": "oct"}], r"keys\[0\].kid is set; .*\(AADB2C95059\)"),
    ([{"kty": "RSA", "use": "sig", "n": "N", "e": "AQAB"}, {"kty": "oct", "use": "sig", "k": "abc"}],
     r"mixes RSA and oct keys; a keyset cannot mix them \(AADB2C95032\)"),
    ([{"kty": "oct", "use": "sig", "k": "a"}, {"kty": "oct", "use": "enc", "k": "b"}], r"mixes sig and enc keys.*AADB2C95042"),
    ([{"kty": "oct", "use": "sig", "k": "not base64url!"}], r"keys\[0\].k must be the secret as base64url.*AADB2C95029"),
    ([{"kty": "oct", "use": "sig", "k": "YWJj=="}], r"without padding"),
    ([{"kty": "oct", "use": "sig"}], r"keys\[0\].k must be the secret"),
    ([{"kty": "oct", "use": "sig", "k": "abc", "exp": NOW - 1}], r"keys\[0\].exp .* is in the past.*AADB2C90214"),
    ([{"kty": "RSA", "use": "sig", "n": "N"}], r"keys\[0\] is an RSA key without n and e.*AADB2C95039"),
    ([{"use": "sig", "k": "abc"}], r"keys\[0\].kty=None must be rsa or oct"),
    ([{"kty": "oct", "k": "abc"}], r"keys\[0\].use=None must be sig or enc \(AADB2C95033\)"),
    ([{"kty": "EC"}], r"keys\[0\].kty='EC' must be rsa or oct"),
    ([{"kty": "oct", "use": "verify"}], r"keys\[0\].use='verify' must be sig or enc"),
])
def test_clean_jwks_refuses_what_the_service_refuses(keys, message):
    with pytest.raises(ValidationError, match=message):
        ks.clean_jwks(keys, NOW)


def test_clean_jwks_drops_unset_members_and_parses_times():
    cleaned = ks.clean_jwks([{"kty": "oct", "use": "sig", "k": "YWJj", "nbf": "2026-01-02T00:00:00Z", "exp": None}], NOW)
    assert cleaned == [{"kty": "oct", "use": "sig", "k": "YWJj", "nbf": NOW + DAY}]


# The service's rule (reference section 7.4): latest nbf that has passed, exp not passed, enabled;
# failing that, a key without nbf (the safety net).
ACTIVE_CASES = [
    ("empty", [], None),
    ("one current key", [key("a")], "a"),
    ("latest passed nbf wins, not the longest-lived", [key("old", nbf=NOW - 20 * DAY, exp=NOW + 900 * DAY),
                                                       key("new", nbf=NOW - DAY, exp=NOW + 30 * DAY)], "new"),
    ("a staged key is not active yet", [key("cur"), key("next", nbf=NOW + DAY, exp=NOW + 400 * DAY)], "cur"),
    ("nbf exactly now is active", [key("cur"), key("next", nbf=NOW, exp=NOW + 400 * DAY)], "next"),
    ("expired key is skipped", [key("old", nbf=NOW - 99 * DAY, exp=NOW - DAY), key("cur")], "cur"),
    ("disabled key is skipped", [key("cur"), key("off", nbf=NOW - DAY, status="disabled")], "cur"),
    ("dateless safety net when nothing dated is live", [key("old", exp=NOW - DAY), key("net", nbf=None, exp=None)], "net"),
    ("dated key before the safety net", [key("net", nbf=None, exp=None), key("cur")], "cur"),
    ("only staged keys: nothing active", [key("next", nbf=NOW + DAY)], None),
    ("expired and disabled only", [key("a", exp=NOW - 1), key("b", status="disabled")], None),
    ("string dates", [key("a", nbf=str(NOW - DAY), exp=str(NOW + DAY))], "a"),
]


@pytest.mark.parametrize("keys, kid", [c[1:] for c in ACTIVE_CASES], ids=[c[0] for c in ACTIVE_CASES])
def test_active_key(keys, kid):
    active = ks.active_key(keys, NOW)
    assert (active or {}).get("kid") == kid


@pytest.mark.parametrize("name, managed, backup", [
    ("B2C_1A_AdminClientEncryptionKeyContainer", True, False),
    ("b2c_1a_adminclientencryptionkeycontainer", True, False),
    ("B2C_1A_TokenSigningKeyContainer", False, False),
    ("B2C_1A_TokenSigningKeyContainer.bak", False, True),
    ("B2C_1A_X.BAK", False, True),
])
def test_service_managed_and_backup_keysets(name, managed, backup):
    assert (ks.is_service_managed(name), ks.is_backup(name)) == (managed, backup)


def test_keyset_after_keyset_plan_redacts_keys():
    wanted = ks.DesiredKeyset(name="B2C_1A_Sig", keys=[{"kty": "oct", "k": "SECRET"}])
    after = ks.keyset_after_keyset_plan(None, ks.plan_keyset(None, wanted), wanted)
    assert after == {"id": "B2C_1A_Sig", "keys": [{"kty": "oct"}]}


@pytest.mark.parametrize("keys, within, needs", [
    ([key("a", exp=NOW + 5 * DAY)], 30, True),
    ([key("a", exp=NOW + 50 * DAY)], 30, False),
    ([key("a", exp=NOW - 5 * DAY)], 30, True),  # only key expired: needs attention
    ([key("a", exp=NOW - 5 * DAY), key("b", exp=NOW + 300 * DAY)], 30, False),  # superseded predecessor
    ([key("a", exp=NOW + 300 * DAY), key("e", use="enc", exp=NOW + DAY)], 30, True),
    ([key("a", exp=NOW + 5 * DAY, status="disabled")], 30, False),
    ([key("a", exp=None)], 30, False),
    ([key("a", exp=NOW + 5 * DAY), key("net", nbf=None, exp=None)], 30, True),  # the safety net hides nothing
    ([], 30, False),
])
def test_keyset_needs_renewal(keys, within, needs):
    assert ks.keyset_needs_renewal(keyset(*keys), within, NOW) is needs


# --------------------------------------------------------------------------- rollover

STAGED = {"renew_before_days": 30, "activate_in_days": 7, "valid_days": 365, "exp": NOW + 365 * DAY}

ROLLOVER_CASES = [
    # id, keys, desired options, expected action, expected (nbf, exp) of the added key (None: no add)
    ("due key gets a successor staged 7 days ahead, valid 365 days from its nbf",
     [key("a", exp=NOW + 20 * DAY)], STAGED, "generated", (NOW + 7 * DAY, NOW + 372 * DAY)),
    ("staged successor counts as renewal done",
     [key("a", exp=NOW + 20 * DAY), key("b", nbf=NOW + 7 * DAY, exp=NOW + 372 * DAY)], STAGED, "none", None),
    ("a disabled staged successor does not count",
     [key("a", exp=NOW + 20 * DAY), key("b", nbf=NOW + 7 * DAY, exp=NOW + 372 * DAY, status="disabled")], STAGED,
     "generated", (NOW + 7 * DAY, NOW + 372 * DAY)),
    ("a staged key that ends inside the window does not count",
     [key("a", exp=NOW + 20 * DAY), key("b", nbf=NOW + 7 * DAY, exp=NOW + 25 * DAY)], STAGED,
     "generated", (NOW + 7 * DAY, NOW + 372 * DAY)),
    ("late run: the successor activates when the due key expires, no gap",
     [key("a", exp=NOW + 3 * DAY)], STAGED, "generated", (NOW + 3 * DAY, NOW + 368 * DAY)),
    ("first key of a keyset activates at once", [], STAGED, "generated", (None, NOW + 365 * DAY)),
    ("only an expired key: the new key activates at once", [key("a", exp=NOW - DAY)], STAGED, "generated",
     (None, NOW + 365 * DAY)),
    ("not due: nothing", [key("a", exp=NOW + 200 * DAY)], STAGED, "none", None),
    ("force stages too", [key("a", exp=NOW + 200 * DAY)], dict(STAGED, force=True), "generated",
     (NOW + 7 * DAY, NOW + 372 * DAY)),
    ("secret always stages", [key("s", kty="OCT", exp=NOW + 200 * DAY)],
     dict(STAGED, source="secret", secret="s", update_secret="always"), "uploaded", (NOW + 7 * DAY, NOW + 372 * DAY)),
    ("service lifetime: exp given with staging stays as given",
     [key("a", exp=NOW + 20 * DAY)], {"renew_before_days": 30, "activate_in_days": 7, "exp": NOW + 400 * DAY},
     "generated", (NOW + 7 * DAY, NOW + 400 * DAY)),
    ("activate_in_days 0 activates now", [key("a", exp=NOW + 20 * DAY)], dict(STAGED, activate_in_days=0),
     "generated", (NOW, NOW + 365 * DAY)),
]


@pytest.mark.parametrize("keys, options, action, dates", [c[1:] for c in ROLLOVER_CASES],
                         ids=[c[0] for c in ROLLOVER_CASES])
def test_plan_staged_successor(keys, options, action, dates):
    plan = ks.plan_key(keyset(*keys), desired(**options), NOW)
    assert plan.action == action, plan.reason
    if dates is not None:
        assert (plan.key["nbf"], plan.key["exp"]) == dates
        sent = ks.key_to_send(desired(**options), plan)
        assert (sent.nbf, sent.exp) == dates


def test_staged_plan_says_when_the_key_activates_and_predicts_the_keyset():
    current = keyset(key("a", exp=NOW + 20 * DAY))
    plan = ks.plan_key(current, desired(**STAGED), NOW)
    assert "staged: it activates on 2026-01-08T00:00:00Z" in plan.reason
    after = ks.keyset_after_plan(current, plan, "B2C_1A_Sig")
    assert ks.active_key(after["keys"], NOW)["kid"] == "a"
    assert ks.next_key(after["keys"], NOW)["nbf"] == NOW + 7 * DAY


@pytest.mark.parametrize("keys, options, warned", [
    ([key("a", exp=NOW + 20 * DAY)], STAGED, False),
    ([key("a", exp=NOW + 3 * DAY)], STAGED, True),
    ([], STAGED, False),
    ([key("a", exp=NOW + 3 * DAY)], {"renew_before_days": 30, "exp": NOW + 400 * DAY}, False),
])
def test_short_lead_warning(keys, options, warned):
    plan = ks.plan_key(keyset(*keys), desired(**options), NOW)
    warning = ks.short_lead_warning(desired(**options), plan, NOW)
    assert (warning is not None) is warned
    if warned:
        assert "sooner than activate_in_days=7" in warning


def test_key_to_send_keeps_certificates_as_they_are():
    cert = desired(source="certificate", x5t=X5T, nbf=NOW - DAY, exp=NOW + DAY)
    plan = ks.plan_key(keyset(), cert, NOW)
    assert ks.key_to_send(cert, plan) is cert


@pytest.mark.parametrize("options, message", [
    ({"activate_in_days": -1}, "activate_in_days must be 0 or more"),
    ({"activate_in_days": 7, "nbf": NOW + DAY}, "mutually exclusive"),
    ({"activate_in_days": 7, "source": "certificate", "x5t": X5T}, "for source=generate and source=secret"),
    ({"activate_in_days": 7, "renew_before_days": 7, "exp": NOW + 400 * DAY}, r"must be larger than activate_in_days"),
    ({"activate_in_days": 30, "renew_before_days": 7, "exp": NOW + 400 * DAY}, r"renew_before_days \(7\) must be larger"),
    ({"activate_in_days": 7, "exp": NOW + 5 * DAY}, "must be after the staged activation"),
    ({"disable_expired_after_days": -1}, "disable_expired_after_days must be 0 or more"),
])
def test_validate_rollover(options, message):
    with pytest.raises(ValidationError, match=message):
        ks.validate_desired_key(desired(**options), NOW)


@pytest.mark.parametrize("due, options, refused", [
    (key("a", nbf=NOW - 25 * DAY, exp=NOW + 5 * DAY), {"renew_before_days": 30}, True),
    (key("a", nbf=NOW - 700 * DAY, exp=NOW + 5 * DAY), {"renew_before_days": 800}, True),
    (key("a", nbf=NOW - 700 * DAY, exp=NOW + 5 * DAY), {"renew_before_days": 30}, False),
    (key("a", nbf=NOW - 25 * DAY, exp=NOW + 5 * DAY), {"renew_before_days": 30, "exp": NOW + 400 * DAY}, False),
    (key("a", nbf=None, exp=NOW + 5 * DAY), {"renew_before_days": 30}, False),
])
def test_renewal_window_longer_than_the_services_lifetime_is_refused(due, options, refused):
    """Without exp/valid_days the due key shows the lifetime the service gives: a window as long renews every run."""
    if refused:
        with pytest.raises(ValidationError, match="renewed on every run: set valid_days longer"):
            ks.plan_key(keyset(due), desired(**options), NOW)
    else:
        ks.plan_key(keyset(due), desired(**options), NOW)


NEXT_CASES = [
    # id, keys, kid of the next key
    ("no keys", [], None),
    ("only an active key", [key("a")], None),
    ("staged successor", [key("a"), key("b", nbf=NOW + 7 * DAY, exp=NOW + 400 * DAY)], "b"),
    ("earliest future nbf wins", [key("c", nbf=NOW + 30 * DAY, exp=NOW + 400 * DAY),
                                  key("b", nbf=NOW + 7 * DAY, exp=NOW + 400 * DAY)], "b"),
    ("disabled staged key is not next", [key("b", nbf=NOW + 7 * DAY, exp=NOW + 400 * DAY, status="disabled")], None),
    ("staged key without exp", [key("b", nbf=NOW + 7 * DAY, exp=None)], "b"),
    ("key whose exp is not after its nbf never takes over", [key("b", nbf=NOW + 7 * DAY, exp=NOW + 7 * DAY)], None),
    ("dateless key is not next", [key("n", nbf=None, exp=None)], None),
    ("no status counts as enabled", [key("b", nbf=NOW + DAY, exp=NOW + 9 * DAY, status=None)], "b"),
]


@pytest.mark.parametrize("keys, kid", [c[1:] for c in NEXT_CASES], ids=[c[0] for c in NEXT_CASES])
def test_next_key(keys, kid):
    found = ks.next_key(keys, NOW)
    assert (found or {}).get("kid") == kid


def test_summarize_next_key_adds_activates_in_days():
    summary = ks.summarize_next_key([key("a"), key("b", nbf=NOW + 7 * DAY, exp=NOW + 372 * DAY)], NOW)
    assert summary["kid"] == "b" and summary["activates_in_days"] == 7 and summary["nbf_iso"] == "2026-01-08T00:00:00Z"
    assert ks.summarize_next_key([key("a")], NOW) is None


RETIRE = {"disable_expired": True}
RETIRE_CASES = [
    # id, keys, desired options, kids disabled
    ("expired 40 days ago -> disabled", [key("old", exp=NOW - 40 * DAY), key("a")], RETIRE, ["old"]),
    ("expired 10 days ago: within the grace", [key("old", exp=NOW - 10 * DAY), key("a")], RETIRE, []),
    ("grace of 5 days", [key("old", exp=NOW - 10 * DAY), key("a")], dict(RETIRE, disable_expired_after_days=5), ["old"]),
    ("already disabled: nothing", [key("old", exp=NOW - 40 * DAY, status="disabled"), key("a")], RETIRE, []),
    ("off by default", [key("old", exp=NOW - 40 * DAY), key("a")], {}, []),
    ("dateless and current keys stay", [key("n", nbf=None, exp=None), key("a"), key("old", exp=NOW - 400 * DAY)],
     RETIRE, ["old"]),
    ("only keys of the desired family", [key("old", exp=NOW - 40 * DAY), key("a")],
     dict(RETIRE, source="secret", secret="s"), []),
]


@pytest.mark.parametrize("keys, options, kids", [c[1:] for c in RETIRE_CASES], ids=[c[0] for c in RETIRE_CASES])
def test_plan_retires_expired_keys(keys, options, kids):
    current = keyset(*keys)
    if options.get("source") == "secret":  # an RSA keyset: the plan refuses oct keys, the rule only looks at oct ones
        assert ks.keys_to_retire(keys, desired(**options), NOW) == []
        return
    plan = ks.plan_key(current, desired(**options), NOW)
    assert [old["kid"] for old in plan.retire] == kids
    assert plan.changed is bool(kids or plan.action != "none")
    after = ks.keyset_after_plan(current, plan, "B2C_1A_Sig")
    assert [k["kid"] for k in after["keys"] if k.get("status") == "disabled" and k["kid"] in kids] == kids


def test_retiring_never_disables_every_enabled_key():
    keys = [key("older", exp=NOW - 90 * DAY), key("old", exp=NOW - 40 * DAY),
            key("off", exp=NOW - 50 * DAY, status="disabled")]
    assert [old["kid"] for old in ks.keys_to_retire(keys, desired(disable_expired=True), NOW)] == ["older"]


def test_retiring_never_disables_the_active_key():
    """A grace of 0 days and an active key that expires later: only keys already expired go."""
    keys = [key("a", nbf=NOW - DAY, exp=NOW + DAY), key("old", exp=NOW - 1)]
    options = desired(disable_expired=True, disable_expired_after_days=0)
    assert [old["kid"] for old in ks.keys_to_retire(keys, options, NOW)] == ["old"]


def test_retiring_counts_the_key_being_added():
    """Only expired keys: the run adds a new key, and then the expired key is not the last one any more."""
    current = keyset(key("old", exp=NOW - 40 * DAY))
    plan = ks.plan_key(current, desired(disable_expired=True), NOW)
    assert plan.action == "generated" and [old["kid"] for old in plan.retire] == ["old"]
