# -*- coding: utf-8 -*-
# Copyright: b2c.trustframework contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The HTTP client msal uses for login: a requests-like adapter over the collection's httpx client.

msal's default client is a requests Session, which lets REQUESTS_CA_BUNDLE /
CURL_CA_BUNDLE override the TLS settings; this adapter sends login calls
through the same httpx client as Graph calls, so validate_certs and ca_path
apply to both. Retry waits (Retry-After, backoff) come from retry.py, so login
and Graph calls back off the same way.
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from ansible_collections.b2c.trustframework.plugins.module_utils.errors import AuthError
from ansible_collections.b2c.trustframework.plugins.module_utils.retry import (
    DEFAULT_MAX_RETRIES,
    RETRY_STATUSES,
    Attempt,
    send_with_retries,
)
from ansible_collections.b2c.trustframework.plugins.module_utils.transport import (
    RETRIED_TRANSPORT_FAILURES,
    classify_transport_error,
    httpx,
    transport_reason,
)


class MsalResponse:
    """What msal needs from a response (status_code, text, headers, raise_for_status()); also restores msal's http cache."""

    def __init__(self, status_code, text, headers):
        self.status_code = status_code
        self.text = text
        self.headers = headers

    def raise_for_status(self):
        if self.status_code >= 400:
            raise AuthError("the login endpoint answered HTTP %d" % self.status_code, status=self.status_code)


_TRANSPORT_ERROR_CLASS = []


def _msal_transport_error_class():
    """AuthError that msal also recognises as a transport error (requests.RequestException).

    Built lazily: requests is imported only when msal (which imports it anyway) is in use.
    """
    if not _TRANSPORT_ERROR_CLASS:
        try:
            from requests.exceptions import RequestException  # pylint: disable=import-outside-toplevel
        except ImportError:  # pragma: no cover - msal depends on requests
            cls = AuthError
        else:
            cls = type(
                "LoginTransportError",
                (AuthError, RequestException),
                {
                    "__init__": AuthError.__init__,
                    "__str__": AuthError.__str__,
                    "__repr__": AuthError.__repr__,
                    "__module__": __name__,
                },
            )
        _TRANSPORT_ERROR_CLASS.append(cls)
    return _TRANSPORT_ERROR_CLASS[0]


def _clean_mapping(mapping):
    """``mapping`` without None values and with bytes decoded, as requests would send it."""
    if mapping is None or not isinstance(mapping, dict):
        return mapping
    cleaned = {}
    for key, value in mapping.items():
        if value is None:
            continue
        if isinstance(value, bytes):
            value = value.decode("utf-8")
        cleaned[key] = value
    return cleaned


class MsalHttpClient:
    """Adapter given to msal as ``http_client``: requests-like get/post on top of httpx.

    Decodes bytes values (msal passes the client assertion as bytes), drops
    None values like requests does, and raises an AuthError (also a
    requests.RequestException, so msal treats it as a transport error) when
    the login endpoint cannot be reached. Throttling, 502/503/504 and transport
    errors are retried by the same loop as Graph calls (retry.send_with_retries:
    ``max_retries``, Retry-After honoured, one wait budget per request):
    discovery GETs and client-credentials token POSTs are safe to repeat.
    ``advice`` tells how long the service asked to wait when that was longer
    than the task waits (the token provider adds it to its error).
    The httpx client belongs to the caller, who closes it.
    """

    def __init__(self, client, timeout=None, max_retries=DEFAULT_MAX_RETRIES, sleep=time.sleep):
        self._client = client
        self._timeout = timeout
        self._max_retries = max_retries  # checked once, before any request: ConnectionSettings
        self._sleep = sleep
        self.advice = None

    def get(self, url, params=None, headers=None, **kwargs):
        return self._send("GET", url, params=params, headers=headers, **kwargs)

    # pylint: disable-next=too-many-arguments
    def post(self, url, params=None, data=None, json=None, headers=None, **kwargs):
        return self._send("POST", url, params=params, data=data, json=json, headers=headers, **kwargs)

    # pylint: disable-next=too-many-arguments
    def _send(self, method, url, params=None, data=None, json=None, headers=None, **kwargs):
        timeout = kwargs.get("timeout", self._timeout)
        request_kwargs = {"params": _clean_mapping(params), "headers": _clean_mapping(headers)}
        if isinstance(data, dict):
            request_kwargs["data"] = _clean_mapping(data)
        elif data is not None:
            request_kwargs["content"] = data
        if json is not None:
            request_kwargs["json"] = json
        if timeout is not None:
            request_kwargs["timeout"] = timeout
        attempt, _retries, self.advice = send_with_retries(
            lambda retries: self._attempt(method, url, request_kwargs), self._max_retries, self._sleep
        )
        if attempt.error is not None:
            raise attempt.error
        response = attempt.value
        return MsalResponse(response.status_code, response.text, response.headers)

    def _attempt(self, method, url, request_kwargs):
        """One request as an Attempt: an answer msal reads (retryable when throttled or unavailable), or an error."""
        try:
            response = self._client.request(method, url, **request_kwargs)
        except httpx.HTTPError as exc:
            kind, dummy = classify_transport_error(exc)
            where = urlsplit(url)
            error = _msal_transport_error_class()(
                "could not reach the login endpoint %s://%s%s: %s"
                % (where.scheme, where.netloc, where.path, transport_reason(exc, kind)),
                transport=kind if kind != "other" else None,
            )
            return Attempt(error=error, retryable=kind in RETRIED_TRANSPORT_FAILURES)
        return Attempt(value=response, retryable=response.status_code in RETRY_STATUSES, response=response)
