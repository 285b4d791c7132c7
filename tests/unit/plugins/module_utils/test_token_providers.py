"""token_providers.py: tokens from msal (secret, certificate, workload identity, managed identity) or a supplied access token."""

from __future__ import annotations

import base64
import json
from urllib.parse import parse_qs

import httpx
import pytest
from cryptography.hazmat.primitives import hashes, serialization

from ansible_collections.b2c.trustframework.plugins.module_utils.errors import AuthError, KeyMaterialError
from ansible_collections.b2c.trustframework.plugins.module_utils.hints import hint_for
from ansible_collections.b2c.trustframework.plugins.module_utils.token_providers import StaticTokenProvider
from tests.support.certs import pfx, self_signed
from tests.unit.plugins.module_utils.mock_login import SECRET, SECRET_PARAMS, Login, secret_params, token_provider

CERT_PASSWORD = "cert-pass-123"


def test_client_secret_flow(tmp_path):
    login = Login()
    provider = token_provider(login, secret_params(tmp_path))
    assert provider.get_token() == "at-1"
    assert provider.get_token() == "at-1"  # in-process memo
    assert [r[0] for r in login.requests] == ["GET", "POST"]
    assert "scope=https%3A%2F%2Fgraph.example.test%2F.default" in login.posts[0][2]


def test_no_public_host_contacted_with_custom_authority(tmp_path):
    login = Login()
    token_provider(login, secret_params(tmp_path)).get_token()
    # All requests went to the mock login host (MockTransport would have answered 404 for others).
    assert all(request[1].startswith("/t.onmicrosoft.com/") for request in login.requests)


def test_invalidate_gets_a_fresh_token_and_persists_it(tmp_path):
    login = Login()
    params = secret_params(tmp_path)
    provider = token_provider(login, params)
    assert provider.get_token() == "at-1"
    provider.invalidate()
    assert provider.get_token() == "at-2"
    assert len(login.posts) == 2
    login2 = Login()
    assert token_provider(login2, params).get_token() == "at-2"
    assert login2.requests == []


def test_invalidate_skips_fast_path(tmp_path):
    params = secret_params(tmp_path)
    token_provider(Login(), params).get_token()
    login = Login()
    login.issued = 1
    provider = token_provider(login, params)
    assert provider.get_token() == "at-1" and login.requests == []
    provider.invalidate()
    assert provider.get_token() == "at-2" and len(login.posts) == 1


def test_short_lived_cached_token_goes_back_to_msal(tmp_path):
    class ShortLogin(Login):
        def __call__(self, request):
            response = super().__call__(request)
            if request.url.path.endswith("/token"):
                return httpx.Response(
                    200, json={"access_token": "short-%d" % self.issued, "token_type": "Bearer", "expires_in": 120}
                )
            return response

    params = secret_params(tmp_path)
    assert token_provider(ShortLogin(), params).get_token() == "short-1"
    again = ShortLogin()
    again.issued = 5
    assert token_provider(again, params).get_token() == "short-6"
    assert len(again.posts) == 1


def test_wrong_secret_gives_auth_error_with_code_and_hint(tmp_path):
    login = Login(
        error={
            "error": "invalid_client",
            "error_codes": [7000215],
            "correlation_id": "corr-1",
            "error_description": "AADSTS7000215: Invalid client secret provided.\r\nTrace ID: abc\r\nTimestamp: x",
        }
    )
    provider = token_provider(login, secret_params(tmp_path, token_cache_path=""))
    with pytest.raises(AuthError) as err:
        provider.get_token()
    e = err.value
    assert e.code == "AADSTS7000215"
    assert "Invalid client secret provided." in str(e) and "Trace ID" not in str(e) and "corr-1" in str(e)
    assert "client_secret (or AZURE_CLIENT_SECRET)" in hint_for(e)
    assert SECRET not in str(e) + repr(e) + repr(provider)


