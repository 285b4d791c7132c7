# -*- coding: utf-8 -*-
# Copyright: b2c.trustframework contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Microsoft Graph (beta) HTTP client: URLs, JSON, paging, the bearer token, one request's attempts.

Knows nothing about keys, Ansible or check mode: it sends JSON, follows
``@odata.nextLink``, retries what is safe to retry (retry.py) and turns every
failure into a :class:`GraphError` (a failed answer is read by graph_errors.py).
The httpx client comes from transport.py.
"""

from __future__ import annotations

import json as _json
import time
import uuid
from urllib.parse import quote, urlsplit

from ansible_collections.b2c.trustframework.plugins.module_utils.errors import GraphError, UnexpectedAnswer
from ansible_collections.b2c.trustframework.plugins.module_utils.redaction import sanitize_text
from ansible_collections.b2c.trustframework.plugins.module_utils.retry import (
    DEFAULT_MAX_RETRIES,
    MAX_TOTAL_WAIT,
    Attempt,
    send_with_retries,
)
from ansible_collections.b2c.trustframework.plugins.module_utils.transport import (
    DEFAULT_TIMEOUT,
    HAS_HTTPX,
    RETRIED_TRANSPORT_FAILURES,
    USER_AGENT,
    build_http_client,
    classify_transport_error,
    httpx,
    transport_reason,
)

# A safety net against a service that never stops paging (a repeated nextLink is caught at once);
# far above any tenant's keysets.
MAX_PAGES = 100000
JSON_TYPE = "application/json"


def quote_segment(segment):
    """Percent-encode one URL path segment (keyset id, kid): nothing is left unescaped but ``-._~``."""
    return quote(str(segment), safe="")


def _origin(url):
    """(scheme, host, port) with the default port filled in, for same-origin checks."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = -1
    return scheme, (parts.hostname or "").lower(), port or {"https": 443, "http": 80}.get(scheme)


