"""Login service: discovery, token endpoint (secret and certificate), managed identity, token checks."""

from __future__ import annotations

import hashlib
import time

import jwt
import msal
import pytest
from cryptography.hazmat.primitives import serialization

from tests.emulator.settings import READ_WRITE_ROLES
from tests.emulator.tests.helpers import MsalHttpClient, client_certificate, graph_error_code, make_certificate, rsa_key

GRAPH_SCOPE = ["https://graph.microsoft.com/.default"]


def token_request(client, emu, **overrides):
    form = {
        "grant_type": "client_credentials",
        "client_id": emu.client_id,
        "client_secret": emu.client_secret,
        "scope": GRAPH_SCOPE[0],
        **overrides,
    }
    form = {key: value for key, value in form.items() if value is not None}
    return client.post(f"/{emu.tenant}/oauth2/v2.0/token", data=form)


def assert_aadsts(response, status: int, code: int, error: str):
    assert response.status_code == status
    body = response.json()
    assert body["error"] == error
    assert body["error_codes"] == [code]
    assert body["error_description"].startswith(f"AADSTS{code}:")
    assert {"timestamp", "trace_id", "correlation_id"} <= set(body)


def test_discovery_document(anonymous, emulator_clean):
    response = anonymous.get(f"/{emulator_clean.tenant}/v2.0/.well-known/openid-configuration")
    assert response.status_code == 200
    doc = response.json()
    assert doc["token_endpoint"] == f"{emulator_clean.url}/{emulator_clean.tenant}/oauth2/v2.0/token"
    assert doc["authorization_endpoint"].startswith(emulator_clean.url)
    assert doc["issuer"] == f"{emulator_clean.url}/{emulator_clean.tenant_guid}/v2.0"
    assert anonymous.get(doc["jwks_uri"]).json()["keys"][0]["kty"] == "RSA"


def test_discovery_unknown_tenant(anonymous):
    assert_aadsts(
        anonymous.get("/other.onmicrosoft.com/v2.0/.well-known/openid-configuration"), 400, 90002, "invalid_request"
    )


def test_client_secret_token_has_expected_claims(anonymous, emulator_clean):
    response = token_request(anonymous, emulator_clean)
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600 and body["ext_expires_in"] == 3600
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["aud"] == "https://graph.microsoft.com"
    assert claims["tid"] == emulator_clean.tenant_guid
    assert claims["appid"] == emulator_clean.client_id
    assert claims["roles"] == READ_WRITE_ROLES
    assert claims["exp"] - claims["iat"] == 3600 and claims["nbf"] <= time.time()


def test_tenant_guid_alias_is_accepted(anonymous, emulator_clean):
    response = anonymous.post(
        f"/{emulator_clean.tenant_guid}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": emulator_clean.client_id,
            "client_secret": emulator_clean.client_secret,
            "scope": "https://graph.microsoft.com/.default",
        },
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    "overrides, status, code, error",
    [
        ({"client_id": "nobody"}, 400, 700016, "unauthorized_client"),
        ({"client_secret": "wrong"}, 401, 7000215, "invalid_client"),
        ({"client_secret": None}, 401, 7000218, "invalid_client"),
        ({"scope": "https://graph.microsoft.com/KeySet.Read"}, 400, 1002012, "invalid_scope"),
        ({"grant_type": "password"}, 400, 70003, "unsupported_grant_type"),
        (
            {
                "client_assertion": "not-a-jwt",
                "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                "client_secret": None,
            },
            401,
            700027,
            "invalid_client",
        ),
    ],
)
def test_token_errors(anonymous, emulator_clean, overrides, status, code, error):
    assert_aadsts(token_request(anonymous, emulator_clean, **overrides), status, code, error)


def test_unknown_tenant_token(anonymous, emulator_clean):
    response = anonymous.post("/contoso.onmicrosoft.com/oauth2/v2.0/token", data={"grant_type": "client_credentials"})
    assert_aadsts(response, 400, 90002, "invalid_request")


