# -*- coding: utf-8 -*-
# Copyright: b2c.trustframework contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shape of Graph's keyset answers, checked once where they arrive (keyset_service.py, keyset_writes.py).

Everything past the service layer takes a keyset for a JSON object with an
``id`` string and a ``keys`` list of JSON objects, whose ``nbf`` / ``exp``
are whole seconds within the years 1 to 9999. An answer that is not (a list,
a string, ``keys: [1, 2]``, ``exp: 1e400``, ``exp: "soon"``) is refused with
UnexpectedAnswer naming the field, rather than crash or be read as "never
expires".
"""

from __future__ import annotations

import math
import re

from ansible_collections.b2c.trustframework.plugins.module_utils.dates import is_storable
from ansible_collections.b2c.trustframework.plugins.module_utils.errors import UnexpectedAnswer
from ansible_collections.b2c.trustframework.plugins.module_utils.redaction import sanitize_text

KEY_TEXT_MEMBERS = ("kid", "kty", "use", "status")
KEY_DATE_MEMBERS = ("nbf", "exp")
# The service's samples quote dates at times ("1767225600"); a quoted number is still whole seconds.
_QUOTED_SECONDS = re.compile(r"^\s*[+-]?\d+(\.0*)?\s*$")


def _shown(value):
    return sanitize_text(repr(value), 60)


def _refuse(field, value, expected):
    raise UnexpectedAnswer("unexpected answer from Graph: %s is %s, not %s" % (field, _shown(value), expected))


def _check_date(field, value):
    if isinstance(value, str) and _QUOTED_SECONDS.match(value):
        value = float(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        _refuse(field, value, "a date in epoch seconds")
    if not is_storable(int(value)):
        _refuse(field, value, "a date within the years 1 to 9999")


def checked_key(answer, field="the key"):
    """``answer`` when it has the shape of a key (a JWK without private members, maybe with ``status``)."""
    if not isinstance(answer, dict):
        _refuse(field, answer, "a JSON object")
    for member in KEY_TEXT_MEMBERS:
        if answer.get(member) is not None and not isinstance(answer[member], str):
            _refuse("%s.%s" % (field, member), answer[member], "a string")
    for member in KEY_DATE_MEMBERS:
        if answer.get(member) is not None:
            _check_date("%s.%s" % (field, member), answer[member])
    return answer


def checked_keyset(answer, field="the keyset"):
    """``answer`` when it has the shape of a keyset; a missing ``keys`` reads as none."""
    if not isinstance(answer, dict):
        _refuse(field, answer, "a JSON object")
    if answer.get("id") is not None and not isinstance(answer["id"], str):
        _refuse(field + ".id", answer["id"], "a string")
    keys = answer.get("keys")
    if keys is None:
        return answer
    if not isinstance(keys, list):
        _refuse(field + ".keys", keys, "a list")
    name = "keyset %s" % sanitize_text(answer["id"], 140) if answer.get("id") else field
    for position, key in enumerate(keys):
        checked_key(key, "%s keys[%d]" % (name, position))
    return answer


def checked_keysets(answer):
    """The keysets of a listing (its ``value`` items, gathered over its pages)."""
    return [checked_keyset(item, "keysets[%d]" % position) for position, item in enumerate(answer)]
