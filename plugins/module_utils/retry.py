# -*- coding: utf-8 -*-
# Copyright: b2c.trustframework contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""When and how long to wait before sending a request again: one loop for Graph and login calls.

Which answers are worth a retry, how long a ``Retry-After`` asks to wait
(seconds or an HTTP date, capped), the exponential backoff with jitter used
otherwise, the wait budget of one request, and what to tell the user when the
service asks for a longer wait than that. Which transport failures are worth a
retry is transport.py's answer.
"""

from __future__ import annotations

import math
import random
import time
from typing import NamedTuple

RETRY_STATUSES = frozenset((429, 502, 503, 504))
DEFAULT_MAX_RETRIES = 5  # the max_retries option's default
BACKOFF_BASE = 1.0  # seconds, first backoff
BACKOFF_CAP = 30.0  # seconds, cap of one computed backoff
RETRY_AFTER_CAP = 120.0  # seconds, cap of one server-requested wait
MAX_TOTAL_WAIT = 300.0  # seconds, total waiting per request


class Attempt(NamedTuple):
    """What one send gave: ``value`` or ``error``; whether it may be sent again; the answer whose
    Retry-After sets the wait (None: the backoff does)."""

    value: object = None
    error: Exception = None
    retryable: bool = False
    response: object = None


def send_with_retries(send, max_retries, sleep=time.sleep, max_total_wait=MAX_TOTAL_WAIT):
    """Call ``send(retries)`` until its Attempt is final; return ``(attempt, retries, advice)``.

    An attempt is sent again while it is retryable, fewer than ``max_retries``
    retries were made and its wait (Retry-After, else the backoff) fits in what
    is left of ``max_total_wait``. ``advice`` (retry_after_advice) is set when
    the service asked for a longer wait than the task may make: a retry sent
    earlier than asked would only be refused again, so the loop stops at once.
    """
    waited, retries = 0.0, 0
    while True:
        attempt = send(retries)
        if not attempt.retryable or retries >= max_retries:
            return attempt, retries, None
        remaining = max_total_wait - waited
        if attempt.response is None:
            wait = backoff(retries)
        else:
            wait = retry_wait(attempt.response, retries, remaining)
            if wait is None:
                return attempt, retries, retry_after_advice(attempt.response, remaining, max_total_wait)
        if wait > remaining:
            return attempt, retries, None
        if attempt.response is not None:
            attempt.response.close()
        sleep(wait)
        waited += wait
        retries += 1


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
            # Imported here: only an HTTP-date Retry-After needs the email package (2 ms a task otherwise).
            from email.utils import parsedate_to_datetime  # pylint: disable=import-outside-toplevel

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
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * (2**attempt))
    return ceiling / 2.0 + random.uniform(0, ceiling / 2.0)


def retry_wait(response, attempt, remaining=MAX_TOTAL_WAIT):
    """Seconds to wait before retrying after ``response``: its Retry-After, else the backoff.

    None when the service asks for a longer wait than one wait may last
    (RETRY_AFTER_CAP) or than ``remaining`` seconds of the budget.
    """
    wait = parse_retry_after(response.headers.get("Retry-After"))
    if wait is None:
        return backoff(attempt)
    return wait if wait <= min(RETRY_AFTER_CAP, remaining) else None


def retry_after_advice(response, remaining, total=MAX_TOTAL_WAIT):
    """What to tell the user when the service's Retry-After is beyond what the task may wait."""
    asked = parse_retry_after(response.headers.get("Retry-After")) or 0
    return (
        "The service asked to wait %d s before the next attempt (Retry-After), longer than this task waits "
        "(at most %d s at a time and %d s in all per request; %d s were left), so it stopped at once: run it "
        "again after that time, and lower the parallelism (forks, throttle) if it keeps happening; max_retries "
        "sets how many retries a task makes, not how long it waits."
        % (asked, min(RETRY_AFTER_CAP, total), total, max(0, remaining))
    )
