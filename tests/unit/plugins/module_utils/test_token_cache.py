"""token_cache.py and token_cache_store.py: where the cache file is, its modes, its lock across processes,
the msal-free fast path."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import textwrap

import httpx
import pytest

from ansible_collections.b2c.trustframework.plugins.module_utils import token_cache, token_cache_store
from ansible_collections.b2c.trustframework.plugins.module_utils.errors import AuthError, ValidationError
from ansible_collections.b2c.trustframework.plugins.module_utils.login_http import MsalResponse
from ansible_collections.b2c.trustframework.plugins.module_utils.token_cache import (
    TokenCacheFile,
    default_token_cache_path,
    resolve_token_cache_path,
)
from ansible_collections.b2c.trustframework.plugins.module_utils.token_cache_store import TokenCacheStore
from tests.unit.plugins.module_utils.mock_login import SECRET, Login, secret_params, token_provider

COLLECTIONS_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), *[".."] * 4, "build", "collections"))


# ----------------------------------------------------------------------------- cache path
def test_default_cache_path(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_token_cache_path() == str(tmp_path / "b2c.trustframework" / "msal_token_cache.json")
    assert resolve_token_cache_path(None) == default_token_cache_path()
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_token_cache_path() == str(
        tmp_path / "home" / ".cache" / "b2c.trustframework" / "msal_token_cache.json"
    )
    assert resolve_token_cache_path("") is None
    assert resolve_token_cache_path("  ") is None
    assert resolve_token_cache_path("~/x.json") == str(tmp_path / "home" / "x.json")


def test_cache_path_that_is_a_directory_is_refused(tmp_path):
    with pytest.raises(ValidationError) as err:
        resolve_token_cache_path(str(tmp_path))
    assert "token_cache_path (or B2C_TOKEN_CACHE_PATH)" in str(err.value) and "directory" in str(err.value)


# ----------------------------------------------------------------------------- the file
def test_cache_file_modes_and_reuse_by_the_next_task(tmp_path):
    login = Login()
    params = secret_params(tmp_path)
    assert token_provider(login, params).get_token() == "at-1"
    cache = tmp_path / "cache" / "tokens.json"
    assert stat.S_IMODE(os.stat(cache).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(cache.parent).st_mode) == 0o700
    assert SECRET not in cache.read_text()
    # A new provider (as in the next Ansible task) finds token and discovery in the cache.
    login2 = Login()
    assert token_provider(login2, params).get_token() == "at-1"
    assert login2.requests == []


def test_cache_disabled_with_empty_string(tmp_path):
    params = secret_params(tmp_path, token_cache_path="")
    assert token_provider(Login(), params).get_token() == "at-1"
    assert not (tmp_path / "cache").exists()
    login2 = Login()
    token_provider(login2, params).get_token()
    assert len(login2.posts) == 1


def test_authorities_on_different_ports_do_not_share_entries(tmp_path):
    params = secret_params(tmp_path)
    a = Login(host="https://127.0.0.1:8443")
    b = Login(host="https://127.0.0.1:9443")
    b.issued = 100
    assert token_provider(a, params).get_token() == "at-1"
    assert token_provider(b, params).get_token() == "at-101"
    data = json.loads((tmp_path / "cache" / "tokens.json").read_text())
    assert len(data["sections"]) == 2


def test_rotated_secret_does_not_reuse_cached_token(tmp_path):
    token_provider(Login(), secret_params(tmp_path)).get_token()
    login2 = Login()
    login2.issued = 10
    params = secret_params(tmp_path, client_secret="other-secret")
    assert token_provider(login2, params).get_token() == "at-11"


def test_corrupt_cache_file_is_ignored(tmp_path):
    cache = tmp_path / "cache" / "tokens.json"
    cache.parent.mkdir()
    cache.write_text("{not json")
    assert token_provider(Login(), secret_params(tmp_path)).get_token() == "at-1"
    assert json.loads(cache.read_text())["version"] == token_cache.CACHE_FORMAT_VERSION


def test_existing_parent_dir_mode_untouched(tmp_path):
    parent = tmp_path / "shared"
    parent.mkdir(mode=0o755)
    os.chmod(parent, 0o755)
    token_provider(Login(), secret_params(tmp_path, token_cache_path=str(parent / "t.json"))).get_token()
    assert stat.S_IMODE(os.stat(parent).st_mode) == 0o755
    assert stat.S_IMODE(os.stat(parent / "t.json").st_mode) == 0o600


def test_unwritable_cache_location_warns_and_continues(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    provider = token_provider(Login(), secret_params(tmp_path, token_cache_path=str(blocker / "sub" / "t.json")))
    assert provider.get_token() == "at-1"
    assert provider.warnings and "not usable" in provider.warnings[0]


def test_failed_write_is_a_warning(tmp_path, monkeypatch):
    cache = TokenCacheStore(str(tmp_path / "t.json"))

    def refuse(data):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(cache, "_write", refuse)
    cache.save_section("k", "{}", {})
    assert cache.warnings == ["Could not write the token cache %s (Permission denied)." % cache.path]


# ----------------------------------------------------------------------------- across processes
CHILD = textwrap.dedent("""
    import json, sys, time
    sys.path.insert(0, {root!r})
    import httpx
    from ansible_collections.b2c.trustframework.plugins.module_utils.connection_settings import ConnectionSettings
    from ansible_collections.b2c.trustframework.plugins.module_utils.token_providers import build_token_provider
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
    settings = ConnectionSettings.from_params(dict(
        tenant_id="t.onmicrosoft.com", client_id="cid", client_secret="s", token_cache_path=sys.argv[1],
        graph_endpoint="https://graph.example.test", authority_host="https://login.example.test:8443"))
    provider = build_token_provider(settings, httpx.Client(transport=httpx.MockTransport(handler)))
    token = provider.get_token()
    login = sorted(name.rsplit(".", 1)[-1] for name in sys.modules
                   if name.endswith((".msal_login", ".token_cache_store", ".login_http")))
    print(json.dumps(dict(counts, token=token, msal="msal" in sys.modules, login=login)))
