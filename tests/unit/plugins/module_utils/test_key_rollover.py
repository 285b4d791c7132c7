"""key_rollover.py: staged successors, the short-lead warning, lifetimes, retiring expired keys."""

import pytest

from ansible_collections.b2c.trustframework.plugins.module_utils import key_desired, key_plan, key_rollover, key_rules
from ansible_collections.b2c.trustframework.plugins.module_utils.errors import ValidationError
from tests.unit.plugins.module_utils.keyset_samples import DAY, NOW, X5T, desired, key, keyset

STAGED = {"renew_before_days": 30, "activate_in_days": 7, "valid_days": 365, "exp": NOW + 365 * DAY}


ROLLOVER_CASES = [
    # id, keys, desired options, expected action, expected (nbf, exp) of the added key (None: no add)
    (
        "due key gets a successor staged 7 days ahead, valid 365 days from its nbf",
        [key("a", exp=NOW + 20 * DAY)],
        STAGED,
        "generated",
        (NOW + 7 * DAY, NOW + 372 * DAY),
    ),
    (
        "staged successor counts as renewal done",
        [key("a", exp=NOW + 20 * DAY), key("b", nbf=NOW + 7 * DAY, exp=NOW + 372 * DAY)],
        STAGED,
        "none",
        None,
    ),
    (
        "a disabled staged successor does not count",
        [key("a", exp=NOW + 20 * DAY), key("b", nbf=NOW + 7 * DAY, exp=NOW + 372 * DAY, status="disabled")],
        STAGED,
        "generated",
        (NOW + 7 * DAY, NOW + 372 * DAY),
    ),
    (
        "a staged key that ends inside the window does not count",
        [key("a", exp=NOW + 20 * DAY), key("b", nbf=NOW + 7 * DAY, exp=NOW + 25 * DAY)],
        STAGED,
        "generated",
        (NOW + 7 * DAY, NOW + 372 * DAY),
    ),
    (
        "late run: the successor activates when the due key expires, no gap",
        [key("a", exp=NOW + 3 * DAY)],
        STAGED,
        "generated",
        (NOW + 3 * DAY, NOW + 368 * DAY),
    ),
    ("first key of a keyset activates at once", [], STAGED, "generated", (None, NOW + 365 * DAY)),
    (
        "only an expired key: the new key activates at once",
        [key("a", exp=NOW - DAY)],
        STAGED,
        "generated",
        (None, NOW + 365 * DAY),
    ),
    ("not due: nothing", [key("a", exp=NOW + 200 * DAY)], STAGED, "none", None),
    (
        "force stages too",
        [key("a", exp=NOW + 200 * DAY)],
        dict(STAGED, force=True),
        "generated",
        (NOW + 7 * DAY, NOW + 372 * DAY),
    ),
    (
        "secret always stages",
        [key("s", kty="OCT", exp=NOW + 200 * DAY)],
        dict(STAGED, source="secret", secret="s", update_secret="always"),
        "uploaded",
        (NOW + 7 * DAY, NOW + 372 * DAY),
    ),
    (
        "service lifetime: exp given with staging stays as given",
        [key("a", exp=NOW + 20 * DAY)],
        {"renew_before_days": 30, "activate_in_days": 7, "exp": NOW + 400 * DAY},
        "generated",
        (NOW + 7 * DAY, NOW + 400 * DAY),
    ),
    (
        "activate_in_days 0 activates now",
        [key("a", exp=NOW + 20 * DAY)],
        dict(STAGED, activate_in_days=0),
        "generated",
        (NOW, NOW + 365 * DAY),
    ),
]


@pytest.mark.parametrize(
    "keys, options, action, dates", [c[1:] for c in ROLLOVER_CASES], ids=[c[0] for c in ROLLOVER_CASES]
)
def test_plan_staged_successor(keys, options, action, dates):
    plan = key_plan.plan_key(keyset(*keys), desired(**options), NOW)
    assert plan.action == action, plan.reason
    if dates is not None:
        assert (plan.key["nbf"], plan.key["exp"]) == dates
        sent = key_rollover.key_to_send(desired(**options), plan)
        assert (sent.nbf, sent.exp) == dates


