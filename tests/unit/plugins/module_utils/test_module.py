"""module.py: B2CModule validation, graph client wiring, fail_b2c output, import cost."""

from __future__ import annotations

import json
import sys

import httpx
import pytest
from cryptography.hazmat.primitives import serialization

from ansible_collections.b2c.trustframework.plugins.module_utils import (
    auth_method_base,
    client_certificate_file,
    credentials,
    token_cache,
)
from ansible_collections.b2c.trustframework.plugins.module_utils import module as module_mod
from ansible_collections.b2c.trustframework.plugins.module_utils.argspec import CONNECTION_OPTIONS
from ansible_collections.b2c.trustframework.plugins.module_utils.errors import AuthError, GraphError
from ansible_collections.b2c.trustframework.plugins.module_utils.module import B2CModule
from tests.support.certs import pem, self_signed
from tests.support.fresh_python import fresh_python
from tests.unit.module_args import patch_module_args

SECRET = "Very-Secret-Client-Secret"
TOKEN = "eyJhbGciOi.secret-token.sig"
# Every variable an option falls back to, read from the spec so that a new one is cleared too.
ENV_VARS = tuple(
    name for option in CONNECTION_OPTIONS.values() if "fallback" in option for name in option["fallback"][1]
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for var in ENV_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))


def run(capsys, args, body=None, argument_spec=None):
    """Instantiate B2CModule with args and run body(module); return the JSON result it printed."""
    with pytest.raises(SystemExit):
        with patch_module_args(args):
            module = B2CModule(argument_spec=argument_spec or {})
            if body is not None:
                body(module)
            module.exit_json(changed=False)
    return json.loads(capsys.readouterr().out)


def test_validation_error_fails_before_network(capsys, monkeypatch):
    def boom(*args, **kwargs):
        raise AssertionError("no network expected")

    monkeypatch.setattr(module_mod, "build_http_client", boom)
    result = run(capsys, {"tenant_id": "t", "client_id": "c"})
    assert result["failed"] is True
    assert "No credentials" in result["msg"] and "AZURE_CLIENT_SECRET" in result["msg"]


def test_bad_endpoint_fails(capsys):
    result = run(capsys, {"access_token": TOKEN, "graph_endpoint": "http://127.0.0.1:8443"})
    assert result["failed"] and "graph_endpoint" in result["msg"]
    assert TOKEN not in json.dumps(result)


def test_missing_httpx(capsys, monkeypatch):
    monkeypatch.setattr(module_mod, "HAS_HTTPX", False)
    result = run(capsys, {"access_token": TOKEN})
    assert result["failed"] and "httpx" in result["msg"]


def test_module_specific_options_are_merged(capsys):
    result = run(
        capsys,
        {"access_token": TOKEN, "name": "x"},
        body=lambda m: m.exit_json(name=m.params["name"], timeout=m.params["timeout"]),
        argument_spec=dict(name=dict(type="str", required=True)),
    )
    assert result["name"] == "x" and result["timeout"] == 30.0


def _mock_http(monkeypatch, handler):
    created = []

    def factory(verify, timeout):
        client = httpx.Client(transport=httpx.MockTransport(handler))
        created.append((verify, timeout, client))
        return client

    monkeypatch.setattr(module_mod, "build_http_client", factory)
    return created


def test_graph_client_built_once_and_closed(capsys, monkeypatch):
    seen = []

    def handler(request):
        seen.append(request)
        return httpx.Response(200, json={"value": [{"id": "B2C_1A_a"}]})

    created = _mock_http(monkeypatch, handler)

    def body(module):
        assert module.graph is module.graph
        module.exit_json(keysets=module.graph.get_all("/trustFramework/keySets"))

    result = run(capsys, {"access_token": TOKEN, "graph_endpoint": "https://127.0.0.1:8443", "timeout": 7}, body)
    assert result["keysets"] == [{"id": "B2C_1A_a"}]
    assert len(created) == 1 and created[0][:2] == (True, 7.0)
    assert created[0][2].is_closed
    assert str(seen[0].url) == "https://127.0.0.1:8443/beta/trustFramework/keySets"
    assert seen[0].headers["Authorization"] == "Bearer " + TOKEN
    assert TOKEN not in json.dumps(result)


