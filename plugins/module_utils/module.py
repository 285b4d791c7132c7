# -*- coding: utf-8 -*-
# Copyright: b2c.trustframework contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""B2CModule: AnsibleModule with the shared connection options and a lazily built Graph client."""

from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.b2c.trustframework.plugins.module_utils.argspec import graph_argument_spec
from ansible_collections.b2c.trustframework.plugins.module_utils.connection_settings import ConnectionSettings
from ansible_collections.b2c.trustframework.plugins.module_utils.errors import (
    AuthError,
    GraphError,
    MissingLibraryError,
    ValidationError,
)
from ansible_collections.b2c.trustframework.plugins.module_utils.graph_client import GraphClient
from ansible_collections.b2c.trustframework.plugins.module_utils.redaction import register_secrets
from ansible_collections.b2c.trustframework.plugins.module_utils.token_providers import build_token_provider
from ansible_collections.b2c.trustframework.plugins.module_utils.transport import (
    HAS_HTTPX,
    HTTPX_IMPORT_ERROR,
    build_http_client,
)


class B2CModule(AnsibleModule):
    """AnsibleModule for b2c.trustframework modules.

    Merges the connection options into ``argument_spec``, checks libraries
    and validates connection options before any network call. ``graph`` is
    the GraphClient (built on first use); ``fail_b2c`` turns B2CError into
    ``fail_json`` with hints and machine-readable fields.
    """

    def __init__(self, argument_spec=None, supports_check_mode=True, **kwargs):
        super().__init__(
            argument_spec=graph_argument_spec(**(argument_spec or {})),
            supports_check_mode=supports_check_mode,
            **kwargs,
        )
        # The one place where the secret options reach the error formatting (errors.sanitize_text).
        register_secrets(self.no_log_values)
        self._graph = None
        self._http_client = None
        self._token_provider = None
        self._closed = False
        self.connection = None
        if not HAS_HTTPX:
            self.fail_json(msg=missing_required_lib("httpx"), exception=HTTPX_IMPORT_ERROR)
        try:
            self.connection = ConnectionSettings.from_params(self.params)
        except MissingLibraryError as exc:
            self.fail_json(msg=missing_required_lib(exc.library))
        except ValidationError as exc:
            self.fail_json(msg=str(exc))

    @property
    def graph(self):
        """The GraphClient, built once; its httpx client is shared with msal for login."""
        if self._graph is None:
            settings = self.connection
            if settings.verify is False:
                self.warn(
                    "validate_certs=false: TLS certificates of Microsoft Graph and the login endpoint are not "
                    "verified. Use this only against a test endpoint; prefer ca_path."
                )
            self._http_client = build_http_client(settings.verify, settings.timeout)
            self._token_provider = build_token_provider(settings, self._http_client)
            self._graph = GraphClient(
                settings.endpoints.graph_root,
                self._token_provider,
                timeout=settings.timeout,
                max_retries=settings.max_retries,
                http_client=self._http_client,
            )
        return self._graph

    def fail_b2c(self, error, context, **details):
        """fail_json for a B2CError: '<context>: <error> <hint>' plus graph_error_code/status/request ids or auth_error_code.

        ``details`` are further return values of the failed task.
        """
        # Imported here: the hint tables are only needed by a task that fails.
        from ansible_collections.b2c.trustframework.plugins.module_utils.hints import hint_for  # pylint: disable=import-outside-toplevel

        msg = "%s: %s" % (context, error) if context else str(error)
        hint = hint_for(error)
        if hint and hint not in msg:
            msg += " " + hint
        result = dict(details)
        if isinstance(error, GraphError):
            result.update(
                graph_error_code=error.code,
                status=error.status,
                request_id=error.request_id,
                client_request_id=error.client_request_id,
            )
        elif isinstance(error, AuthError):
            result.update(auth_error_code=error.code)
            if error.status is not None:
                result["status"] = error.status
        self.fail_json(msg=msg, **result)

    def _close(self):
        if getattr(self, "_closed", True):  # also True while AnsibleModule.__init__ is still running
            return
        self._closed = True
        provider = self._token_provider
        for warning in getattr(provider, "warnings", None) or []:
            self.warn(warning)
        if self._http_client is not None:
            try:
                self._http_client.close()
            except Exception:  # pylint: disable=broad-except
                pass

    def exit_json(self, **kwargs):
        self._close()
        super().exit_json(**kwargs)

    def fail_json(self, msg, **kwargs):
        self._close()
        super().fail_json(msg=msg, **kwargs)
