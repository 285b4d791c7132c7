# -*- coding: utf-8 -*-
# Copyright: b2c.trustframework contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""When and how long to wait before sending a request again: one policy for Graph and login calls.

Which answers and transport failures are worth a retry, how long a
``Retry-After`` asks to wait (seconds or an HTTP date, capped), and the
exponential backoff with jitter used otherwise.
"""

from __future__ import annotations

import math
import random
import time
from email.utils import parsedate_to_datetime

try:
    import httpx
except ImportError:  # B2CModule reports the missing library through graph_client.HAS_HTTPX
    httpx = None

from ansible_collections.b2c.trustframework.plugins.module_utils.errors import exception_chain
from ansible_collections.b2c.trustframework.plugins.module_utils.redaction import sanitize_text

RETRY_STATUSES = frozenset((429, 502, 503, 504))
BACKOFF_BASE = 1.0          # seconds, first backoff
BACKOFF_CAP = 30.0          # seconds, cap of one computed backoff
RETRY_AFTER_CAP = 120.0     # seconds, cap of one server-requested wait
MAX_TOTAL_WAIT = 300.0      # seconds, total waiting per request() call


def is_tls_verify_error(exc):
    """True when ``exc`` (or its cause) is a certificate verification failure."""
    for item in exception_chain(exc):
        name = type(item).__name__
        if name == "SSLCertVerificationError" or "CERTIFICATE_VERIFY_FAILED" in str(item):
            return True
    return False


def classify_transport_error(exc):
    """Return (kind, sent) for an httpx transport exception.

    kind: ``tls``, ``connect``, ``timeout``, ``protocol`` or ``other``.
    sent: False when the request provably did not leave (connect phase),
    True when it may have reached the server.
    """
    if is_tls_verify_error(exc):
        return "tls", False
    if isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)):
        return ("timeout" if isinstance(exc, httpx.TimeoutException) else "connect"), False
    if isinstance(exc, httpx.TimeoutException):
        return "timeout", True
    if isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError, httpx.ProtocolError)):
        return "protocol", True
    if isinstance(exc, httpx.NetworkError):
        return "protocol", True
    return "other", False


def transport_reason(exc, kind):
    text = sanitize_text(str(exc), 200) or type(exc).__name__
    # What to do about it is the hint's job (hints.hint_for), so the reason states only what happened.
    if kind == "tls":
        return "TLS certificate verification failed (%s)" % text
    return "%s (%s)" % (type(exc).__name__, text)


def parse_retry_after(value, now=None):
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date), or None."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)


def backoff(attempt):
    """Capped exponential backoff with jitter for retry number ``attempt`` (0-based)."""
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * (2 ** attempt))
    return ceiling / 2.0 + random.uniform(0, ceiling / 2.0)


def retry_wait(response, attempt, remaining=MAX_TOTAL_WAIT):
    """Seconds to wait before retrying after ``response``: its Retry-After, else the backoff.

    None when the service asks for a longer wait than one wait may last
    (RETRY_AFTER_CAP) or than ``remaining`` seconds of the budget: a retry
    sent earlier than asked would only be refused again, so the caller fails
    at once (see retry_after_advice).
    """
    wait = parse_retry_after(response.headers.get("Retry-After"))
    if wait is None:
        return backoff(attempt)
    return wait if wait <= min(RETRY_AFTER_CAP, remaining) else None


def retry_after_advice(response, remaining, total=MAX_TOTAL_WAIT):
    """What to tell the user when the service's Retry-After is beyond what the task may wait."""
    asked = parse_retry_after(response.headers.get("Retry-After")) or 0
    return ("The service asked to wait %d s before the next attempt (Retry-After), longer than this task waits "
            "(at most %d s at a time and %d s in all per request; %d s were left), so it stopped at once: run it "
            "again after that time, and lower the parallelism (forks, throttle) if it keeps happening; max_retries "
            "sets how many retries a task makes, not how long it waits."
            % (asked, min(RETRY_AFTER_CAP, total), total, max(0, remaining)))
