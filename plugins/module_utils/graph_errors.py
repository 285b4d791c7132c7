# -*- coding: utf-8 -*-
# Copyright: b2c.trustframework contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a failed Graph answer says: its error parsed into a GraphError, and whether it is retried or may have been applied.

Imported by graph_client.py when an answer is not a success: a task whose
requests all succeed never loads it.
"""

from __future__ import annotations

from ansible_collections.b2c.trustframework.plugins.module_utils.errors import (
    CONCURRENT_WRITE_CODES,
    THROTTLING_CODES,
    GraphError,
)
from ansible_collections.b2c.trustframework.plugins.module_utils.redaction import sanitize_text
from ansible_collections.b2c.trustframework.plugins.module_utils.retry import RETRY_STATUSES

# How much of an error message GraphError.service_message keeps: a policy's validation message lists every error.
SERVICE_MESSAGE_LIMIT = 20000


def _walk_inner(error_obj):
    """Yield the nested innerError/innererror dicts, outermost first."""
    node = error_obj
    depth = 0
    while isinstance(node, dict) and depth < 10:
        inner = node.get("innerError")
        if inner is None:
            inner = node.get("innererror")
        if not isinstance(inner, dict):
            return
        yield inner
        node = inner
        depth += 1


def graph_error_from_response(response, method, path, retries=0, may_have_been_applied=False):
    """Build a GraphError from a non-2xx httpx response (JSON error body or not)."""
    status = response.status_code
    headers = response.headers
    code = graph_message = request_id = client_request_id = date = correlation_id = None
    inner_codes = []
    body = None
    try:
        body = response.json()
    except ValueError:
        body = None
    error_obj = body.get("error") if isinstance(body, dict) else None
    if isinstance(error_obj, dict):
        code = error_obj.get("code") if isinstance(error_obj.get("code"), str) else None
        message = error_obj.get("message")
        if isinstance(message, dict):  # some services nest {"lang", "value"}
            message = message.get("value")
        graph_message = message if isinstance(message, str) else None
        for inner in _walk_inner(error_obj):
            inner_code = inner.get("code")
            if isinstance(inner_code, str) and inner_code and inner_code != code:
                inner_codes.append(inner_code)
            request_id = request_id or inner.get("request-id") or inner.get("requestId")
            client_request_id = client_request_id or inner.get("client-request-id")
            date = date or inner.get("date")
            correlation_id = correlation_id or inner.get("correlationId")
    elif isinstance(error_obj, str):  # OAuth-style {"error": "...", "error_description": "..."}
        code = error_obj
        description = body.get("error_description") if isinstance(body, dict) else None
        graph_message = description if isinstance(description, str) else None
    request_id = request_id or headers.get("request-id")
    client_request_id = client_request_id or headers.get("client-request-id")
    date = date or headers.get("date")
    reason = None
    if graph_message is None:
        reason = response.reason_phrase or ""
        text = ""
        try:
            text = response.text
        except (UnicodeDecodeError, LookupError):
            text = ""
        excerpt = sanitize_text(text, 160) if text else ""
        if excerpt:
            reason = ("%s - %s" % (reason, excerpt)) if reason else excerpt
        reason = reason or None
    error = GraphError(
        status=status,
        code=code,
        inner_codes=inner_codes,
        graph_message=graph_message,
        request_id=request_id,
        client_request_id=client_request_id,
        date=date,
        method=method,
        path=path,
        may_have_been_applied=may_have_been_applied,
        retries=retries,
        reason=reason,
        correlation_id=correlation_id,
    )
    # graph_message is cut to one line's length; the whole text (secrets masked) stays available.
    error.service_message = sanitize_text(graph_message, SERVICE_MESSAGE_LIMIT) if graph_message else None
    return error


def failure_verdict(method, status, error):
    """``(retryable, may_have_been_applied)`` for a non-2xx answer.

    Throttling (429, or B2C's throttling codes that may come with a 400) was not
    applied and is retried for every method. Gateway errors and concurrent-write
    refusals are retried for idempotent methods; for a POST (which adds a key or
    a keyset) they are ambiguous, so the caller re-reads before any resend, as
    it does after a 5xx (B2C's intermittent AADB2C90063 comes as a 500).
    """
    if status == 429 or error.has_code(*THROTTLING_CODES):
        return True, False
    transient = status in RETRY_STATUSES or error.has_code(*CONCURRENT_WRITE_CODES)
    if method == "POST":
        return False, transient or status >= 500
    return transient, False
