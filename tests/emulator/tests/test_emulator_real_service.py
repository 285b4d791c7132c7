"""The emulator answers the way real tenants do: one test per row of the "Real-service behaviour"
table of tests/emulator/README.md that it models."""

from __future__ import annotations

import base64
import hashlib
import json
import time

import pytest
from cryptography.hazmat.primitives import serialization

from tests.emulator.keys import active_key
from tests.emulator.tests.helpers import b2c_refusal, certificate_b64, make_certificate, pkcs12_b64

NOW = int(time.time())
HOUR, DAY = 3600, 86400
SIG_RSA = {"kty": "RSA", "use": "sig", "n": "sXch", "e": "AQAB"}
ENC_RSA = {**SIG_RSA, "use": "enc"}
SIG_OCT = {"kty": "oct", "use": "sig", "k": "c2VjcmV0"}
ENC_OCT = {**SIG_OCT, "use": "enc"}


def _keyset(graph, name: str, keys: list | None = None) -> str:
    response = graph.post("/keySets", json={"id": name, "keys": keys or []})
    assert response.status_code == 201, response.text
    return response.json()["id"]


# -- 7.1 a missing keyset is 400 + AADB2C90073 -------------------------------------------------------

EVERY_KEYSET_ENDPOINT = [
    ("GET", "", None),
    ("PUT", "", {"keys": []}),
    ("DELETE", "", None),
    ("POST", "/generateKey", {"use": "sig", "kty": "RSA"}),
    ("POST", "/uploadSecret", {"use": "sig", "k": "s3cret"}),
    ("POST", "/uploadCertificate", {"key": "AAAA"}),
    ("POST", "/uploadPkcs12", {"key": "AAAA", "password": "pw"}),
    ("GET", "/getActiveKey", None),
    ("GET", "/keys_v2/some-kid", None),
    ("PATCH", "/keys_v2/some-kid", {"status": "disabled"}),
]


@pytest.mark.parametrize("method, suffix, body", EVERY_KEYSET_ENDPOINT)
def test_missing_keyset_is_400_aadb2c90073_on_every_endpoint(graph, emulator_clean, method, suffix, body):
    response = graph.request(method, f"/keySets/B2C_1A_missing{suffix}", json=body)
    assert b2c_refusal(response) == "AADB2C90073"
    assert response.json()["error"]["message"] == (
        f"KeyContainer with 'id': 'B2C_1A_missing' cannot be found in the directory '{emulator_clean.tenant}'"
    )


@pytest.mark.parametrize("suffix", ["", "/getActiveKey", "/keys_v2/some-kid"])
def test_keyset_hidden_by_replication_lag_is_400_aadb2c90073(graph, emulator_clean, suffix):
    emulator_clean.add_fault(method="POST", path="keySets$", replication_lag_ms=10 * 60 * 1000)
    keyset = _keyset(graph, "Lagging")
    assert b2c_refusal(graph.get(f"/keySets/{keyset}{suffix}")) == "AADB2C90073"


def test_missing_key_of_an_existing_keyset_stays_404(graph):
    keyset = _keyset(graph, "Present")
    response = graph.get(f"/keySets/{keyset}/keys_v2/no-such-kid")
    assert b2c_refusal(response, status=404) == "itemNotFound"


# -- 7.2 B2C error codes --------------------------------------------------------------------------------


def test_create_of_existing_keyset_is_400_aadb2c95028(graph):
    keyset = _keyset(graph, "TestKeys")
    for name in (keyset.upper(), "testkeys"):
        response = graph.post("/keySets", json={"id": name})
        assert b2c_refusal(response) == "AADB2C95028"
        assert response.json()["error"]["message"].endswith("because it already exists.")


def _mixing_requests(graph, existing: list, action: str, body: dict):
    keyset = _keyset(graph, "Mixed", existing)
    return graph.post(f"/keySets/{keyset}/{action}", json=body)


@pytest.mark.parametrize(
    "existing, action, body",
    [
        ([SIG_RSA], "uploadSecret", {"use": "sig", "k": "s3cret"}),
        ([SIG_RSA], "generateKey", {"use": "sig", "kty": "oct"}),
        ([SIG_OCT], "generateKey", {"use": "sig", "kty": "RSA"}),
        ([SIG_OCT], "uploadCertificate", None),
    ],
)
def test_rsa_and_oct_in_one_keyset_is_400_aadb2c95032(graph, existing, action, body):
    _key, cert = make_certificate()
    response = _mixing_requests(graph, existing, action, body or {"key": certificate_b64(cert)})
    assert b2c_refusal(response) == "AADB2C95032"


