# -*- coding: utf-8 -*-
# Copyright: b2c.trustframework contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Token providers: where the bearer token for Graph comes from, and login errors as AuthError.

A provider has ``get_token()`` and ``invalidate()`` (after Graph answered 401).
``access_token`` needs no call; the other credentials (client secret, client
certificate, federated token of workload identity, managed identity) get their token from
msal, through the collection's own HTTP adapter (login_http) and the
persisted cache (token_cache). msal is imported only when a token is really
requested and the cache has none.
"""

from __future__ import annotations

import json
import re
import sys

from ansible_collections.b2c.trustframework.plugins.module_utils.clouds import KNOWN_AUTHORITY_HOSTS
from ansible_collections.b2c.trustframework.plugins.module_utils.auth_method_access_token import AccessTokenCredential
from ansible_collections.b2c.trustframework.plugins.module_utils.auth_method_managed_identity import ManagedIdentityCredential
from ansible_collections.b2c.trustframework.plugins.module_utils.errors import (
    AuthError,
    B2CError,
    MissingLibraryError,
    exception_chain,
)
from ansible_collections.b2c.trustframework.plugins.module_utils.redaction import first_line, sanitize_text
from ansible_collections.b2c.trustframework.plugins.module_utils.shorten import shorten
from ansible_collections.b2c.trustframework.plugins.module_utils.token_cache import TokenCacheFile, http_cache_to_json
from ansible_collections.b2c.trustframework.plugins.module_utils.version import COLLECTION_VERSION


class StaticTokenProvider:
    """access_token pass-through: no msal call. After a 401 the token is known to be bad."""

    def __init__(self, token):
        self._token = token
        self._rejected = False
        self.warnings = []

    def get_token(self):
        if self._rejected:
            raise AuthError(
                "Microsoft Graph rejected the supplied access token (HTTP 401): it has expired or was issued for another "
                "cloud or resource.",
                status=401,
                hint="Supply a fresh token in access_token (or B2C_ACCESS_TOKEN) whose audience is the Graph root in use.",
            )
        return self._token

    def invalidate(self):
        self._rejected = True

    def __repr__(self):
        return "StaticTokenProvider(token=<redacted>)"


_AADSTS = re.compile(r"AADSTS\d+")
# How much of the login service's text a message quotes; a URL in it is kept whole (shorten.py).
_LOGIN_TEXT_LIMIT = 300


def _login_text(text):
    """The login service's ``text``, masked (redaction.py) and then shortened without cutting its URL."""
    return shorten(sanitize_text(text, limit=sys.maxsize), _LOGIN_TEXT_LIMIT)


def auth_error_from_result(result, what):
    """AuthError from an msal error dict (error, error_description, error_codes, correlation_id)."""
    description = result.get("error_description") or ""
    codes = result.get("error_codes") or []
    code = None
    if codes and isinstance(codes, list):
        code = "AADSTS%s" % codes[0]
    if code is None:
        match = _AADSTS.search(description)
        code = match.group(0) if match else (result.get("error") or None)
    line = _login_text(first_line(description)) or _login_text(result.get("error")) or "unknown error"
    correlation_id = result.get("correlation_id")
    msg = "%s failed: %s" % (what, line)
    if correlation_id:
        msg += " [correlation id %s]" % sanitize_text(correlation_id, 64)
    return AuthError(msg, code=code, status=result.get("status"), correlation_id=correlation_id)


