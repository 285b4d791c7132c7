"""shorten.py: server text cut for a message, never in the middle of a URL."""

from __future__ import annotations

import pytest

from ansible_collections.b2c.trustframework.plugins.module_utils.shorten import shorten

URL = "https://learn.microsoft.com/entra/workload-id/workload-identity-federation"


def test_short_text_is_left_as_it_is():
    assert shorten("AADSTS700213: No matching federated identity record.", 300) == (
        "AADSTS700213: No matching federated identity record."
    )


@pytest.mark.parametrize("cut_inside", [1, 10, len(URL) - 1])
def test_a_url_the_cut_falls_into_is_kept_whole(cut_inside):
    text = "AADSTS700213: " + "x" * 200 + " see " + URL + " Trace ID: 1234 Correlation ID: 5678 " + "y" * 50
    limit = text.index(URL) + cut_inside + 3
    shortened = shorten(text, limit)
    assert shortened.endswith(URL + "...") and "workload-identity-federation" in shortened


def test_a_url_at_the_end_of_the_text_is_not_followed_by_an_ellipsis():
    text = "AADSTS700213: " + "x" * 100 + " " + URL
    assert shorten(text, text.index(URL) + 10) == text


def test_without_a_url_the_cut_is_at_a_space():
    assert shorten("one two three four five", 12) == "one two..."


def test_a_url_after_the_cut_is_kept_after_the_ellipsis():
    text = "AADSTS700213: " + "x " * 200 + URL + " Trace ID: 1234"
    assert shorten(text, 100) == text[:97].rstrip() + "... " + URL


def test_a_url_longer_than_the_limit_is_left_out_rather_than_cut():
    text = "see https://example.test/" + "a" * 400 + " for more"
    assert shorten(text, 100) == "see..."