def test_rsa_and_oct_in_one_payload_is_400_aadb2c95032(graph):
    assert b2c_refusal(graph.post("/keySets", json={"id": "x", "keys": [SIG_RSA, SIG_OCT]})) == "AADB2C95032"
    keyset = _keyset(graph, "Put")
    assert b2c_refusal(graph.put(f"/keySets/{keyset}", json={"keys": [SIG_RSA, SIG_OCT]})) == "AADB2C95032"


@pytest.mark.parametrize(
    "existing, action, body",
    [
        ([SIG_RSA], "generateKey", {"use": "enc", "kty": "RSA"}),
        ([ENC_OCT], "uploadSecret", {"use": "sig", "k": "s3cret"}),
        ([ENC_RSA], "uploadCertificate", "certificate"),
        ([ENC_RSA], "uploadPkcs12", "pkcs12"),
    ],
)
def test_sig_and_enc_in_one_keyset_is_400_aadb2c95042(graph, existing, action, body):
    key, cert = make_certificate()
    uploads = {
        "certificate": {"key": certificate_b64(cert)},
        "pkcs12": {"key": pkcs12_b64(key, cert, b"pw"), "password": "pw"},
    }
    response = _mixing_requests(graph, existing, action, uploads[body] if isinstance(body, str) else body)
    assert b2c_refusal(response) == "AADB2C95042"


def test_sig_and_enc_in_one_payload_is_400_aadb2c95042(graph):
    assert b2c_refusal(graph.post("/keySets", json={"id": "x", "keys": [SIG_OCT, ENC_OCT]})) == "AADB2C95042"
    keyset = _keyset(graph, "Put")
    assert b2c_refusal(graph.put(f"/keySets/{keyset}", json={"keys": [SIG_RSA, ENC_RSA]})) == "AADB2C95042"


def test_payload_key_with_kid_is_400_aadb2c95059(graph):
    assert b2c_refusal(graph.post("/keySets", json={"id": "x", "keys": [{**SIG_RSA, "kid": "mine"}]})) == "AADB2C95059"
    keyset = _keyset(graph, "Put")
    assert b2c_refusal(graph.put(f"/keySets/{keyset}", json={"keys": [{**SIG_OCT, "kid": "mine"}]})) == "AADB2C95059"
    assert _keyset(graph, "EmptyKid", [{**SIG_OCT, "kid": ""}])  # an empty kid is what the service asks for


@pytest.mark.parametrize("k", ["not base64!", "c2VjcmV0YQ==", "a", "", None, 42])
def test_payload_k_not_base64url_is_400_aadb2c95029(graph, k):
    response = graph.post("/keySets", json={"id": "x", "keys": [{**SIG_OCT, "k": k}]})
    assert b2c_refusal(response) == "AADB2C95029"


@pytest.mark.parametrize(
    "key, code",
    [
        ({"use": "sig", "k": "c2VjcmV0"}, "AADB2C95037"),  # kty missing from a payload key
        ({**SIG_RSA, "kty": "EC"}, "AADB2C95031"),  # bad kty
        ({"kty": "RSA", "n": "sXch", "e": "AQAB"}, "AADB2C95033"),  # use missing
        ({**SIG_RSA, "use": "verify"}, "AADB2C95033"),  # bad use
        ({"kty": "RSA", "use": "sig", "e": "AQAB"}, "AADB2C95039"),  # no modulus
        ({"kty": "RSA", "use": "sig", "n": "sXch"}, "AADB2C95039"),  # no exponent
    ],
)
def test_payload_key_kty_use_n_e_codes(graph, key, code):
    assert b2c_refusal(graph.post("/keySets", json={"id": "x", "keys": [key]})) == code


def test_generate_key_without_kty_is_400_aadb2c95030(graph):
    keyset = _keyset(graph, "Gen")
    assert b2c_refusal(graph.post(f"/keySets/{keyset}/generateKey", json={"use": "sig"})) == "AADB2C95030"