""")


def _child_script(tmp_path, delay):
    script = tmp_path / "child.py"
    script.write_text(CHILD.format(root=COLLECTIONS_ROOT, delay=delay))
    return [sys.executable, str(script), str(tmp_path / "xproc" / "tokens.json")]


def test_token_cache_reused_across_processes(tmp_path):
    command = _child_script(tmp_path, delay=0)
    first = json.loads(subprocess.check_output(command))
    second = json.loads(subprocess.check_output(command))
    assert (first["GET"], first["POST"]) == (1, 1)
    assert (second["GET"], second["POST"]) == (0, 0)
    assert second["token"] == first["token"]
    assert first["msal"] is True and second["msal"] is False  # fast path: cached token read without msal
    # ... and without the login, the lock and the cache writes
    assert first["login"] == ["login_http", "msal_login", "token_cache_store"] and second["login"] == []
    assert stat.S_IMODE(os.stat(command[-1]).st_mode) == 0o600


def test_parallel_processes_acquire_one_token(tmp_path):
    command = _child_script(tmp_path, delay=0.5)
    procs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _index in range(3)]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()
        results.append(json.loads(out))
    assert sum(r["POST"] for r in results) == 1
    assert len({r["token"] for r in results}) == 1


# ----------------------------------------------------------------------------- fast path
def _section_with(tmp_path, entries):
    path = str(tmp_path / "fast" / "t.json")
    TokenCacheStore(path).save_section("k", json.dumps({"AccessToken": entries}), {})
    return TokenCacheFile(path)


def test_cached_access_token_fast_path(tmp_path):
    now = 1_000_000
    target = "https://graph.example.test/.default"
    entries = {
        "a": {"secret": "old", "expires_on": str(now + 100), "target": target},  # too close to expiry
        "b": {"secret": "good", "expires_on": str(now + 3000), "target": target},
        "c": {"secret": "other-scope", "expires_on": str(now + 9000), "target": "https://x/.default"},
        "d": {"secret": "pop", "expires_on": str(now + 9000), "target": target, "token_type": "pop"},
    }
    cache = _section_with(tmp_path, entries)
    assert cache.cached_access_token("k", target, now=now) == "good"
    assert cache.cached_access_token("missing", target, now=now) is None
    entries["b"]["refresh_on"] = str(now - 1)
    cache = _section_with(tmp_path, entries)
    assert cache.cached_access_token("k", target, now=now) is None


# ----------------------------------------------------------------------------- trust (a cache nobody else can steer)
def _cached_then_tampered(tmp_path, tamper):
    """A cache written by a first task, then changed by ``tamper(cache_path)``; returns the next task's login and provider."""
    params = secret_params(tmp_path)
    token_provider(Login(), params).get_token()
    cache = tmp_path / "cache" / "tokens.json"
    tamper(cache)
    login = Login()
    login.issued = 10
    return login, token_provider(login, params)


def test_world_writable_cache_file_is_not_used(tmp_path):
    login, provider = _cached_then_tampered(tmp_path, lambda cache: os.chmod(cache, 0o666))
    assert provider.get_token() == "at-11", "the token of a cache others can write must not be used"
    assert any(
        "writable by group or others" in warning and "token_cache_path" in warning for warning in provider.warnings
    ), provider.warnings
    assert stat.S_IMODE(os.stat(tmp_path / "cache" / "tokens.json").st_mode) == 0o666, "nor written"


