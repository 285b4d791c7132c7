"""Graph keyset endpoints: success and error shapes."""

from __future__ import annotations

import base64
import hashlib
import os
import stat
import time

import pytest
from cryptography.hazmat.primitives import serialization

from tests.emulator.tests.helpers import (
    assert_no_private_members,
    b2c_refusal,
    certificate_b64,
    ec_certificate,
    graph_error_code,
    make_certificate,
    pkcs12_b64,
)

NOW = int(time.time())
RSA_JWK = {
    "kty": "RSA",
    "use": "sig",
    "n": "sXch",
    "e": "AQAB",
    "d": "private-d",
    "p": "pp",
    "q": "qq",
    "dp": "a",
    "dq": "b",
    "qi": "c",
}
OCT_JWK = {"kty": "oct", "use": "enc", "k": "c2VjcmV0"}


def test_list_is_empty_then_shows_created(graph):
    response = graph.get("/keySets")
    assert response.status_code == 200 and response.json()["value"] == []
    graph.post("/keySets", json={"id": "One"})
    assert [item["id"] for item in graph.get("/keySets").json()["value"]] == ["B2C_1A_One"]


def test_create_adds_prefix_and_location(graph):
    response = graph.post("/keySets", json={"id": "keyset1"})
    assert response.status_code == 201
    assert response.json()["id"] == "B2C_1A_keyset1" and response.json()["keys"] == []
    assert response.headers["Location"] == "/trustFramework/keySets('B2C_1A_keyset1')"


def test_create_keeps_existing_prefix_in_any_case(graph):
    assert graph.post("/keySets", json={"id": "b2c_1a_Lower"}).json()["id"] == "b2c_1a_Lower"


@pytest.mark.parametrize(
    "body, code",
    [
        ({"id": "x", "@odata.type": "#microsoft.graph.trustFrameworkKeySet"}, "AADB2C"),
        ({}, "invalidRequest"),
        ({"id": ""}, "invalidRequest"),
        ({"id": "has space"}, "invalidRequest"),
        ({"id": "x", "color": "blue"}, "invalidRequest"),
        ({"id": "x", "keys": "nope"}, "invalidRequest"),
        ({"id": "x", "keys": [RSA_JWK, OCT_JWK]}, "AADB2C95032"),
        ({"id": "x", "keys": [{"kty": "EC", "use": "sig"}]}, "AADB2C95031"),
    ],
)
def test_create_validation(graph, body, code):
    response = graph.post("/keySets", json=body)
    assert response.status_code == 400 and graph_error_code(response) == code