@pytest.mark.parametrize(
    "action, body",
    [
        ("generateKey", {"use": "sig", "kty": "RSA", "nbf": NOW - 2 * HOUR, "exp": NOW - HOUR}),
        ("uploadSecret", {"use": "sig", "k": "s3cret", "nbf": NOW - 2 * HOUR, "exp": NOW - HOUR}),
    ],
)
def test_exp_in_the_past_is_400_aadb2c90214(graph, action, body):
    keyset = _keyset(graph, "Expired")
    assert b2c_refusal(graph.post(f"/keySets/{keyset}/{action}", json=body)) == "AADB2C90214"
    assert graph.get(f"/keySets/{keyset}").json()["keys"] == []


def test_exp_in_the_past_in_a_create_payload_is_400_aadb2c90214_and_creates_nothing(graph):
    refused = graph.post(
        "/keySets", json={"id": "Seeded", "keys": [{**SIG_OCT, "nbf": NOW - 2 * HOUR, "exp": NOW - HOUR}]}
    )
    assert b2c_refusal(refused) == "AADB2C90214"
    assert graph.get("/keySets").json()["value"] == []


def test_exp_in_the_past_in_a_put_payload_is_400_aadb2c90214_and_keeps_the_keys(graph):
    keyset = _keyset(graph, "Seeded", [SIG_OCT])
    refused = graph.put(
        f"/keySets/{keyset}", json={"keys": [SIG_OCT, {**SIG_OCT, "nbf": NOW - 2 * HOUR, "exp": NOW - HOUR}]}
    )
    assert b2c_refusal(refused) == "AADB2C90214"
    assert len(graph.get(f"/keySets/{keyset}").json()["keys"]) == 1


def test_a_key_that_expires_while_stored_stays_listed(emulator_clean, graph):
    now = emulator_clean.clock()["now"]
    keyset = _keyset(graph, "Ageing", [{**SIG_OCT, "nbf": now - HOUR, "exp": now + 60}])
    emulator_clean.advance_clock(seconds=120)
    assert graph.get(f"/keySets/{keyset}").json()["keys"][0]["exp"] == now + 60


@pytest.mark.parametrize("second_upload", ["certificate", "pkcs12"])
def test_same_certificate_twice_is_400_aadb2c90180(graph, second_upload):
    key, cert = make_certificate()
    keyset = _keyset(graph, "Cert")
    assert graph.post(f"/keySets/{keyset}/uploadCertificate", json={"key": certificate_b64(cert)}).status_code == 200
    action, body = {
        "certificate": ("uploadCertificate", {"key": certificate_b64(cert, serialization.Encoding.PEM)}),
        "pkcs12": ("uploadPkcs12", {"key": pkcs12_b64(key, cert, b"pw"), "password": "pw"}),
    }[second_upload]
    assert b2c_refusal(graph.post(f"/keySets/{keyset}/{action}", json=body)) == "AADB2C90180"
    assert len(graph.get(f"/keySets/{keyset}").json()["keys"]) == 1


def test_not_an_x509_certificate_is_400_aadb2c90179(graph):
    keyset = _keyset(graph, "Cert")
    response = graph.post(
        f"/keySets/{keyset}/uploadCertificate", json={"key": base64.b64encode(b"not a cert").decode()}
    )
    assert b2c_refusal(response) == "AADB2C90179"


def test_wrong_pkcs12_password_is_400_aadb2c90213(graph):
    key, cert = make_certificate()
    keyset = _keyset(graph, "Pfx")
    response = graph.post(
        f"/keySets/{keyset}/uploadPkcs12", json={"key": pkcs12_b64(key, cert, b"pw"), "password": "nope"}
    )
    assert b2c_refusal(response) == "AADB2C90213"
    assert response.json()["error"]["message"] == "The certificate password provided in request is incorrect."


def test_b2c_errors_carry_a_correlation_id_and_graph_errors_do_not(graph, anonymous):
    inner = graph.get("/keySets/B2C_1A_missing").json()["error"]["innerError"]
    assert inner["correlationId"] and inner["correlationId"] != inner["request-id"]
    unauthenticated = anonymous.get("/beta/trustFramework/keySets").json()["error"]["innerError"]
    assert "correlationId" not in unauthenticated


