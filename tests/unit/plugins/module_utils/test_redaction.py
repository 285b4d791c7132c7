"""redaction.py: no secret, token or control character in server text quoted in a message."""

from __future__ import annotations

import base64
import json
import re
from urllib.parse import quote, quote_plus

import pytest

from ansible_collections.b2c.trustframework.plugins.module_utils.errors import GraphError
from ansible_collections.b2c.trustframework.plugins.module_utils.redaction import redact_jwk, sanitize_text


@pytest.fixture(autouse=True)
def task_secrets(monkeypatch):
    """No secret registered by an earlier test (B2CModule registers its no_log values) is in the way."""
    from ansible_collections.b2c.trustframework.plugins.module_utils import redaction

    monkeypatch.setattr(redaction, "_SECRETS", set())
    return redaction.register_secrets


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
    from ansible_collections.b2c.trustframework.plugins.module_utils.msal_login import auth_error_from_result

    auth = auth_error_from_result(
        {"error": "invalid_client", "error_description": "secret client-secret-value-xyz"}, "Login"
    )
    assert "client-secret-value" not in str(auth)


def test_redact_jwk_drops_every_private_member():
    jwk = {
        "kid": "a",
        "kty": "RSA",
        "n": "nn",
        "e": "AQAB",
        "d": "D",
        "p": "P",
        "q": "Q",
        "dp": "DP",
        "dq": "DQ",
        "qi": "QI",
        "k": "K",
    }
    assert redact_jwk(jwk) == {"kid": "a", "kty": "RSA", "n": "nn", "e": "AQAB"}
    assert redact_jwk(None) is None
    assert "d" in jwk  # the input is not modified


ENCODED_SECRET = 'Old+Entra/Secret=="quoted"\\back\u00e4-0123'


@pytest.mark.parametrize(
    "echo",
    [
        pytest.param(lambda value: value, id="raw"),
        pytest.param(lambda value: json.dumps(value)[1:-1], id="json-ascii"),
        pytest.param(lambda value: json.dumps(value, ensure_ascii=False)[1:-1], id="json-unicode"),
        pytest.param(lambda value: quote_plus(value, safe=""), id="form"),
        pytest.param(
            lambda value: re.sub("%[0-9A-F]{2}", lambda escape: escape.group(0).lower(), quote_plus(value)),
            id="form-lower-case-escapes",
        ),
        pytest.param(lambda value: quote(value, safe=""), id="percent"),
        pytest.param(lambda value: base64.b64encode(value.encode()).decode(), id="base64"),
        pytest.param(lambda value: base64.urlsafe_b64encode(value.encode()).decode().rstrip("="), id="base64url"),
    ],
)
def test_every_form_of_a_secret_a_server_may_echo_is_masked(task_secrets, echo):
    """A server (or proxy) echoing the request body: JSON-escaped upload secrets, form-encoded client secrets."""
    task_secrets([ENCODED_SECRET])
    echoed = echo(ENCODED_SECRET)
    message = GraphError(status=400, graph_message="Invalid request body: {" + echoed + "}").message
    pieces = [echoed[i : i + 8] for i in range(0, len(echoed) - 7)]
    assert [piece for piece in pieces if piece in message] == [], message
    assert "********" in message and "Invalid request body" in message
    half = echoed[len(echoed) // 2 :]
    assert half not in sanitize_text("tail " + half), "a run of 8+ characters of an encoded form"