def test_correlation_id_echoes_client_request_id(anonymous, emulator_clean):
    response = anonymous.post(
        f"/{emulator_clean.tenant}/oauth2/v2.0/token",
        data={"grant_type": "client_credentials"},
        headers={"client-request-id": "corr-123"},
    )
    assert response.json()["correlation_id"] == "corr-123"
    assert response.headers["client-request-id"] == "corr-123"


def _msal_app(emu, credential):
    return msal.ConfidentialClientApplication(
        emu.client_id,
        client_credential=credential,
        authority=f"{emu.url}/{emu.tenant}",
        instance_discovery=False,
        http_client=MsalHttpClient(emu.ssl_context()),
        token_cache=msal.TokenCache(),
    )


def test_msal_with_client_secret(emulator_clean):
    result = _msal_app(emulator_clean, emulator_clean.client_secret).acquire_token_for_client(GRAPH_SCOPE)
    assert "access_token" in result, result
    kinds = [entry["kind"] for entry in emulator_clean.requests()]
    assert kinds == ["discovery", "token"]


def test_msal_with_certificate_thumbprint_rs256(emulator_clean):
    pem, cert = client_certificate(emulator_clean)
    thumbprint = hashlib.sha1(cert.public_bytes(serialization.Encoding.DER)).hexdigest()
    result = _msal_app(
        emulator_clean, {"private_key": pem.decode(), "thumbprint": thumbprint}
    ).acquire_token_for_client(GRAPH_SCOPE)
    assert "access_token" in result, result


def test_msal_with_certificate_public_certificate_ps256(emulator_clean):
    pem, _cert = client_certificate(emulator_clean)
    credential = {"private_key": pem.decode(), "public_certificate": pem.decode()}
    result = _msal_app(emulator_clean, credential).acquire_token_for_client(GRAPH_SCOPE)
    assert "access_token" in result, result


def test_msal_with_unregistered_certificate_is_refused(emulator_clean):
    key, cert = make_certificate(rsa_key(1))
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    thumbprint = hashlib.sha1(cert.public_bytes(serialization.Encoding.DER)).hexdigest()
    result = _msal_app(
        emulator_clean, {"private_key": pem.decode(), "thumbprint": thumbprint}
    ).acquire_token_for_client(GRAPH_SCOPE)
    assert result.get("error") == "invalid_client" and 700027 in result["error_codes"]


def test_managed_identity_via_msal(emulator_clean, monkeypatch):
    monkeypatch.setenv("IDENTITY_ENDPOINT", f"{emulator_clean.url}/_msi/token")
    monkeypatch.setenv("IDENTITY_HEADER", emulator_clean.identity_header)
    app = msal.ManagedIdentityClient(
        msal.UserAssignedManagedIdentity(client_id="mi-client"),
        http_client=MsalHttpClient(emulator_clean.ssl_context()),
        token_cache=msal.TokenCache(),
    )
    result = app.acquire_token_for_client(resource="https://graph.microsoft.com")
    assert "access_token" in result, result
    claims = jwt.decode(result["access_token"], options={"verify_signature": False})
    assert claims["appid"] == "mi-client" and claims["roles"] == READ_WRITE_ROLES
    assert [entry["kind"] for entry in emulator_clean.requests()] == ["msi"]


def test_managed_identity_needs_the_header(anonymous):
    response = anonymous.get(
        "/_msi/token",
        params={"api-version": "2019-08-01", "resource": "https://graph.microsoft.com"},
        headers={"X-IDENTITY-HEADER": "wrong"},
    )
    assert response.status_code == 401


def test_token_from_endpoint_works_on_graph(anonymous, emulator_clean):
    access_token = token_request(anonymous, emulator_clean).json()["access_token"]
    response = anonymous.get("/beta/trustFramework/keySets", headers={"Authorization": f"Bearer {access_token}"})
    assert response.status_code == 200 and response.json()["value"] == []