# -- 7.3 uploadPkcs12 refuses AES-encrypted bundles -------------------------------------------------------


@pytest.mark.parametrize(
    "protection, password",
    [
        ("aes", b"pw"),  # PBES2/AES-256: OpenSSL 3's and Windows' default
        ("3des-sha256-mac", b"pw"),  # legacy encryption, but not the SHA-1 MAC
        ("none", b""),  # no encryption at all
    ],
)
def test_pkcs12_other_than_3des_sha1_is_400_aadb2c90213_with_the_right_password(graph, protection, password):
    key, cert = make_certificate()
    keyset = _keyset(graph, "Pfx")
    body = {"key": pkcs12_b64(key, cert, password, protection), "password": password.decode()}
    assert b2c_refusal(graph.post(f"/keySets/{keyset}/uploadPkcs12", json=body)) == "AADB2C90213"


def test_pkcs12_with_3des_and_sha1_mac_is_accepted_with_the_certificate_x5t(graph):
    key, cert = make_certificate()
    keyset = _keyset(graph, "Pfx")
    response = graph.post(
        f"/keySets/{keyset}/uploadPkcs12", json={"key": pkcs12_b64(key, cert, b"pw"), "password": "pw"}
    )
    assert response.status_code == 200
    der = cert.public_bytes(serialization.Encoding.DER)
    assert response.json()["x5t"] == base64.urlsafe_b64encode(hashlib.sha1(der).digest()).decode().rstrip("=")


# -- 7.4 which key is active ---------------------------------------------------------------------------------


def _k(name, nbf=None, exp=None, status="enabled"):
    key = {"kid": name, "status": status}
    key.update({field: value for field, value in (("nbf", nbf), ("exp", exp)) if value is not None})
    return key


# now = 1000 in every row
@pytest.mark.parametrize(
    "keys, expected",
    [
        ([_k("older", 900, 2000), _k("newer", 950, 2000)], "newer"),  # latest nbf wins
        ([_k("long", 500, 9999), _k("short", 900, 1100)], "short"),  # not the longest-living one
        ([_k("current", 950, 2000), _k("future", 1100, 3000)], "current"),  # future nbf: not yet
        ([_k("older", 500, 2000), _k("expired", 990, 999)], "older"),  # expired
        ([_k("older", 500, 2000), _k("disabled", 990, 2000, "disabled")], "older"),  # disabled
        ([_k("dateless"), _k("dated", 500, 2000)], "dated"),  # dated beats the safety net
        ([_k("expired", 500, 900), _k("dateless")], "dateless"),  # safety net
        ([_k("future", 1100, 3000), _k("dateless")], "dateless"),
        ([_k("expired", 500, 900), _k("exp_only", exp=2000)], "exp_only"),  # no nbf, exp ahead: stands in
        ([_k("exp_only", exp=900)], None),
        ([_k("dateless", status="disabled")], None),
        ([], None),
        ([_k("first", 900, 2000), _k("second", 900, 2000)], "second"),  # tie: added last
        ([_k("now", 1000, 2000), _k("ends_now", 990, 1000)], "now"),  # nbf == now is active, exp == now is not
        ([_k("no_exp", 900), _k("older", 800, 2000)], "no_exp"),  # nbf without exp never expires
    ],
)
def test_active_key_rule(keys, expected):
    winner = active_key(keys, now=1000)
    assert (winner or {}).get("kid") == expected


def test_get_active_key_follows_the_rule_then_400_aadb2c90220_when_none(emulator_clean, graph):
    now = emulator_clean.clock()["now"]
    keyset = _keyset(
        graph,
        "Rollover",
        [
            {**SIG_OCT, "nbf": now - 10 * DAY, "exp": now + 30 * DAY},  # older
            {**SIG_OCT, "nbf": now - DAY, "exp": now + 30 * DAY},  # newer: active
            {**SIG_OCT, "nbf": now + 5 * DAY, "exp": now + 60 * DAY},  # future
            {**SIG_OCT, "nbf": now - HOUR, "exp": now + 60},  # expired once the clock has moved on
            SIG_OCT,  # dateless safety net
        ],
    )
    emulator_clean.advance_clock(seconds=120)  # the service refuses keys that arrive expired (AADB2C90214)
    kid_by_nbf = {key.get("nbf"): key["kid"] for key in graph.get(f"/keySets/{keyset}").json()["keys"]}
    for expected_nbf in (now - DAY, now - 10 * DAY, None):
        active = graph.get(f"/keySets/{keyset}/getActiveKey")
        assert active.status_code == 200 and active.json().get("nbf") == expected_nbf
        patch = graph.patch(f"/keySets/{keyset}/keys_v2/{kid_by_nbf[expected_nbf]}", json={"status": "disabled"})
        assert patch.status_code == 204
    assert b2c_refusal(graph.get(f"/keySets/{keyset}/getActiveKey")) == "AADB2C90220"


