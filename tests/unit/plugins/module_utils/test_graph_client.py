"""GraphClient: retries, backoff, POST safety, paging, error parsing, 401 refresh, TLS."""

from __future__ import annotations

import email.utils
import http.server
import json
import ssl
import threading
import time
import types

import httpx
import pytest

from ansible_collections.b2c.trustframework.plugins.module_utils import retry
from ansible_collections.b2c.trustframework.plugins.module_utils.errors import AuthError, GraphError
from ansible_collections.b2c.trustframework.plugins.module_utils.graph_client import (
    GraphClient,
    quote_segment,
)
from ansible_collections.b2c.trustframework.plugins.module_utils.hints import hint_for
from ansible_collections.b2c.trustframework.plugins.module_utils.login_http import MsalHttpClient
from ansible_collections.b2c.trustframework.plugins.module_utils.transport import build_http_client
from ansible_collections.b2c.trustframework.plugins.module_utils.version import COLLECTION_VERSION

ROOT = "https://graph.example.test"
KEYSETS = "/trustFramework/keySets"
SECRET_TOKEN = "eyJTOPSECRET.token.value"


class FakeTokens:
    def __init__(self):
        self.calls = 0
        self.invalidations = 0

    def get_token(self):
        self.calls += 1
        return "%s-%d" % (SECRET_TOKEN, self.invalidations)

    def invalidate(self):
        self.invalidations += 1


class Script:
    """MockTransport handler replaying a list of responses / exceptions and recording requests."""

    def __init__(self, *steps):
        self.steps = list(steps)
        self.requests = []

    def __call__(self, request):
        self.requests.append(request)
        step = self.steps.pop(0) if len(self.steps) > 1 else self.steps[0]
        if callable(step) and not isinstance(step, httpx.Response):
            step = step(request)
        if isinstance(step, Exception):
            raise step
        return step


def make(script, **kwargs):
    sleeps = []
    tokens = FakeTokens()
    http = httpx.Client(transport=httpx.MockTransport(script))
    client = GraphClient(ROOT, tokens, http_client=http, sleep=sleeps.append, **kwargs)
    return client, sleeps, tokens


def ok(body=None, status=200, headers=None):
    if body is None:
        return httpx.Response(status, headers=headers)
    return httpx.Response(status, json=body, headers=headers)


def graph_error(status, code="generalException", message="boom", headers=None, inner=None):
    error = {"code": code, "message": message}
    error["innerError"] = (
        inner
        if inner is not None
        else {"request-id": "req-1", "client-request-id": "cr-1", "date": "2024-01-01T00:00:00"}
    )
    return httpx.Response(status, json={"error": error}, headers=headers)


# ----------------------------------------------------------------------------- basics
def test_base_url_and_headers():
    script = Script(ok({"id": "B2C_1A_x"}))
    client, sleeps, tokens = make(script)
    assert client.base_url == ROOT + "/beta"
    assert client.request("POST", KEYSETS, json={"id": "x"}) == {"id": "B2C_1A_x"}
    req = script.requests[0]
    assert str(req.url) == ROOT + "/beta/trustFramework/keySets"
    assert req.headers["Authorization"] == "Bearer %s-0" % SECRET_TOKEN
    assert req.headers["User-Agent"] == "b2c.trustframework/%s" % COLLECTION_VERSION
    assert req.headers["Content-Type"] == "application/json"
    assert json.loads(req.content) == {"id": "x"}
    assert sleeps == []


def test_fresh_client_request_id_each_attempt_and_no_content_type_without_body():
    script = Script(ok(status=503), ok({"value": []}))
    client, sleeps, _tokens = make(script)
    client.request("GET", KEYSETS)
    ids = [r.headers["client-request-id"] for r in script.requests]
    assert len(set(ids)) == 2 and all(len(i) == 36 for i in ids)
    assert "Content-Type" not in script.requests[0].headers
    assert len(sleeps) == 1


