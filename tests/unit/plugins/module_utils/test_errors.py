"""errors.py: the exceptions and their one-line messages."""

from __future__ import annotations

from ansible_collections.b2c.trustframework.plugins.module_utils.errors import (
    AuthError,
    B2CError,
    GraphError,
    KeyMaterialError,
    ValidationError,
)


def test_hierarchy():
    assert issubclass(ValidationError, B2CError)
    assert issubclass(KeyMaterialError, ValidationError)
    assert issubclass(AuthError, B2CError)
    assert issubclass(GraphError, B2CError)


def test_graph_error_one_line_message():
    e = GraphError(
        status=404,
        code="itemNotFound",
        inner_codes=["AADB2C99002"],
        graph_message="Keyset\nnot found",
        request_id="rid",
        client_request_id="crid",
        date="2024-01-01",
        method="GET",
        path="/beta/trustFramework/keySets/B2C_1A_x",
    )
    text = str(e)
    assert text == (
        "HTTP 404 itemNotFound/AADB2C99002: Keyset not found [GET /beta/trustFramework/keySets/B2C_1A_x, "
        "request-id rid, client-request-id crid, date 2024-01-01]"
    )
    assert e.codes == ["itemNotFound", "AADB2C99002"]
    assert repr(e).startswith("GraphError(")


def test_transport_error_message():
    e = GraphError(method="POST", path="/beta/x", transport="timeout", reason="ReadTimeout", may_have_been_applied=True)
    assert str(e).startswith("request failed: ReadTimeout [POST /beta/x]")
    assert "may have reached the service" in str(e)