def test_staged_plan_says_when_the_key_activates_and_predicts_the_keyset():
    current = keyset(key("a", exp=NOW + 20 * DAY))
    plan = key_plan.plan_key(current, desired(**STAGED), NOW)
    assert "staged: it activates on 2026-01-08T00:00:00Z" in plan.reason
    after = key_plan.keyset_after_plan(current, plan, "B2C_1A_Sig")
    assert key_rules.active_key(after["keys"], NOW)["kid"] == "a"
    assert key_rules.next_key(after["keys"], NOW)["nbf"] == NOW + 7 * DAY


@pytest.mark.parametrize(
    "keys, options, warned",
    [
        ([key("a", exp=NOW + 20 * DAY)], STAGED, False),
        ([key("a", exp=NOW + 3 * DAY)], STAGED, True),
        ([], STAGED, False),
        ([key("a", exp=NOW + 3 * DAY)], {"renew_before_days": 30, "exp": NOW + 400 * DAY}, False),
    ],
)
def test_short_lead_warning(keys, options, warned):
    plan = key_plan.plan_key(keyset(*keys), desired(**options), NOW)
    warning = key_rollover.short_lead_warning(desired(**options), plan, NOW)
    assert (warning is not None) is warned
    if warned:
        assert "sooner than activate_in_days=7" in warning


def test_a_staged_successor_has_its_whole_lead_time_whatever_the_fraction_of_a_second():
    """The clock reads fractions of a second; key dates are whole seconds."""
    for now in (NOW + 0.25, NOW + 0.999):
        plan = key_plan.plan_key(keyset(key("a", exp=NOW + 20 * DAY)), desired(**STAGED), now)
        assert plan.key["nbf"] == NOW + 7 * DAY
        assert key_rollover.short_lead_warning(desired(**STAGED), plan, now) is None


def test_key_to_send_keeps_certificates_as_they_are():
    cert = desired(source="certificate", x5t=X5T, nbf=NOW - DAY, exp=NOW + DAY)
    plan = key_plan.plan_key(keyset(), cert, NOW)
    assert key_rollover.key_to_send(cert, plan) is cert


@pytest.mark.parametrize(
    "options, message",
    [
        ({"activate_in_days": -1}, "activate_in_days must be 0 or more"),
        ({"activate_in_days": 7, "nbf": NOW + DAY}, "mutually exclusive"),
        ({"activate_in_days": 7, "source": "certificate", "x5t": X5T}, "for source=generate and source=secret"),
        (
            {"activate_in_days": 7, "renew_before_days": 7, "exp": NOW + 400 * DAY},
            r"must be larger than activate_in_days",
        ),
        (
            {"activate_in_days": 30, "renew_before_days": 7, "exp": NOW + 400 * DAY},
            r"renew_before_days \(7\) must be larger",
        ),
        ({"activate_in_days": 7, "exp": NOW + 5 * DAY}, "must be after the staged activation"),
        ({"disable_expired_after_days": -1}, "disable_expired_after_days must be 0 or more"),
    ],
)
def test_validate_rollover(options, message):
    with pytest.raises(ValidationError, match=message):
        key_desired.validate_desired_key(desired(**options), NOW)