def test_204_and_empty_body_return_none():
    client = make(Script(ok(status=204)))[0]
    assert client.request("DELETE", KEYSETS + "/B2C_1A_x") is None
    client = make(Script(httpx.Response(200, content=b"")))[0]
    assert client.request("PATCH", KEYSETS + "/B2C_1A_x/keys_v2/k", json={"status": "disabled"}) is None


def test_params_are_sent():
    script = Script(ok({"value": []}))
    client = make(script)[0]
    client.request("GET", KEYSETS, params={"$top": 5})
    assert script.requests[0].url.params["$top"] == "5"


def test_quote_segment():
    assert quote_segment("B2C_1A_x") == "B2C_1A_x"
    assert quote_segment("a/b c?d#e'") == "a%2Fb%20c%3Fd%23e%27"


def test_refuses_foreign_host():
    script = Script(ok({"value": []}))
    client = make(script)[0]
    with pytest.raises(GraphError) as err:
        client.request("GET", "https://evil.example.net/beta/x")
    assert "refusing" in str(err.value)
    assert script.requests == []


# ----------------------------------------------------------------------------- retries
def test_retry_after_seconds_is_honoured():
    script = Script(graph_error(429, "TooManyRequests", headers={"Retry-After": "7"}), ok({"value": []}))
    client, sleeps, _tokens = make(script)
    client.request("GET", KEYSETS)
    assert sleeps == [7.0]


def test_retry_after_http_date_is_honoured(monkeypatch):
    now = 1767225600  # the retry loop's clock, stopped: the wait is exact whatever the machine's speed
    monkeypatch.setattr(retry, "time", types.SimpleNamespace(time=lambda: now))
    when = email.utils.formatdate(now + 12, usegmt=True)
    script = Script(ok(status=503, headers={"Retry-After": when}), ok({"value": []}))
    client, sleeps, _tokens = make(script)
    client.request("GET", KEYSETS)
    assert sleeps == [12.0]


def test_retry_after_in_the_past_means_no_wait():
    when = email.utils.formatdate(time.time() - 100, usegmt=True)
    script = Script(ok(status=503, headers={"Retry-After": when}), ok({"value": []}))
    client, sleeps, _tokens = make(script)
    client.request("GET", KEYSETS)
    assert sleeps == [0.0]


def test_retry_after_beyond_the_budget_fails_at_once_saying_how_long():
    """Waiting less than asked only earns another refusal: fail now, say how long the service asked and why."""
    script = Script(ok(status=429, headers={"Retry-After": "3600"}), ok({"value": []}))
    client, sleeps, _tokens = make(script)
    with pytest.raises(GraphError) as err:
        client.request("GET", KEYSETS)
    assert sleeps == []
    advice = hint_for(err.value)
    assert "asked to wait 3600 s" in advice and "at most 120 s at a time and 300 s in all" in advice
    assert "raise max_retries" not in advice


def test_retry_after_beyond_what_is_left_of_the_budget_fails_at_once():
    script = Script(ok(status=503, headers={"Retry-After": "100"}), ok(status=503, headers={"Retry-After": "100"}))
    client, sleeps, _tokens = make(script, max_total_wait=150)
    with pytest.raises(GraphError) as err:
        client.request("GET", KEYSETS)
    assert sleeps == [100.0]
    assert "50 s were left" in hint_for(err.value)


def test_backoff_exponential_with_jitter_and_cap():
    script = Script(ok(status=502))
    client, sleeps, _tokens = make(script, max_retries=8, max_total_wait=10000)
    with pytest.raises(GraphError):
        client.request("GET", KEYSETS)
    assert len(sleeps) == 8
    for attempt, wait in enumerate(sleeps):
        ceiling = min(retry.BACKOFF_CAP, retry.BACKOFF_BASE * 2**attempt)
        assert ceiling / 2 <= wait <= ceiling
    assert max(sleeps) <= retry.BACKOFF_CAP


