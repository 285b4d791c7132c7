"""hints.py: the advice shown with each error."""

from __future__ import annotations

import pytest

from ansible_collections.b2c.trustframework.plugins.module_utils.errors import AuthError, GraphError, ValidationError
from ansible_collections.b2c.trustframework.plugins.module_utils.hints import hint_for


@pytest.mark.parametrize(
    "error, expected",
    [
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
    ],
)
def test_hints(error, expected):
    assert expected in hint_for(error)


def test_no_hint():
    assert hint_for(GraphError(status=400, code="invalidRequest")) is None
    assert hint_for(ValidationError("x")) is None
    assert hint_for(None) is None
    assert hint_for(ValueError("x")) is None