def test_create_body_must_be_json_object(graph):
    response = graph.post("/keySets", content=b"not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and graph_error_code(response) == "BadRequest"


def test_create_with_keys_never_returns_private_members(graph):
    response = graph.post("/keySets", json={"id": "WithKeys", "keys": [RSA_JWK, {**RSA_JWK, "nbf": "1700000000"}]})
    assert response.status_code == 201
    keys = response.json()["keys"]
    assert_no_private_members(response.json())
    assert keys[1]["nbf"] == 1700000000 and keys[0]["kid"] and keys[1]["kid"] and keys[0]["kid"] != keys[1]["kid"]
    assert all(key["status"] == "enabled" for key in keys)
    assert_no_private_members(graph.get("/keySets/B2C_1A_WithKeys").json())


def test_get_is_case_insensitive(graph, keyset):
    response = graph.get(f"/keySets/{keyset.lower()}")
    assert response.status_code == 200 and response.json()["id"] == keyset
    # the OData key syntax works too
    assert graph.get(f"/keySets('{keyset}')").status_code == 200


def test_put_replaces_keys(graph, keyset):
    generated = graph.post(f"/keySets/{keyset}/generateKey", json={"use": "sig", "kty": "RSA"}).json()
    response = graph.put(f"/keySets/{keyset}", json={"keys": [RSA_JWK]})
    assert response.status_code == 200
    keys = response.json()["keys"]
    assert len(keys) == 1 and keys[0]["n"] == RSA_JWK["n"] and keys[0]["kid"] != generated["kid"]
    assert_no_private_members(response.json())


def test_put_errors(graph, keyset):
    assert graph_error_code(graph.put(f"/keySets/{keyset}", json={"id": keyset})) == "invalidRequest"
    assert graph_error_code(graph.put(f"/keySets/{keyset}", json={"keys": [RSA_JWK, OCT_JWK]})) == "AADB2C95032"


def test_delete(graph, keyset):
    response = graph.delete(f"/keySets/{keyset}")
    assert response.status_code == 204 and response.content == b""
    assert b2c_refusal(graph.get(f"/keySets/{keyset}")) == "AADB2C90073"
    assert b2c_refusal(graph.delete(f"/keySets/{keyset}")) == "AADB2C90073"


def test_generate_rsa_key(graph, keyset):
    response = graph.post(
        f"/keySets/{keyset}/generateKey", json={"use": "sig", "kty": "rsa", "nbf": NOW, "exp": str(NOW + 3600)}
    )
    assert response.status_code == 200
    key = response.json()
    assert key["kty"] == "RSA" and key["use"] == "sig" and key["e"] == "AQAB" and key["status"] == "enabled"
    assert len(base64.urlsafe_b64decode(key["n"] + "==")) == 256  # 2048-bit modulus
    assert key["nbf"] == NOW and key["exp"] == NOW + 3600 and "x5c" not in key
    assert_no_private_members(key)


def test_generate_defaults_validity(graph, keyset):
    before = int(time.time())
    key = graph.post(f"/keySets/{keyset}/generateKey", json={"use": "enc", "kty": "RSA"}).json()
    assert before <= key["nbf"] <= time.time() and key["exp"] - key["nbf"] == 2 * 365 * 24 * 3600


def test_generate_oct_key_never_returns_k(graph, keyset):
    key = graph.post(f"/keySets/{keyset}/generateKey", json={"use": "sig", "kty": "OCT"}).json()
    assert key["kty"] == "OCT" and "k" not in key and key["kid"]


@pytest.mark.parametrize(
    "body, code",
    [
        ({"kty": "RSA"}, "AADB2C95033"),
        ({"use": "sig"}, "AADB2C95030"),
        ({"use": "verify", "kty": "RSA"}, "AADB2C95033"),
        ({"use": "sig", "kty": "EC"}, "AADB2C95031"),
        ({"use": "sig", "kty": "RSA", "nbf": NOW, "exp": NOW}, "invalidRequest"),
        ({"use": "sig", "kty": "RSA", "nbf": "soon"}, "invalidRequest"),
        ({"use": "sig", "kty": "RSA", "nbf": -1e29}, "invalidRequest"),  # a 500 once: dates outside the years 1-9999
        ({"use": "sig", "kty": "RSA", "exp": 253402300800}, "invalidRequest"),
        ({"use": "sig", "kty": "RSA", "extra": 1}, "invalidRequest"),
    ],
)
def test_generate_validation(graph, keyset, body, code):
    assert b2c_refusal(graph.post(f"/keySets/{keyset}/generateKey", json=body)) == code


def test_upload_secret(graph, keyset):
    response = graph.post(
        f"/keySets/{keyset}/uploadSecret", json={"use": "sig", "k": "s3cret", "nbf": str(NOW), "exp": NOW + 3600}
    )
    assert response.status_code == 200
    key = response.json()
    assert key["kty"] == "OCT" and key["nbf"] == NOW and key["exp"] == NOW + 3600 and "k" not in key
    for body, code in (
        ({"use": "sig"}, "AADB2C90253"),
        ({"use": "sig", "k": ""}, "AADB2C90253"),
        ({"k": "x"}, "AADB2C95033"),
    ):
        assert b2c_refusal(graph.post(f"/keySets/{keyset}/uploadSecret", json=body)) == code


@pytest.mark.parametrize("encoding", [serialization.Encoding.DER, serialization.Encoding.PEM])
def test_upload_certificate(graph, keyset, encoding):
    _key, cert = make_certificate(days=30)
    response = graph.post(f"/keySets/{keyset}/uploadCertificate", json={"key": certificate_b64(cert, encoding)})
    assert response.status_code == 200
    key = response.json()
    der = cert.public_bytes(serialization.Encoding.DER)
    assert key["x5c"] == [base64.b64encode(der).decode()]
    assert key["x5t"] == base64.urlsafe_b64encode(hashlib.sha1(der).digest()).decode().rstrip("=")
    assert key["nbf"] == int(cert.not_valid_before_utc.timestamp()) and key["exp"] == int(
        cert.not_valid_after_utc.timestamp()
    )
    assert key["kty"] == "RSA" and key["e"] == "AQAB" and key["n"]


@pytest.mark.parametrize(
    "value, code",
    [
        ("%%%", "AADB2C90215"),
        (base64.b64encode(b"garbage").decode(), "AADB2C90179"),
        ("", "AADB2C90253"),
        (None, "AADB2C90253"),
    ],
)
def test_upload_certificate_bad_data(graph, keyset, value, code):
    assert b2c_refusal(graph.post(f"/keySets/{keyset}/uploadCertificate", json={"key": value})) == code


def test_upload_certificate_refuses_ec(graph, keyset):
    _key, cert = ec_certificate()
    response = graph.post(f"/keySets/{keyset}/uploadCertificate", json={"key": certificate_b64(cert)})
    assert b2c_refusal(response) == "AADB2C90215"


def test_upload_pkcs12(graph, keyset):
    key, cert = make_certificate()
    response = graph.post(
        f"/keySets/{keyset}/uploadPkcs12", json={"key": pkcs12_b64(key, cert, b"pw"), "password": "pw"}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["x5t"] and body["x5c"] and body["n"] and body["kty"] == "RSA"
    assert_no_private_members(body)


@pytest.mark.parametrize(
    "make_body, code",
    [
        (lambda key, cert: {"key": pkcs12_b64(key, cert, b"pw"), "password": "wrong"}, "AADB2C90213"),
        (lambda key, cert: {"key": base64.b64encode(b"garbage").decode(), "password": "pw"}, "AADB2C90215"),
        (lambda key, cert: {"key": pkcs12_b64(None, cert, b"pw"), "password": "pw"}, "AADB2C90215"),  # no private key
    ],
)
def test_upload_pkcs12_errors(graph, keyset, make_body, code):
    key, cert = make_certificate()
    assert b2c_refusal(graph.post(f"/keySets/{keyset}/uploadPkcs12", json=make_body(key, cert))) == code


def _key(graph, keyset, nbf, exp):
    return graph.post(f"/keySets/{keyset}/uploadSecret", json={"use": "sig", "k": "x", "nbf": nbf, "exp": exp}).json()[
        "kid"
    ]


def test_keys_v2_get_and_patch(graph, keyset):
    kid = _key(graph, keyset, NOW - 10, NOW + 3600)
    response = graph.get(f"/keySets/{keyset}/keys_v2/{kid}")
    assert response.status_code == 200 and response.json()["kid"] == kid and response.json()["status"] == "enabled"
    assert graph.patch(f"/keySets/{keyset}/keys_v2/{kid}", json={"status": "disabled"}).status_code == 204
    assert graph.get(f"/keySets/{keyset}/keys_v2/{kid}").json()["status"] == "disabled"
    assert graph.get(f"/keySets/{keyset}").json()["keys"][0]["status"] == "disabled"


@pytest.mark.parametrize(
    "body", [{"status": "enabled", "use": "enc"}, {"use": "enc"}, {"status": "unknownFutureValue"}, {}]
)
def test_keys_v2_patch_validation(graph, keyset, body):
    kid = _key(graph, keyset, NOW - 10, NOW + 3600)
    response = graph.patch(f"/keySets/{keyset}/keys_v2/{kid}", json=body)
    assert response.status_code == 400


def test_keys_v2_missing_kid_and_unsupported_method(graph, keyset):
    assert graph.get(f"/keySets/{keyset}/keys_v2/nope").status_code == 404
    response = graph.post(f"/keySets/{keyset}/keys_v2/nope", json={})
    assert response.status_code == 400 and graph_error_code(response) == "UnknownError"  # msgraph-beta-sdk-dotnet #883


def test_paging_with_page_size_and_top(graph, emulator_clean):
    for index in range(7):
        graph.post("/keySets", json={"id": f"K{index}"})
    seen, url, pages = [], "/keySets?$top=3", 0
    while url:
        body = graph.get(url).json()
        seen += [item["id"] for item in body["value"]]
        url = body.get("@odata.nextLink")
        if url:
            assert url.startswith(emulator_clean.url) and "$skiptoken=" in url
        pages += 1
    assert pages == 3 and seen == [f"B2C_1A_K{index}" for index in range(7)]
    assert "@odata.nextLink" not in graph.get("/keySets").json()  # default page size 50
    assert graph.get("/keySets?$top=0").status_code == 400
    assert graph.get("/keySets?$skiptoken=bogus").status_code == 400


def test_every_response_has_request_ids(graph, keyset):
    response = graph.get(f"/keySets/{keyset}", headers={"client-request-id": "abc-1"})
    assert response.headers["client-request-id"] == "abc-1" and response.headers["request-id"]
    error = graph.get("/keySets/B2C_1A_none", headers={"client-request-id": "abc-2"})
    inner = error.json()["error"]["innerError"]
    assert inner["client-request-id"] == "abc-2" and inner["request-id"] == error.headers["request-id"]


def test_unknown_graph_path_is_graph_shaped(graph):
    response = graph.get("/keySet")
    assert response.status_code == 400 and graph_error_code(response) == "BadRequest"


def test_state_file_is_private_and_secret_free(graph, keyset, emulator_clean):
    graph.post(f"/keySets/{keyset}/uploadSecret", json={"use": "sig", "k": "TOP-SECRET-VALUE"})
    graph.post("/keySets", json={"id": "Priv", "keys": [RSA_JWK]})
    path = os.path.join(emulator_clean.state_dir, "state.json")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    assert "TOP-SECRET-VALUE" not in text and "private-d" not in text
