# -*- coding: utf-8 -*-
# Copyright: b2c.trustframework contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A login through msal: the cache file locked, loaded and saved around it, and its failures as AuthError.

Imported by token_providers.py only when no still-valid token is in the
cache file: msal itself is imported here, inside the login.
"""

from __future__ import annotations

import json
import re

from ansible_collections.b2c.trustframework.plugins.module_utils.errors import (
    AuthError,
    B2CError,
    MissingLibraryError,
    exception_chain,
)
from ansible_collections.b2c.trustframework.plugins.module_utils.redaction import first_line, sanitize_text
from ansible_collections.b2c.trustframework.plugins.module_utils.token_cache_store import (
    TokenCacheStore,
    http_cache_to_json,
)

_AADSTS = re.compile(r"AADSTS\d+")


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
    line = sanitize_text(first_line(description)) or sanitize_text(result.get("error")) or "unknown error"
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
    msg = "%s failed: %s" % (what, sanitize_text(detail))
    return AuthError(msg, code=code, status=status)


def log_in(provider, look_again):
    """A token for ``provider`` (a token_providers.MsalTokenProvider) from msal; AuthError when it gives none.

    With a cache file, the whole login holds its lock; with ``look_again`` the
    file is read once more under the lock, as another process may have stored
    a token while this one waited.
    """
    if provider.cache_file is None:
        result = _acquire_with(provider, None)
    else:
        store = TokenCacheStore.of(provider.cache_file)
        with store.locked() as usable:
            token = store.cached_access_token(provider.section_key, provider.target) if usable and look_again else None
            if token is not None:
                return token
            result = _acquire_with(provider, store if usable else None)
    provider.force_refresh = False
    token = result.get("access_token") if isinstance(result, dict) else None
    if not token:
        raise _with_wait_advice(
            provider, auth_error_from_result(result if isinstance(result, dict) else {}, provider.description)
        )
    return token


def _acquire_with(provider, store):
    try:
        import msal  # pylint: disable=import-outside-toplevel
    except ImportError:
        raise MissingLibraryError("msal", "auth_method %s" % provider.kind) from None
    token_cache = msal.SerializableTokenCache()
    http_cache = {}
    before = None
    if store is not None:
        serialized, http_cache = store.load_section(provider.section_key)
        if serialized:
            try:
                token_cache.deserialize(serialized)
            except ValueError:
                token_cache = msal.SerializableTokenCache()
        before = json.dumps(http_cache_to_json(http_cache), sort_keys=True)
    if provider.force_refresh:
        for entry in list(token_cache.search(msal.TokenCache.CredentialType.ACCESS_TOKEN)):
            token_cache.remove_at(entry)
    try:
        app = provider.build_app(msal, token_cache, http_cache)
        result = provider.acquire(app)
    except B2CError as exc:
        raise _with_wait_advice(provider, exc) from exc
    except Exception as exc:  # pylint: disable=broad-except
        raise _with_wait_advice(provider, auth_error_from_exception(exc, provider.description)) from None
    if store is not None:
        after = json.dumps(http_cache_to_json(http_cache), sort_keys=True)
        if token_cache.has_state_changed or after != before:
            store.save_section(provider.section_key, token_cache.serialize(), http_cache)
    return result


def _with_wait_advice(provider, error):
    """``error``, told how long the login endpoint asked to wait when that was longer than the task waits."""
    advice = getattr(provider.http_adapter, "advice", None)
    if advice and not getattr(error, "hint", None):
        error.hint = advice
    return error
