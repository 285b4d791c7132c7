# -*- coding: utf-8 -*-
# Copyright: b2c.trustframework contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the modules return for a key and a keyset: public members only, dates in ISO 8601, days left."""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

from ansible_collections.b2c.trustframework.plugins.module_utils.dates import epoch_to_iso
from ansible_collections.b2c.trustframework.plugins.module_utils.key_rules import (
    days_until,
    keys_of,
    next_key,
    to_epoch,
)

# Allow-list of key members we ever return or diff. Private JWK members
# (d p q dp dq qi k) are absent by construction, even if a server sent them.
SUMMARY_FIELDS = ("kid", "kty", "use", "nbf", "exp", "x5t", "status")


def summarize_key(key, now):
    """The public view of a key: used for return values AND diffs."""
    if key is None:
        return None
    summary = dict((name, key.get(name)) for name in SUMMARY_FIELDS)
    nbf = to_epoch(key.get("nbf"))
    exp = to_epoch(key.get("exp"))
    summary["nbf_iso"] = epoch_to_iso(nbf)
    summary["exp_iso"] = epoch_to_iso(exp)
    summary["expires_in_days"] = days_until(exp, now)
    return summary


def summarize_keyset(keyset, now):
    """The public summary of a keyset. Its list is ``key_list``, not ``keys``: Jinja resolves
    ``result.keyset.keys`` to the dict method, so that name could not be read with dot access."""
    if keyset is None:
        return None
    return {"id": keyset.get("id"), "key_list": [summarize_key(key, now) for key in keys_of(keyset)]}


def keyset_diff(before, after, now):
    """Ansible diff of a keyset: the same public summaries as the return values ({} when absent)."""
    return dict(before=summarize_keyset(before, now) or {}, after=summarize_keyset(after, now) or {})


def summarize_next_key(keys, now):
    """The public view of :func:`next_key` plus ``activates_in_days``, or None."""
    key = next_key(keys, now)
    if key is None:
        return None
    return dict(summarize_key(key, now), activates_in_days=days_until(to_epoch(key.get("nbf")), now))