def auth_error_from_exception(exc, what):
    """AuthError from an exception raised inside msal (discovery failures, bad authority, ...).

    msal wraps the discovery answer in a chained ValueError; the whole chain
    is searched for the AADSTS code, the HTTP status and the error description.
    """
    if isinstance(exc, AuthError):
        return exc
    code = status = description = None
    for item in exception_chain(exc):
        if isinstance(item, AuthError):
            return item
        text = str(item)
        if status is None:
            status_match = re.search(r"HTTP (?:status|Error):? (\d{3})", text)
            if status_match:
                status = int(status_match.group(1))
        brace = text.find("{")
        if brace >= 0 and description is None:
            try:
                body = json.loads(text[brace:])
            except ValueError:
                body = None
            if isinstance(body, dict):
                if body.get("error_description"):
                    description = first_line(body["error_description"])
                codes = body.get("error_codes")
                if isinstance(codes, list) and codes and code is None:
                    code = "AADSTS%s" % codes[0]
        if code is None:
            match = _AADSTS.search(text)
            if match:
                code = match.group(0)
    detail = description or first_line(str(exc)) or type(exc).__name__
    if status is not None and description:
        detail = "HTTP %d: %s" % (status, detail)
    msg = "%s failed: %s" % (what, _login_text(detail))
    return AuthError(msg, code=code, status=status)


class MsalTokenProvider:
    """Tokens from msal (client secret, client certificate, workload identity or managed identity), with a persisted cache."""

    # pylint: disable-next=too-many-arguments
    def __init__(self, kind, build_app, acquire, cache_file, section_key, description, target=None, http_adapter=None):
        self.kind = kind
        self._http_adapter = http_adapter
        self._target = target
        self._build_app = build_app
        self._acquire = acquire
        self._cache_file = cache_file
        self._section_key = section_key
        self._description = description
        self._token = None
        self._force_refresh = False

    @property
    def warnings(self):
        return self._cache_file.warnings if self._cache_file is not None else []

    def __repr__(self):
        return "MsalTokenProvider(kind=%r)" % self.kind

    def get_token(self):
        if self._token is not None:
            return self._token
        fast = self._cache_file is not None and not self._force_refresh
        # Fast path: a still-valid token in the cache file needs neither msal nor the lock.
        token = self._cache_file.cached_access_token(self._section_key, self._target) if fast else None
        result = None
        if token is None:
            if self._cache_file is None:
                result = self._acquire_with(None)
            else:
                with self._cache_file.locked() as usable:
                    # Another process may have stored a token while we waited for the lock.
                    if usable and fast:
                        token = self._cache_file.cached_access_token(self._section_key, self._target)
                    if token is None:
                        result = self._acquire_with(self._cache_file if usable else None)
            if token is None:
                self._force_refresh = False
                token = result.get("access_token") if isinstance(result, dict) else None
                if not token:
                    raise self._with_wait_advice(auth_error_from_result(result if isinstance(result, dict) else {},
                                                                        self._description))
        self._token = token
        return token

    def _acquire_with(self, cache_file):
        try:
            import msal  # pylint: disable=import-outside-toplevel
        except ImportError:
            raise MissingLibraryError("msal", "auth_method %s" % self.kind) from None
        token_cache = msal.SerializableTokenCache()
        http_cache = {}
        before = None
        if cache_file is not None:
            serialized, http_cache = cache_file.load_section(self._section_key)
            if serialized:
                try:
                    token_cache.deserialize(serialized)
                except ValueError:
                    token_cache = msal.SerializableTokenCache()
            before = json.dumps(http_cache_to_json(http_cache), sort_keys=True)
        if self._force_refresh:
            for entry in list(token_cache.search(msal.TokenCache.CredentialType.ACCESS_TOKEN)):
                token_cache.remove_at(entry)
        try:
            app = self._build_app(msal, token_cache, http_cache)
            result = self._acquire(app)
        except B2CError as exc:
            raise self._with_wait_advice(exc)
        except Exception as exc:  # pylint: disable=broad-except
            raise self._with_wait_advice(auth_error_from_exception(exc, self._description)) from None
        if cache_file is not None:
            after = json.dumps(http_cache_to_json(http_cache), sort_keys=True)
            if token_cache.has_state_changed or after != before:
                cache_file.save_section(self._section_key, token_cache.serialize(), http_cache)
        return result

    def _with_wait_advice(self, error):
        """``error``, told how long the login endpoint asked to wait when that was longer than the task waits."""
        advice = getattr(self._http_adapter, "advice", None)
        if advice and not getattr(error, "hint", None):
            error.hint = advice
        return error

    def invalidate(self):
        """Forget the current token; the next get_token() asks the identity platform for a new one."""
        self._token = None
        self._force_refresh = True


