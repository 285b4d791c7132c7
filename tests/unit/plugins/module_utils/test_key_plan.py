"""key_plan.py: what b2c_keyset_key decides (add, set a status, nothing) and its local refusals."""

import re

import pytest

from ansible_collections.b2c.trustframework.plugins.module_utils import key_desired, key_plan
from ansible_collections.b2c.trustframework.plugins.module_utils.errors import B2CError, ValidationError
from tests.unit.plugins.module_utils.keyset_samples import DAY, NOW, X5T, desired, key, keyset

PLAN_CASES = [
    # id, current keyset (None = missing), desired options, expected action, keyset created
    ("missing keyset -> create and generate", None, {}, "generated", True),
    ("missing keyset -> create and upload secret", None, {"source": "secret", "secret": "s"}, "uploaded", True),
    ("empty keyset -> generate", keyset(), {}, "generated", False),
    ("usable key -> nothing", keyset(key("a")), {}, "none", False),
    (
        "usable key, kty/use case-insensitive",
        keyset(key("a", kty="rsa", use="SIG")),
        {"kty": "RSA", "use": "sig"},
        "none",
        False,
    ),
    ("usable key without exp -> nothing", keyset(key("a", exp=None)), {}, "none", False),
    ("only expired key -> generate", keyset(key("a", exp=NOW - DAY)), {}, "generated", False),
    ("only disabled key -> generate", keyset(key("a", status="disabled")), {}, "generated", False),
    ("force -> generate", keyset(key("a")), {"force": True}, "generated", False),
    (
        "renew due -> generate",
        keyset(key("a", exp=NOW + 5 * DAY)),
        {"renew_before_days": 30, "exp": NOW + 400 * DAY},
        "generated",
        False,
    ),
    (
        "renew due, service lifetime long enough -> generate",
        keyset(key("a", nbf=NOW - 700 * DAY, exp=NOW + 5 * DAY)),
        {"renew_before_days": 30},
        "generated",
        False,
    ),
    ("renew not due -> nothing", keyset(key("a", exp=NOW + 50 * DAY)), {"renew_before_days": 30}, "none", False),
    (
        "renew: newer key covers -> nothing",
        keyset(key("a", exp=NOW + 5 * DAY), key("b", exp=NOW + 400 * DAY)),
        {"renew_before_days": 30},
        "none",
        False,
    ),
    (
        "renew: a dateless key does not hide the due key",
        keyset(key("a", exp=NOW + 5 * DAY), key("n", nbf=None, exp=None)),
        {"renew_before_days": 30, "exp": NOW + 400 * DAY},
        "generated",
        False,
    ),
    (
        "renew: staged successor covers -> nothing",
        keyset(key("a", exp=NOW + 5 * DAY), key("b", nbf=NOW + 3 * DAY, exp=NOW + 400 * DAY)),
        {"renew_before_days": 30},
        "none",
        False,
    ),
    ("oct generate in oct keyset", keyset(key("s", kty="OCT")), {"kty": "oct"}, "none", False),
    ("secret on_create, usable secret -> nothing", keyset(key("s", kty="OCT")), {"source": "secret"}, "none", False),
    (
        "secret on_create, expired -> upload",
        keyset(key("s", kty="OCT", exp=NOW - 1)),
        {"source": "secret"},
        "uploaded",
        False,
    ),
    (
        "secret always -> upload",
        keyset(key("s", kty="OCT")),
        {"source": "secret", "update_secret": "always"},
        "uploaded",
        False,
    ),
    (
        "secret renew due -> upload",
        keyset(key("s", kty="OCT", exp=NOW + DAY)),
        {"source": "secret", "renew_before_days": 7},
        "uploaded",
        False,
    ),
    (
        "certificate present by x5t -> nothing",
        keyset(key("c", x5t=X5T)),
        {"source": "certificate", "x5t": X5T},
        "none",
        False,
    ),
    (
        "certificate x5t with padding matches",
        keyset(key("c", x5t=X5T + "=")),
        {"source": "certificate", "x5t": X5T},
        "none",
        False,
    ),
    (
        "certificate present but expired/disabled still matches",
        keyset(key("c", x5t=X5T, status="disabled")),
        {"source": "certificate", "x5t": X5T},
        "none",
        False,
    ),
    (
        "certificate absent -> upload",
        keyset(key("c", x5t="other")),
        {"source": "certificate", "x5t": X5T},
        "uploaded",
        False,
    ),
    ("pkcs12 present by x5t -> nothing", keyset(key("c", x5t=X5T)), {"source": "pkcs12", "x5t": X5T}, "none", False),
    ("pkcs12 absent -> upload", keyset(), {"source": "pkcs12", "x5t": X5T}, "uploaded", False),
    (
        "pkcs12 force -> upload",
        keyset(key("c", x5t=X5T)),
        {"source": "pkcs12", "x5t": X5T, "force": True},
        "uploaded",
        False,
    ),
    (
        "certificate ignores renew_before_days",
        keyset(key("c", x5t=X5T, exp=NOW + DAY)),
        {"source": "certificate", "x5t": X5T, "renew_before_days": 30},
        "none",
        False,
    ),
    (
        "status: already disabled -> nothing",
        keyset(key("a", status="disabled")),
        {"kid": "a", "status": "disabled"},
        "none",
        False,
    ),
    (
        "status: enabled -> disable, force",
        keyset(key("a")),
        {"kid": "a", "status": "disabled", "force": True},
        "status_changed",
        False,
    ),
    (
        "status: disable a key that is neither active nor the last",
        keyset(key("old", nbf=NOW - 20 * DAY), key("new")),
        {"kid": "old", "status": "disabled"},
        "status_changed",
        False,
    ),
    (
        "status: disable an expired key",
        keyset(key("gone", exp=NOW - DAY), key("a")),
        {"kid": "gone", "status": "disabled"},
        "status_changed",
        False,
    ),
    (
        "status: disable a staged key next to the active one",
        keyset(key("a"), key("next", nbf=NOW + DAY)),
        {"kid": "next", "status": "disabled"},
        "status_changed",
        False,
    ),
    (
        "status: enable is never refused",
        keyset(key("a", status="disabled")),
        {"kid": "a", "status": "enabled"},
        "status_changed",
        False,
    ),
    (
        "status: no status known -> set",
        keyset(key("a", status=None)),
        {"kid": "a", "status": "enabled"},
        "status_changed",
        False,
    ),
]