def test_unknown_tenant_gives_auth_error(tmp_path):
    provider = token_provider(Login(), secret_params(tmp_path, tenant_id="nope", token_cache_path=""))
    with pytest.raises(AuthError) as err:
        provider.get_token()
    assert err.value.code == "AADSTS90002"
    assert "Tenant 'x' not found" in str(err.value)
    assert "tenant_id" in hint_for(err.value)


def test_a_login_wait_longer_than_the_task_waits_fails_saying_how_long(tmp_path):
    """Retry-After beyond what one wait may last: no retry, and the same advice as a Graph call gives."""
    login = Login()

    def throttled(request):
        if request.url.path.endswith("/oauth2/v2.0/token"):
            login.requests.append((request.method, request.url.path, ""))
            return httpx.Response(
                429,
                headers={"Retry-After": "600"},
                json={"error": "temporarily_unavailable", "error_description": "AADSTS90033: busy"},
            )
        return login(request)

    throttled.host = login.host
    provider = token_provider(throttled, secret_params(tmp_path, token_cache_path=""))
    with pytest.raises(AuthError) as err:
        provider.get_token()
    assert len(login.posts) == 1
    assert "busy" in str(err.value) and "asked to wait 600 s" in hint_for(err.value)


def test_login_transport_error_is_auth_error(tmp_path):
    def handler(request):
        raise httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed", request=request)

    provider = token_provider(
        handler, secret_params(tmp_path, token_cache_path=""), authority_host="https://login.example.test"
    )
    with pytest.raises(AuthError) as err:
        provider.get_token()
    assert err.value.transport == "tls" and "ca_path" in hint_for(err.value)


def _assertion_header(body):
    assertion = parse_qs(body)["client_assertion"][0]
    return json.loads(base64.urlsafe_b64decode(assertion.split(".")[0] + "=="))


@pytest.mark.parametrize("form", ["pem", "pkcs12"])
def test_certificate_flow_signs_ps256_with_the_sha256_thumbprint(tmp_path, form):
    """msal signs the assertion itself, from the PEM key and certificate or from the bundle: never a SHA-1 x5t."""
    key, cert = self_signed(days_valid=30)
    path = tmp_path / "client"
    if form == "pem":
        path.write_bytes(
            cert.public_bytes(serialization.Encoding.PEM)
            + key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.BestAvailableEncryption(CERT_PASSWORD.encode()),
            )
        )
    else:
        path.write_bytes(pfx(key, cert, CERT_PASSWORD))
    login = Login()
    params = dict(
        SECRET_PARAMS,
        client_secret=None,
        client_certificate_path=str(path),
        client_certificate_password=CERT_PASSWORD,
        token_cache_path="",
    )
    assert token_provider(login, params).get_token() == "at-1"
    body = login.posts[0][2]
    assert "client_assertion=eyJ" in body and "b%27" not in body
    assert "client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer" in body
    header = _assertion_header(body)
    sha256 = base64.urlsafe_b64encode(cert.fingerprint(hashes.SHA256())).rstrip(b"=").decode()
    assert header["alg"] == "PS256" and header["x5t#S256"].rstrip("=") == sha256 and "x5t" not in header


def test_managed_identity_flow(tmp_path, monkeypatch):
    for var in (
        "IDENTITY_ENDPOINT",
        "IDENTITY_HEADER",
        "MSI_ENDPOINT",
        "MSI_SECRET",
        "IMDS_ENDPOINT",
        "IDENTITY_SERVER_THUMBPRINT",
        "AZURE_POD_IDENTITY_AUTHORITY_HOST",
    ):
        monkeypatch.delenv(var, raising=False)
    params = dict(
        managed_identity=True, managed_identity_client_id="uami-1", token_cache_path=str(tmp_path / "mi.json")
    )
    login = Login()
    assert token_provider(login, params, graph="https://graph.microsoft.com").get_token() == "mi-1"
    method, path = login.requests[0][:2]
    assert method == "GET" and path == "/metadata/identity/oauth2/token"
    login2 = Login()
    assert token_provider(login2, params, graph="https://graph.microsoft.com").get_token() == "mi-1"
    assert login2.requests == []


