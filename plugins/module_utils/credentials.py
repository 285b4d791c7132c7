# -*- coding: utf-8 -*-
# Copyright: b2c.trustframework contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which credential a task uses (``auth_method``): the registry of auth methods, one file each
(auth_method_*.py), and the one place that selects and loads a credential.

The registry is the source of the ``auth_method`` choices (argspec.py) and of the order ``auto`` tries the
methods in; a unit test holds the doc fragment, the README and the authentication guide to it.
No network and no msal here: these checks run before any request.
"""

from __future__ import annotations

import os

from ansible_collections.b2c.trustframework.plugins.module_utils.auth_method_base import (
    HOW,
    inputs_present,
    present,
    require_library,
)
from ansible_collections.b2c.trustframework.plugins.module_utils.errors import ValidationError

AUTO = "auto"
# In the order auth_method=auto tries them. Workload identity comes before managed identity: a pipeline that
# sets a federated token file means it, and a managed identity cannot reach a B2C tenant on its own.
AUTH_PRECEDENCE = ("access_token", "client_certificate", "client_secret", "workload_identity", "managed_identity")
AUTH_METHODS = (AUTO,) + AUTH_PRECEDENCE  # the auth_method choices


def auth_method(name):
    """The AuthMethod called ``name`` (one of AUTH_PRECEDENCE). Its file is imported when asked for: a task
    imports the methods it looks at, not all five."""
    # pylint: disable=import-outside-toplevel
    if name == "access_token":
        from ansible_collections.b2c.trustframework.plugins.module_utils import auth_method_access_token as chosen
    elif name == "client_certificate":
        from ansible_collections.b2c.trustframework.plugins.module_utils import auth_method_client_certificate as chosen
    elif name == "client_secret":
        from ansible_collections.b2c.trustframework.plugins.module_utils import auth_method_client_secret as chosen
    elif name == "workload_identity":
        from ansible_collections.b2c.trustframework.plugins.module_utils import auth_method_workload_identity as chosen
    elif name == "managed_identity":
        from ansible_collections.b2c.trustframework.plugins.module_utils import auth_method_managed_identity as chosen
    else:
        raise KeyError(name)
    return chosen.METHOD


# The user form of the Azure credential (AAP/AWX, azure.azcollection): a person, not an application.
_USER_PASSWORD_VARIABLES = ("AZURE_AD_USER", "AZURE_PASSWORD")


def select_auth_method(params):
    """Return the auth method to use, or raise ValidationError naming what to set.

    auth_method=auto picks the first method whose inputs are present, in the
    order of AUTH_PRECEDENCE. An explicit auth_method requires its own inputs.
    Methods that prove an app registration also need tenant_id and client_id.
    """
    requested = params.get("auth_method") or AUTO  # one of AUTH_METHODS: the argument spec's choices refuse others
    if requested == AUTO:
        name = next((name for name in AUTH_PRECEDENCE if inputs_present(name, params)), None)
        if name is None:
            raise ValidationError(_no_credentials_message())
    else:
        name = requested
        auth_method(name).check_requested(params)
    if auth_method(name).needs_app:
        missing = [option for option in ("tenant_id", "client_id") if not present(params.get(option))]
        if missing:
            raise ValidationError(
                "auth_method %s needs %s: set %s."
                % (name, " and ".join(missing), " and ".join(HOW[option] for option in missing))
            )
    return name


def _no_credentials_message():
    choices = "set one of %s; %s, %s or %s (each with tenant_id and client_id); or %s." % (
        HOW["access_token"],
        HOW["client_certificate_path"],
        HOW["client_secret"],
        HOW["federated_token_file"],
        HOW["managed_identity"],
    )
    user_form = [name for name in _USER_PASSWORD_VARIABLES if present(os.environ.get(name))]
    if user_form:
        return (
            "Found %s (the user form of the Azure credential), but B2C automation cannot sign in as a user: it "
            "needs an application credential (a client secret, a client certificate, workload identity, a managed "
            "identity or an access token): %s" % (" and ".join(user_form), choices)
        )
    return "No credentials: " + choices


def load_credential(params):
    """Select the auth method and load its credential; the one place that reads credential options.

    Raises ValidationError (MissingLibraryError, KeyMaterialError) naming the
    option to fix; never includes a secret in the message.
    """
    name = select_auth_method(params)
    if name != "access_token":
        require_library("msal", name)
    return auth_method(name).load(params)