def test_get_active_key_answers_get_only_as_real_tenants_do(graph, keyset):
    # microsoft-graph-docs #6219, #8930: the documented POST fails on real tenants; GET works.
    response = graph.post(f"/keySets/{keyset}/getActiveKey")
    assert b2c_refusal(response) == "UnknownError"  # the CPIM answer Graph wraps (msgraph-beta-sdk-dotnet #883)


# -- answers outside the happy path (Graph's own, not a stand-in's) ----------------------------------------


@pytest.mark.parametrize(
    "path, segment",
    [
        ("/beta/trustFramework/keySet", "keySet"),
        ("/beta/trustFramework/keySets/B2C_1A_x/generateKeys", "generateKeys"),
        ("/beta/trustFramework/policies/B2C_1A_x/value", "value"),
        ("/beta/trustFrameworks/policies", "trustFrameworks"),
        ("/v1.0/trustFramework/keySets", "trustFramework"),  # trustFramework is beta only
    ],
)
def test_an_unrouted_path_is_400_bad_request_naming_the_segment(anonymous, emulator_clean, path, segment):
    # microsoft-graph-docs #4900, #4052, #21648: never a 404, which a client would read as "keyset missing".
    headers = {"Authorization": f"Bearer {emulator_clean.mint_token()}"}
    response = anonymous.get(path, headers=headers)
    assert b2c_refusal(response) == "BadRequest"
    assert response.json()["error"]["message"] == f"Resource not found for the segment '{segment}'."


@pytest.mark.parametrize(
    "method, path, cpim_path",
    [
        ("PATCH", "/policies/B2C_1A_X", "trustFramework/policies('B2C_1A_X')"),
        ("PATCH", "/policies('B2C_1A_X')", "trustFramework/policies('B2C_1A_X')"),
        ("POST", "/keySets/B2C_1A_K/getActiveKey", "trustFramework/keySets('B2C_1A_K')/getActiveKey"),
        ("DELETE", "/policies", "trustFramework/policies"),
    ],
)
def test_an_unrouted_method_is_the_wrapped_cpim_answer(graph, method, path, cpim_path):
    # msgraph-beta-sdk-dotnet #883: the CPIM Web API JSON comes back as the message string of UnknownError.
    response = graph.request(method, path)
    assert b2c_refusal(response) == "UnknownError"
    assert json.loads(response.json()["error"]["message"]) == {
        "message": f"No HTTP resource was found that matches the request URI 'https://cpim.windows.net/graph/{cpim_path}'.",
        "messageDetail": "No action was found on the controller 'trustframework' that matches the request.",
        "stackTrace": None,
    }


def test_a_missing_keyset_is_still_400_aadb2c90073_not_the_unrouted_answer(graph):
    assert b2c_refusal(graph.get("/keySets/B2C_1A_missing")) == "AADB2C90073"
    assert b2c_refusal(graph.get("/keySets('B2C_1A_missing')/getActiveKey()")) == "AADB2C90073"


def test_get_active_key_in_the_odata_function_form(graph):
    keyset = _keyset(graph, "Fn", [SIG_OCT])
    for path in (f"/keySets/{keyset}/getActiveKey()", f"/keySets('{keyset}')/getActiveKey()"):
        response = graph.get(path)
        assert response.status_code == 200 and response.json()["kty"].lower() == "oct"


def test_usage_on_create_is_tolerated(graph):
    # ahauter/terraform-provider-azure-b2c-ief sends it and expects 201 from real tenants.
    response = graph.post("/keySets", json={"id": "WithUsage", "usage": "sig"})
    assert response.status_code == 201 and "usage" not in response.json()
