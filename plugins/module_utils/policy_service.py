# -*- coding: utf-8 -*-
# Copyright: b2c.trustframework contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The custom policy endpoints (Graph beta ``trustFramework/policies``), and carrying out a policy plan.

Every function takes the Graph client as ``graph`` (anything with ``request``
and ``get_all``). The policy travels as XML, not JSON: GET ``$value`` answers
the text, PUT ``$value`` takes the UTF-8 bytes (trustframework-put-trustframeworkpolicy.md).
Throttling and unavailable answers (429, 503 with Retry-After) are retried by
the client; the service's transient failures are sent once more here.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

from ansible_collections.b2c.trustframework.plugins.module_utils.errors import GraphError
from ansible_collections.b2c.trustframework.plugins.module_utils.policy_decisions import summarize_deployed
from ansible_collections.b2c.trustframework.plugins.module_utils.policy_errors import (
    is_transient,
    permission_denied,
    policy_hint,
    policy_missing,
    validation_failure,
)
from ansible_collections.b2c.trustframework.plugins.module_utils.policy_keysets import keyset_references
from ansible_collections.b2c.trustframework.plugins.module_utils.policy_xml import upload_body

POLICIES_PATH = "/trustFramework/policies"
VALUE = "$value"
XML_CONTENT_TYPE = "application/xml; charset=utf-8"
# The policy comes as XML; failures come as Graph's JSON errors.
XML_ACCEPT = "application/xml, application/json"


def _quote(segment):
    # Imported late: graph_client pulls in httpx, which the unit tests of the decisions do not need.
    from ansible_collections.b2c.trustframework.plugins.module_utils.graph_client import quote_segment

    return quote_segment(segment)


def policy_path(policy_id, value=False):
    """``/trustFramework/policies/<id>`` (or its ``/$value``: the segment is sent as is, not percent-encoded)."""
    path = "%s/%s" % (POLICIES_PATH, _quote(policy_id))
    return path + "/" + VALUE if value else path


def annotate(error, operation):
    """Give a failed policy request its hint and, for a refused upload, ``validation_errors`` and the whole message.

    ``validation_errors``: one item per error of the service's message;
    ``validation_message``: that message, whole (GraphError's own text is cut).
    """
    if not getattr(error, "hint", None):
        error.hint = policy_hint(error, operation)
    failure = validation_failure(error) if operation == "upload" else None
    error.validation_errors, error.validation_message = failure if failure else (None, None)
    if failure:
        error.show_whole_message(error.validation_message)
    return error


def _call(call, operation):
    """``call()``, sent once more after a transient failure, with failures annotated.

    The service now and then answers "Object reference not set to an instance
    of an object" or an UnknownError without a message, and a re-run works
    (advanced-policies #47, ieftool #5, deploy-trustframework-policy #3). Every
    call here is idempotent (GET, DELETE, and PUT, which replaces the whole
    policy with the same text), so sending it again is safe.
    """
    try:
        try:
            return call()
        except GraphError as error:
            if not is_transient(error):
                raise
        return call()
    except GraphError as error:
        raise annotate(error, operation) from None


def list_policy_ids(graph):
    """Every policy id of the tenant (the list answers ids only, possibly over several pages)."""
    return [
        item["id"]
        for item in _call(lambda: graph.get_all(POLICIES_PATH), "read")
        if isinstance(item, dict) and item.get("id")
    ]


def read_policy(graph, policy_id):
    """The deployed policy's XML text, or None when the policy does not exist."""
    try:
        return _call(lambda: graph.request("GET", policy_path(policy_id, value=True), accept=XML_ACCEPT), "read")
    except GraphError as error:
        if policy_missing(error):
            return None
        raise


def upload_policy(graph, policy_id, text):
    """PUT ``$value``: creates or replaces the policy with ``text`` as given, as UTF-8 bytes."""
    body = upload_body(text)
    _call(
        lambda: graph.request(
            "PUT", policy_path(policy_id, value=True), content=body, content_type=XML_CONTENT_TYPE, accept=XML_ACCEPT
        ),
        "upload",
    )


def delete_policy(graph, policy_id):
    """True when deleted, False when it was already gone."""
    try:
        _call(lambda: graph.request("DELETE", policy_path(policy_id)), "delete")
    except GraphError as error:
        if policy_missing(error):
            return False
        raise
    return True


def apply_policy_plan(graph, plan):
    """Carry out a b2c_policy plan (its only writes); True when the tenant was changed."""
    if plan.upload is not None:
        upload_policy(graph, plan.policy_id, plan.upload)
        return True
    if plan.action == "deleted":
        return delete_policy(graph, plan.policy_id)
    return False


def read_policies(graph, policy_ids=None):
    """``[(id, text)]`` for ``policy_ids`` (every policy when None); a policy gone meanwhile is left out."""
    ids = list_policy_ids(graph) if policy_ids is None else list(policy_ids)
    found = []
    for policy_id in ids:
        text = read_policy(graph, policy_id)
        if text is not None:
            found.append((policy_id, text))
    return found


def read_keyset_references(graph, without_permission):
    """Keyset id -> the ids of the deployed policies whose own XML uses it (policy_keysets.keyset_references).

    Costs the listing and one GET ``$value`` per policy. ``without_permission``:
    what the user can do instead of granting policy read permission, added to
    the advice of a 403.
    """
    try:
        deployed = read_policies(graph)
    except GraphError as error:
        if permission_denied(error):
            error.hint = "%s %s" % (error.hint or "", without_permission)
        raise
    return keyset_references([summarize_deployed(policy_id, text) for policy_id, text in deployed])