class _LoginHttp:
    """The HTTP adapter msal logs in through (login_http.MsalHttpClient), built when msal first needs it:
    a task whose token is in the cache file imports neither msal nor the adapter."""

    def __init__(self, http_client, timeout, max_retries):
        self._arguments = (http_client, timeout, max_retries)
        self._client = None

    def client(self):
        if self._client is None:
            # pylint: disable-next=import-outside-toplevel
            from ansible_collections.b2c.trustframework.plugins.module_utils.login_http import MsalHttpClient

            http_client, timeout, max_retries = self._arguments
            self._client = MsalHttpClient(http_client, timeout=timeout, max_retries=max_retries)
        return self._client

    @property
    def advice(self):
        return self._client.advice if self._client is not None else None


def build_token_provider(settings, http_client):
    """Token provider for ``settings`` (a ConnectionSettings): its credential, endpoints, cache, retries.

    ``http_client`` is the shared httpx.Client; msal never builds its own
    requests session, so TLS settings apply to login too.
    """
    credential = settings.credential
    if isinstance(credential, AccessTokenCredential):
        return StaticTokenProvider(credential.token)
    adapter = _LoginHttp(http_client, settings.timeout, settings.max_retries)
    cache_file = (TokenCacheFile(settings.token_cache_path, authority_host=settings.endpoints.authority_host)
                  if settings.token_cache_path else None)
    if isinstance(credential, ManagedIdentityCredential):
        return _managed_identity_provider(credential, settings.endpoints, adapter, cache_file)
    return _confidential_client_provider(credential, settings.endpoints, adapter, cache_file)


def _managed_identity_provider(credential, endpoints, adapter, cache_file):
    resource = endpoints.graph_root

    def build_mi(msal, token_cache, http_cache):
        identity = (msal.UserAssignedManagedIdentity(client_id=credential.client_id) if credential.client_id
                    else msal.SystemAssignedManagedIdentity())
        return msal.ManagedIdentityClient(identity, http_client=adapter.client(), token_cache=token_cache, http_cache=http_cache)

    key = TokenCacheFile.section_key("mi", credential.client_id or "system", resource)
    return MsalTokenProvider(credential.method, build_mi, lambda app: app.acquire_token_for_client(resource=resource),
                             cache_file, key, "Getting a managed identity token", target=resource, http_adapter=adapter)


def _confidential_client_provider(credential, endpoints, adapter, cache_file):
    """Client secret, client certificate or federated token (the credential's ``client_credential``) through msal's
    ConfidentialClientApplication."""
    authority = "%s/%s" % (endpoints.authority_host.rstrip("/"), credential.tenant_id)
    client_credential = credential.client_credential
    # msal asks Microsoft's public instance discovery about hosts it does not know (an emulator, a proxy).
    custom_authority = endpoints.authority_host.rstrip("/") not in KNOWN_AUTHORITY_HOSTS
    scopes = [endpoints.scope]

    def build_cca(msal, token_cache, http_cache):
        kwargs = {}
        if custom_authority:
            kwargs["instance_discovery"] = False
        return msal.ConfidentialClientApplication(
            credential.client_id, client_credential=client_credential, authority=authority, token_cache=token_cache,
            http_cache=http_cache, http_client=adapter.client(), app_name="b2c.trustframework",
            app_version=COLLECTION_VERSION, **kwargs)

    key = TokenCacheFile.section_key("cca", authority, credential.client_id, credential.fingerprint, endpoints.scope)
    return MsalTokenProvider(credential.method, build_cca, lambda app: app.acquire_token_for_client(scopes=scopes),
                             cache_file, key, "Getting a token for client %s from %s" % (credential.client_id, authority),
                             target=endpoints.scope, http_adapter=adapter)
