"""keyset_plan.py: what b2c_keyset decides, and the keys option checked before any request."""

import pytest

from ansible_collections.b2c.trustframework.plugins.module_utils import keyset_plan
from ansible_collections.b2c.trustframework.plugins.module_utils.errors import ValidationError
from tests.unit.plugins.module_utils.keyset_samples import DAY, NOW, key, keyset

KEYSET_CASES = [
    ("absent, missing", None, {"state": "absent"}, "none"),
    ("absent, exists", keyset(), {"state": "absent"}, "deleted"),
    ("present, missing", None, {}, "created"),
    ("present, missing, with keys", None, {"keys": [{"kty": "oct"}]}, "created"),
    ("present, exists", keyset(key("a")), {}, "none"),
    ("keys given but update_keys false", keyset(key("a")), {"keys": [{"kty": "oct"}]}, "none"),
    (
        "update_keys, same keys in another order",
        keyset(key("a", n="N1"), key("b", n="N2")),
        {
            "keys": [{"kty": "rsa", "use": "SIG", "n": "N2"}, {"kty": "RSA", "use": "sig", "n": "N1"}],
            "update_keys": True,
        },
        "none",
    ),
    (
        "update_keys, matched by what is set",
        keyset(key("a")),
        {"keys": [{"kty": "RSA", "use": "sig"}], "update_keys": True},
        "none",
    ),
    (
        "update_keys, other modulus",
        keyset(key("a", n="N1")),
        {"keys": [{"kty": "RSA", "use": "sig", "n": "N9"}], "update_keys": True},
        "updated",
    ),
    (
        "update_keys, other dates",
        keyset(key("s", kty="OCT")),
        {"keys": [{"kty": "oct", "use": "sig", "exp": NOW + DAY}], "update_keys": True},
        "updated",
    ),
    (
        "update_keys, one key more held",
        keyset(key("a"), key("b")),
        {"keys": [{"kty": "RSA", "use": "sig"}], "update_keys": True},
        "updated",
    ),
    ("update_keys, empty list", keyset(key("a")), {"keys": [], "update_keys": True}, "updated"),
]


@pytest.mark.parametrize("current, options, action", [c[1:] for c in KEYSET_CASES], ids=[c[0] for c in KEYSET_CASES])
def test_plan_keyset(current, options, action):
    plan = keyset_plan.plan_keyset(current, keyset_plan.DesiredKeyset(name="B2C_1A_Sig", **options))
    assert plan.action == action


@pytest.mark.parametrize(
    "current, options",
    [
        (keyset(key("a"), name="B2C_1A_AdminClientEncryptionKeyContainer"), {"state": "absent"}),
        (keyset(key("a"), name="B2C_1A_AdminClientEncryptionKeyContainer"), {"keys": [], "update_keys": True}),
    ],
)
def test_plan_keyset_refuses_to_touch_the_service_managed_keyset(current, options):
    with pytest.raises(ValidationError, match="B2C_1A_AdminClientEncryptionKeyContainer: B2C creates and uses"):
        keyset_plan.plan_keyset(current, keyset_plan.DesiredKeyset(name=current["id"], **options))


@pytest.mark.parametrize(
    "keys, message",
    [
        ([{"kid": "a", "kty": "oct"}], r"keys\[0\].kid is set; .*\(AADB2C95059\)"),
        (
            [{"kty": "RSA", "use": "sig", "n": "N", "e": "AQAB"}, {"kty": "oct", "use": "sig", "k": "abc"}],
            r"mixes RSA and oct keys; a keyset cannot mix them \(AADB2C95032\)",
        ),
        (
            [{"kty": "oct", "use": "sig", "k": "a"}, {"kty": "oct", "use": "enc", "k": "b"}],
            r"mixes sig and enc keys.*AADB2C95042",
        ),
        (
            [{"kty": "oct", "use": "sig", "k": "not base64url!"}],
            r"keys\[0\].k must be the secret as base64url.*AADB2C95029",
        ),
        ([{"kty": "oct", "use": "sig", "k": "YWJj=="}], r"without padding"),
        ([{"kty": "oct", "use": "sig"}], r"keys\[0\].k must be the secret"),
        ([{"kty": "oct", "use": "sig", "k": "abc", "exp": NOW - 1}], r"keys\[0\].exp .* is in the past.*AADB2C90214"),
        ([{"kty": "RSA", "use": "sig", "n": "N"}], r"keys\[0\] is an RSA key without n and e.*AADB2C95039"),
        ([{"use": "sig", "k": "abc"}], r"keys\[0\].kty=None must be rsa or oct"),
        ([{"kty": "oct", "k": "abc"}], r"keys\[0\].use=None must be sig or enc \(AADB2C95033\)"),
        ([{"kty": "EC"}], r"keys\[0\].kty='EC' must be rsa or oct"),
        ([{"kty": "oct", "use": "verify"}], r"keys\[0\].use='verify' must be sig or enc"),
    ],
)
def test_clean_jwks_refuses_what_the_service_refuses(keys, message):
    with pytest.raises(ValidationError, match=message):
        keyset_plan.clean_jwks(keys, NOW)


def test_clean_jwks_drops_unset_members_and_parses_times():
    cleaned = keyset_plan.clean_jwks(
        [{"kty": "oct", "use": "sig", "k": "YWJj", "nbf": "2026-01-02T00:00:00Z", "exp": None}], NOW
    )
    assert cleaned == [{"kty": "oct", "use": "sig", "k": "YWJj", "nbf": NOW + DAY}]


def test_keyset_after_keyset_plan_redacts_keys():
    wanted = keyset_plan.DesiredKeyset(name="B2C_1A_Sig", keys=[{"kty": "oct", "k": "SECRET"}])
    after = keyset_plan.keyset_after_keyset_plan(None, keyset_plan.plan_keyset(None, wanted), wanted)
    assert after == {"id": "B2C_1A_Sig", "keys": [{"kty": "oct"}]}