def test_total_wait_is_capped():
    script = Script(ok(status=503, headers={"Retry-After": "100"}))
    client, sleeps, _tokens = make(script, max_retries=50, max_total_wait=250)
    with pytest.raises(GraphError) as err:
        client.request("GET", KEYSETS)
    assert sum(sleeps) <= 250
    assert sleeps == [100.0, 100.0]
    assert err.value.status == 503 and err.value.retries == 2


def test_max_retries_exhausted_gives_clear_error():
    script = Script(graph_error(429, "TooManyRequests", "Too many requests", headers={"Retry-After": "1"}))
    client, sleeps, _tokens = make(script, max_retries=3)
    with pytest.raises(GraphError) as err:
        client.request("GET", KEYSETS)
    e = err.value
    assert len(script.requests) == 4 and sleeps == [1.0, 1.0, 1.0]
    assert e.status == 429 and e.code == "TooManyRequests" and e.retries == 3
    assert "after 3 retries" in str(e)
    assert "lower the parallelism" in hint_for(e) and "max_retries" in hint_for(e)


def test_max_retries_zero_means_one_attempt():
    script = Script(ok(status=503), ok({}))
    client, sleeps, _tokens = make(script, max_retries=0)
    with pytest.raises(GraphError):
        client.request("GET", KEYSETS)
    assert len(script.requests) == 1 and sleeps == []


@pytest.mark.parametrize("status", [400, 403, 404, 409, 500])
def test_non_retryable_statuses(status):
    script = Script(graph_error(status), ok({}))
    client, sleeps, _tokens = make(script)
    with pytest.raises(GraphError) as err:
        client.request("GET", KEYSETS)
    assert err.value.status == status and len(script.requests) == 1 and sleeps == []


@pytest.mark.parametrize(
    "exc_type",
    [httpx.ReadTimeout, httpx.RemoteProtocolError, httpx.ConnectError, httpx.ReadError, httpx.ConnectTimeout],
)
@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH"])
def test_idempotent_methods_retry_transport_errors(method, exc_type):
    script = Script(exc_type("nope"), ok({"ok": True}))
    client, sleeps, _tokens = make(script)
    assert client.request(method, KEYSETS + "/B2C_1A_x", json={} if method in ("PUT", "PATCH") else None) == {
        "ok": True
    }
    assert len(script.requests) == 2 and len(sleeps) == 1


def test_get_transport_error_exhausted():
    script = Script(httpx.ReadTimeout("timed out"))
    client = make(script, max_retries=2)[0]
    with pytest.raises(GraphError) as err:
        client.request("GET", KEYSETS)
    e = err.value
    assert e.status is None and e.transport == "timeout" and not e.may_have_been_applied
    assert len(script.requests) == 3
    assert "timeout" in hint_for(e)


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ReadTimeout("timed out"),
        httpx.WriteTimeout("timed out"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        httpx.ReadError("connection reset"),
        ok(status=503),
        ok(status=502),
        ok(status=504),
        graph_error(500),
    ],
)
def test_post_is_not_retried_when_it_may_have_been_applied(failure):
    script = Script(failure, ok({"kid": "k1"}))
    client, sleeps, _tokens = make(script)
    with pytest.raises(GraphError) as err:
        client.request("POST", KEYSETS + "/B2C_1A_x/generateKey", json={"use": "sig", "kty": "RSA"})
    assert err.value.may_have_been_applied is True
    assert "re-read" in str(err.value)
    assert len(script.requests) == 1 and sleeps == []


def test_post_4xx_was_not_applied():
    script = Script(graph_error(400, "AADB2C95032"))
    client = make(script)[0]
    with pytest.raises(GraphError) as err:
        client.request("POST", KEYSETS + "/B2C_1A_x/generateKey", json={})
    assert err.value.may_have_been_applied is False
    assert "RSA" in hint_for(err.value)


def test_post_retried_after_429():
    script = Script(ok(status=429, headers={"Retry-After": "2"}), ok({"kid": "k1"}))
    client, sleeps, _tokens = make(script)
    assert client.request("POST", KEYSETS + "/B2C_1A_x/generateKey", json={}) == {"kid": "k1"}
    assert sleeps == [2.0] and len(script.requests) == 2


