"""Graph keyset endpoints: success and error shapes."""

from __future__ import annotations

import base64
import hashlib
import os
import stat
import time

import pytest
from cryptography.hazmat.primitives import serialization

from tests.emulator.tests.helpers import (assert_no_private_members, certificate_b64, ec_certificate, graph_error_code,
                                          make_certificate, pkcs12_b64)

NOW = int(time.time())
RSA_JWK = {"kty": "RSA", "use": "sig", "n": "sXch", "e": "AQAB", "d": "private-d", "p": "pp", "q": "qq",
           "dp": "a", "dq": "b", "qi": "c"}
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


def test_duplicate_create_is_409_case_insensitive(graph, keyset):
    response = graph.post("/keySets", json={"id": keyset.upper()})
    assert response.status_code == 409 and graph_error_code(response) == "AADB2C95028"
    response = graph.post("/keySets", json={"id": "testkeys"})
    assert response.status_code == 409


@pytest.mark.parametrize("body, code", [
    ({"id": "x", "@odata.type": "#microsoft.graph.trustFrameworkKeySet"}, "AADB2C"),
    ({}, "invalidRequest"),
    ({"id": ""}, "invalidRequest"),
    ({"id": "has space"}, "invalidRequest"),
    ({"id": "x", "color": "blue"}, "invalidRequest"),
    ({"id": "x", "keys": "nope"}, "invalidRequest"),
    ({"id": "x", "keys": [RSA_JWK, OCT_JWK]}, "AADB2C95032"),
    ({"id": "x", "keys": [{"kty": "EC"}]}, "invalidRequest"),
])
def test_create_validation(graph, body, code):
    response = graph.post("/keySets", json=body)
    assert response.status_code == 400 and graph_error_code(response) == code


