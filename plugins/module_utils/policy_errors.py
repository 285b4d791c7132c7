# -*- coding: utf-8 -*-
# Copyright: b2c.trustframework contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the service's answers about a policy mean: validation errors, "missing", transient failures, hints.

An upload the service refuses comes back as one message, ``Validation failed:
N validation error(s) found in policy "B2C_1A_X" of tenant "t".`` followed by
the errors concatenated without any separator, often each one twice
(custom-policy-starterpack #113 and #57, azure-ad-b2c/samples #618,
active-directory-verifiable-credentials #62). :func:`split_validation_errors`
turns it into one item per error.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

import re

from ansible_collections.b2c.trustframework.plugins.module_utils.errors import GraphError

_HEADER = re.compile(
    r"Validation failed:\s*(?P<count>\d+)\s+validation error\(s\) found in policy\s+[\"']?(?P<policy>[^\"']*)[\"']?"
    r"\s+of tenant\s+[\"']?(?P<tenant>[^\"']*)[\"']?\s*\.?",
    re.IGNORECASE,
)
# How the known errors begin (the sources above; troubleshoot.md; azure-docs #20564, #30477; advanced-policies #47).
# One of these glued to the end of the previous error starts a new one, even when that error has no final period.
_KNOWN_STARTS = (
    r"Policy with '",  # AADB2C90073: "Policy with 'policyId': B2C_1A_X cannot be found ..."
    r"Policy \"[^\"]*\" of tenant ",  # "... makes a reference to ClaimType with id ..."
    r"Tenant \"[^\"]*\" does not have ",  # "... CryptographicKey referenced by storageReferenceId ..."
    r"TenantId in the policy xml ",
    r"Schema validation error found at line ",
    r"User journey \"",
    r"TechnicalProfile \"",
    r"Technical profile \"",
    r"Claim type \"",
    r"ClaimType \"",
    r"ClaimsTransformation \"",
    r"Object reference not set to an instance of an object",
)
_BOUNDARY = re.compile(
    # A known start glued to the text before it, or a period directly followed by a capitalised word and a
    # space: sentences inside one error have a space after their period, and dotted names ("x.onmicrosoft.com",
    # "Web.TPEngine.Providers") have no capitalised word with a space after the dot.
    r"(?<=\S)(?=(?:%s))|(?<=\.)(?=[A-Z][a-z]+ )" % "|".join(_KNOWN_STARTS)
)

# Codes and texts of the answers that mean "no such policy" (a GET or DELETE of a missing policy: no
# evidence of the status, so 400 and 404 both count when the message says so).
_MISSING_CODES = ("AADB2C90073",)
_MISSING_TEXT = "cannot be found"
# Transient failures that a re-run fixes (advanced-policies #47, ieftool #5, deploy-trustframework-policy #3).
_TRANSIENT_TEXT = "object reference not set to an instance of an object"

READ_PERMISSION = "Policy.Read.All"
WRITE_PERMISSION = "Policy.ReadWrite.TrustFramework"


def _full_message(error):
    """The service's message, before GraphError cut it to one line's length (graph_client keeps it)."""
    return getattr(error, "service_message", None) or error.graph_message or ""


def _comparable(item):
    return " ".join(item.split()).rstrip(". ").lower()


def _unique(items):
    """``items`` without repeats (the service often lists an error twice, once without its final period)."""
    kept = {}
    for item in items:
        key = _comparable(item)
        if key and (key not in kept or len(item) > len(kept[key])):
            kept[key] = item
    return list(kept.values())


def _halves_repeat(body):
    half = len(body) // 2
    for cut in range(max(half - 2, 1), min(half + 3, len(body))):
        if _comparable(body[:cut]) == _comparable(body[cut:]):
            return body[cut:].strip()
    return None


def split_validation_errors(message):
    """One item per error of a "Validation failed: N validation error(s)" message, or [] for any other message.

    The count N is the number of distinct errors: when the split finds another
    number, a one-error message is kept whole (it may hold periods followed by a
    capital letter), and otherwise the split is kept as found.
    """
    header = _HEADER.search(message or "")
    if header is None:
        return []
    body = message[header.end() :].strip()
    if not body:
        return []
    items = _unique(piece.strip() for piece in _BOUNDARY.split(body))
    count = int(header.group("count"))
    if len(items) == count or count != 1:
        return items
    return [_halves_repeat(body) or body]


def validation_failure(error):
    """``(validation_errors, message)`` for an upload the service refused, or None for any other error."""
    if not isinstance(error, GraphError):
        return None
    message = _full_message(error)
    items = split_validation_errors(message)
    return (items, message) if items else None


def policy_missing(error):
    """True when a GET or DELETE answer says the policy does not exist (400 or 404 with AADB2C90073 / "cannot be found").

    A bare 404 counts too. Never used on an upload, where "cannot be found" is about the base policy.
    """
    if not isinstance(error, GraphError) or error.status not in (400, 404):
        return False
    return error.status == 404 or error.has_code(*_MISSING_CODES) or _MISSING_TEXT in _full_message(error).lower()


def is_transient(error):
    """True for the failures that go away on their own: a .NET null reference, or UnknownError without a message."""
    if not isinstance(error, GraphError) or error.status is None:
        return False
    if _TRANSIENT_TEXT in _full_message(error).lower():
        return True
    return error.has_code("UnknownError") and not _full_message(error).strip()


def permission_denied(error):
    """True for a 403, or a Graph answer that says the token lacks the permission."""
    return isinstance(error, GraphError) and (
        error.status == 403 or error.has_code("Authorization_RequestDenied", "AccessDenied")
    )


def policy_hint(error, operation="upload"):
    """Advice for a failed policy ``operation`` (read / upload / delete), or None (errors.hint_for applies then)."""
    if not isinstance(error, GraphError):
        return None
    message = _full_message(error).lower()
    if permission_denied(error):
        permission = READ_PERMISSION if operation == "read" else WRITE_PERMISSION
        return (
            "The app needs the %s application permission with admin consent (the keyset permission "
            "TrustFrameworkKeySet.ReadWrite.All does not cover policies)." % permission
        )
    if "storagereferenceid" in message:
        return (
            "A keyset the policy uses is missing: create it and its key first, with "
            "b2c.trustframework.b2c_keyset_key or the b2c.trustframework.policy_keys role."
        )
    if error.has_code("AADB2C95044") or "tenantid in the policy xml" in message:
        return "The policy's TenantId is another tenant than the one logged in to: render the policy for this tenant."
    if operation == "upload" and (error.has_code(*_MISSING_CODES) or _MISSING_TEXT in message):
        return "The policy's BasePolicy is not in the tenant: deploy the base policy first (base, then extensions, then relying parties)."
    return None
