"""transport.py: the TLS context (system store, certifi fallback, ca_path read once) and the httpx client."""

from __future__ import annotations

import importlib.util
import os
import ssl

import pytest

from ansible_collections.b2c.trustframework.plugins.module_utils import transport
from ansible_collections.b2c.trustframework.plugins.module_utils.connection_settings import ConnectionSettings
from ansible_collections.b2c.trustframework.plugins.module_utils.errors import ValidationError
from tests.support.certs import pem, self_signed
from tests.support.fresh_python import fresh_python


@pytest.fixture(autouse=True)
def fresh_contexts():
    """Each test builds its own contexts (they are cached per task, that is per process)."""
    transport.build_ssl_context.cache_clear()
    yield
    transport.build_ssl_context.cache_clear()


@pytest.fixture
def loaded_bundles(monkeypatch):
    """The files every SSL context built from now on loads (cafile=...)."""
    loaded = []
    original = ssl.SSLContext.load_verify_locations

    def recording(self, cafile=None, *args, **kwargs):
        loaded.append(cafile)
        return original(self, cafile, *args, **kwargs)

    monkeypatch.setattr(ssl.SSLContext, "load_verify_locations", recording)
    return loaded


def test_http_client_ignores_requests_ca_env(monkeypatch, tmp_path, loaded_bundles):
    bogus = tmp_path / "bogus.pem"
    bogus.write_text("not a bundle")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bogus))
    monkeypatch.setenv("CURL_CA_BUNDLE", str(bogus))
    http = transport.build_http_client(True, 3.0)  # would fail if the bogus bundle were loaded
    http.close()
    assert str(bogus) not in loaded_bundles


def test_import_error_flag_exists():
    assert transport.HAS_HTTPX is True and transport.HTTPX_IMPORT_ERROR is None
    assert os.path.basename(transport.__file__) == "transport.py"


def test_ssl_context_trusts_the_system_store_and_falls_back_to_certifi(monkeypatch):
    assert transport.build_ssl_context(True).cert_store_stats()["x509_ca"] > 0
    transport.build_ssl_context.cache_clear()
    monkeypatch.setattr(ssl, "create_default_context", lambda: ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT))
    assert transport.build_ssl_context(True).cert_store_stats()["x509_ca"] > 0


def test_the_ca_bundle_is_read_once_per_task(tmp_path, loaded_bundles):
    """ConnectionSettings checks ca_path with the context the httpx client then uses."""
    ca_path = tmp_path / "ca.pem"
    ca_path.write_text(pem(self_signed("test-ca")[1]))
    settings = ConnectionSettings.from_params({"access_token": "t0ken", "ca_path": str(ca_path)})
    transport.build_http_client(settings.verify, settings.timeout).close()
    assert loaded_bundles.count(str(ca_path)) == 1


def test_a_ca_path_that_is_no_bundle_is_refused_naming_the_option(tmp_path):
    broken = tmp_path / "broken.pem"
    broken.write_text("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")
    with pytest.raises(ValidationError, match=r"ca_path \(or B2C_CA_PATH\): .* is not a valid PEM CA bundle"):
        transport.build_ssl_context(str(broken))


@pytest.mark.skipif(
    importlib.util.find_spec("click") is None, reason="httpx loads its command-line client only when click is installed"
)
def test_a_task_does_not_load_httpx_command_line_client():
    """click and rich are installed here (ansible-lint's); a task's import of transport must not load them."""
    probe = (
        "import sys; from ansible_collections.b2c.trustframework.plugins.module_utils import transport; "
        "print(sorted({'click', 'rich', 'pygments', 'httpx._main'} & set(sys.modules)), transport.httpx.Client.__name__)"
    )
    assert fresh_python(probe).split() == ["[]", "Client"]
