# -*- coding: utf-8 -*-
# Copyright: b2c.trustframework contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""auth_method workload_identity: an app registration that trusts an external OIDC token (workload identity
federation), sent as the client assertion."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ansible_collections.b2c.trustframework.plugins.module_utils.auth_method_base import (
    HOW,
    INPUT,
    AppCredential,
    AuthMethod,
)
from ansible_collections.b2c.trustframework.plugins.module_utils.errors import KeyMaterialError
from ansible_collections.b2c.trustframework.plugins.module_utils.input_files import read_input_file


@dataclass(frozen=True)
class WorkloadIdentityCredential(AppCredential):
    """The token file is re-read on every token request: the platform (GitHub Actions, Azure Pipelines,
    Kubernetes) replaces it with a fresh short-lived token while the play runs."""

    method: ClassVar[str] = "workload_identity"
    token_file: str

    @property
    def fingerprint(self):
        # Not the assertion: it changes on every refresh, while the app (and so the token it gets) stays the same.
        return "federated"

    @property
    def client_credential(self):
        """msal's ``client_credential``: a callable, so msal reads a renewed token file for each token request."""
        return {"client_assertion": self.read_assertion}

    def read_assertion(self):
        """The current federated token, or KeyMaterialError naming the option (never the token)."""
        return read_federated_token(self.token_file)


class WorkloadIdentity(AuthMethod):
    name = WorkloadIdentityCredential.method
    input = INPUT[name]
    needs_app = True

    def load(self, params):
        token_file = str(params[self.input])
        read_federated_token(token_file)  # fail before any request when the file is missing or empty
        return WorkloadIdentityCredential(token_file=token_file, **AppCredential.identity(params))


METHOD = WorkloadIdentity()


def read_federated_token(path):
    """The OIDC token in ``path`` (whitespace around it dropped), or KeyMaterialError; never shows the token."""
    option = HOW[METHOD.input]
    raw = read_input_file(path, option)
    try:
        token = raw.decode("ascii").strip()
    except UnicodeDecodeError:
        token = ""
    if token.count(".") != 2 or any(ch.isspace() for ch in token):
        raise KeyMaterialError(
            "%s: %r does not hold a JWT (an OIDC token from the pipeline or cluster)." % (option, path)
        )
    return token
