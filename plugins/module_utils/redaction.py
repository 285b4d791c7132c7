# -*- coding: utf-8 -*-
# Copyright: b2c.trustframework contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What must never be shown: server text made safe for a message (the task's secrets masked, tokens removed,
one short line), and JWKs without their private members.

Messages are built from fields we control; the little server text they quote
(an error message, a reason phrase) passes through sanitize_text first.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
from urllib.parse import quote, quote_plus

# Maximum length of text copied from a server answer into a message.
_MAX_SERVER_TEXT = 300
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]+")
_BEARER = re.compile(r"(?i)bearer\s+[A-Za-z0-9._~+/=-]+")
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*")

# Every spelling of the task's secret options (no_log) that a request may carry or a server may echo,
# masked in every text taken from a server.
_SECRETS = set()
# A secret is masked whole, and so is any run of at least this many of its characters:
# a server that echoes part of a request body must not print part of a secret.
SECRET_FRAGMENT = 8
SECRET_MASK = "********"
_PERCENT_ESCAPE = re.compile(r"%[0-9A-F]{2}")

# JWK members that carry private or symmetric key material (RFC 7518 section 6).
# The service never returns them, but we never echo them even if it did.
PRIVATE_JWK_MEMBERS = frozenset(("k", "d", "p", "q", "dp", "dq", "qi"))


def secret_forms(value):
    """``value`` as a request may carry it, or a server echo it.

    Raw; JSON-escaped (a Graph body, with and without ``ensure_ascii``); form-
    and percent-encoded, with upper- and lower-case escapes (a login body:
    older Entra client secrets contain ``+``, ``/`` and ``=``); base64 and
    base64url of its UTF-8 bytes.
    """
    forms = {value, json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1]}
    for encoded in (quote_plus(value, safe=""), quote(value, safe="")):
        forms.update((encoded, _PERCENT_ESCAPE.sub(lambda match: match.group(0).lower(), encoded)))
    data = value.encode("utf-8")
    forms.update((base64.b64encode(data).decode("ascii"), base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")))
    return forms


def register_secrets(values):
    """Remember the task's secret values (AnsibleModule.no_log_values, and what is sent in their place)."""
    for value in values:
        if value is not None and len(str(value)) >= 4:
            _SECRETS.update(secret_forms(str(value)))


def _secret_spans(text):
    """``(start, end)`` of every form of a secret, or run of SECRET_FRAGMENT characters of one, in ``text``."""
    spans = []
    fragments = set()
    for secret in _SECRETS:
        if len(secret) >= SECRET_FRAGMENT:
            fragments.update(secret[i : i + SECRET_FRAGMENT] for i in range(len(secret) - SECRET_FRAGMENT + 1))
            continue
        start = text.find(secret)
        while start >= 0:
            spans.append((start, start + len(secret)))
            start = text.find(secret, start + 1)
    spans.extend(
        (i, i + SECRET_FRAGMENT)
        for i in range(len(text) - SECRET_FRAGMENT + 1)
        if text[i : i + SECRET_FRAGMENT] in fragments
    )
    return spans


def mask_secrets(text):
    """``text`` with every registered secret, and every long piece of one, replaced by SECRET_MASK."""
    if not _SECRETS or not text:
        return text
    covered = [False] * len(text)
    for start, stop in _secret_spans(text):
        covered[start:stop] = [True] * (stop - start)
    pieces = []
    for is_secret, group in itertools.groupby(zip(text, covered), key=lambda pair: pair[1]):
        pieces.append(SECRET_MASK if is_secret else "".join(char for char, _covered in group))
    return "".join(pieces)


def sanitize_text(text, limit=_MAX_SERVER_TEXT):
    """Make server-provided text safe for a one-line message.

    Masks the task's secrets (before anything is cut, so no cut piece of a
    secret survives), collapses control characters and line breaks, removes
    anything that looks like a bearer token or a JWT, and shortens it to
    about ``limit`` characters, never inside a URL (shorten.py).
    """
    if text is None:
        return None
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    text = mask_secrets(str(text))
    text = _BEARER.sub("Bearer [redacted]", text)
    text = _JWT.sub("[redacted-jwt]", text)
    text = _CONTROL_CHARS.sub(" ", text).strip()
    if len(text) <= limit:
        return text
    # Imported here: most answers are short, and a task that never quotes a long one need not load it.
    # pylint: disable-next=import-outside-toplevel
    from ansible_collections.b2c.trustframework.plugins.module_utils.shorten import shorten

    return shorten(text, limit)


def first_line(text):
    """First non-empty line of ``text`` (msal error descriptions carry trace ids below)."""
    if not text:
        return text
    for line in str(text).splitlines():
        if line.strip():
            return line.strip()
    return ""


def redact_jwk(jwk):
    """A copy of ``jwk`` without private members (safe to return, log or diff)."""
    if jwk is None:
        return None
    return dict((name, value) for name, value in jwk.items() if name not in PRIVATE_JWK_MEMBERS)