def test_group_writable_cache_folder_is_not_used(tmp_path):
    login, provider = _cached_then_tampered(tmp_path, lambda cache: os.chmod(cache.parent, 0o770))
    assert provider.get_token() == "at-11"
    assert any(str(tmp_path / "cache") in warning for warning in provider.warnings), provider.warnings


def test_poisoned_token_endpoint_never_gets_the_secret(tmp_path):
    """A cached discovery answer that points the token endpoint elsewhere is ignored: the secret goes to the authority only."""

    def poison(cache):
        data = json.loads(cache.read_text())
        for section in data["sections"].values():
            for item in section["http_cache"].values():
                if "__response__" in item and "token_endpoint" in item["__response__"][1]:
                    item["__response__"][1] = item["__response__"][1].replace(
                        "https://login.example.test:8443", "https://evil.example.test"
                    )
        cache.write_text(json.dumps(data))
        os.chmod(cache, 0o600)

    params = secret_params(tmp_path)
    token_provider(Login(), params).get_token()
    poison(tmp_path / "cache" / "tokens.json")
    sent = []

    def login_or_evil(request):
        sent.append(str(request.url))
        return Login()(request)

    provider = token_provider(login_or_evil, params, authority_host="https://login.example.test:8443")
    provider.invalidate()  # no cached token: a token request is needed
    assert provider.get_token() == "at-1"
    assert sent and all(url.startswith("https://login.example.test:8443/") for url in sent), sent
    assert any(
        "points outside https://login.example.test:8443" in warning and "evil.example.test" in warning
        for warning in provider.warnings
    ), provider.warnings


def test_throttling_answers_are_not_kept_between_runs(tmp_path):
    """msal caches a 429 with Retry-After (and a 400 for 60 s); a later run must ask the service again."""
    throttled = Login(error=None)
    calls = []

    def throttle_once(request):
        calls.append(request.url.path)
        if request.url.path.endswith("/token") and len([path for path in calls if path.endswith("/token")]) == 1:
            return httpx.Response(
                429,
                headers={"Retry-After": "3600"},
                json={"error": "temporarily_unavailable", "error_description": "throttled"},
            )
        return throttled(request)

    params = secret_params(tmp_path, max_retries=0)
    with pytest.raises(AuthError):
        token_provider(throttle_once, params).get_token()
    saved = (tmp_path / "cache" / "tokens.json").read_text() if (tmp_path / "cache" / "tokens.json").exists() else ""
    assert "429" not in saved and "throttled" not in saved
    assert token_provider(throttle_once, params).get_token() == "at-1", "the next run sends its request"


def test_throttling_answer_left_in_an_old_cache_is_dropped():
    answer = MsalResponse(429, '{"error": "x"}', {"retry-after": "3600"})
    index = (
        [[9999999999, 1, "POST u 429/5xx/Retry-After"], [9999999999, 1, "GET d 2xx"]],
        {"POST u 429/5xx/Retry-After": [9999999999, 1], "GET d 2xx": [9999999999, 1]},
    )
    kept = token_cache_store.without_error_answers(
        {"POST u 429/5xx/Retry-After": answer, "GET d 2xx": MsalResponse(200, "{}", {}), "_index_": index}
    )
    assert set(kept) == {"GET d 2xx", "_index_"}
    assert kept["_index_"] == ([[9999999999, 1, "GET d 2xx"]], {"GET d 2xx": [9999999999, 1]})


def test_stale_temporary_files_are_removed_on_save(tmp_path):
    cache = TokenCacheStore(str(tmp_path / "t.json"))
    stale = tmp_path / ".t.json.abc123.tmp"
    stale.write_text('{"token": "left by a killed save"}')
    other = tmp_path / ".other.json.abc123.tmp"  # another cache file's: not ours to remove
    other.write_text("x")
    cache.save_section("k", "{}", {})
    assert not stale.exists() and other.exists()
    assert sorted(os.listdir(tmp_path)) == [".other.json.abc123.tmp", "t.json"]


def test_a_lock_file_others_can_write_is_not_used(tmp_path):
    login, provider = _cached_then_tampered(tmp_path, lambda cache: os.chmod(str(cache) + ".lock", 0o666))
    provider.invalidate()  # no fast path: the lock is needed
    assert provider.get_token() == "at-11"
    assert any(".lock is writable by group or others" in warning for warning in provider.warnings), provider.warnings