def test_create_body_must_be_json_object(graph):
    response = graph.post("/keySets", content=b"not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and graph_error_code(response) == "BadRequest"


def test_create_with_keys_never_returns_private_members(graph):
    response = graph.post("/keySets", json={"id": "WithKeys", "keys": [RSA_JWK, {**RSA_JWK, "kid": "mine", "nbf": "1700000000"}]})
    assert response.status_code == 201
    keys = response.json()["keys"]
    assert_no_private_members(response.json())
    assert keys[1]["kid"] == "mine" and keys[1]["nbf"] == 1700000000 and keys[0]["kid"]
    assert all(key["status"] == "enabled" for key in keys)
    assert_no_private_members(graph.get("/keySets/B2C_1A_WithKeys").json())


def test_get_is_case_insensitive_and_404_when_missing(graph, keyset):
    response = graph.get(f"/keySets/{keyset.lower()}")
    assert response.status_code == 200 and response.json()["id"] == keyset
    response = graph.get("/keySets/B2C_1A_missing")
    assert response.status_code == 404 and graph_error_code(response) == "itemNotFound"
    # the OData key syntax works too
    assert graph.get(f"/keySets('{keyset}')").status_code == 200


def test_put_replaces_keys(graph, keyset):
    graph.post(f"/keySets/{keyset}/generateKey", json={"use": "sig", "kty": "RSA"})
    response = graph.put(f"/keySets/{keyset}", json={"keys": [{**RSA_JWK, "kid": "only"}]})
    assert response.status_code == 200
    assert [key["kid"] for key in response.json()["keys"]] == ["only"]
    assert_no_private_members(response.json())


def test_put_errors(graph, keyset):
    assert graph_error_code(graph.put(f"/keySets/{keyset}", json={"id": keyset})) == "invalidRequest"
    assert graph_error_code(graph.put(f"/keySets/{keyset}", json={"keys": [RSA_JWK, OCT_JWK]})) == "AADB2C95032"
    assert graph.put("/keySets/B2C_1A_missing", json={"keys": []}).status_code == 404


def test_delete(graph, keyset):
    response = graph.delete(f"/keySets/{keyset}")
    assert response.status_code == 204 and response.content == b""
    assert graph.get(f"/keySets/{keyset}").status_code == 404
    assert graph.delete(f"/keySets/{keyset}").status_code == 404


def test_generate_rsa_key(graph, keyset):
    response = graph.post(f"/keySets/{keyset}/generateKey", json={"use": "sig", "kty": "rsa", "nbf": NOW, "exp": str(NOW + 100)})
    assert response.status_code == 200
    key = response.json()
    assert key["kty"] == "RSA" and key["use"] == "sig" and key["e"] == "AQAB" and key["status"] == "enabled"
    assert len(base64.urlsafe_b64decode(key["n"] + "==")) == 256  # 2048-bit modulus
    assert key["nbf"] == NOW and key["exp"] == NOW + 100 and "x5c" not in key
    assert_no_private_members(key)


def test_generate_defaults_validity(graph, keyset):
    key = graph.post(f"/keySets/{keyset}/generateKey", json={"use": "enc", "kty": "RSA"}).json()
    assert abs(key["nbf"] - time.time()) < 5 and key["exp"] - key["nbf"] == 2 * 365 * 24 * 3600


def test_generate_oct_key_never_returns_k(graph, keyset):
    key = graph.post(f"/keySets/{keyset}/generateKey", json={"use": "sig", "kty": "OCT"}).json()
    assert key["kty"] == "OCT" and "k" not in key and key["kid"]


@pytest.mark.parametrize("body", [
    {"kty": "RSA"},
    {"use": "sig"},
    {"use": "verify", "kty": "RSA"},
    {"use": "sig", "kty": "EC"},
    {"use": "sig", "kty": "RSA", "nbf": NOW, "exp": NOW},
    {"use": "sig", "kty": "RSA", "nbf": "soon"},
    {"use": "sig", "kty": "RSA", "extra": 1},
])
def test_generate_validation(graph, keyset, body):
    response = graph.post(f"/keySets/{keyset}/generateKey", json=body)
    assert response.status_code == 400 and graph_error_code(response) == "invalidRequest"


def test_mixing_rsa_and_oct_is_refused(graph, keyset):
    graph.post(f"/keySets/{keyset}/generateKey", json={"use": "sig", "kty": "RSA"})
    response = graph.post(f"/keySets/{keyset}/uploadSecret", json={"use": "sig", "k": "s3cret"})
    assert response.status_code == 400 and graph_error_code(response) == "AADB2C95032"
    response = graph.post(f"/keySets/{keyset}/generateKey", json={"use": "sig", "kty": "oct"})
    assert graph_error_code(response) == "AADB2C95032"


def test_upload_secret(graph, keyset):
    response = graph.post(f"/keySets/{keyset}/uploadSecret", json={"use": "sig", "k": "s3cret", "nbf": str(NOW), "exp": NOW + 60})
    assert response.status_code == 200
    key = response.json()
    assert key["kty"] == "OCT" and key["nbf"] == NOW and key["exp"] == NOW + 60 and "k" not in key
    for body in ({"use": "sig"}, {"use": "sig", "k": ""}, {"k": "x"}):
        assert graph.post(f"/keySets/{keyset}/uploadSecret", json=body).status_code == 400


@pytest.mark.parametrize("encoding", [serialization.Encoding.DER, serialization.Encoding.PEM])
def test_upload_certificate(graph, keyset, encoding):
    _key, cert = make_certificate(days=30)
    response = graph.post(f"/keySets/{keyset}/uploadCertificate", json={"key": certificate_b64(cert, encoding)})
    assert response.status_code == 200
    key = response.json()
    der = cert.public_bytes(serialization.Encoding.DER)
    assert key["x5c"] == [base64.b64encode(der).decode()]
    assert key["x5t"] == base64.urlsafe_b64encode(hashlib.sha1(der).digest()).decode().rstrip("=")
    assert key["nbf"] == int(cert.not_valid_before_utc.timestamp()) and key["exp"] == int(cert.not_valid_after_utc.timestamp())
    assert key["kty"] == "RSA" and key["e"] == "AQAB" and key["n"]


@pytest.mark.parametrize("value", ["%%%", base64.b64encode(b"garbage").decode(), "", None])
def test_upload_certificate_bad_data(graph, keyset, value):
    response = graph.post(f"/keySets/{keyset}/uploadCertificate", json={"key": value})
    assert response.status_code == 400


def test_upload_certificate_refuses_ec(graph, keyset):
    _key, cert = ec_certificate()
    response = graph.post(f"/keySets/{keyset}/uploadCertificate", json={"key": certificate_b64(cert)})
    assert response.status_code == 400 and graph_error_code(response) == "AADB2C"


def test_upload_pkcs12(graph, keyset):
    key, cert = make_certificate()
    response = graph.post(f"/keySets/{keyset}/uploadPkcs12", json={"key": pkcs12_b64(key, cert, b"pw"), "password": "pw"})
    assert response.status_code == 200
    body = response.json()
    assert body["x5t"] and body["x5c"] and body["n"] and body["kty"] == "RSA"
    assert_no_private_members(body)


def test_upload_pkcs12_without_password(graph, keyset):
    key, cert = make_certificate()
    response = graph.post(f"/keySets/{keyset}/uploadPkcs12", json={"key": pkcs12_b64(key, cert, None), "password": ""})
    assert response.status_code == 200


@pytest.mark.parametrize("make_body", [
    lambda key, cert: {"key": pkcs12_b64(key, cert, b"pw"), "password": "wrong"},
    lambda key, cert: {"key": base64.b64encode(b"garbage").decode(), "password": "pw"},
    lambda key, cert: {"key": pkcs12_b64(None, cert, b"pw"), "password": "pw"},  # no private key
])
def test_upload_pkcs12_errors(graph, keyset, make_body):
    key, cert = make_certificate()
    response = graph.post(f"/keySets/{keyset}/uploadPkcs12", json=make_body(key, cert))
    assert response.status_code == 400 and graph_error_code(response) == "AADB2C"
    assert response.json()["error"]["message"]


def test_actions_on_missing_keyset_are_404(graph):
    for action, body in (("generateKey", {"use": "sig", "kty": "RSA"}), ("uploadSecret", {"use": "sig", "k": "x"})):
        assert graph.post(f"/keySets/B2C_1A_nope/{action}", json=body).status_code == 404


def _key(graph, keyset, nbf, exp):
    return graph.post(f"/keySets/{keyset}/uploadSecret", json={"use": "sig", "k": "x", "nbf": nbf, "exp": exp}).json()["kid"]


def test_active_key_rule(graph, keyset):
    assert graph.get(f"/keySets/{keyset}/getActiveKey").status_code == 404  # empty keyset
    older = _key(graph, keyset, NOW - 1000, NOW + 1000)
    newer = _key(graph, keyset, NOW - 10, NOW + 1000)
    _future = _key(graph, keyset, NOW + 500, NOW + 1000)
    _expired = _key(graph, keyset, NOW - 100, NOW - 5)
    assert graph.get(f"/keySets/{keyset}/getActiveKey").json()["kid"] == newer
    assert graph.patch(f"/keySets/{keyset}/keys_v2/{newer}", json={"status": "disabled"}).status_code == 204
    assert graph.get(f"/keySets/{keyset}/getActiveKey").json()["kid"] == older


def test_active_key_404_when_all_expired(graph, keyset):
    _key(graph, keyset, NOW - 100, NOW - 5)
    response = graph.get(f"/keySets/{keyset}/getActiveKey")
    assert response.status_code == 404 and graph_error_code(response) == "itemNotFound"


def test_keys_v2_get_and_patch(graph, keyset):
    kid = _key(graph, keyset, NOW - 10, NOW + 100)
    response = graph.get(f"/keySets/{keyset}/keys_v2/{kid}")
    assert response.status_code == 200 and response.json()["kid"] == kid and response.json()["status"] == "enabled"
    assert graph.patch(f"/keySets/{keyset}/keys_v2/{kid}", json={"status": "disabled"}).status_code == 204
    assert graph.get(f"/keySets/{keyset}/keys_v2/{kid}").json()["status"] == "disabled"
    assert graph.get(f"/keySets/{keyset}").json()["keys"][0]["status"] == "disabled"


@pytest.mark.parametrize("body", [{"status": "enabled", "use": "enc"}, {"use": "enc"}, {"status": "unknownFutureValue"}, {}])
def test_keys_v2_patch_validation(graph, keyset, body):
    kid = _key(graph, keyset, NOW - 10, NOW + 100)
    response = graph.patch(f"/keySets/{keyset}/keys_v2/{kid}", json=body)
    assert response.status_code == 400


def test_keys_v2_missing_kid_and_unsupported_method(graph, keyset):
    assert graph.get(f"/keySets/{keyset}/keys_v2/nope").status_code == 404
    response = graph.post(f"/keySets/{keyset}/keys_v2/nope", json={})
    assert response.status_code == 405 and graph_error_code(response)


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
    response = graph.get("/policies")
    assert response.status_code == 404 and graph_error_code(response) == "itemNotFound"


def test_state_file_is_private_and_secret_free(graph, keyset, emulator_clean):
    graph.post(f"/keySets/{keyset}/uploadSecret", json={"use": "sig", "k": "TOP-SECRET-VALUE"})
    graph.post("/keySets", json={"id": "Priv", "keys": [RSA_JWK]})
    path = os.path.join(emulator_clean.state_dir, "state.json")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    assert "TOP-SECRET-VALUE" not in text and "private-d" not in text