@pytest.mark.parametrize(
    "due, options, refused",
    [
        (key("a", nbf=NOW - 25 * DAY, exp=NOW + 5 * DAY), {"renew_before_days": 30}, True),
        (key("a", nbf=NOW - 700 * DAY, exp=NOW + 5 * DAY), {"renew_before_days": 800}, True),
        (key("a", nbf=NOW - 700 * DAY, exp=NOW + 5 * DAY), {"renew_before_days": 30}, False),
        (key("a", nbf=NOW - 25 * DAY, exp=NOW + 5 * DAY), {"renew_before_days": 30, "exp": NOW + 400 * DAY}, False),
        (key("a", nbf=None, exp=NOW + 5 * DAY), {"renew_before_days": 30}, False),
    ],
)
def test_renewal_window_longer_than_the_services_lifetime_is_refused(due, options, refused):
    """Without exp/valid_days the due key shows the lifetime the service gives: a window as long renews every run."""
    if refused:
        with pytest.raises(ValidationError, match="renewed on every run: set valid_days longer"):
            key_plan.plan_key(keyset(due), desired(**options), NOW)
    else:
        key_plan.plan_key(keyset(due), desired(**options), NOW)


RETIRE = {"disable_expired": True}


RETIRE_CASES = [
    # id, keys, desired options, kids disabled
    ("expired 40 days ago -> disabled", [key("old", exp=NOW - 40 * DAY), key("a")], RETIRE, ["old"]),
    ("expired 10 days ago: within the grace", [key("old", exp=NOW - 10 * DAY), key("a")], RETIRE, []),
    (
        "grace of 5 days",
        [key("old", exp=NOW - 10 * DAY), key("a")],
        dict(RETIRE, disable_expired_after_days=5),
        ["old"],
    ),
    ("already disabled: nothing", [key("old", exp=NOW - 40 * DAY, status="disabled"), key("a")], RETIRE, []),
    ("off by default", [key("old", exp=NOW - 40 * DAY), key("a")], {}, []),
    (
        "dateless and current keys stay",
        [key("n", nbf=None, exp=None), key("a"), key("old", exp=NOW - 400 * DAY)],
        RETIRE,
        ["old"],
    ),
    (
        "only keys of the desired family",
        [key("old", exp=NOW - 40 * DAY), key("a")],
        dict(RETIRE, source="secret", secret="s"),
        [],
    ),
]


@pytest.mark.parametrize("keys, options, kids", [c[1:] for c in RETIRE_CASES], ids=[c[0] for c in RETIRE_CASES])
def test_plan_retires_expired_keys(keys, options, kids):
    current = keyset(*keys)
    if options.get("source") == "secret":  # an RSA keyset: the plan refuses oct keys, the rule only looks at oct ones
        assert key_rollover.keys_to_retire(keys, desired(**options), NOW) == []
        return
    plan = key_plan.plan_key(current, desired(**options), NOW)
    assert [old["kid"] for old in plan.retire] == kids
    assert plan.changed is bool(kids or plan.action != "none")
    after = key_plan.keyset_after_plan(current, plan, "B2C_1A_Sig")
    assert [k["kid"] for k in after["keys"] if k.get("status") == "disabled" and k["kid"] in kids] == kids


def test_retiring_never_disables_every_enabled_key():
    keys = [
        key("older", exp=NOW - 90 * DAY),
        key("old", exp=NOW - 40 * DAY),
        key("off", exp=NOW - 50 * DAY, status="disabled"),
    ]
    assert [old["kid"] for old in key_rollover.keys_to_retire(keys, desired(disable_expired=True), NOW)] == ["older"]


def test_retiring_never_disables_the_active_key():
    """A grace of 0 days and an active key that expires later: only keys already expired go."""
    keys = [key("a", nbf=NOW - DAY, exp=NOW + DAY), key("old", exp=NOW - 1)]
    options = desired(disable_expired=True, disable_expired_after_days=0)
    assert [old["kid"] for old in key_rollover.keys_to_retire(keys, options, NOW)] == ["old"]


def test_retiring_counts_the_key_being_added():
    """Only expired keys: the run adds a new key, and then the expired key is not the last one any more."""
    current = keyset(key("old", exp=NOW - 40 * DAY))
    plan = key_plan.plan_key(current, desired(disable_expired=True), NOW)
    assert plan.action == "generated" and [old["kid"] for old in plan.retire] == ["old"]
