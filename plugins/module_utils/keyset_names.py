# -*- coding: utf-8 -*-
# Copyright: b2c.trustframework contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Keyset names: the B2C_1A_ prefix, the characters and length allowed, the keysets that are not the user's."""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

import re

from ansible_collections.b2c.trustframework.plugins.module_utils.errors import ValidationError

PREFIX = "B2C_1A_"
# The service does not document a limit; the portal refuses long names and ids
# end up in policy XML, so keep them short and to a safe character set.
MAX_NAME_LENGTH = 128
_NAME_CHARS = re.compile(r"^[A-Za-z0-9_.-]+$")
# Keysets B2C creates and uses itself: after a second key was added to this one, creating any
# policy key failed with AADB2C90063 (a B2C support troubleshooting note).
SERVICE_MANAGED_KEYSETS = ("B2C_1A_AdminClientEncryptionKeyContainer",)
# The portal's Delete keeps a copy named <id>.bak (AADB2C95027): a backup, not a keyset a policy uses.
BACKUP_SUFFIX = ".bak"


def normalize_name(name, option="name"):
    """``B2C_1A_<name>``: the one id used to create, read and write a keyset.

    An existing prefix (any case) is kept once, spelled canonically. A name that
    still starts with the prefix once it is removed is refused: the service
    would store it under another id than the one we read.
    """
    text = "" if name is None else str(name).strip()
    bare = strip_prefix(text)
    if not bare:
        raise ValidationError("%s must not be empty (give e.g. TokenSigningKeyContainer)" % option)
    if strip_prefix(bare) != bare:
        raise ValidationError(
            "%s=%r carries the B2C_1A_ prefix twice; give the name once, e.g. %s%s"
            % (option, text, PREFIX, strip_prefix(bare))
        )
    if not _NAME_CHARS.match(bare):
        raise ValidationError("%s=%r may only hold letters, digits, '_', '-' and '.'" % (option, text))
    full = PREFIX + bare
    if len(full) > MAX_NAME_LENGTH:
        raise ValidationError(
            "%s=%r is too long (%d characters with the B2C_1A_ prefix, at most %d)"
            % (option, text, len(full), MAX_NAME_LENGTH)
        )
    return full


def strip_prefix(name):
    """The name without the ``B2C_1A_`` prefix (compared case-insensitively)."""
    if name[: len(PREFIX)].upper() == PREFIX:
        return name[len(PREFIX) :]
    return name


def is_service_managed(keyset_id):
    return str(keyset_id or "").lower() in [name.lower() for name in SERVICE_MANAGED_KEYSETS]


def is_backup(keyset_id):
    return str(keyset_id or "").lower().endswith(BACKUP_SUFFIX)


def refuse_service_managed(keyset_id, what):
    """Refuse locally any write to a keyset B2C owns (see SERVICE_MANAGED_KEYSETS)."""
    if is_service_managed(keyset_id):
        raise ValidationError(
            "refusing to %s %s: B2C creates and uses this keyset itself and it must hold exactly the one key "
            "B2C put there (a second key breaks the creation of every policy key with AADB2C90063); "
            "leave it alone and use a keyset of your own" % (what, keyset_id)
        )


def check_kid(kid):
    """A kid is one URL path segment: ``.``, ``..`` or empty would address another resource."""
    if kid is not None and str(kid).strip() in ("", ".", ".."):
        raise ValidationError(
            "kid=%r is not a key id; list the keys and their kid with b2c.trustframework.b2c_keyset_info" % (kid,)
        )
