"""errors.py: message format, hint table, no secrets in text."""

from __future__ import annotations

import pytest

from ansible_collections.b2c.trustframework.plugins.module_utils.errors import (
    AuthError,
    B2CError,
    GraphError,
    KeyMaterialError,
    ValidationError,
    hint_for,
    sanitize_text,
)


def test_hierarchy():
    assert issubclass(ValidationError, B2CError)
    assert issubclass(KeyMaterialError, ValidationError)
    assert issubclass(AuthError, B2CError)
    assert issubclass(GraphError, B2CError)


def test_graph_error_one_line_message():
    e = GraphError(status=404, code="itemNotFound", inner_codes=["AADB2C99002"], graph_message="Keyset\nnot found",
                   request_id="rid", client_request_id="crid", date="2024-01-01", method="GET",
                   path="/beta/trustFramework/keySets/B2C_1A_x")
    text = str(e)
    assert text == ("HTTP 404 itemNotFound/AADB2C99002: Keyset not found [GET /beta/trustFramework/keySets/B2C_1A_x, "
                    "request-id rid, client-request-id crid, date 2024-01-01]")
    assert e.codes == ["itemNotFound", "AADB2C99002"]
    assert repr(e).startswith("GraphError(")


def test_transport_error_message():
    e = GraphError(method="POST", path="/beta/x", transport="timeout", reason="ReadTimeout", may_have_been_applied=True)
    assert str(e).startswith("request failed: ReadTimeout [POST /beta/x]")
    assert "may have reached the service" in str(e)


@pytest.mark.parametrize("error, expected", [
    (GraphError(status=401), "access_token has not expired"),
    (GraphError(status=403), "TrustFrameworkKeySet.ReadWrite.All application permission with admin consent"),
    (GraphError(status=400, code="Authorization_RequestDenied"), "B2C IEF Keyset Administrator"),
    (GraphError(status=404), "B2C_1A_"),
    (GraphError(status=400, code="x", inner_codes=["AADB2C95028"]), "already exists"),
    (GraphError(status=400, code="AADB2C95032"), "only RSA keys or only oct"),
    (GraphError(status=429, retries=5), "after 5 retries"),
    (GraphError(status=503, retries=2), "after 2 retries"),
    (GraphError(transport="tls"), "ca_path"),
    (GraphError(transport="tls"), "validate_certs"),
    (GraphError(transport="timeout"), "timeout"),
    (GraphError(transport="connect"), "graph_endpoint"),
    (AuthError("x", code="AADSTS7000215"), "AZURE_CLIENT_SECRET"),
    (AuthError("x", code="AADSTS90002"), "tenant_id"),
    (AuthError("x", code="AADSTS700016"), "client_id"),
    (AuthError("x", code="AADSTS700211"), "federated_token_file (or AZURE_FEDERATED_TOKEN_FILE)"),
    (AuthError("x", code="AADSTS700213"), "subject"),
    (AuthError("x", code="AADSTS70021"), "api://AzureADTokenExchange"),
    (AuthError("x", code="AADSTS123456"), "code=123456"),
    (AuthError("x", transport="tls"), "ca_path"),
    (AuthError("x", hint="explicit"), "explicit"),
])
def test_hints(error, expected):
    assert expected in hint_for(error)


def test_no_hint():
    assert hint_for(GraphError(status=400, code="invalidRequest")) is None
    assert hint_for(ValidationError("x")) is None
    assert hint_for(None) is None
    assert hint_for(ValueError("x")) is None


def test_sanitize_text():
    assert sanitize_text("a\r\nb\tc") == "a b c"
    assert "abc" not in sanitize_text("Authorization: Bearer abc")
    assert "eyJ" not in sanitize_text("token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.sig")
    assert len(sanitize_text("x" * 1000)) == 300
    assert sanitize_text(None) is None
    assert sanitize_text(b"bytes") == "bytes"


def test_graph_message_from_server_is_sanitized():
    e = GraphError(status=400, graph_message="bad Bearer eyJhbGciOiJIUzI1NiJ9.eyJhIjoiYiJ9.c2ln\nline2")
    assert "eyJ" not in str(e) and "\n" not in str(e)


@pytest.fixture
def task_secrets(monkeypatch):
    from ansible_collections.b2c.trustframework.plugins.module_utils import errors

    monkeypatch.setattr(errors, "_SECRETS", set())
    return errors.register_secrets


def test_a_cut_secret_is_masked_before_the_cut(task_secrets):
    """A server echoing the request body: the message is cut at 300 characters, inside the secret."""
    secret = "S" + "".join(chr(ord("a") + (i * 7) % 26) for i in range(392))
    task_secrets([secret])
    echoed = '{"use": "sig", "k": "%s"}' % secret
    message = GraphError(status=400, code="badRequest", graph_message="Invalid request body: " + echoed).message
    assert secret[:8] not in message and secret[100:108] not in message and secret[-8:] not in message
    assert "********" in message and "Invalid request body" in message


def test_pieces_of_a_secret_are_masked_and_short_values_whole(task_secrets):
    task_secrets(["Sup3r-S3cret-Value-0123456789", "pw12", None, "ab"])
    text = sanitize_text("first part Sup3r-S3cret-Va| last part alue-0123456789| pw12 | ab")
    assert text == "first part ********| last part ********| ******** | ab"
    assert sanitize_text("Sup3r-S3") == "********", "a run of 8 characters of a secret"
    assert sanitize_text("Sup3r-S") == "Sup3r-S", "shorter runs stay (they cannot be told from ordinary words)"


def test_transport_and_auth_texts_are_masked(task_secrets):
    task_secrets(["client-secret-value-xyz"])
    error = GraphError(reason="proxy said: bad request client-secret-value-xyz")
    assert "client-secret" not in error.message
    from ansible_collections.b2c.trustframework.plugins.module_utils.token_providers import auth_error_from_result

    auth = auth_error_from_result({"error": "invalid_client", "error_description": "secret client-secret-value-xyz"}, "Login")
    assert "client-secret-value" not in str(auth)