@pytest.mark.parametrize(
    "exc", [httpx.ConnectError("refused"), httpx.ConnectTimeout("slow"), httpx.PoolTimeout("pool")]
)
def test_post_retried_after_connect_error(exc):
    script = Script(exc, ok({"kid": "k1"}))
    client, sleeps, _tokens = make(script)
    assert client.request("POST", KEYSETS + "/B2C_1A_x/generateKey", json={}) == {"kid": "k1"}
    assert len(sleeps) == 1 and len(script.requests) == 2


def test_post_connect_error_exhausted_was_not_applied():
    script = Script(httpx.ConnectError("refused"))
    client = make(script, max_retries=1)[0]
    with pytest.raises(GraphError) as err:
        client.request("POST", KEYSETS, json={"id": "x"})
    assert err.value.may_have_been_applied is False and err.value.transport == "connect"
    assert "graph_endpoint" in hint_for(err.value)


# ----------------------------------------------------------------------------- 401
def test_401_invalidates_and_retries_once_with_fresh_token():
    script = Script(graph_error(401, "InvalidAuthenticationToken"), ok({"value": []}))
    client, sleeps, tokens = make(script)
    client.request("GET", KEYSETS)
    assert tokens.invalidations == 1
    assert script.requests[0].headers["Authorization"].endswith("-0")
    assert script.requests[1].headers["Authorization"].endswith("-1")
    assert sleeps == []


def test_401_twice_raises():
    script = Script(graph_error(401, "InvalidAuthenticationToken"))
    client, _sleeps, tokens = make(script)
    with pytest.raises(GraphError) as err:
        client.request("POST", KEYSETS, json={})
    assert err.value.status == 401 and tokens.invalidations == 1 and len(script.requests) == 2
    assert not err.value.may_have_been_applied
    assert "credentials" in hint_for(err.value)


def test_401_with_provider_that_cannot_refresh():
    class Static(FakeTokens):
        def get_token(self):
            if self.invalidations:
                raise AuthError("supplied token rejected", status=401)
            return "tok"

    script = Script(graph_error(401))
    http = httpx.Client(transport=httpx.MockTransport(script))
    client = GraphClient(ROOT, Static(), http_client=http, sleep=lambda s: None)
    with pytest.raises(AuthError):
        client.request("GET", KEYSETS)
    assert len(script.requests) == 1


# ----------------------------------------------------------------------------- paging
def test_get_all_follows_next_link_across_pages_including_empty_one():
    next1 = ROOT + "/beta/trustFramework/keySets?$skiptoken=abc%3D%3D&$top=2"
    next2 = ROOT + "/beta/trustFramework/keySets?$skiptoken=def"

    def handler(request):
        url = str(request.url)
        if url == ROOT + "/beta/trustFramework/keySets":
            return ok({"value": [{"id": "a"}, {"id": "b"}], "@odata.nextLink": next1})
        if "abc" in url:
            return ok({"value": [], "@odata.nextLink": next2})
        return ok({"value": [{"id": "c"}]})

    script = Script(handler)
    client = make(script)[0]
    assert [k["id"] for k in client.get_all(KEYSETS)] == ["a", "b", "c"]
    assert str(script.requests[1].url) == next1  # exactly as given
    assert all(r.headers["Authorization"].startswith("Bearer ") for r in script.requests)
    assert len(script.requests) == 3


def test_next_link_with_explicit_default_port_is_same_origin():
    link = "https://GRAPH.example.test:443/beta/trustFramework/keySets?$skiptoken=x"
    script = Script(ok({"value": [{"id": "a"}], "@odata.nextLink": link}), ok({"value": [{"id": "b"}]}))
    client = make(script)[0]
    assert [k["id"] for k in client.get_all(KEYSETS)] == ["a", "b"]


