"""retry.py: the one retry loop of Graph and login calls."""

from __future__ import annotations

import httpx

from ansible_collections.b2c.trustframework.plugins.module_utils.retry import Attempt, send_with_retries


def _run(attempts, max_retries=5, max_total_wait=300.0):
    sent, waits = [], []

    def send(retries):
        sent.append(retries)
        return attempts[len(sent) - 1]

    outcome = send_with_retries(send, max_retries, waits.append, max_total_wait)
    return outcome, sent, waits


def test_a_final_attempt_is_returned_at_once():
    final = Attempt(value="ok")
    (attempt, retries, advice), sent, waits = _run([final])
    assert (attempt, retries, advice, sent, waits) == (final, 0, None, [0], [])


def test_retries_stop_at_max_retries_and_count_them():
    busy = [Attempt(error=ValueError("busy"), retryable=True) for _attempt in range(3)]
    (attempt, retries, advice), sent, waits = _run(busy, max_retries=2)
    assert attempt is busy[2] and retries == 2 and advice is None
    assert sent == [0, 1, 2] and len(waits) == 2


def test_a_retry_after_beyond_the_budget_stops_with_advice():
    answer = httpx.Response(503, headers={"Retry-After": "90"})
    (attempt, retries, advice), sent, waits = _run(
        [Attempt(value=answer, retryable=True, response=answer)], max_total_wait=60.0
    )
    assert attempt.value is answer and retries == 0 and sent == [0] and waits == []
    assert "asked to wait 90 s" in advice and "60 s were left" in advice
