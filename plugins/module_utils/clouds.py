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
    "china": Cloud(
        graph_root="https://microsoftgraph.chinacloudapi.cn", authority_host="https://login.chinacloudapi.cn"
    ),
}

# The values ``cloud`` accepts: our names and the names of the Azure CLI and SDKs (AZURE_CLOUD_ENVIRONMENT of the
# AAP/AWX Azure credential, azure.azcollection's cloud_environment). The Azure CLI and SDKs have no name of their
# own for the DoD cloud (AzureUSGovernment is GCC High): Microsoft Graph PowerShell's USGovDoD is accepted for it.
# As an option value a name is spelled as here (Ansible's choices); from the environment in any case.
CLOUD_NAMES = {
    "public": "public",
    "usgov": "usgov",
    "dod": "dod",
    "china": "china",
    "AzureCloud": "public",
    "AzurePublicCloud": "public",
    "AzureUSGovernment": "usgov",
    "AzureUSGovernmentCloud": "usgov",
    "AzureUSGovernmentDoD": "dod",
    "USGovDoD": "dod",
    "AzureChinaCloud": "china",
}
_ANY_CASE = {name.lower(): name for name in CLOUD_NAMES}

KNOWN_AUTHORITY_HOSTS = frozenset(c.authority_host for c in CLOUDS.values())


def cloud_name(value):
    """The spelling in CLOUD_NAMES of ``value`` in any case (``azurechinacloud`` -> ``AzureChinaCloud``); an
    unknown value is returned unchanged, for the argument spec's choices to refuse."""
    return _ANY_CASE.get(str(value).strip().lower(), value)


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
        raise ValidationError("%s %s; expected a URL such as https://127.0.0.1:8443, got %r" % (option, problem, text))
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
    base = CLOUDS[CLOUD_NAMES[cloud or "public"]]  # a key of CLOUD_NAMES: the argument spec's choices refuse others
    graph_root = base.graph_root
    login = base.authority_host
    if graph_endpoint:
        graph_root = validate_base_url(graph_endpoint, "graph_endpoint (B2C_GRAPH_ENDPOINT)")
    if authority_host:
        login = validate_base_url(authority_host, "authority_host (AZURE_AUTHORITY_HOST)")
    return Endpoints(graph_root=graph_root, authority_host=login, scope=graph_root + "/.default")
