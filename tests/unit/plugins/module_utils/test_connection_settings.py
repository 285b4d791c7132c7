"""connection_settings.py: the connection options checked once, before any network call."""

from __future__ import annotations

import pytest

from ansible_collections.b2c.trustframework.plugins.module_utils.argspec import CONNECTION_OPTIONS
from ansible_collections.b2c.trustframework.plugins.module_utils.auth_method_client_secret import ClientSecretCredential
from ansible_collections.b2c.trustframework.plugins.module_utils.connection_settings import ConnectionSettings
from ansible_collections.b2c.trustframework.plugins.module_utils.errors import ValidationError


def _ok_params(**extra):
    params = {name: spec.get("default") for name, spec in CONNECTION_OPTIONS.items()}
    params.update(tenant_id="t", client_id="c", client_secret="s")
    params.update(extra)
    return params


def test_settings_ok(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    settings = ConnectionSettings.from_params(_ok_params())
    assert settings.credential == ClientSecretCredential(tenant_id="t", client_id="c", secret="s")
    assert settings.endpoints.graph_root == "https://graph.microsoft.com"
    assert settings.endpoints.authority_host == "https://login.microsoftonline.com"
    assert settings.verify is True and settings.timeout == 30.0 and settings.max_retries == 5
    assert settings.token_cache_path == str(tmp_path / "b2c.trustframework" / "msal_token_cache.json")
    assert "'s'" not in repr(settings)
    with pytest.raises(AttributeError):  # settings are immutable once checked
        settings.timeout = 1.0


def test_settings_defaults_when_options_are_missing():
    settings = ConnectionSettings.from_params(dict(access_token="tok", token_cache_path=""))
    assert (settings.timeout, settings.max_retries, settings.verify, settings.token_cache_path) == (30.0, 5, True, None)


def test_settings_ca_path(tmp_path):
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    assert ConnectionSettings.from_params(_ok_params(ca_path=str(path))).verify == str(path)
    assert ConnectionSettings.from_params(_ok_params(ca_path=str(path), validate_certs=False)).verify is False


@pytest.mark.parametrize(
    "extra, expected",
    [
        (dict(timeout=0), "timeout"),
        (dict(timeout=-1.5), "timeout"),
        (dict(timeout=float("nan")), "timeout"),
        (dict(max_retries=-1), "max_retries"),
        (dict(graph_endpoint="http://x"), "graph_endpoint"),
        (dict(authority_host="https://login/x"), "authority_host"),
        (dict(client_secret=None), "No credentials"),
        (dict(auth_method="client_certificate"), "client_certificate_path (or AZURE_CLIENT_CERTIFICATE_PATH)"),
    ],
)
def test_settings_errors(extra, expected):
    with pytest.raises(ValidationError) as err:
        ConnectionSettings.from_params(_ok_params(**extra))
    assert expected in str(err.value)


def test_settings_bad_ca_paths(tmp_path):
    not_pem = tmp_path / "x.pem"
    not_pem.write_text("hello")
    broken = tmp_path / "broken.pem"
    broken.write_text("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    for path, expected in (
        (tmp_path / "missing.pem", "does not exist"),
        (tmp_path, "is not a file"),
        (not_pem, "holds no PEM certificate"),
        (broken, "not a valid PEM CA bundle"),
    ):
        with pytest.raises(ValidationError) as err:
            ConnectionSettings.from_params(_ok_params(ca_path=str(path)))
        assert "ca_path (or B2C_CA_PATH)" in str(err.value) and expected in str(err.value)


def test_settings_cache_path_is_directory(tmp_path):
    with pytest.raises(ValidationError) as err:
        ConnectionSettings.from_params(_ok_params(token_cache_path=str(tmp_path)))
    assert "token_cache_path" in str(err.value)


def test_settings_check_the_certificate_file(tmp_path):
    path = tmp_path / "c.pem"
    path.write_text("nothing")
    with pytest.raises(ValidationError) as err:
        ConnectionSettings.from_params(_ok_params(client_certificate_path=str(path)))
    assert "client_certificate_path" in str(err.value)