@pytest.mark.parametrize("authorization", [None, "Bearer", "Basic abc", "Bearer not.a.jwt"])
def test_graph_refuses_missing_or_garbage_token(anonymous, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    response = anonymous.get("/beta/trustFramework/keySets", headers=headers)
    assert response.status_code == 401
    assert graph_error_code(response) == "InvalidAuthenticationToken"


def test_graph_refuses_expired_token(anonymous, emulator_clean):
    expired = emulator_clean.mint_token(lifetime=-60)
    response = anonymous.get("/beta/trustFramework/keySets", headers={"Authorization": f"Bearer {expired}"})
    assert response.status_code == 401 and "expired" in response.json()["error"]["message"]


def test_graph_refuses_foreign_tenant_token(anonymous, emulator_clean):
    foreign = emulator_clean.mint_token(tenant="contoso.onmicrosoft.com")
    response = anonymous.get("/beta/trustFramework/keySets", headers={"Authorization": f"Bearer {foreign}"})
    assert response.status_code == 401 and graph_error_code(response) == "InvalidAuthenticationToken"


def test_graph_refuses_token_with_bad_signature(anonymous, emulator_clean):
    claims = jwt.decode(emulator_clean.mint_token(), options={"verify_signature": False})
    forged = jwt.encode(claims, rsa_key(), algorithm="RS256")
    response = anonymous.get("/beta/trustFramework/keySets", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401


def test_read_only_client_can_read_but_not_write(anonymous, emulator_clean):
    access_token = token_request(
        anonymous,
        emulator_clean,
        client_id=emulator_clean.read_only_client_id,
        client_secret=emulator_clean.read_only_client_secret,
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {access_token}"}
    assert anonymous.get("/beta/trustFramework/keySets", headers=headers).status_code == 200
    response = anonymous.post("/beta/trustFramework/keySets", json={"id": "x"}, headers=headers)
    assert response.status_code == 403 and graph_error_code(response) == "Authorization_RequestDenied"


# -- workload identity federation ------------------------------------------------------------------
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def federated_request(client, emu, assertion):
    return token_request(client, emu, client_secret=None, client_assertion=assertion, client_assertion_type=JWT_BEARER)


def test_federated_token_of_the_trusted_issuer_and_subject_gets_a_token(anonymous, emulator_clean):
    response = federated_request(anonymous, emulator_clean, emulator_clean.mint_federated_token())
    assert response.status_code == 200
    claims = jwt.decode(response.json()["access_token"], options={"verify_signature": False})
    assert claims["appid"] == emulator_clean.client_id and claims["roles"] == READ_WRITE_ROLES


def test_msal_with_federated_client_assertion(emulator_clean):
    result = _msal_app(
        emulator_clean, {"client_assertion": emulator_clean.mint_federated_token}
    ).acquire_token_for_client(GRAPH_SCOPE)
    assert "access_token" in result, result


@pytest.mark.parametrize(
    "mint, status, code, error, names",
    [
        (
            dict(issuer="https://token.actions.githubusercontent.com"),
            401,
            700211,
            "invalid_client",
            "issuer 'https://token.actions.githubusercontent.com'",
        ),
        (
            dict(subject="repo:someone/else:ref:refs/heads/main"),
            401,
            700213,
            "invalid_client",
            "subject 'repo:someone/else:ref:refs/heads/main'",
        ),
        (
            dict(audience="api://SomethingElse"),
            400,
            70021,
            "invalid_request",
            "Assertion Audience: 'api://SomethingElse'",
        ),
        (dict(lifetime=-60), 401, 700024, "invalid_client", "not within its valid time range"),
    ],
)
def test_federated_token_without_a_matching_record_is_refused(
    anonymous, emulator_clean, mint, status, code, error, names
):
    response = federated_request(anonymous, emulator_clean, emulator_clean.mint_federated_token(**mint))
    assert_aadsts(response, status, code, error)
    assert names in response.json()["error_description"]


def test_federated_token_signed_by_another_key_is_refused(anonymous, emulator_clean):
    claims = jwt.decode(emulator_clean.mint_federated_token(), options={"verify_signature": False})
    forged = jwt.encode(claims, rsa_key(3), algorithm="RS256")
    assert_aadsts(federated_request(anonymous, emulator_clean, forged), 401, 700027, "invalid_client")
