"""clouds.py: national clouds and endpoint overrides."""

from __future__ import annotations

import pytest

from ansible_collections.b2c.trustframework.plugins.module_utils.clouds import (
    CLOUD_NAMES,
    CLOUDS,
    Endpoints,
    cloud_name,
    resolve_endpoints,
)
from ansible_collections.b2c.trustframework.plugins.module_utils.errors import ValidationError


@pytest.mark.parametrize(
    "cloud, graph, login",
    [
        ("public", "https://graph.microsoft.com", "https://login.microsoftonline.com"),
        ("usgov", "https://graph.microsoft.us", "https://login.microsoftonline.us"),
        ("dod", "https://dod-graph.microsoft.us", "https://login.microsoftonline.us"),
        ("china", "https://microsoftgraph.chinacloudapi.cn", "https://login.chinacloudapi.cn"),
    ],
)
def test_clouds(cloud, graph, login):
    assert CLOUDS[cloud].graph_root == graph and CLOUDS[cloud].authority_host == login
    assert resolve_endpoints(cloud) == Endpoints(graph, login, graph + "/.default")


def test_overrides_and_scope_follows_graph_endpoint():
    ep = resolve_endpoints(
        "public", graph_endpoint="https://127.0.0.1:8443/", authority_host="https://LOGIN.local:9443"
    )
    assert ep.graph_root == "https://127.0.0.1:8443"
    assert ep.authority_host == "https://login.local:9443"
    assert ep.scope == "https://127.0.0.1:8443/.default"


def test_only_authority_overridden():
    ep = resolve_endpoints("usgov", authority_host="https://127.0.0.1:9000")
    assert ep.graph_root == "https://graph.microsoft.us" and ep.scope == "https://graph.microsoft.us/.default"


def test_ipv6_override():
    assert resolve_endpoints("public", graph_endpoint="https://[::1]:8443").graph_root == "https://[::1]:8443"


@pytest.mark.parametrize(
    "option, value",
    [
        ("graph_endpoint", "http://127.0.0.1:8443"),
        ("graph_endpoint", "127.0.0.1:8443"),
        ("graph_endpoint", "https://graph.microsoft.com/beta"),
        ("graph_endpoint", "https://host?x=1"),
        ("graph_endpoint", "https://:8443"),
        ("graph_endpoint", "https://host:99999"),
        ("authority_host", "https://login.microsoftonline.com/tenant"),
        ("authority_host", "https://user:pw@login.example"),
        ("authority_host", "ftp://login.example"),
    ],
)
def test_bad_overrides(option, value):
    with pytest.raises(ValidationError) as err:
        resolve_endpoints("public", **{option: value})
    assert str(err.value).startswith(option)


@pytest.mark.parametrize(
    "alias, spelled, name",
    [
        ("AzureCloud", "AzureCloud", "public"),
        ("azureusgovernment", "AzureUSGovernment", "usgov"),
        ("AZURECHINACLOUD", "AzureChinaCloud", "china"),
        ("PUBLIC", "public", "public"),
        ("USGovDoD", "USGovDoD", "dod"),
    ],
)
def test_aliases_in_any_case_are_spelled_as_the_choices(alias, spelled, name):
    assert cloud_name(alias) == spelled and spelled in CLOUD_NAMES
    assert resolve_endpoints(cloud_name(alias)) == resolve_endpoints(name)


def test_every_cloud_name_selects_a_cloud():
    assert set(CLOUD_NAMES.values()) == set(CLOUDS)
    assert cloud_name("AzureGermanCloud") == "AzureGermanCloud"  # unknown: left for the choices to refuse
