# -*- coding: utf-8 -*-
# Copyright: b2c.trustframework contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""National clouds: Graph root and login host per cloud, and endpoint overrides."""

from __future__ import annotations

from collections import namedtuple
from urllib.parse import urlsplit

from ansible_collections.b2c.trustframework.plugins.module_utils.errors import ValidationError

Cloud = namedtuple("Cloud", ["graph_root", "authority_host"])
Endpoints = namedtuple("Endpoints", ["graph_root", "authority_host", "scope"])

CLOUDS = {
    "public": Cloud(graph_root="https://graph.microsoft.com", authority_host="https://login.microsoftonline.com"),
    "usgov": Cloud(graph_root="https://graph.microsoft.us", authority_host="https://login.microsoftonline.us"),
    "dod": Cloud(graph_root="https://dod-graph.microsoft.us", authority_host="https://login.microsoftonline.us"),
    "china": Cloud(graph_root="https://microsoftgraph.chinacloudapi.cn", authority_host="https://login.chinacloudapi.cn"),
}

# Spellings used by the Azure CLI / SDKs (AZURE_CLOUD, AZURE_CLOUD_ENVIRONMENT) mapped to our names. The Azure CLI
# and SDKs have no name of their own for the DoD cloud (AzureUSGovernment is GCC High): Microsoft Graph
# PowerShell's USGovDoD is accepted for it.
CLOUD_ALIASES = {
    "azurecloud": "public",
    "azurepubliccloud": "public",
    "public": "public",
    "azureusgovernment": "usgov",
    "azureusgovernmentcloud": "usgov",
    "usgov": "usgov",
    "azureusgovernmentdod": "dod",
    "usgovdod": "dod",
    "dod": "dod",
    "azurechinacloud": "china",
    "china": "china",
}

KNOWN_AUTHORITY_HOSTS = frozenset(c.authority_host for c in CLOUDS.values())


def normalize_cloud(name):
    """Map ``public``/``AzureCloud``/... to a key of CLOUDS; unknown names are returned unchanged."""
    if name is None:
        return None
    return CLOUD_ALIASES.get(str(name).strip().lower(), name)


def validate_base_url(value, option):
    """Return ``value`` as ``https://host[:port]`` or raise ValidationError naming ``option``."""
    text = str(value).strip()
    try:
        parts = urlsplit(text)
        port = parts.port  # raises ValueError on a bad port
    except ValueError:
        parts, port = None, None
    problem = None
    if parts is None:
        problem = "is not a valid URL"
    elif parts.scheme.lower() != "https":
        problem = "must use https://"
    elif not parts.hostname:
        problem = "has no host name"
    elif parts.path not in ("", "/") or parts.query or parts.fragment:
        problem = "must not contain a path, query or fragment (the collection appends /beta/... or /<tenant>)"
    elif parts.username is not None or parts.password is not None:
        problem = "must not contain user information"
    if problem:
        raise ValidationError(
            "%s %s; expected a URL such as https://127.0.0.1:8443, got %r" % (option, problem, text)
        )
    host = parts.hostname
    if ":" in host:  # IPv6 literal
        host = "[%s]" % host
    return "https://%s%s" % (host.lower(), ":%d" % port if port else "")


def resolve_endpoints(cloud, graph_endpoint=None, authority_host=None):
    """Endpoints for ``cloud`` with optional overrides.

    The token scope always derives from the Graph root in use
    (``<graph root>/.default``), so an overridden graph_endpoint gets tokens
    for itself.
    """
    base = CLOUDS[normalize_cloud(cloud or "public")]  # a key of CLOUDS: the argument spec's choices refuse others
    graph_root = base.graph_root
    login = base.authority_host
    if graph_endpoint:
        graph_root = validate_base_url(graph_endpoint, "graph_endpoint (B2C_GRAPH_ENDPOINT)")
    if authority_host:
        login = validate_base_url(authority_host, "authority_host (AZURE_AUTHORITY_HOST)")
    return Endpoints(graph_root=graph_root, authority_host=login, scope=graph_root + "/.default")
