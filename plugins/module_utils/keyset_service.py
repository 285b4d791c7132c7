# -*- coding: utf-8 -*-
# Copyright: b2c.trustframework contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The keyset endpoints and their reads; waiting for replication.

Every function takes the Graph client as ``graph`` (anything with ``request``
and ``get_all``): this file and keyset_writes.py are the only places that know
the keyset paths and how the real service answers. Waits for replication and
for writes the service applies late go through one helper, :func:`settle`.
The writes (keyset_writes.py) are imported only by a task that writes.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

import time

from ansible_collections.b2c.trustframework.plugins.module_utils.errors import GraphError, keyset_missing
from ansible_collections.b2c.trustframework.plugins.module_utils.keyset_answers import (
    checked_key,
    checked_keyset,
    checked_keysets,
)
from ansible_collections.b2c.trustframework.plugins.module_utils.keyset_names import check_kid, normalize_name

KEYSETS_PATH = "/trustFramework/keySets"

# Waits (seconds) before reading again: a keyset created a moment ago may not
# have reached every replica, and a write that timed out may land a moment later.
SETTLE_WAITS = (1, 2, 4)


def settle(probe, sleep=time.sleep, waits=SETTLE_WAITS):
    """Call ``probe()`` until it returns something other than None, sleeping ``waits`` in between."""
    for wait in tuple(waits) + (None,):
        result = probe()
        if result is not None or wait is None:
            return result
        sleep(wait)
    return None  # pragma: no cover - the loop always returns


def _quote(segment):
    # Imported late: graph_client pulls in httpx, which the unit tests of the decisions do not need.
    from ansible_collections.b2c.trustframework.plugins.module_utils.graph_client import quote_segment

    return quote_segment(segment)


def keyset_path(keyset_id, *parts):
    return "/".join([KEYSETS_PATH, _quote(keyset_id)] + [_quote(part) for part in parts])


def none_when_missing(call):
    """``call()``, or None when the keyset is missing (404, or the real service's 400 + AADB2C90073)."""
    try:
        return call()
    except GraphError as error:
        if keyset_missing(error):
            return None
        raise


def read_keyset(graph, name):
    """The keyset, or None when it does not exist."""
    return none_when_missing(lambda: checked_keyset(graph.request("GET", keyset_path(normalize_name(name)))))


def read_keyset_after_write(graph, keyset_id, sleep=time.sleep):
    """Like read_keyset, but "missing" right after a write is read again a few times (replication lag)."""
    return settle(lambda: read_keyset(graph, keyset_id), sleep=sleep)


def list_keysets(graph):
    return checked_keysets(graph.get_all(KEYSETS_PATH))


def _unwrap_value(answer):
    # The keys_v2 GET sample wraps the key in {"value": {...}}; accept both shapes.
    if isinstance(answer, dict) and isinstance(answer.get("value"), dict):
        return answer["value"]
    return answer


def get_key_v2(graph, keyset_id, kid):
    """The keys_v2 view of one key (with ``status``), or None when the key or its keyset is missing."""
    check_kid(kid)
    return none_when_missing(
        lambda: checked_key(_unwrap_value(graph.request("GET", keyset_path(keyset_id, "keys_v2", kid))))
    )
