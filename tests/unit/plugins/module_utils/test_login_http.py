"""login_http.py: the HTTP adapter msal logs in through (bytes, None values, transport errors, retries)."""

from __future__ import annotations

import httpx
import pytest

from ansible_collections.b2c.trustframework.plugins.module_utils.errors import AuthError
from ansible_collections.b2c.trustframework.plugins.module_utils.hints import hint_for
from ansible_collections.b2c.trustframework.plugins.module_utils.login_http import MsalHttpClient


def test_msal_adapter_decodes_bytes_and_drops_none():
    seen = {}

    def handler(request):
        seen["body"] = request.content.decode()
        seen["headers"] = dict(request.headers)
        seen["url"] = str(request.url)
        return httpx.Response(400, json={"error": "invalid_client"}, headers={"X-Test": "1"})

    adapter = MsalHttpClient(httpx.Client(transport=httpx.MockTransport(handler)))
    response = adapter.post(
        "https://login.example.test/t/oauth2/v2.0/token",
        params={"p": None, "q": "1"},
        data={"client_assertion": b"eyJhbGc.abc.def", "client_secret": None, "grant_type": "client_credentials"},
        headers={"x-client-sku": "x", "x-none": None, "x-bytes": b"v"},
    )
    assert "client_assertion=eyJhbGc.abc.def" in seen["body"]
    assert "b%27" not in seen["body"] and "client_secret" not in seen["body"]
    assert "x-none" not in seen["headers"] and seen["headers"]["x-bytes"] == "v"
    assert seen["url"].endswith("token?q=1")
    assert response.status_code == 400 and response.headers["X-Test"] == "1"
    with pytest.raises(AuthError):
        response.raise_for_status()


def test_msal_adapter_transport_error_is_auth_error_msal_understands():
    requests_exceptions = pytest.importorskip("requests.exceptions")

    def handler(request):
        raise httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed", request=request)

    adapter = MsalHttpClient(httpx.Client(transport=httpx.MockTransport(handler)))
    with pytest.raises(AuthError) as err:
        adapter.post("https://login.example.test/t/oauth2/v2.0/token?x=secret", data={"client_secret": "S3CRET"})
    assert isinstance(err.value, requests_exceptions.RequestException)
    assert err.value.transport == "tls"
    assert "S3CRET" not in str(err.value) and "x=secret" not in str(err.value)
    assert "ca_path" in hint_for(err.value)


def _scripted_adapter(answers, max_retries=5):
    """MsalHttpClient over a transport that plays ``answers`` (responses or exceptions) in order."""
    waits, calls = [], []

    def handler(request):
        calls.append(request.method)
        answer = answers[len(calls) - 1]
        if isinstance(answer, Exception):
            raise answer
        return answer

    client = httpx.Client(transport=httpx.MockTransport(handler))
    return MsalHttpClient(client, max_retries=max_retries, sleep=waits.append), waits, calls


def test_msal_adapter_retries_a_throttled_or_unavailable_login_endpoint():
    adapter, waits, calls = _scripted_adapter(
        [
            httpx.Response(429, headers={"Retry-After": "2"}),
            httpx.ConnectError("connection refused"),
            httpx.Response(503),
            httpx.Response(200, json={"access_token": "t"}),
        ]
    )
    response = adapter.post("https://login.example.test/t/oauth2/v2.0/token", data={"grant_type": "client_credentials"})
    assert response.status_code == 200 and len(calls) == 4
    assert waits[0] == 2.0 and all(0 < wait <= 30 for wait in waits) and len(waits) == 3


def test_msal_adapter_gives_msal_the_last_answer_after_max_retries():
    adapter, waits, calls = _scripted_adapter([httpx.Response(503)] * 3, max_retries=2)
    assert adapter.get("https://login.example.test/t/v2.0/.well-known/openid-configuration").status_code == 503
    assert len(calls) == 3 and len(waits) == 2


def test_msal_adapter_does_not_retry_an_answer_that_is_final():
    adapter, waits, calls = _scripted_adapter([httpx.Response(401, json={"error": "invalid_client"})])
    assert adapter.post("https://login.example.test/t/oauth2/v2.0/token").status_code == 401
    assert len(calls) == 1 and waits == []


def test_msal_adapter_waits_within_what_is_left_of_the_budget_and_says_how_long_it_was_asked():
    """Same loop as Graph: 100 s + 100 s waited, the third Retry-After (120 s) no longer fits in the 300 s."""
    adapter, waits, calls = _scripted_adapter(
        [httpx.Response(429, headers={"Retry-After": "100"})] * 2
        + [httpx.Response(429, headers={"Retry-After": "120"})] * 2
    )
    response = adapter.post("https://login.example.test/t/oauth2/v2.0/token")
    assert response.status_code == 429 and len(calls) == 3 and waits == [100.0, 100.0]
    assert "asked to wait 120 s" in adapter.advice and "100 s were left" in adapter.advice


def test_msal_adapter_gives_no_advice_when_it_did_not_stop_early():
    adapter, _waits, _calls = _scripted_adapter([httpx.Response(503)] * 3, max_retries=2)
    adapter.get("https://login.example.test/t/v2.0/.well-known/openid-configuration")
    assert adapter.advice is None
