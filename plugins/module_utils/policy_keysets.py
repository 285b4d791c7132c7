# -*- coding: utf-8 -*-
# Copyright: b2c.trustframework contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Keys and policies: the keysets an upload needs (the key pre-flight) and the policies that use a keyset.

Pure: the tenant's keysets and policies are passed in, ``now`` too. The
service looks a ``StorageReferenceId`` up by the keyset's full id.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

from ansible_collections.b2c.trustframework.plugins.module_utils.errors import ValidationError
from ansible_collections.b2c.trustframework.plugins.module_utils.key_rules import is_usable, keys_of
from ansible_collections.b2c.trustframework.plugins.module_utils.keyset_names import PREFIX, strip_prefix

# ---------------------------------------------------------------------------
# Keys first: the pre-flight of an upload
# ---------------------------------------------------------------------------


def _folded(keyset_id):
    """A keyset name as StorageReferenceIds and keyset ids compare: without B2C_1A_, in any case."""
    return strip_prefix(str(keyset_id or "")).lower()


def _keysets_by_reference(keysets):
    """The tenant's keysets by the StorageReferenceId that serves them: the full id (B2C_1A_...), in any case.

    A reference without the prefix is not served: the service looks the keyset up by its id (its message names
    the reference as written: azure-docs #20564), so a bare name is refused at upload.
    """
    return dict((str(keyset.get("id") or "").lower(), keyset) for keyset in keysets or [])


def _served(by_reference, keyset_id):
    return by_reference.get(str(keyset_id or "").lower())


def _prefix_advice(keyset_id):
    if str(keyset_id or "").upper().startswith(PREFIX):
        return ""
    return " (a StorageReferenceId names the keyset's full id: %s%s)" % (PREFIX, keyset_id)


def has_usable_key(keyset, now):
    return any(is_usable(key, now) for key in keys_of(keyset))


def keyset_problems(keyset_ids, keysets, now):
    """One line per keyset of ``keyset_ids`` missing from ``keysets`` (the tenant's) or without a usable key."""
    by_reference = _keysets_by_reference(keysets)
    problems = []
    for keyset_id in keyset_ids:
        found = _served(by_reference, keyset_id)
        if found is None:
            problems.append(
                "%s does not exist%s: create it with its key (b2c.trustframework.b2c_keyset_key, "
                "or the b2c.trustframework.policy_keys role)" % (keyset_id, _prefix_advice(keyset_id))
            )
        elif not has_usable_key(found, now):
            problems.append(
                "%s has no usable key (none that is enabled and unexpired): add one with "
                "b2c.trustframework.b2c_keyset_key" % found.get("id")
            )
    return problems


def refuse_unusable_keysets(plan, keysets, now):
    """Refuse the upload, before it is sent, when a keyset the policy uses is missing or has no usable key.

    The service refuses the first ("does not have CryptographicKey referenced by
    storageReferenceId": azure-docs #20564); the second fails every sign-in at
    run time (AADB2C90019 / AADB2C90220, error-codes.md).
    """
    problems = keyset_problems(plan.keysets, keysets, now)
    if problems:
        raise ValidationError(
            "policy %s was not uploaded: %s. Set check_keysets=false to upload anyway"
            % (plan.policy_id, "; ".join(problems))
        )


# ---------------------------------------------------------------------------
# Which policies use which keysets
# ---------------------------------------------------------------------------


def keyset_references(summaries):
    """Keyset id -> the ids of the policies whose own XML uses it (keysets merged case-insensitively)."""
    names = {}
    users = {}
    for summary in summaries:
        for keyset_id in summary.get("keysets") or []:
            key = _folded(keyset_id)
            names.setdefault(key, keyset_id)
            users.setdefault(key, [])
            if summary["id"] not in users[key]:
                users[key].append(summary["id"])
    return dict((names[key], sorted(users[key], key=str.lower)) for key in sorted(names))


# ---------------------------------------------------------------------------
# Keys and policies together: who uses a keyset, which references cannot be served
# ---------------------------------------------------------------------------


def references_to(references, keyset_id):
    """The entry of a :func:`keyset_references` mapping that names ``keyset_id`` in any spelling (or ``{}``)."""
    wanted = _folded(keyset_id)
    return dict((name, users) for name, users in references.items() if _folded(name) == wanted)


def policies_using(references, keyset_id):
    """The ids of the policies that use ``keyset_id``, from a :func:`keyset_references` mapping ([] when none)."""
    return next(iter(references_to(references, keyset_id).values()), [])


def _unusable_reason(keyset, now):
    if keyset is None:
        return "does not exist"
    if not keys_of(keyset):
        return "has no key"
    if not has_usable_key(keyset, now):
        return "has no usable key: every key is expired or disabled"
    return None


def reference_problems(references, keysets, now):
    """The keysets deployed policies use that cannot serve them: missing, empty, or only expired or disabled keys.

    ``references``: a :func:`keyset_references` mapping; ``keysets``: the
    tenant's keysets (as read). One entry per keyset, ``{keyset, policies,
    problem}``, the keyset named as the service reports it (as the policies
    spell it when missing). Such a policy fails every sign-in that needs the
    key (AADB2C90019 / AADB2C90220, error-codes.md).
    """
    by_reference = _keysets_by_reference(keysets)
    problems = []
    for keyset_id, users in references.items():
        found = _served(by_reference, keyset_id)
        reason = _unusable_reason(found, now)
        if reason is not None:
            problems.append({"keyset": found.get("id") if found else keyset_id, "policies": users, "problem": reason})
    return problems
