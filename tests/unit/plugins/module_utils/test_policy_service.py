"""Policy service: the wire format of the policy endpoints, missing policies, the transient resend, annotations."""

from __future__ import annotations

import json

import httpx
import pytest

from ansible_collections.b2c.trustframework.plugins.module_utils import policy_decisions as pd
from ansible_collections.b2c.trustframework.plugins.module_utils import policy_service as ps
from ansible_collections.b2c.trustframework.plugins.module_utils.errors import GraphError
from ansible_collections.b2c.trustframework.plugins.module_utils.graph_client import GraphClient
from ansible_collections.b2c.trustframework.plugins.module_utils.hints import hint_for
from tests.support.policies import TENANT, policy

ROOT = "https://graph.example.test"
VALUE_URL = ROOT + "/beta/trustFramework/policies/B2C_1A_TrustFrameworkExtensions/$value"
TWO_ERRORS = (
    'Validation failed: 2 validation error(s) found in policy "B2C_1A_TRUSTFRAMEWORKEXTENSIONS" of tenant '
    '"%s".Tenant "%s" does not have CryptographicKey referenced by storageReferenceId '
    '"B2C_1A_FacebookSecret".Policy "B2C_1A_TrustFrameworkExtensions" of tenant "%s" makes a reference to '
    'ClaimType with id "userId" but neither the policy nor any of its base policies contain such an element.'
    % (TENANT, TENANT, TENANT)
)


class Tokens:
    def get_token(self):
        return "token"

    def invalidate(self):
        pass


