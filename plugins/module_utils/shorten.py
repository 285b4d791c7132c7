# -*- coding: utf-8 -*-
# Copyright: b2c.trustframework contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shortening server text for a message without losing its link: the login service ends its error descriptions
with a link to the page that explains the error, and half a link is worse than none."""

from __future__ import annotations

import re

_URL = re.compile(r"https?://[^\s'\"<>]+")
ELLIPSIS = "..."


def shorten(text, limit):
    """``text`` cut to about ``limit`` characters with ``...``, at a space, never inside a URL.

    A URL the cut falls into is kept whole; the first URL after the cut is kept after the ellipsis. A URL
    longer than ``limit`` is left out rather than cut.
    """
    if text is None or len(text) <= limit:
        return text
    cut = max(limit - len(ELLIPSIS), 0)
    kept = ""
    for url in _URL.finditer(text):
        too_long = url.end() - url.start() > limit
        if url.start() < cut < url.end():
            cut = url.start() if too_long else url.end()
            break
        if url.start() >= cut and not too_long:
            kept = " " + url.group(0)
            break
    else:
        space = text.rfind(" ", 0, cut + 1)
        cut = space if space > cut // 2 else cut
    if cut >= len(text):
        return text
    return text[:cut].rstrip() + ELLIPSIS + kept