def test_static_token_provider():
    provider = StaticTokenProvider("abc.def")
    assert provider.get_token() == "abc.def"
    provider.invalidate()
    with pytest.raises(AuthError) as err:
        provider.get_token()
    assert err.value.status == 401 and "expired" in str(err.value)
    assert "B2C_ACCESS_TOKEN" in hint_for(err.value)
    assert "abc.def" not in repr(provider) + str(err.value)


def test_access_token_provider_makes_no_request():
    login = Login()
    provider = token_provider(login, dict(access_token="Bearer tok-xyz", token_cache_path=""))
    assert provider.get_token() == "tok-xyz" and login.requests == []


# ----------------------------------------------------------------------------- workload identity
FEDERATED_A = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2lnLWE"
FEDERATED_B = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJiIn0.c2lnLWI"


def _workload_params(tmp_path, token, **extra):
    token_file = tmp_path / "federated-token"
    token_file.write_text(token + "\n")
    params = dict(
        tenant_id="t.onmicrosoft.com",
        client_id="cid",
        federated_token_file=str(token_file),
        token_cache_path=str(tmp_path / "cache" / "tokens.json"),
        timeout=5.0,
    )
    params.update(extra)
    return params, token_file


def test_workload_identity_sends_the_file_as_client_assertion(tmp_path):
    login = Login()
    params, _token_file = _workload_params(tmp_path, FEDERATED_A)
    assert token_provider(login, params).get_token() == "at-1"
    body = login.posts[0][2]
    assert "client_assertion=" + FEDERATED_A in body
    assert "client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer" in body
    assert "client_secret" not in body


def test_workload_identity_rereads_the_file_on_each_token_request(tmp_path):
    login = Login()
    params, token_file = _workload_params(tmp_path, FEDERATED_A, token_cache_path="")
    provider = token_provider(login, params)
    provider.get_token()
    token_file.write_text(FEDERATED_B)  # the platform renewed it
    provider.invalidate()
    assert provider.get_token() == "at-2"
    assert "client_assertion=" + FEDERATED_B in login.posts[1][2]


def test_workload_identity_cache_entry_survives_a_new_federated_token(tmp_path):
    """The entry is keyed by authority, client and scope: a renewed assertion reuses it, another client does not."""
    params, token_file = _workload_params(tmp_path, FEDERATED_A)
    token_provider(Login(), params).get_token()
    token_file.write_text(FEDERATED_B)
    login = Login()
    assert token_provider(login, params).get_token() == "at-1" and login.requests == []
    other_client = Login()
    assert token_provider(other_client, dict(params, client_id="other")).get_token() == "at-1"
    assert len(other_client.posts) == 1


def test_workload_identity_and_secret_of_one_client_do_not_share_an_entry(tmp_path):
    params, _token_file = _workload_params(tmp_path, FEDERATED_A)
    token_provider(Login(), params).get_token()
    login = Login()
    token_provider(login, dict(params, federated_token_file=None, client_secret=SECRET)).get_token()
    assert len(login.posts) == 1


def test_workload_identity_token_file_gone_before_a_request_names_the_option(tmp_path):
    params, token_file = _workload_params(tmp_path, FEDERATED_A, token_cache_path="")
    provider = token_provider(Login(), params)
    token_file.unlink()
    with pytest.raises(KeyMaterialError) as err:
        provider.get_token()
    assert "federated_token_file (or AZURE_FEDERATED_TOKEN_FILE)" in str(err.value)


def test_the_login_services_link_survives_a_long_error_description(tmp_path):
    url = "https://learn.microsoft.com/entra/workload-id/workload-identity-federation"
    description = (
        "AADSTS700213: No matching federated identity record found for presented assertion subject '%s'. "
        "Please check your federated identity credential Subject, Audience and Issuer against the presented "
        "assertion. %s Trace ID: abc" % ("repo:org/" + "r" * 120, url)
    )
    login = Login(error={"error": "invalid_client", "error_codes": [700213], "error_description": description})
    with pytest.raises(AuthError) as err:
        token_provider(login, secret_params(tmp_path, token_cache_path="")).get_token()
    assert url in str(err.value)
