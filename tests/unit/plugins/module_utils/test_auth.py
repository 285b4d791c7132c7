"""auth.py: credential selection, certificate loading, msal token providers and the persisted cache."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import textwrap

import httpx
import pytest

from ansible_collections.b2c.trustframework.plugins.module_utils import auth
from ansible_collections.b2c.trustframework.plugins.module_utils.auth import (
    StaticTokenProvider,
    build_token_provider,
    default_token_cache_path,
    load_certificate_credential,
    resolve_token_cache_path,
    select_auth_method,
)
from ansible_collections.b2c.trustframework.plugins.module_utils.clouds import resolve_endpoints
from ansible_collections.b2c.trustframework.plugins.module_utils.errors import (
    AuthError,
    KeyMaterialError,
    ValidationError,
    hint_for,
)
from tests.support import certs

COLLECTIONS_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), *[".."] * 4, "build", "collections"))
SECRET = "Sup3r-S3cret-Value"
CERT_PASSWORD = "cert-pass-123"


# ----------------------------------------------------------------------------- selection
BASE = dict(tenant_id="t.onmicrosoft.com", client_id="cid")


@pytest.mark.parametrize("params, expected", [
    (dict(access_token="tok"), "access_token"),
    (dict(BASE, access_token="tok", client_secret=SECRET, client_certificate_path="/c.pem", managed_identity=True), "access_token"),
    (dict(BASE, client_secret=SECRET, client_certificate_path="/c.pem"), "client_certificate"),
    (dict(BASE, client_secret=SECRET, managed_identity=True), "client_secret"),
    (dict(BASE, client_secret=SECRET), "client_secret"),
    (dict(managed_identity=True), "managed_identity"),
    (dict(managed_identity_client_id="uami"), "managed_identity"),
    (dict(BASE, access_token="", client_secret=SECRET), "client_secret"),  # empty counts as unset
    (dict(BASE, auth_method="client_secret", client_secret=SECRET, access_token="tok"), "client_secret"),
    (dict(BASE, auth_method="client_certificate", client_certificate_path="/c.pem", access_token="tok"), "client_certificate"),
    (dict(auth_method="managed_identity", client_secret=SECRET), "managed_identity"),
    (dict(auth_method="access_token", access_token="Bearer tok"), "access_token"),
])
def test_select_auth_method(params, expected):
    assert select_auth_method(params) == expected


@pytest.mark.parametrize("params, expected", [
    (dict(), ["No credentials", "access_token (or B2C_ACCESS_TOKEN)", "client_secret (or AZURE_CLIENT_SECRET)",
              "client_certificate_path (or AZURE_CLIENT_CERTIFICATE_PATH)", "managed_identity=true"]),
    (dict(managed_identity=False), ["No credentials"]),
    (dict(auth_method="access_token"), ["access_token (or B2C_ACCESS_TOKEN)"]),
    (dict(BASE, auth_method="client_secret"), ["client_secret (or AZURE_CLIENT_SECRET)"]),
    (dict(BASE, auth_method="client_certificate", client_secret=SECRET),
     ["client_certificate_path (or AZURE_CLIENT_CERTIFICATE_PATH)"]),
    (dict(auth_method="managed_identity", managed_identity=False), ["contradicts managed_identity=false"]),
    (dict(client_secret=SECRET), ["tenant_id (or AZURE_TENANT_ID)", "client_id (or AZURE_CLIENT_ID)"]),
    (dict(client_secret=SECRET, tenant_id="t"), ["client_id (or AZURE_CLIENT_ID)"]),
    (dict(client_certificate_path="/c.pem", client_id="c"), ["tenant_id (or AZURE_TENANT_ID)"]),
    (dict(auth_method="bogus"), ["auth_method must be one of"]),
    (dict(access_token="two words"), ["bare bearer token"]),
])
def test_select_auth_method_errors(params, expected):
    with pytest.raises(ValidationError) as err:
        select_auth_method(params)
    for fragment in expected:
        assert fragment in str(err.value)
    assert SECRET not in str(err.value)


# ----------------------------------------------------------------------------- certificates
def _make_cert(tmp_path, name="cert.pem", password=None, key_type="rsa", mismatch=False, include_key=True,
               include_cert=True):
    new_key = certs.ec_key if key_type == "ec" else certs.rsa_key
    key = new_key()
    _cert_key, cert = certs.self_signed(days_valid=30, key=new_key() if mismatch else key)
    data = b""
    if include_cert:
        data += certs.pem(cert).encode()
    if include_key:
        data += certs.private_key_pem(key, password)
    path = tmp_path / name
    path.write_bytes(data)
    return str(path), cert, data


def test_load_certificate_plain(tmp_path):
    import hashlib

    from cryptography.hazmat.primitives import serialization

    path, cert, _data = _make_cert(tmp_path)
    cred = load_certificate_credential(path)
    assert cred.thumbprint == hashlib.sha1(cert.public_bytes(serialization.Encoding.DER)).hexdigest()
    assert cred.private_key_pem.startswith("-----BEGIN PRIVATE KEY-----")


def test_load_certificate_encrypted(tmp_path):
    path = _make_cert(tmp_path, password=CERT_PASSWORD)[0]
    assert load_certificate_credential(path, CERT_PASSWORD).thumbprint
    with pytest.raises(KeyMaterialError) as err:
        load_certificate_credential(path)
    assert "client_certificate_password (or AZURE_CLIENT_CERTIFICATE_PASSWORD)" in str(err.value)
    with pytest.raises(KeyMaterialError) as err:
        load_certificate_credential(path, "wrong-password")
    assert "could not decrypt" in str(err.value) and "wrong-password" not in str(err.value)


def test_load_certificate_password_for_plain_key_is_tolerated(tmp_path):
    path = _make_cert(tmp_path)[0]
    assert load_certificate_credential(path, "unneeded").thumbprint


@pytest.mark.parametrize("kwargs, expected", [
    (dict(include_key=False), "no PEM private key"),
    (dict(include_cert=False), "no PEM certificate"),
    (dict(mismatch=True), "matches its private key"),
    (dict(key_type="ec"), "not an RSA key"),
])
def test_load_certificate_problems(tmp_path, kwargs, expected):
    path, _cert, data = _make_cert(tmp_path, **kwargs)
    with pytest.raises(KeyMaterialError) as err:
        load_certificate_credential(path)
    text = str(err.value) + repr(err.value)
    assert expected in text and "client_certificate_path (or AZURE_CLIENT_CERTIFICATE_PATH)" in text
    assert "BEGIN" not in text and data[40:80].decode(errors="ignore") not in text


def test_load_certificate_garbage_and_missing(tmp_path):
    bad = tmp_path / "bad.pem"
    bad.write_text("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n-----BEGIN CERTIFICATE-----\nAA\n-----END CERTIFICATE-----\n")
    with pytest.raises(KeyMaterialError) as err:
        load_certificate_credential(str(bad))
    assert "cannot be parsed" in str(err.value)
    with pytest.raises(KeyMaterialError) as err:
        load_certificate_credential(str(tmp_path / "missing.pem"))
    assert "cannot read" in str(err.value)


# ----------------------------------------------------------------------------- cache path
def test_default_cache_path(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_token_cache_path() == str(tmp_path / "b2c.trustframework" / "msal_token_cache.json")
    assert resolve_token_cache_path(None) == default_token_cache_path()
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_token_cache_path() == str(tmp_path / "home" / ".cache" / "b2c.trustframework" / "msal_token_cache.json")
    assert resolve_token_cache_path("") is None
    assert resolve_token_cache_path("  ") is None
    assert resolve_token_cache_path("~/x.json") == str(tmp_path / "home" / "x.json")


# ----------------------------------------------------------------------------- msal against a mock login service
class Login:
    """Mock login service (OpenID discovery + token endpoint) for httpx.MockTransport."""

    def __init__(self, host="https://login.example.test:8443", tenant="t.onmicrosoft.com", error=None):
        self.host = host
        self.tenant = tenant
        self.error = error
        self.requests = []
        self.issued = 0

    def __call__(self, request):
        self.requests.append((request.method, request.url.path, request.content.decode()))
        base = "%s/%s" % (self.host, self.tenant)
        if request.url.path.endswith("/.well-known/openid-configuration"):
            if self.tenant not in request.url.path:
                return httpx.Response(400, json={"error": "invalid_tenant", "error_codes": [90002],
                                                 "error_description": "AADSTS90002: Tenant 'x' not found.\r\nTrace ID: 1"})
            return httpx.Response(200, json={"authorization_endpoint": base + "/oauth2/v2.0/authorize",
                                             "token_endpoint": base + "/oauth2/v2.0/token", "issuer": base + "/v2.0"})
        if request.url.path.endswith("/oauth2/v2.0/token"):
            if self.error:
                return httpx.Response(401, json=self.error)
            self.issued += 1
            return httpx.Response(200, json={"access_token": "at-%d" % self.issued, "token_type": "Bearer",
                                             "expires_in": 3600})
        if request.url.path == "/metadata/identity/oauth2/token":
            self.issued += 1
            return httpx.Response(200, json={"access_token": "mi-%d" % self.issued, "expires_in": "3600",
                                             "resource": request.url.params.get("resource"), "token_type": "Bearer"})
        return httpx.Response(404)

    @property
    def posts(self):
        return [r for r in self.requests if r[0] == "POST"]


def _params(tmp_path, **extra):
    params = dict(BASE, client_secret=SECRET, token_cache_path=str(tmp_path / "cache" / "tokens.json"), timeout=5.0)
    params.update(extra)
    return params


def _provider(login, params, graph="https://graph.example.test"):
    endpoints = resolve_endpoints("public", graph, login.host)
    http = httpx.Client(transport=httpx.MockTransport(login))
    return build_token_provider(params, endpoints, http)


def test_client_secret_flow_and_cache_file_modes(tmp_path):
    login = Login()
    params = _params(tmp_path)
    provider = _provider(login, params)
    assert provider.get_token() == "at-1"
    assert provider.get_token() == "at-1"  # in-process memo
    assert [r[0] for r in login.requests] == ["GET", "POST"]
    body = login.posts[0][2]
    assert "scope=https%3A%2F%2Fgraph.example.test%2F.default" in body
    cache = tmp_path / "cache" / "tokens.json"
    assert stat.S_IMODE(os.stat(cache).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(cache.parent).st_mode) == 0o700
    assert SECRET not in cache.read_text()
    # A new provider (as in the next Ansible task) finds token and discovery in the cache.
    login2 = Login()
    assert _provider(login2, params).get_token() == "at-1"
    assert login2.requests == []


def test_no_public_host_contacted_with_custom_authority(tmp_path):
    login = Login()
    _provider(login, _params(tmp_path)).get_token()
    # All requests went to the mock login host (MockTransport would have answered 404 for others).
    assert all(request[1].startswith("/t.onmicrosoft.com/") for request in login.requests)


def test_cache_disabled_with_empty_string(tmp_path):
    login = Login()
    params = _params(tmp_path, token_cache_path="")
    assert _provider(login, params).get_token() == "at-1"
    assert not (tmp_path / "cache").exists()
    login2 = Login()
    _provider(login2, params).get_token()
    assert len(login2.posts) == 1


def test_authorities_on_different_ports_do_not_share_entries(tmp_path):
    params = _params(tmp_path)
    a = Login(host="https://127.0.0.1:8443")
    b = Login(host="https://127.0.0.1:9443")
    b.issued = 100
    assert _provider(a, params).get_token() == "at-1"
    assert _provider(b, params).get_token() == "at-101"
    data = json.loads((tmp_path / "cache" / "tokens.json").read_text())
    assert len(data["sections"]) == 2


def test_rotated_secret_does_not_reuse_cached_token(tmp_path):
    login = Login()
    _provider(login, _params(tmp_path)).get_token()
    login2 = Login()
    login2.issued = 10
    assert _provider(login2, _params(tmp_path, client_secret="other-secret")).get_token() == "at-11"


def test_invalidate_gets_a_fresh_token_and_persists_it(tmp_path):
    login = Login()
    params = _params(tmp_path)
    provider = _provider(login, params)
    assert provider.get_token() == "at-1"
    provider.invalidate()
    assert provider.get_token() == "at-2"
    assert len(login.posts) == 2
    login2 = Login()
    assert _provider(login2, params).get_token() == "at-2"
    assert login2.requests == []


def test_wrong_secret_gives_auth_error_with_code_and_hint(tmp_path):
    login = Login(error={"error": "invalid_client", "error_codes": [7000215], "correlation_id": "corr-1",
                         "error_description": "AADSTS7000215: Invalid client secret provided.\r\nTrace ID: abc\r\nTimestamp: x"})
    provider = _provider(login, _params(tmp_path, token_cache_path=""))
    with pytest.raises(AuthError) as err:
        provider.get_token()
    e = err.value
    assert e.code == "AADSTS7000215"
    assert "Invalid client secret provided." in str(e) and "Trace ID" not in str(e) and "corr-1" in str(e)
    assert "client_secret (or AZURE_CLIENT_SECRET)" in hint_for(e)
    assert SECRET not in str(e) + repr(e) + repr(provider)


def test_unknown_tenant_gives_auth_error(tmp_path):
    login = Login()
    provider = _provider(login, _params(tmp_path, tenant_id="nope", token_cache_path=""))
    with pytest.raises(AuthError) as err:
        provider.get_token()
    assert err.value.code == "AADSTS90002"
    assert "Tenant 'x' not found" in str(err.value)
    assert "tenant_id" in hint_for(err.value)


def test_login_transport_error_is_auth_error(tmp_path):
    def handler(request):
        raise httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed", request=request)

    endpoints = resolve_endpoints("public", "https://graph.example.test", "https://login.example.test")
    provider = build_token_provider(_params(tmp_path, token_cache_path=""), endpoints,
                                    httpx.Client(transport=httpx.MockTransport(handler)))
    with pytest.raises(AuthError) as err:
        provider.get_token()
    assert err.value.transport == "tls" and "ca_path" in hint_for(err.value)


def test_certificate_flow(tmp_path):
    path = _make_cert(tmp_path, password=CERT_PASSWORD)[0]
    login = Login()
    params = dict(BASE, client_certificate_path=path, client_certificate_password=CERT_PASSWORD, token_cache_path="")
    assert _provider(login, params).get_token() == "at-1"
    body = login.posts[0][2]
    assert "client_assertion=eyJ" in body and "b%27" not in body
    assert "client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer" in body


def test_managed_identity_flow(tmp_path, monkeypatch):
    for var in ("IDENTITY_ENDPOINT", "IDENTITY_HEADER", "MSI_ENDPOINT", "MSI_SECRET", "IMDS_ENDPOINT",
                "IDENTITY_SERVER_THUMBPRINT", "AZURE_POD_IDENTITY_AUTHORITY_HOST"):
        monkeypatch.delenv(var, raising=False)
    login = Login()
    provider = _provider(login, dict(managed_identity=True, managed_identity_client_id="uami-1",
                                     token_cache_path=str(tmp_path / "mi.json")), graph="https://graph.microsoft.com")
    assert provider.get_token() == "mi-1"
    method, path = login.requests[0][:2]
    assert method == "GET" and path == "/metadata/identity/oauth2/token"
    login2 = Login()
    assert _provider(login2, dict(managed_identity=True, managed_identity_client_id="uami-1",
                                  token_cache_path=str(tmp_path / "mi.json")), graph="https://graph.microsoft.com").get_token() == "mi-1"
    assert login2.requests == []


def test_static_token_provider():
    provider = StaticTokenProvider("Bearer abc.def")
    assert provider.get_token() == "abc.def"
    provider.invalidate()
    with pytest.raises(AuthError) as err:
        provider.get_token()
    assert err.value.status == 401 and "expired" in str(err.value)
    assert "B2C_ACCESS_TOKEN" in hint_for(err.value)
    assert "abc.def" not in repr(provider) + str(err.value)


def test_access_token_provider_makes_no_request(tmp_path):
    login = Login()
    provider = _provider(login, dict(access_token="tok-xyz"))
    assert provider.get_token() == "tok-xyz" and login.requests == []


def test_corrupt_cache_file_is_ignored(tmp_path):
    cache = tmp_path / "cache" / "tokens.json"
    cache.parent.mkdir()
    cache.write_text("{not json")
    login = Login()
    assert _provider(login, _params(tmp_path)).get_token() == "at-1"
    assert json.loads(cache.read_text())["version"] == auth.CACHE_FORMAT_VERSION


def test_existing_parent_dir_mode_untouched(tmp_path):
    parent = tmp_path / "shared"
    parent.mkdir(mode=0o755)
    os.chmod(parent, 0o755)
    _provider(Login(), _params(tmp_path, token_cache_path=str(parent / "t.json"))).get_token()
    assert stat.S_IMODE(os.stat(parent).st_mode) == 0o755
    assert stat.S_IMODE(os.stat(parent / "t.json").st_mode) == 0o600


def test_unwritable_cache_location_warns_and_continues(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    provider = _provider(Login(), _params(tmp_path, token_cache_path=str(blocker / "sub" / "t.json")))
    assert provider.get_token() == "at-1"
    assert provider.warnings and "not usable" in provider.warnings[0]


# ----------------------------------------------------------------------------- across processes
CHILD = textwrap.dedent("""
    import json, sys, time
    sys.path.insert(0, {root!r})
    import httpx
    from ansible_collections.b2c.trustframework.plugins.module_utils.auth import build_token_provider
    from ansible_collections.b2c.trustframework.plugins.module_utils.clouds import resolve_endpoints
    counts = {{"GET": 0, "POST": 0}}
    def handler(request):
        counts[request.method] += 1
        base = "https://login.example.test:8443/t.onmicrosoft.com"
        if request.url.path.endswith("openid-configuration"):
            return httpx.Response(200, json={{"authorization_endpoint": base + "/oauth2/v2.0/authorize",
                                              "token_endpoint": base + "/oauth2/v2.0/token"}})
        time.sleep({delay})
        return httpx.Response(200, json={{"access_token": "at-pid-%d" % __import__("os").getpid(),
                                          "token_type": "Bearer", "expires_in": 3600}})
    endpoints = resolve_endpoints("public", "https://graph.example.test", "https://login.example.test:8443")
    params = dict(tenant_id="t.onmicrosoft.com", client_id="cid", client_secret="s", token_cache_path=sys.argv[1])
    provider = build_token_provider(params, endpoints, httpx.Client(transport=httpx.MockTransport(handler)))
    token = provider.get_token()
    print(json.dumps(dict(counts, token=token, msal="msal" in sys.modules)))
