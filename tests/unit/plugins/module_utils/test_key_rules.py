"""key_rules.py: usable, active, next, renewal due; a keyset holds one family and one use (tables)."""

import pytest

from ansible_collections.b2c.trustframework.plugins.module_utils import key_rules
from ansible_collections.b2c.trustframework.plugins.module_utils.errors import ValidationError
from tests.unit.plugins.module_utils.keyset_samples import DAY, NOW, key, keyset


@pytest.mark.parametrize(
    "candidate, usable",
    [
        (key("a"), True),
        (key("a", status=None), True),
        (key("a", status="Enabled"), True),
        (key("a", status="disabled"), False),
        (key("a", status="unknownFutureValue"), False),
        (key("a", exp=None), True),
        (key("a", exp=NOW), False),
        (key("a", exp=str(NOW - 1)), False),
        (key("a", nbf=NOW + 5 * DAY), True),  # staged key: still counts
    ],
)
def test_is_usable(candidate, usable):
    assert key_rules.is_usable(candidate, NOW) is usable


@pytest.mark.parametrize(
    "kty, family", [("RSA", "rsa"), ("rsa", "rsa"), ("OCT", "oct"), ("oct", "oct"), ("EC", None), (None, None)]
)
def test_key_family(kty, family):
    assert key_rules.key_family(kty) == family


def test_family_mix_is_refused_locally():
    with pytest.raises(
        ValidationError,
        match="holds RSA keys; a keyset cannot mix RSA and oct keys "
        r"\(AADB2C95032\); use another keyset",
    ):
        key_rules.check_family(keyset(key("a")), "oct")
    key_rules.check_family(keyset(key("a")), "rsa")
    key_rules.check_family(keyset(), "oct")
    with pytest.raises(ValidationError, match="holds oct keys"):
        key_rules.check_family(keyset(key("s", kty="OCT")), "rsa")


def test_use_mix_is_refused_locally():
    with pytest.raises(ValidationError, match=r"holds sig keys; a keyset cannot mix sig and enc keys \(AADB2C95042\)"):
        key_rules.check_use(keyset(key("a")), "enc")
    key_rules.check_use(keyset(key("a", use="SIG")), "sig")
    key_rules.check_use(keyset(), "enc")


def test_newest_usable_prefers_longest_validity():
    old = key("old", exp=NOW + 10 * DAY)
    new = key("new", exp=NOW + 300 * DAY)
    forever = key("forever", exp=None)
    enc = key("enc", use="enc", exp=NOW + 900 * DAY)
    off = key("off", status="disabled", exp=NOW + 999 * DAY)
    assert key_rules.newest_usable([old, new, enc, off], "rsa", "sig", NOW)["kid"] == "new"
    # A key without exp (the safety net) does not hide the dated keys: renewal is decided on them.
    assert key_rules.newest_usable([old, forever, new], "RSA", "SIG", NOW)["kid"] == "new"
    assert key_rules.newest_usable([forever], "rsa", "sig", NOW)["kid"] == "forever"
    assert key_rules.newest_usable([old, enc], "oct", "sig", NOW) is None
    assert key_rules.newest_usable([old, enc], None, None, NOW)["kid"] == "enc"


@pytest.mark.parametrize(
    "exp, days, due",
    [
        (NOW + 10 * DAY, 30, True),
        (NOW + 30 * DAY, 30, True),
        (NOW + 31 * DAY, 30, False),
        (None, 30, False),
        (NOW + 10 * DAY, None, False),
        (NOW + 1, 0, False),
    ],
)
def test_renewal_due(exp, days, due):
    assert key_rules.renewal_due(key("a", exp=exp), days, NOW) is due


