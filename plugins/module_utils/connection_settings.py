# -*- coding: utf-8 -*-
# Copyright: b2c.trustframework contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The connection options, validated once into ConnectionSettings before any network call.

Everything after this step (HTTP client, token provider, Graph client) reads
the settings object, never the raw options again.
"""

from __future__ import annotations

import math
import os
from typing import NamedTuple, Optional, Union

from ansible_collections.b2c.trustframework.plugins.module_utils.clouds import Endpoints, resolve_endpoints
from ansible_collections.b2c.trustframework.plugins.module_utils.credentials import load_credential
from ansible_collections.b2c.trustframework.plugins.module_utils.errors import ValidationError
from ansible_collections.b2c.trustframework.plugins.module_utils.input_files import read_input_file
from ansible_collections.b2c.trustframework.plugins.module_utils.retry import DEFAULT_MAX_RETRIES
from ansible_collections.b2c.trustframework.plugins.module_utils.token_cache import resolve_token_cache_path
from ansible_collections.b2c.trustframework.plugins.module_utils.transport import DEFAULT_TIMEOUT, build_ssl_context


class ConnectionSettings(NamedTuple):
    """What a task connects with.

    ``credential``: one of the credentials.*Credential classes (its ``method``
    is the resolved auth_method). ``verify``: True, False or the path of a CA
    bundle. ``token_cache_path``: the cache file, or None when disabled.
    """

    credential: object
    endpoints: Endpoints
    verify: Union[bool, str]
    timeout: float
    max_retries: int
    token_cache_path: Optional[str]

    @classmethod
    def from_params(cls, params):
        """Check the connection options locally; raise ValidationError (or a subclass) naming the option to fix."""
        credential = load_credential(params)
        endpoints = resolve_endpoints(
            params.get("cloud") or "public", params.get("graph_endpoint"), params.get("authority_host")
        )
        timeout = params.get("timeout")
        if timeout is None:  # timeout: null in a task; the argument spec's default covers an absent option
            timeout = DEFAULT_TIMEOUT
        if math.isnan(timeout) or timeout <= 0:
            raise ValidationError("timeout must be greater than 0 seconds, got %r." % timeout)
        max_retries = params.get("max_retries")
        if max_retries is None:
            max_retries = DEFAULT_MAX_RETRIES
        if max_retries < 0:  # the one check: the Graph and login retry loops take the value as it is
            raise ValidationError("max_retries must be 0 or more, got %r." % max_retries)
        return cls(
            credential=credential,
            endpoints=endpoints,
            verify=_tls_verify(params),
            timeout=float(timeout),
            max_retries=int(max_retries),
            token_cache_path=resolve_token_cache_path(params.get("token_cache_path")),
        )


def _tls_verify(params):
    if params.get("validate_certs") is False:
        return False
    ca_path = params.get("ca_path")
    if ca_path:
        _validate_ca_path(ca_path)
        return ca_path
    return True


def _validate_ca_path(path):
    option = "ca_path (or B2C_CA_PATH)"
    if not os.path.exists(path):
        raise ValidationError("%s: %r does not exist." % (option, path))
    if not os.path.isfile(path):
        raise ValidationError("%s: %r is not a file; give a PEM bundle of CA certificates." % (option, path))
    data = read_input_file(path, option)
    if b"-----BEGIN CERTIFICATE-----" not in data:
        raise ValidationError("%s: %r holds no PEM certificate (-----BEGIN CERTIFICATE-----)." % (option, path))
    build_ssl_context(path)  # parses the bundle; the task's httpx client reuses this context