""")


def _run_children(tmp_path, count, delay=0.0):
    script = tmp_path / "child.py"
    script.write_text(CHILD.format(root=COLLECTIONS_ROOT, delay=delay))
    cache = str(tmp_path / "xproc" / "tokens.json")
    procs = [subprocess.Popen([sys.executable, str(script), cache], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for _index in range(count)]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()
        results.append(json.loads(out))
    return results, cache


def test_token_cache_reused_across_processes(tmp_path):
    script = tmp_path / "child.py"
    script.write_text(CHILD.format(root=COLLECTIONS_ROOT, delay=0))
    cache = str(tmp_path / "xproc" / "tokens.json")
    first = json.loads(subprocess.check_output([sys.executable, str(script), cache]))
    second = json.loads(subprocess.check_output([sys.executable, str(script), cache]))
    assert (first["GET"], first["POST"]) == (1, 1)
    assert (second["GET"], second["POST"]) == (0, 0)
    assert second["token"] == first["token"]
    assert first["msal"] is True and second["msal"] is False  # fast path: cached token read without msal
    assert stat.S_IMODE(os.stat(cache).st_mode) == 0o600


def test_parallel_processes_acquire_one_token(tmp_path):
    results = _run_children(tmp_path, 3, delay=0.5)[0]
    assert sum(r["POST"] for r in results) == 1
    assert len({r["token"] for r in results}) == 1


# ----------------------------------------------------------------------------- fast path
def _section_with(tmp_path, entries):
    cache = auth.TokenCacheFile(str(tmp_path / "fast" / "t.json"))
    cache.save_section("k", json.dumps({"AccessToken": entries}), {})
    return cache


def test_cached_access_token_fast_path(tmp_path):
    now = 1_000_000
    target = "https://graph.example.test/.default"
    entries = {
        "a": {"secret": "old", "expires_on": str(now + 100), "target": target},           # too close to expiry
        "b": {"secret": "good", "expires_on": str(now + 3000), "target": target},
        "c": {"secret": "other-scope", "expires_on": str(now + 9000), "target": "https://x/.default"},
        "d": {"secret": "pop", "expires_on": str(now + 9000), "target": target, "token_type": "pop"},
    }
    cache = _section_with(tmp_path, entries)
    assert auth.cached_access_token(cache, "k", target, now=now) == "good"
    assert auth.cached_access_token(cache, "missing", target, now=now) is None
    entries["b"]["refresh_on"] = str(now - 1)
    cache = _section_with(tmp_path, entries)
    assert auth.cached_access_token(cache, "k", target, now=now) is None


def test_short_lived_cached_token_goes_back_to_msal(tmp_path):
    class ShortLogin(Login):
        def __call__(self, request):
            response = super().__call__(request)
            if request.url.path.endswith("/token"):
                return httpx.Response(200, json={"access_token": "short-%d" % self.issued, "token_type": "Bearer",
                                                 "expires_in": 120})
            return response

    params = _params(tmp_path)
    assert _provider(ShortLogin(), params).get_token() == "short-1"
    again = ShortLogin()
    again.issued = 5
    assert _provider(again, params).get_token() == "short-6"
    assert len(again.posts) == 1


def test_invalidate_skips_fast_path(tmp_path):
    params = _params(tmp_path)
    _provider(Login(), params).get_token()
    login = Login()
    login.issued = 1
    provider = _provider(login, params)
    assert provider.get_token() == "at-1" and login.requests == []
    provider.invalidate()
    assert provider.get_token() == "at-2" and len(login.posts) == 1
