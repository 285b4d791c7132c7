# -*- coding: utf-8 -*-
# Copyright: b2c.trustframework contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every auth method file (auth_method_*.py) shares: how to tell the user to set an input, when an input
counts as given, the app registration a credential belongs to.

An auth method file defines an AuthMethod subclass and its credential, and ``METHOD``, its instance; the
registry (credentials.py) lists them in the order ``auto`` tries them.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass

from ansible_collections.b2c.trustframework.plugins.module_utils.errors import MissingLibraryError, ValidationError

# How to tell the user to supply each input.
HOW = {
    "tenant_id": "tenant_id (or AZURE_TENANT_ID)",
    "client_id": "client_id (or AZURE_CLIENT_ID)",
    "client_secret": "client_secret (or AZURE_CLIENT_SECRET)",
    "client_certificate_path": "client_certificate_path (or AZURE_CLIENT_CERTIFICATE_PATH)",
    "client_certificate_password": "client_certificate_password (or AZURE_CLIENT_CERTIFICATE_PASSWORD)",
    "federated_token_file": "federated_token_file (or AZURE_FEDERATED_TOKEN_FILE)",
    "access_token": "access_token (or B2C_ACCESS_TOKEN)",
    "managed_identity": "managed_identity=true",
}


# The option each auth method needs (``input``); under ``auth_method: auto`` its presence selects the method.
INPUT = {
    "access_token": "access_token",
    "client_certificate": "client_certificate_path",
    "client_secret": "client_secret",
    "workload_identity": "federated_token_file",
    "managed_identity": "managed_identity",
}


def present(value):
    """An input counts as given unless it is None or blank (an AAP credential leaves unset fields empty)."""
    if value is None:
        return False
    if isinstance(value, str):
        return value.strip() != ""
    return True


def inputs_present(name, params):
    """Whether the inputs of auth method ``name`` are given, so that ``auth_method: auto`` picks it. Decided from
    the options alone: auto imports the file of the method it picks, not of those it passes over."""
    if name == "managed_identity":  # managed_identity=true, or the client id of a user-assigned identity
        return params.get("managed_identity") is True or present(params.get("managed_identity_client_id"))
    return present(params.get(INPUT[name]))


def require_input(method, option, params):
    """``auth_method=<method>`` without its input ``option``: ValidationError naming it."""
    if not present(params.get(option)):
        raise ValidationError("auth_method=%s needs %s: set %s." % (method, option, HOW[option]))


def require_library(library, method):
    try:
        found = importlib.util.find_spec(library) is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        raise MissingLibraryError(library, "auth_method %s" % method)


class AuthMethod:
    """``name`` (the auth_method value), ``input`` (the option it needs: ``INPUT[name]``), ``needs_app`` (it
    also needs tenant_id and client_id) and ``load(params)``, which returns its credential."""

    name = ""
    input = ""
    needs_app = False

    def check_requested(self, params):
        """Its inputs, when ``auth_method`` names it."""
        require_input(self.name, self.input, params)

    def load(self, params):
        raise NotImplementedError


@dataclass(frozen=True)
class AppCredential:
    """An app registration (``client_id``) in a tenant."""

    tenant_id: str
    client_id: str

    @staticmethod
    def identity(params):
        """``dict(tenant_id=..., client_id=...)`` of the options, stripped."""
        return dict(tenant_id=str(params["tenant_id"]).strip(), client_id=str(params["client_id"]).strip())