def test_get_all_detects_loops():
    link = ROOT + "/beta/trustFramework/keySets?$skiptoken=same"
    client = make(Script(ok({"value": [{"id": "a"}], "@odata.nextLink": link})))[0]
    with pytest.raises(GraphError) as err:
        client.get_all(KEYSETS)
    assert "paging" in str(err.value)


def test_get_all_does_not_follow_foreign_next_link():
    client = make(Script(ok({"value": [], "@odata.nextLink": "https://attacker.example/steal"})))[0]
    with pytest.raises(GraphError):
        client.get_all(KEYSETS)


# ----------------------------------------------------------------------------- error parsing
def test_error_parsing_nested_inner_error():
    body = {
        "error": {
            "code": "Request_BadRequest",
            "message": "Key set with id 'B2C_1A_x' already exists.",
            "innerError": {
                "code": "AADB2C95028",
                "date": "2024-05-01T10:00:00",
                "request-id": "rid-9",
                "client-request-id": "crid-9",
                "innerError": {"code": "KeySetAlreadyExists"},
            },
        }
    }
    client = make(Script(httpx.Response(400, json=body)))[0]
    with pytest.raises(GraphError) as err:
        client.request("POST", KEYSETS, json={"id": "x"})
    e = err.value
    assert e.code == "Request_BadRequest"
    assert e.inner_codes == ["AADB2C95028", "KeySetAlreadyExists"]
    assert (e.request_id, e.client_request_id, e.date) == ("rid-9", "crid-9", "2024-05-01T10:00:00")
    assert e.method == "POST" and e.path == "/beta/trustFramework/keySets"
    assert "already exists" in hint_for(e)
    text = str(e)
    assert "\n" not in text and "HTTP 400" in text and "rid-9" in text and "Key set with id" in text


def test_error_parsing_lowercase_innererror_and_header_fallback():
    body = {
        "error": {
            "code": "Authorization_RequestDenied",
            "message": "Insufficient privileges.",
            "innererror": {"code": "accessDenied"},
        }
    }
    response = httpx.Response(403, json=body, headers={"request-id": "hdr-rid", "client-request-id": "hdr-crid"})
    client = make(Script(response))[0]
    with pytest.raises(GraphError) as err:
        client.request("GET", KEYSETS)
    e = err.value
    assert e.inner_codes == ["accessDenied"]
    assert e.request_id == "hdr-rid" and e.client_request_id == "hdr-crid"
    assert "TrustFrameworkKeySet.ReadWrite.All" in hint_for(e)


def test_error_parsing_non_json_body_is_sanitized():
    html = "<html>\n<body>Bad Gateway from proxy Authorization: Bearer abc.def.ghi\n" + "x" * 2000 + "</body></html>"
    client = make(Script(httpx.Response(400, text=html, headers={"request-id": "r1"})))[0]
    with pytest.raises(GraphError) as err:
        client.request("GET", KEYSETS + "/B2C_1A_x?secret=1")
    text = str(err.value)
    assert "HTTP 400" in text and "Bad Request" in text and "r1" in text
    assert "\n" not in text and len(text) < 500
    assert "abc.def.ghi" not in text
    assert err.value.path == "/beta/trustFramework/keySets/B2C_1A_x"  # no query
    assert err.value.code is None


def test_success_with_non_json_body():
    client = make(Script(httpx.Response(200, text="not json")))[0]
    with pytest.raises(GraphError) as err:
        client.request("GET", KEYSETS)
    assert "not JSON" in str(err.value)


def test_no_secret_in_error_text_or_repr():
    for step in (graph_error(403), httpx.ReadTimeout("t"), httpx.Response(500, text="oops")):
        script = Script(step)
        client = make(script, max_retries=0)[0]
        with pytest.raises(GraphError) as err:
            client.request("POST", KEYSETS, json={"k": "BODYSECRET"})
        for text in (str(err.value), repr(err.value), str(err.value.args)):
            assert SECRET_TOKEN not in text and "BODYSECRET" not in text and "Bearer" not in text