def test_validate_certs_false_warns_once(capsys, monkeypatch):
    created = _mock_http(monkeypatch, lambda request: httpx.Response(200, json={}))

    def body(module):
        module.graph.request("GET", "/x")
        module.graph.request("GET", "/y")

    result = run(capsys, {"access_token": TOKEN, "validate_certs": False}, body)
    assert created[0][0] is False
    warnings = [json.dumps(w) for w in result.get("warnings", [])]  # str (<2.19) or WarningSummary dicts (2.19)
    assert len([w for w in warnings if "validate_certs=false" in w]) == 1


def _login_then_graph(graph_answer, seen=None):
    """Handler: discovery and token of tenant ``t`` at login.example.test; ``graph_answer(request)`` for the rest."""

    def handler(request):
        if seen is not None:
            seen.append((request.method, request.url.host, request.url.path))
        base = "https://login.example.test/t"
        if request.url.path.endswith("openid-configuration"):
            return httpx.Response(
                200,
                json={
                    "authorization_endpoint": base + "/oauth2/v2.0/authorize",
                    "token_endpoint": base + "/oauth2/v2.0/token",
                },
            )
        if request.url.path.endswith("/token"):
            return httpx.Response(200, json={"access_token": "fresh", "token_type": "Bearer", "expires_in": 3600})
        return graph_answer(request)

    return handler


def test_msal_shares_the_http_client(capsys, monkeypatch):
    hosts = []
    _mock_http(
        monkeypatch,
        _login_then_graph(lambda request: httpx.Response(200, json={"ok": request.headers["Authorization"]}), hosts),
    )
    args = {
        "tenant_id": "t",
        "client_id": "c",
        "client_secret": SECRET,
        "graph_endpoint": "https://graph.example.test",
        "authority_host": "https://login.example.test",
    }
    result = run(capsys, args, lambda m: m.exit_json(answer=m.graph.request("GET", "/x")))
    assert result["answer"] == {"ok": "Bearer fresh"}
    assert [h[1] for h in hosts] == ["login.example.test", "login.example.test", "graph.example.test"]
    assert SECRET not in json.dumps(result)


def test_fail_b2c_graph_error(capsys):
    error = GraphError(
        status=403,
        code="Authorization_RequestDenied",
        graph_message="Insufficient privileges",
        request_id="rid",
        client_request_id="crid",
        method="POST",
        path="/beta/trustFramework/keySets",
    )
    result = run(capsys, {"access_token": TOKEN}, lambda m: m.fail_b2c(error, "Could not create keyset 'B2C_1A_x'"))
    assert result["failed"] is True
    assert result["msg"].startswith(
        "Could not create keyset 'B2C_1A_x': HTTP 403 Authorization_RequestDenied: Insufficient privileges"
    )
    assert "TrustFrameworkKeySet.ReadWrite.All" in result["msg"]
    assert result["graph_error_code"] == "Authorization_RequestDenied"
    assert result["status"] == 403 and result["request_id"] == "rid" and result["client_request_id"] == "crid"


def test_fail_b2c_auth_error_and_redaction(capsys):
    error = AuthError("login failed for secret %s" % SECRET, code="AADSTS7000215")
    args = {"tenant_id": "t", "client_id": "c", "client_secret": SECRET}
    result = run(capsys, args, lambda m: m.fail_b2c(error, "Could not get a token"))
    assert result["auth_error_code"] == "AADSTS7000215"
    assert "AZURE_CLIENT_SECRET" in result["msg"]
    assert SECRET not in json.dumps(result)