@pytest.mark.parametrize(
    "current, options, action, created", [c[1:] for c in PLAN_CASES], ids=[c[0] for c in PLAN_CASES]
)
def test_plan_key(current, options, action, created):
    plan = key_plan.plan_key(current, desired(**options), NOW)
    assert (plan.action, plan.create_keyset) == (action, created)
    assert plan.changed is (action != "none" or created)
    assert plan.reason


def test_plan_key_returns_the_matching_key_or_a_prediction():
    current = keyset(key("a"))
    assert key_plan.plan_key(current, desired(), NOW).key["kid"] == "a"
    predicted = key_plan.plan_key(current, desired(force=True, use="sig", nbf=NOW, exp=NOW + DAY), NOW).key
    assert predicted == {
        "kid": None,
        "kty": "RSA",
        "use": "sig",
        "nbf": NOW,
        "exp": NOW + DAY,
        "x5t": None,
        "status": None,
    }
    assert key_plan.plan_key(keyset(), desired(source="secret"), NOW).key["kty"] == "OCT"


def test_plan_status_prefers_the_keys_v2_view():
    current = keyset(key("a", status=None))
    plan = key_plan.plan_key(current, desired(kid="a", status="disabled"), NOW, key_v2=key("a", status="disabled"))
    assert plan.action == "none"


@pytest.mark.parametrize(
    "current, options, error, message",
    [
        (None, {"create_keyset": False}, B2CError, "does not exist and create_keyset is false"),
        (keyset(key("a")), {"source": "secret"}, ValidationError, "holds RSA keys; a keyset cannot mix"),
        (keyset(key("s", kty="oct")), {"kty": "rsa"}, ValidationError, "holds oct keys"),
        (keyset(key("a")), {"kty": "oct", "force": True}, ValidationError, "AADB2C95032"),
        (keyset(key("a", use="enc")), {"use": "sig"}, ValidationError, "AADB2C95042"),
        (
            keyset(key("s", kty="OCT", use="enc")),
            {"source": "secret", "use": "sig", "force": True},
            ValidationError,
            "cannot mix sig and enc",
        ),
        (None, {"kid": "a", "status": "enabled"}, B2CError, "does not exist; cannot set the status"),
        (keyset(key("a")), {"kid": "zz", "status": "enabled"}, B2CError, "has no key with kid 'zz'"),
    ],
)
def test_plan_key_errors(current, options, error, message):
    with pytest.raises(error, match=message):
        key_plan.plan_key(current, desired(**options), NOW)