# ----------------------------------------------------------------------------- TLS
@pytest.fixture(scope="module")
def tls_server(tmp_path_factory):
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(ctx)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            body = json.dumps({"value": [{"id": "B2C_1A_tls"}]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    ca_path = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_path))
    yield "https://127.0.0.1:%d" % server.server_address[1], str(ca_path)
    server.shutdown()


def test_tls_verify_failure_names_ca_path(tls_server, monkeypatch):
    url, ca_path = tls_server
    # Environment variables of requests/curl must not matter.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", ca_path)
    monkeypatch.setenv("CURL_CA_BUNDLE", ca_path)
    client = GraphClient(url, FakeTokens(), verify=True, sleep=lambda s: None)
    with pytest.raises(GraphError) as err:
        client.request("GET", KEYSETS)
    client.close()
    e = err.value
    assert e.status is None and e.transport == "tls"
    assert "TLS certificate verification failed" in str(e)
    assert "ca_path" in hint_for(e) and "validate_certs" in hint_for(e)


def test_tls_with_ca_path_and_with_verify_false(tls_server):
    url, ca_path = tls_server
    with GraphClient(url, FakeTokens(), verify=ca_path) as client:
        assert client.get_all(KEYSETS) == [{"id": "B2C_1A_tls"}]
    with GraphClient(url, FakeTokens(), verify=False) as client:
        assert client.get_all(KEYSETS) == [{"id": "B2C_1A_tls"}]


def test_build_http_client_shared_by_msal_adapter(tls_server):
    url, ca_path = tls_server
    http = build_http_client(ca_path, 5.0)
    adapter = MsalHttpClient(http)
    response = adapter.get(url + "/x", params={"a": None, "b": b"1"}, headers={"X-None": None})
    assert response.status_code == 200 and json.loads(response.text)["value"]
    assert "content-type" in {k.lower() for k in response.headers}
    response.raise_for_status()
    http.close()


# ----------------------------------------------- B2C error codes (tests/emulator/README.md, Real-service behaviour)
@pytest.mark.parametrize("status", [400, 429])
@pytest.mark.parametrize("code", ["AADB2C95043", "AADB2C90244", "AADB2C90229"])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_b2c_throttling_codes_are_retried_like_429(method, code, status):
    script = Script(graph_error(status, code, "Too many requests", headers={"Retry-After": "3"}), ok({"kid": "k1"}))
    client, sleeps, _tokens = make(script)
    assert client.request(method, KEYSETS + "/B2C_1A_x/generateKey", json={} if method == "POST" else None) == {
        "kid": "k1"
    }
    assert sleeps == [3.0] and len(script.requests) == 2


def test_b2c_throttling_exhausted_says_it_was_throttled():
    client = make(Script(graph_error(400, "AADB2C95043", "Too many requests")), max_retries=1)[0]
    with pytest.raises(GraphError) as err:
        client.request("GET", KEYSETS)
    assert err.value.may_have_been_applied is False
    assert "kept throttling" in hint_for(err.value)


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE", "GET"])
def test_concurrent_write_refusal_is_retried_for_idempotent_methods(method):
    script = Script(graph_error(400, "AADB2C95053", "Multiple concurrent writes"), ok({"id": "B2C_1A_x"}))
    client, sleeps, _tokens = make(script)
    assert client.request(method, KEYSETS + "/B2C_1A_x", json={"keys": []} if method == "PUT" else None) == {
        "id": "B2C_1A_x"
    }
    assert len(sleeps) == 1


@pytest.mark.parametrize(
    "failure",
    [graph_error(400, "AADB2C95053", "Multiple concurrent writes"), graph_error(500, "AADB2C90063", "Internal error")],
)
def test_post_refused_for_concurrent_writes_or_internal_error_is_ambiguous(failure):
    script = Script(failure, ok({"kid": "k1"}))
    client, sleeps, _tokens = make(script)
    with pytest.raises(GraphError) as err:
        client.request("POST", KEYSETS + "/B2C_1A_x/uploadSecret", json={"use": "sig", "k": "x"})
    assert err.value.may_have_been_applied is True and "re-read" in str(err.value)
    assert len(script.requests) == 1 and sleeps == []
    assert "re-reads the keyset" in hint_for(err.value) or "run again" in hint_for(err.value)