class GraphClient:
    """Small Microsoft Graph beta client.

    ``token_provider`` has ``get_token() -> str`` and ``invalidate()``.
    ``verify`` is True, False or a CA bundle path (used only when this client
    builds its own httpx.Client). ``sleep`` is injectable for tests.
    """

    # pylint: disable-next=too-many-arguments
    def __init__(
        self,
        graph_root,
        token_provider,
        *,
        verify=True,
        timeout=DEFAULT_TIMEOUT,
        max_retries=DEFAULT_MAX_RETRIES,
        http_client=None,
        sleep=time.sleep,
        max_total_wait=MAX_TOTAL_WAIT,
    ):
        if not HAS_HTTPX:
            raise ImportError("httpx is required by b2c.trustframework")
        self.graph_root = graph_root.rstrip("/")
        self.base_url = self.graph_root + "/beta"
        self.token_provider = token_provider
        self.timeout = timeout
        self.max_retries = max_retries  # checked once, before any request: ConnectionSettings
        self.max_total_wait = max_total_wait
        self._sleep = sleep
        self._owns_client = http_client is None
        self._client = http_client if http_client is not None else build_http_client(verify, timeout)
        self._origin = _origin(self.base_url)

    # -- public API ---------------------------------------------------------------
    def url_for(self, path):
        """Absolute URL for a path relative to /beta, or ``path`` itself when absolute."""
        if path.startswith("https://") or path.startswith("http://"):
            return path
        if not path.startswith("/"):
            path = "/" + path
        return self.base_url + path

    # pylint: disable-next=too-many-arguments
    def request(self, method, path, *, json=None, params=None, content=None, content_type=None, accept=JSON_TYPE):
        """Send one request; return parsed JSON, or None for 204/empty bodies.

        ``content`` (bytes) is sent as given with its ``content_type`` instead of a
        JSON body. With an ``accept`` other than JSON, a success is returned as text
        (decoded with the answer's charset, UTF-8 when it names none).
        """
        method = method.upper()
        url = self.url_for(path)
        self._check_origin(url, method)
        body = content
        if json is not None:
            body, content_type = _json.dumps(json, separators=(",", ":")).encode("utf-8"), JSON_TYPE
        formats = {"Accept": accept}
        if body is not None:
            formats["Content-Type"] = content_type
        response, retries = self._send_with_retries(method, url, body, params, formats)
        if accept != JSON_TYPE:
            return _text_of(response)
        return self._parse_success(response, method, url, retries)

    def get_all(self, path, params=None):
        """GET a collection and follow ``@odata.nextLink`` exactly as given; return all ``value`` items."""
        items = []
        seen = set()
        page = self.request("GET", path, params=params)
        pages = 1
        while True:
            # The paging envelope; keyset_answers.py checks the items.
            if not isinstance(page, dict) or not isinstance(page.get("value", []), list):
                raise UnexpectedAnswer(
                    "unexpected answer from Graph: the page of %s is %s, not a JSON object with a "
                    "'value' list" % (urlsplit(path).path, sanitize_text(repr(page), 60))
                )
            items.extend(page.get("value", []))
            next_link = page.get("@odata.nextLink")
            if not next_link:
                break
            if next_link in seen or pages >= MAX_PAGES:
                raise GraphError(
                    method="GET",
                    path=urlsplit(next_link).path,
                    reason="paging did not terminate (repeated @odata.nextLink or more than %d pages)" % MAX_PAGES,
                )
            seen.add(next_link)
            page = self.request("GET", next_link)
            pages += 1
        return items

    def close(self):
        """Close the underlying httpx client when this object created it."""
        if self._owns_client and self._client is not None:
            self._client.close()
            self._client = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- internals ----------------------------------------------------------------
    def _check_origin(self, url, method):
        parts = urlsplit(url)
        if _origin(url) != self._origin:
            # Never send the bearer token to a host other than the Graph root (e.g. a forged nextLink).
            raise GraphError(
                method=method,
                path=parts.path,
                reason="refusing to send a request outside %s (got host %s)" % (self.base_url, parts.hostname),
            )

    def _headers(self, token, client_request_id, formats):
        """The headers of one attempt; ``formats``: its Accept and (with a body) Content-Type."""
        return dict(
            {
                "Authorization": "Bearer " + token,
                "client-request-id": client_request_id,
                "return-client-request-id": "true",
                "User-Agent": USER_AGENT,
            },
            **formats,
        )

    # pylint: disable-next=too-many-arguments
    def _send_with_retries(self, method, url, body, params, formats):
        path = urlsplit(url).path
        refreshed = []  # one fresh token per request() call, after the first 401

        def send(retries):
            return self._attempt(method, url, path, body, params, retries, refreshed, formats)

        attempt, retries, advice = send_with_retries(send, self.max_retries, self._sleep, self.max_total_wait)
        if attempt.error is not None:
            if advice:
                attempt.error.hint = advice
            raise attempt.error
        return attempt.value, retries

    # pylint: disable-next=too-many-arguments
    def _attempt(self, method, url, path, body, params, retries, refreshed, formats):
        """One request (two after a 401 answered with the first token) as an Attempt."""
        while True:
            client_request_id = str(uuid.uuid4())
            headers = self._headers(self.token_provider.get_token(), client_request_id, formats)
            try:
                response = self._client.request(
                    method, url, content=body, params=params, headers=headers, timeout=self.timeout
                )
            except httpx.HTTPError as exc:
                kind, sent = classify_transport_error(exc)
                error = GraphError(
                    method=method,
                    path=path,
                    client_request_id=client_request_id,
                    may_have_been_applied=(method == "POST" and sent),
                    retries=retries,
                    transport=kind,
                    reason=transport_reason(exc, kind),
                )
                return Attempt(
                    error=error, retryable=kind in RETRIED_TRANSPORT_FAILURES and (method != "POST" or not sent)
                )
            status = response.status_code
            if 200 <= status < 300:
                return Attempt(value=response)
            if status == 401 and not refreshed:
                refreshed.append(True)
                response.close()
                self.token_provider.invalidate()
                continue
            # pylint: disable-next=import-outside-toplevel
            from ansible_collections.b2c.trustframework.plugins.module_utils import graph_errors

            error = graph_errors.graph_error_from_response(response, method, path, retries=retries)
            retryable, applied = graph_errors.failure_verdict(method, status, error)
            if applied:
                error.mark_may_have_been_applied()
            return Attempt(error=error, retryable=retryable, response=response)

    def _parse_success(self, response, method, url, retries):
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise GraphError(
                status=response.status_code,
                method=method,
                path=urlsplit(url).path,
                retries=retries,
                request_id=response.headers.get("request-id"),
                client_request_id=response.headers.get("client-request-id"),
                reason="the response is not JSON",
            ) from None


def _text_of(response):
    """A success answer as text, or None for 204/empty bodies."""
    if response.status_code == 204 or not response.content:
        return None
    try:
        return response.content.decode(response.charset_encoding or "utf-8", "replace")
    except LookupError:  # a charset Python does not know
        return response.content.decode("utf-8", "replace")
