# -*- coding: utf-8 -*-
# Copyright: b2c.trustframework contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The connection/auth argument spec shared by every module (validated by connection_settings)."""

from __future__ import annotations

import copy
import os

from ansible.module_utils.basic import env_fallback
from ansible.module_utils.errors import AnsibleFallbackNotFound

from ansible_collections.b2c.trustframework.plugins.module_utils.clouds import CLOUD_NAMES, cloud_name
from ansible_collections.b2c.trustframework.plugins.module_utils.credentials import AUTH_METHODS
from ansible_collections.b2c.trustframework.plugins.module_utils.retry import DEFAULT_MAX_RETRIES
from ansible_collections.b2c.trustframework.plugins.module_utils.transport import DEFAULT_TIMEOUT


def cloud_env_fallback(*names):
    """Fallback for ``cloud``: the first of the variables ``names`` that is set and not empty.

    An empty one is skipped (an AAP credential leaves the variables of its unset fields empty). A name of
    clouds.CLOUD_NAMES is accepted in any case there, and
    given as the cloud it names (``AzureChinaCloud`` -> ``china``).
    """
    for name in names:
        value = os.environ.get(name, "").strip()
        if value:
            spelled = cloud_name(value)
            return CLOUD_NAMES.get(spelled, spelled)
    raise AnsibleFallbackNotFound


CONNECTION_OPTIONS = dict(
    # The aliases are azure.azcollection's option names. Its "secret" is not one: b2c_keyset_key has an option of that
    # name (the key's value), and a client secret set as "secret" in module_defaults would become a key.
    tenant_id=dict(type="str", aliases=["tenant"], fallback=(env_fallback, ["AZURE_TENANT_ID", "AZURE_TENANT"])),
    client_id=dict(type="str", fallback=(env_fallback, ["AZURE_CLIENT_ID"])),
    client_secret=dict(type="str", no_log=True, fallback=(env_fallback, ["AZURE_CLIENT_SECRET", "AZURE_SECRET"])),
    client_certificate_path=dict(type="path", fallback=(env_fallback, ["AZURE_CLIENT_CERTIFICATE_PATH"])),
    client_certificate_password=dict(
        type="str", no_log=True, fallback=(env_fallback, ["AZURE_CLIENT_CERTIFICATE_PASSWORD"])
    ),
    managed_identity=dict(type="bool"),
    managed_identity_client_id=dict(type="str"),
    federated_token_file=dict(type="path", fallback=(env_fallback, ["AZURE_FEDERATED_TOKEN_FILE"])),
    access_token=dict(type="str", no_log=True, fallback=(env_fallback, ["B2C_ACCESS_TOKEN"])),
    # The choices are the code's (credentials.AUTH_METHODS, clouds.CLOUD_NAMES); a unit test holds the doc fragment to them.
    auth_method=dict(type="str", default="auto", choices=list(AUTH_METHODS)),
    # AZURE_CLOUD_ENVIRONMENT is what the AAP/AWX Azure credential and azure.azcollection set; AZURE_CLOUD wins.
    cloud=dict(
        type="str",
        default="public",
        choices=list(CLOUD_NAMES),
        aliases=["cloud_environment"],
        fallback=(cloud_env_fallback, ["AZURE_CLOUD", "AZURE_CLOUD_ENVIRONMENT"]),
    ),
    graph_endpoint=dict(type="str", fallback=(env_fallback, ["B2C_GRAPH_ENDPOINT"])),
    authority_host=dict(type="str", fallback=(env_fallback, ["AZURE_AUTHORITY_HOST"])),
    validate_certs=dict(type="bool", default=True),
    ca_path=dict(type="path", fallback=(env_fallback, ["B2C_CA_PATH"])),
    timeout=dict(type="float", default=DEFAULT_TIMEOUT),
    max_retries=dict(type="int", default=DEFAULT_MAX_RETRIES),
    token_cache_path=dict(type="path", no_log=False, fallback=(env_fallback, ["B2C_TOKEN_CACHE_PATH"])),
)


def graph_argument_spec(**module_options):
    """CONNECTION_OPTIONS plus the module's own options (a fresh copy each call)."""
    spec = copy.deepcopy(CONNECTION_OPTIONS)
    spec.update(module_options)
    return spec