def test_correlation_id_from_b2c_inner_error_is_in_the_message():
    inner = {"request-id": "rid-7", "date": "2026-01-01T00:00:00", "correlationId": "corr-42"}
    client = make(
        Script(graph_error(400, "AADB2C90073", "KeyContainer with 'id': 'B2C_1A_x' cannot be found", inner=inner))
    )[0]
    with pytest.raises(GraphError) as err:
        client.request("GET", KEYSETS + "/B2C_1A_x")
    assert err.value.correlation_id == "corr-42"
    assert "request-id rid-7, correlationId corr-42" in str(err.value)
    assert "B2C_1A_ prefix" in hint_for(err.value)


@pytest.mark.parametrize(
    "code, words", [("AADB2C90213", "AES"), ("AADB2C95042", "sig keys or only enc"), ("AADB2C95052", "create it first")]
)
def test_b2c_codes_have_hints(code, words):
    client = make(Script(graph_error(400, code)))[0]
    with pytest.raises(GraphError) as err:
        client.request("GET", KEYSETS)
    assert words in hint_for(err.value)


# ----------------------------------------------------------------------------- non-JSON bodies (policy XML)
POLICY_VALUE = "/trustFramework/policies/B2C_1A_Base/$value"
XML_TYPE = "application/xml; charset=utf-8"


def test_bytes_body_is_sent_as_given_with_its_content_type():
    body = '<?xml version="1.0" encoding="utf-8"?><TrustFrameworkPolicy>Été</TrustFrameworkPolicy>'.encode("utf-8")
    script = Script(ok(status=201))
    client = make(script)[0]
    assert client.request("PUT", POLICY_VALUE, content=body, content_type=XML_TYPE, accept="application/xml") is None
    sent = script.requests[0]
    assert sent.content == body
    assert sent.headers["Content-Type"] == XML_TYPE
    assert sent.headers["Accept"] == "application/xml"
    assert str(sent.url) == ROOT + "/beta" + POLICY_VALUE  # $value is not percent-encoded


def test_text_answer_is_decoded_with_its_charset_or_utf8():
    xml = "<TrustFrameworkPolicy>Ünïcødé ✓</TrustFrameworkPolicy>"
    answers = (
        httpx.Response(200, content=xml.encode("utf-8"), headers={"Content-Type": "application/xml"}),
        httpx.Response(200, content=xml.encode("utf-16"), headers={"Content-Type": "application/xml; charset=utf-16"}),
        httpx.Response(200, content=xml.encode("utf-8"), headers={"Content-Type": "application/xml; charset=nonesuch"}),
    )
    for answer in answers:
        client = make(Script(answer))[0]
        assert client.request("GET", POLICY_VALUE, accept="application/xml") == xml


@pytest.mark.parametrize("status", [429, 503])
def test_put_of_a_bytes_body_is_retried_after_throttling_and_unavailable(status):
    body = b"<TrustFrameworkPolicy/>"
    script = Script(graph_error(status, "TooManyRequests", headers={"Retry-After": "3"}), ok(status=200))
    client, sleeps, _tokens = make(script)
    client.request("PUT", POLICY_VALUE, content=body, content_type=XML_TYPE, accept="application/xml")
    assert [r.content for r in script.requests] == [body, body]
    assert all(r.headers["Content-Type"] == XML_TYPE for r in script.requests)
    assert sleeps == [3.0]


def test_service_message_keeps_the_whole_text_that_graph_message_cuts():
    message = "Validation failed: 2 validation error(s) found." + "x" * 1000 + "END"
    client = make(Script(graph_error(400, "AADB2C", message)), max_retries=0)[0]
    with pytest.raises(GraphError) as err:
        client.request("PUT", POLICY_VALUE, content=b"<a/>", content_type=XML_TYPE)
    assert len(err.value.graph_message) <= 300
    assert err.value.service_message == message