class Tenant:
    """Answers in turn from ``answers`` and records every request."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.requests = []

    def __call__(self, request):
        self.requests.append(request)
        return self.answers.pop(0)


def client(*answers):
    tenant = Tenant(*answers)
    graph = GraphClient(
        ROOT, Tokens(), http_client=httpx.Client(transport=httpx.MockTransport(tenant)), sleep=lambda seconds: None
    )
    return graph, tenant


def failure(status, code, message):
    return httpx.Response(status, json={"error": {"code": code, "message": message}})


def xml(text, status=200):
    return httpx.Response(status, content=text.encode("utf-8"), headers={"Content-Type": "application/xml"})


def test_list_follows_paging():
    graph, tenant = client(
        httpx.Response(
            200,
            json={
                "value": [{"id": "B2C_1A_A"}],
                "@odata.nextLink": ROOT + "/beta/trustFramework/policies?$skiptoken=2",
            },
        ),
        httpx.Response(200, json={"value": [{"id": "B2C_1A_B"}, {}]}),
    )
    assert ps.list_policy_ids(graph) == ["B2C_1A_A", "B2C_1A_B"]
    assert len(tenant.requests) == 2


def test_read_answers_the_text_and_non_ascii_round_trips():
    text = policy(display_name="Größe 日本語 ✓")
    graph, tenant = client(xml(text))
    assert ps.read_policy(graph, "B2C_1A_TrustFrameworkExtensions") == text
    assert str(tenant.requests[0].url) == VALUE_URL
    assert "application/xml" in tenant.requests[0].headers["Accept"]


@pytest.mark.parametrize(
    "answer",
    [
        failure(400, "AADB2C90073", "Policy with 'policyId': B2C_1A_X cannot be found in the directory 't'"),
        failure(404, "ResourceNotFound", "not found"),
        failure(400, "AADB2C", "Policy with 'policyId': B2C_1A_X cannot be found in the directory 't'"),
    ],
)
def test_a_missing_policy_reads_as_none_and_deletes_as_gone(answer):
    assert ps.read_policy(client(answer)[0], "B2C_1A_X") is None
    assert ps.delete_policy(client(answer)[0], "B2C_1A_X") is False


def test_upload_sends_utf8_bytes_as_given():
    text = "\ufeff" + policy(display_name="Anmeldung – Größe")
    graph, tenant = client(httpx.Response(201))
    ps.upload_policy(graph, "B2C_1A_TrustFrameworkExtensions", text)
    sent = tenant.requests[0]
    assert (sent.method, str(sent.url)) == ("PUT", VALUE_URL)
    assert sent.headers["Content-Type"] == "application/xml; charset=utf-8"
    assert sent.content == text[1:].encode("utf-8")


@pytest.mark.parametrize(
    "transient",
    [
        failure(
            400,
            "AADB2C",
            'Validation failed: 1 validation error(s) found in policy "B2C_1A_X" of tenant "t".'
            "Object reference not set to an instance of an object.",
        ),
        failure(500, "UnknownError", ""),
    ],
)
def test_a_transient_failure_is_sent_once_more(transient):
    graph, tenant = client(transient, httpx.Response(200))
    ps.upload_policy(graph, "B2C_1A_TrustFrameworkExtensions", policy())
    assert [r.method for r in tenant.requests] == ["PUT", "PUT"]
    assert tenant.requests[0].content == tenant.requests[1].content
    graph, tenant = client(transient, transient)
    with pytest.raises(GraphError):
        ps.upload_policy(graph, "B2C_1A_TrustFrameworkExtensions", policy())
    assert len(tenant.requests) == 2


def test_a_refused_upload_carries_its_validation_errors_and_hint():
    graph, tenant = client(failure(400, "AADB2C", TWO_ERRORS))
    with pytest.raises(GraphError) as err:
        ps.upload_policy(graph, "B2C_1A_TrustFrameworkExtensions", policy())
    assert len(tenant.requests) == 1  # not transient: not sent again
    error = err.value
    assert len(error.validation_errors) == 2
    assert error.validation_errors[0].endswith('storageReferenceId "B2C_1A_FacebookSecret".')
    assert error.validation_errors[1].startswith('Policy "B2C_1A_TrustFrameworkExtensions" of tenant')
    assert error.validation_message == TWO_ERRORS
    assert TWO_ERRORS in str(
        error
    ) and "PUT /beta/trustFramework/policies/B2C_1A_TrustFrameworkExtensions/$value" in str(error)
    assert "b2c.trustframework.b2c_keyset_key" in hint_for(error)


def test_a_read_that_is_denied_names_the_read_permission():
    graph = client(failure(403, "Authorization_RequestDenied", "Insufficient privileges"))[0]
    with pytest.raises(GraphError) as err:
        ps.read_policy(graph, "B2C_1A_X")
    assert "Policy.Read.All" in hint_for(err.value) and err.value.validation_errors is None


def test_apply_a_plan():
    wanted = pd.check_desired_policy(pd.DesiredPolicy(content=policy()), TENANT)
    created = pd.plan_policy(wanted, None)
    graph, tenant = client(httpx.Response(201))
    assert ps.apply_policy_plan(graph, created) is True
    assert tenant.requests[0].method == "PUT"
    unchanged = pd.plan_policy(wanted, policy())
    graph, tenant = client()
    assert ps.apply_policy_plan(graph, unchanged) is False and tenant.requests == []
    gone = pd.check_desired_policy(pd.DesiredPolicy(state="absent", id="TrustFrameworkExtensions"), TENANT)
    deleted = pd.plan_policy(gone, policy())
    graph, tenant = client(httpx.Response(204))
    assert ps.apply_policy_plan(graph, deleted) is True
    assert (tenant.requests[0].method, str(tenant.requests[0].url)) == (
        "DELETE",
        ROOT + "/beta/trustFramework/policies/B2C_1A_TrustFrameworkExtensions",
    )


def test_read_policies_leaves_out_a_policy_deleted_meanwhile():
    graph = client(
        httpx.Response(200, content=json.dumps({"value": [{"id": "B2C_1A_A"}, {"id": "B2C_1A_B"}]}).encode()),
        xml(policy()),
        failure(400, "AADB2C90073", "Policy with 'policyId': B2C_1A_B cannot be found"),
    )[0]
    assert ps.read_policies(graph) == [("B2C_1A_A", policy())]
