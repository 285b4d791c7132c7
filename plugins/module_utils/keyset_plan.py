# -*- coding: utf-8 -*-
# Copyright: b2c.trustframework contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The keyset plan: what b2c_keyset does (create, replace the keys, delete, nothing), and the keys option checked."""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

import re
from dataclasses import dataclass, field

from ansible_collections.b2c.trustframework.plugins.module_utils.dates import epoch_to_iso, parse_time
from ansible_collections.b2c.trustframework.plugins.module_utils.errors import B2CError, ValidationError
from ansible_collections.b2c.trustframework.plugins.module_utils.key_plan import Plan
from ansible_collections.b2c.trustframework.plugins.module_utils.key_rules import key_family, key_use, keys_of, same_use
from ansible_collections.b2c.trustframework.plugins.module_utils.keyset_names import refuse_service_managed
from ansible_collections.b2c.trustframework.plugins.module_utils.redaction import redact_jwk

_BASE64URL = re.compile(r"^[A-Za-z0-9_-]+$")


@dataclass
class DesiredKeyset:
    name: str
    state: str = "present"
    keys: list | None = field(default=None, repr=False)
    update_keys: bool = False
    force: bool = False


def validate_desired_keyset(desired):
    """Local checks that need no keyset state: B2C's own keyset is only ever read."""
    if desired.state == "absent":
        refuse_service_managed(desired.name, "delete")
    elif desired.keys is not None:
        refuse_service_managed(desired.name, "set the keys of")


def plan_keyset(current, desired, used_by=()):
    """Decide what b2c_keyset does: none / created / updated / deleted.

    ``used_by``: the deployed policies whose XML uses the keyset (read only to
    delete it). The service is not known to refuse deleting such a keyset; the
    policies would fail at sign-in instead (AADB2C90130..90135, error-codes.md).
    """
    validate_desired_keyset(desired)
    if desired.state == "absent":
        if current is None:
            return Plan("none", "keyset %s is already absent" % desired.name)
        if used_by and not desired.force:
            raise B2CError(
                "keyset %s is used by the deployed policies %s: deleting it breaks their sign-ins"
                % (current.get("id"), ", ".join(used_by)),
                hint="Deploy those policies without the keyset (or delete them) first, "
                "or set force=true to delete the keyset anyway.",
            )
        return Plan("deleted", "keyset %s exists" % current.get("id"))
    if current is None:
        return Plan("created", "keyset %s does not exist" % desired.name)
    if desired.update_keys and desired.keys is not None and not same_keys(desired.keys, keys_of(current)):
        return Plan("updated", "the keyset's keys differ from keys (update_keys=true)")
    return Plan("none", "keyset %s exists" % current.get("id"))


# What identifies a key the service holds, as far as it can be read back: oct
# secrets (k) never come back, and the service assigns every kid itself.
_IDENTITY_FIELDS = ("nbf", "exp", "n", "e", "x5t")


def _same_key(wanted, held):
    if key_family(wanted.get("kty")) != key_family(held.get("kty")) or not same_use(wanted.get("use"), held.get("use")):
        return False
    for name in _IDENTITY_FIELDS:
        if wanted.get(name) is not None and str(wanted[name]) != str(held.get(name)):
            return False
    return True


def same_keys(wanted, held):
    """True when each wanted key matches its own held key and nothing else is held (one to one)."""
    remaining = list(held)
    for key in wanted:
        match = next((candidate for candidate in remaining if _same_key(key, candidate)), None)
        if match is None:
            return False
        remaining.remove(match)
    return not remaining


def keyset_after_keyset_plan(current, plan, desired):
    if plan.action == "deleted":
        return None
    if plan.action == "created":
        return {"id": desired.name, "keys": [redact_jwk(key) for key in desired.keys or []]}
    if plan.action == "updated":
        return dict(current, keys=[redact_jwk(key) for key in desired.keys])
    return current


def clean_jwks(keys, now, option="keys"):
    """The ``keys`` option as JWKs to send, after the checks the service would make (the codes of the B2C
    error-code reference, MicrosoftDocs/azure-docs articles/active-directory-b2c/error-codes.md)."""
    cleaned = [_clean_jwk(key, now, "%s[%d]" % (option, index)) for index, key in enumerate(keys)]
    if len(set(key_family(jwk.get("kty")) for jwk in cleaned) - {None}) > 1:
        raise ValidationError("%s mixes RSA and oct keys; a keyset cannot mix them (AADB2C95032)" % option)
    if len(set(key_use(jwk) for jwk in cleaned) - {""}) > 1:
        raise ValidationError("%s mixes sig and enc keys; a keyset cannot mix them (AADB2C95042)" % option)
    return cleaned


def _clean_jwk(key, now, where):
    jwk = dict((name, value) for name, value in key.items() if value is not None)
    if jwk.get("kid"):
        raise ValidationError(
            "%s.kid is set; the service assigns key ids itself and refuses a kid here (AADB2C95059): remove it" % where
        )
    jwk.pop("kid", None)
    for name in ("nbf", "exp"):
        if name in jwk:
            jwk[name] = parse_time(jwk[name], "%s.%s" % (where, name))
    family = key_family(jwk.get("kty"))
    if family is None:
        raise ValidationError("%s.kty=%r must be rsa or oct (AADB2C95031/95037)" % (where, jwk.get("kty")))
    if key_use(jwk) not in ("sig", "enc"):
        raise ValidationError("%s.use=%r must be sig or enc (AADB2C95033)" % (where, jwk.get("use")))
    if family == "rsa" and not (jwk.get("n") and jwk.get("e")):
        raise ValidationError("%s is an RSA key without n and e; the service refuses it (AADB2C95039)" % where)
    if family == "oct" and not _BASE64URL.match(str(jwk.get("k") or "")):
        raise ValidationError(
            "%s.k must be the secret as base64url without padding (letters, digits, '-' and '_'); "
            "the service refuses anything else (AADB2C95029)" % where
        )
    if "exp" in jwk and jwk["exp"] <= now:
        raise ValidationError(
            "%s.exp (%s) is in the past; the service refuses such a key (AADB2C90214)"
            % (where, epoch_to_iso(jwk["exp"]))
        )
    return jwk