@pytest.mark.parametrize(
    "options, message",
    [
        ({"kty": "EC"}, "kty='EC' must be rsa or oct"),
        ({"renew_before_days": -1}, "0 or more"),
        ({"renew_before_days": 30, "exp": NOW + 10 * DAY}, "renewed on every run"),
        ({"source": "secret", "secret": ""}, "secret is empty"),
        ({"source": "secret", "secret": "  "}, "secret is empty"),
        ({"exp": NOW - 1}, r"in the past; the service refuses such a key \(AADB2C90214\)"),
        ({"keyset": "B2C_1A_AdminClientEncryptionKeyContainer"}, "B2C creates and uses this keyset itself"),
        (
            {"keyset": "b2c_1a_adminclientencryptionkeycontainer", "kid": "x", "status": "disabled"},
            "refusing to change",
        ),
        ({"kid": "..", "status": "disabled"}, "is not a key id"),
        ({"kid": ".", "status": "disabled"}, "is not a key id"),
        ({"kid": "", "status": "disabled"}, "is not a key id"),
    ],
)
def test_validate_desired_key(options, message):
    with pytest.raises(ValidationError, match=message):
        key_desired.validate_desired_key(desired(**options), NOW)


def test_validate_desired_key_accepts_certificates_expiring_within_the_window():
    key_desired.validate_desired_key(desired(source="certificate", renew_before_days=30, exp=NOW + DAY), NOW)
    key_desired.validate_desired_key(desired(renew_before_days=30, exp=NOW + 60 * DAY), NOW)


def test_desired_key_repr_hides_secrets():
    text = repr(desired(source="secret", secret="hunter2", pkcs12_password="pw-123", pkcs12_b64="PFXDATA"))
    assert "hunter2" not in text and "pw-123" not in text and "PFXDATA" not in text


def test_keyset_after_plan():
    current = keyset(key("a"))
    add = key_plan.plan_key(current, desired(force=True), NOW)
    assert [k["kid"] for k in key_plan.keyset_after_plan(current, add, "B2C_1A_Sig")["keys"]] == ["a", None]
    assert current["keys"] == [key("a")]  # not modified
    created = key_plan.plan_key(None, desired(), NOW)
    assert key_plan.keyset_after_plan(None, created, "B2C_1A_Sig")["id"] == "B2C_1A_Sig"
    disable = key_plan.plan_key(current, desired(kid="a", status="disabled", force=True), NOW)
    assert key_plan.keyset_after_plan(current, disable, "B2C_1A_Sig")["keys"][0]["status"] == "disabled"
    same = key_plan.plan_key(current, desired(), NOW)
    assert key_plan.keyset_after_plan(current, same, "B2C_1A_Sig") is current


DISABLE_REFUSALS = [
    (
        "the only key",
        keyset(key("a")),
        "a",
        "key a is the active key of keyset B2C_1A_Sig; disabling it leaves no active key, so the policies",
    ),
    (
        "the active key, an older one takes over",
        keyset(key("old", nbf=NOW - 20 * DAY), key("a")),
        "a",
        "key a is the active key of keyset B2C_1A_Sig; disabling it makes key old the active key",
    ),
    (
        "the active key, a staged one follows",
        keyset(key("a"), key("next", nbf=NOW + 2 * DAY)),
        "a",
        "key a is the active key of keyset B2C_1A_Sig; disabling it leaves no active key until key next starts at "
        "2026-01-03T00:00:00Z",
    ),
    (
        "the last usable key, staged",
        keyset(key("gone", exp=NOW - DAY), key("next", nbf=NOW + DAY)),
        "next",
        "key next is the last usable RSA/sig key of keyset B2C_1A_Sig; disabling it leaves no active key",
    ),
    (
        "the active key has no status (counts as enabled)",
        keyset(key("a", status=None), key("b", status="disabled")),
        "a",
        "key a is the active key",
    ),
    (
        "the last usable oct/enc key",
        keyset(key("s", kty="OCT", use="enc", nbf=None)),
        "s",
        "key s is the active key of keyset B2C_1A_Sig",
    ),
]


@pytest.mark.parametrize(
    "current, kid, message", [c[1:] for c in DISABLE_REFUSALS], ids=[c[0] for c in DISABLE_REFUSALS]
)
def test_disabling_the_active_or_last_usable_key_needs_force(current, kid, message):
    with pytest.raises(ValidationError, match="^" + re.escape(message)) as refused:
        key_plan.plan_key(current, desired(kid=kid, status="disabled"), NOW)
    assert str(refused.value).endswith("Set force: true to disable it anyway")
    forced = key_plan.plan_key(current, desired(kid=kid, status="disabled", force=True), NOW)
    assert (forced.action, forced.key["status"]) == ("status_changed", "disabled")
