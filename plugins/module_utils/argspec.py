# -*- coding: utf-8 -*-
# Copyright: b2c.trustframework contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The connection/auth argument spec shared by every module, and its local validation."""

from __future__ import annotations

import copy
import os
from collections import namedtuple

from ansible.module_utils.basic import env_fallback

from ansible_collections.b2c.trustframework.plugins.module_utils.auth import (
    CLIENT_CERTIFICATE,
    load_certificate_credential,
    resolve_token_cache_path,
    select_auth_method,
)
from ansible_collections.b2c.trustframework.plugins.module_utils.clouds import CLOUDS, normalize_cloud, resolve_endpoints
from ansible_collections.b2c.trustframework.plugins.module_utils.errors import ValidationError


def cloud_env_fallback(*args, **kwargs):
    """env_fallback for ``cloud`` that also accepts Azure SDK names (AzureCloud, AzureUSGovernment, AzureChinaCloud)."""
    return normalize_cloud(env_fallback(*args, **kwargs))


CONNECTION_OPTIONS = dict(
    tenant_id=dict(type="str", fallback=(env_fallback, ["AZURE_TENANT_ID", "AZURE_TENANT"])),
    client_id=dict(type="str", fallback=(env_fallback, ["AZURE_CLIENT_ID"])),
    client_secret=dict(type="str", no_log=True, fallback=(env_fallback, ["AZURE_CLIENT_SECRET", "AZURE_SECRET"])),
    client_certificate_path=dict(type="path", fallback=(env_fallback, ["AZURE_CLIENT_CERTIFICATE_PATH"])),
    client_certificate_password=dict(type="str", no_log=True,
                                     fallback=(env_fallback, ["AZURE_CLIENT_CERTIFICATE_PASSWORD"])),
    managed_identity=dict(type="bool"),
    managed_identity_client_id=dict(type="str"),
    access_token=dict(type="str", no_log=True, fallback=(env_fallback, ["B2C_ACCESS_TOKEN"])),
    auth_method=dict(type="str", default="auto", choices=["auto", "client_secret", "client_certificate", "managed_identity", "access_token"]),
    cloud=dict(type="str", default="public", choices=list(CLOUDS), fallback=(cloud_env_fallback, ["AZURE_CLOUD"])),
    graph_endpoint=dict(type="str", fallback=(env_fallback, ["B2C_GRAPH_ENDPOINT"])),
    authority_host=dict(type="str", fallback=(env_fallback, ["AZURE_AUTHORITY_HOST"])),
    validate_certs=dict(type="bool", default=True),
    ca_path=dict(type="path", fallback=(env_fallback, ["B2C_CA_PATH"])),
    timeout=dict(type="float", default=30.0),
    max_retries=dict(type="int", default=5),
    token_cache_path=dict(type="path", no_log=False, fallback=(env_fallback, ["B2C_TOKEN_CACHE_PATH"])),
)


def graph_argument_spec(**module_options):
    """CONNECTION_OPTIONS plus the module's own options (a fresh copy each call)."""
    spec = copy.deepcopy(CONNECTION_OPTIONS)
    spec.update(module_options)
    return spec


ConnectionSettings = namedtuple("ConnectionSettings", ["auth_method", "endpoints", "verify", "token_cache_path"])


def _validate_ca_path(path):
    option = "ca_path (or B2C_CA_PATH)"
    if not os.path.exists(path):
        raise ValidationError("%s: %r does not exist." % (option, path))
    if not os.path.isfile(path):
        raise ValidationError("%s: %r is not a file; give a PEM bundle of CA certificates." % (option, path))
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise ValidationError("%s: cannot read %r (%s)." % (option, path, exc.strerror or type(exc).__name__)) from None
    if b"-----BEGIN CERTIFICATE-----" not in data:
        raise ValidationError("%s: %r holds no PEM certificate (-----BEGIN CERTIFICATE-----)." % (option, path))
    import ssl  # pylint: disable=import-outside-toplevel

    try:
        ssl.create_default_context(cafile=path)
    except (ssl.SSLError, ValueError, OSError):
        raise ValidationError("%s: %r is not a valid PEM CA bundle." % (option, path)) from None


def validate_connection(params):
    """Check the connection options locally, before any network call.

    Returns ConnectionSettings(auth_method, endpoints, verify, token_cache_path);
    raises ValidationError (or KeyMaterialError) naming the option to fix.
    """
    method = select_auth_method(params)
    if method == CLIENT_CERTIFICATE:
        load_certificate_credential(params["client_certificate_path"], params.get("client_certificate_password"))
    endpoints = resolve_endpoints(params.get("cloud") or "public", params.get("graph_endpoint"), params.get("authority_host"))
    timeout = params.get("timeout")
    if timeout is not None and not timeout > 0:
        raise ValidationError("timeout must be greater than 0 seconds, got %r." % timeout)
    max_retries = params.get("max_retries")
    if max_retries is not None and max_retries < 0:
        raise ValidationError("max_retries must be 0 or more, got %r." % max_retries)
    validate_certs = params.get("validate_certs")
    ca_path = params.get("ca_path")
    verify = True
    if validate_certs is False:
        verify = False
    elif ca_path:
        _validate_ca_path(ca_path)
        verify = ca_path
    cache_path = resolve_token_cache_path(params.get("token_cache_path"))
    if cache_path and os.path.isdir(cache_path):
        raise ValidationError("token_cache_path (or B2C_TOKEN_CACHE_PATH): %r is a directory; give a file path, "
                              "or an empty string to disable the cache." % cache_path)
    return ConnectionSettings(auth_method=method, endpoints=endpoints, verify=verify, token_cache_path=cache_path)