def test_fail_b2c_without_hint(capsys):
    error = GraphError(status=400, code="invalidRequest", graph_message="bad")
    result = run(capsys, {"access_token": TOKEN}, lambda m: m.fail_b2c(error, "Could not read"))
    assert result["msg"] == "Could not read: HTTP 400 invalidRequest: bad"


def test_auth_error_during_request_reported(capsys, monkeypatch):
    expired = {"error": {"code": "InvalidAuthenticationToken", "message": "expired"}}
    _mock_http(monkeypatch, lambda request: httpx.Response(401, json=expired))

    def body(module):
        try:
            module.graph.request("GET", "/trustFramework/keySets")
        except (GraphError, AuthError) as exc:
            module.fail_b2c(exc, "Could not list keysets")

    result = run(capsys, {"access_token": TOKEN}, body)
    assert "rejected the supplied access token" in result["msg"] and "B2C_ACCESS_TOKEN" in result["msg"]
    assert result["status"] == 401
    assert TOKEN not in json.dumps(result)


def test_imports_do_not_pull_msal_cryptography_or_defusedxml():
    code = (
        "import importlib, pkgutil, sys\n"
        "import ansible_collections.b2c.trustframework.plugins.module_utils as package\n"
        "names = [info.name for info in pkgutil.iter_modules(package.__path__)]\n"
        "for name in names:\n"
        "    importlib.import_module(package.__name__ + '.' + name)\n"
        "print(len(names), sorted(m for m in ('msal', 'msal_extensions', 'requests', 'cryptography', 'defusedxml') if m in sys.modules))\n"
    )
    count, pulled = fresh_python(code).strip().split(" ", 1)
    assert int(count) >= 10 and pulled == "[]"


def test_missing_msal_named_before_any_request(capsys, monkeypatch):
    real_find_spec = auth_method_base.importlib.util.find_spec
    monkeypatch.setattr(
        auth_method_base.importlib.util, "find_spec", lambda name: None if name == "msal" else real_find_spec(name)
    )
    result = run(capsys, {"tenant_id": "t", "client_id": "c", "client_secret": SECRET})
    assert result["failed"] and "Failed to import the required Python library (msal)" in result["msg"]


def _count_calls(monkeypatch, function):
    """Wrap ``function`` wherever a loaded module_utils module refers to it; return the list of calls."""
    calls = []

    def counting(*args, **kwargs):
        calls.append(args)
        return function(*args, **kwargs)

    for name, loaded in list(sys.modules.items()):
        if (
            name.startswith(module_mod.__name__.rsplit(".", 1)[0] + ".")
            and getattr(loaded, function.__name__, None) is function
        ):
            monkeypatch.setattr(loaded, function.__name__, counting)
    return calls


def test_one_task_selects_loads_and_resolves_once(capsys, monkeypatch, tmp_path):
    """The auth method is picked, the PEM parsed and the cache path resolved once per task."""
    key, cert = self_signed()
    pem_path = tmp_path / "client.pem"
    pem_path.write_bytes(
        pem(cert).encode()
        + key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    counted = {
        function.__name__: _count_calls(monkeypatch, function)
        for function in (
            credentials.select_auth_method,
            client_certificate_file.load_client_certificate,
            token_cache.resolve_token_cache_path,
        )
    }

    _mock_http(monkeypatch, _login_then_graph(lambda request: httpx.Response(200, json={"value": []})))
    args = {
        "tenant_id": "t",
        "client_id": "c",
        "client_certificate_path": str(pem_path),
        "graph_endpoint": "https://graph.example.test",
        "authority_host": "https://login.example.test",
        "token_cache_path": str(tmp_path / "cache.json"),
    }
    result = run(capsys, args, lambda m: m.exit_json(keysets=m.graph.get_all("/trustFramework/keySets")))
    assert result["keysets"] == []
    assert {name: len(calls) for name, calls in counted.items()} == {
        "select_auth_method": 1,
        "load_client_certificate": 1,
        "resolve_token_cache_path": 1,
    }