# The service's rule (the B2C article policy-keys-overview): latest nbf that has passed, exp not passed, enabled;
# failing that, a key without nbf (the safety net).
ACTIVE_CASES = [
    ("empty", [], None),
    ("one current key", [key("a")], "a"),
    (
        "latest passed nbf wins, not the longest-lived",
        [key("old", nbf=NOW - 20 * DAY, exp=NOW + 900 * DAY), key("new", nbf=NOW - DAY, exp=NOW + 30 * DAY)],
        "new",
    ),
    ("a staged key is not active yet", [key("cur"), key("next", nbf=NOW + DAY, exp=NOW + 400 * DAY)], "cur"),
    ("nbf exactly now is active", [key("cur"), key("next", nbf=NOW, exp=NOW + 400 * DAY)], "next"),
    ("expired key is skipped", [key("old", nbf=NOW - 99 * DAY, exp=NOW - DAY), key("cur")], "cur"),
    ("disabled key is skipped", [key("cur"), key("off", nbf=NOW - DAY, status="disabled")], "cur"),
    (
        "dateless safety net when nothing dated is live",
        [key("old", exp=NOW - DAY), key("net", nbf=None, exp=None)],
        "net",
    ),
    ("dated key before the safety net", [key("net", nbf=None, exp=None), key("cur")], "cur"),
    ("only staged keys: nothing active", [key("next", nbf=NOW + DAY)], None),
    ("expired and disabled only", [key("a", exp=NOW - 1), key("b", status="disabled")], None),
    ("string dates", [key("a", nbf=str(NOW - DAY), exp=str(NOW + DAY))], "a"),
]


@pytest.mark.parametrize("keys, kid", [c[1:] for c in ACTIVE_CASES], ids=[c[0] for c in ACTIVE_CASES])
def test_active_key(keys, kid):
    active = key_rules.active_key(keys, NOW)
    assert (active or {}).get("kid") == kid


@pytest.mark.parametrize(
    "keys, within, needs",
    [
        ([key("a", exp=NOW + 5 * DAY)], 30, True),
        ([key("a", exp=NOW + 50 * DAY)], 30, False),
        ([key("a", exp=NOW - 5 * DAY)], 30, True),  # only key expired: needs attention
        ([key("a", exp=NOW - 5 * DAY), key("b", exp=NOW + 300 * DAY)], 30, False),  # superseded predecessor
        ([key("a", exp=NOW + 300 * DAY), key("e", use="enc", exp=NOW + DAY)], 30, True),
        ([key("a", exp=NOW + 5 * DAY, status="disabled")], 30, False),
        ([key("a", exp=None)], 30, False),
        ([key("a", exp=NOW + 5 * DAY), key("net", nbf=None, exp=None)], 30, True),  # the safety net hides nothing
        ([], 30, False),
    ],
)
def test_keyset_needs_renewal(keys, within, needs):
    assert key_rules.keyset_needs_renewal(keyset(*keys), within, NOW) is needs


NEXT_CASES = [
    # id, keys, kid of the next key
    ("no keys", [], None),
    ("only an active key", [key("a")], None),
    ("staged successor", [key("a"), key("b", nbf=NOW + 7 * DAY, exp=NOW + 400 * DAY)], "b"),
    (
        "earliest future nbf wins",
        [key("c", nbf=NOW + 30 * DAY, exp=NOW + 400 * DAY), key("b", nbf=NOW + 7 * DAY, exp=NOW + 400 * DAY)],
        "b",
    ),
    ("disabled staged key is not next", [key("b", nbf=NOW + 7 * DAY, exp=NOW + 400 * DAY, status="disabled")], None),
    ("staged key without exp", [key("b", nbf=NOW + 7 * DAY, exp=None)], "b"),
    ("key whose exp is not after its nbf never takes over", [key("b", nbf=NOW + 7 * DAY, exp=NOW + 7 * DAY)], None),
    ("dateless key is not next", [key("n", nbf=None, exp=None)], None),
    ("no status counts as enabled", [key("b", nbf=NOW + DAY, exp=NOW + 9 * DAY, status=None)], "b"),
]


@pytest.mark.parametrize("keys, kid", [c[1:] for c in NEXT_CASES], ids=[c[0] for c in NEXT_CASES])
def test_next_key(keys, kid):
    found = key_rules.next_key(keys, NOW)
    assert (found or {}).get("kid") == kid
