"""b2c_policy on the task runner: the lifecycle in both answer styles, check mode, diff, refusals before any request."""

import json
import time

import pytest
import yaml

from ansible_collections.b2c.trustframework.plugins.module_utils import policy_task
from ansible_collections.b2c.trustframework.plugins.modules import b2c_policy
from tests.support.policies import TENANT, policy
from tests.unit.plugins.module_utils.fake_policy_graph import FakePolicyGraph
from tests.unit.plugins.module_utils.keyset_samples import key, keyset

EXTENSIONS = "B2C_1A_TrustFrameworkExtensions"
SIGNING = "B2C_1A_TokenSigningKeyContainer"
APP_LOGIN = {"access_token": None, "tenant_id": TENANT, "client_id": "app", "client_secret": "app-secret-value"}


@pytest.fixture(params=[False, True], ids=["as-uploaded", "reformatted"])
def graph(request):
    fake = FakePolicyGraph(now=int(time.time()), reformat=request.param)
    fake.keysets[SIGNING.lower()] = keyset(key("k1", nbf=fake.now - 10, exp=fake.now + 10**7), name=SIGNING)
    return fake


def test_lifecycle_with_check_mode_predicting_each_step(run_module, graph):
    changed_text = policy().replace('Id="JwtIssuer"', 'Id="JwtIssuer2"')
    steps = [
        (dict(content=policy()), "created", True),
        (dict(content=policy()), "none", False),
        (dict(content=changed_text), "updated", True),
        (dict(id="TrustFrameworkExtensions", state="absent"), "deleted", True),
        (dict(id="TrustFrameworkExtensions", state="absent"), "none", False),
    ]
    for args, action, changed in steps:
        writes = len(graph.policy_writes())
        predicted = run_module(b2c_policy, check_mode=True, diff=True, **args)
        assert len(graph.policy_writes()) == writes, "check mode sends no PUT or DELETE"
        result = run_module(b2c_policy, diff=True, **args)
        assert (predicted["action"], predicted["changed"]) == (result["action"], result["changed"]) == (action, changed)
        assert predicted["diff"] == result["diff"]
        assert len(graph.policy_writes()) == writes + (1 if changed else 0)
    assert graph.policies == {}


def test_an_update_shows_the_policy_diff(run_module, graph):
    run_module(b2c_policy, content=policy())
    deployed = graph.request("GET", "/trustFramework/policies/%s/$value" % EXTENSIONS)
    result = run_module(b2c_policy, diff=True, content=policy(display_name="Sign in now"))
    assert result["diff"] == {"before": deployed, "after": policy(display_name="Sign in now")}
    assert (result["reason"], result["policy"]["id"], result["policy"]["base_policy"]) == (
        "content",
        EXTENSIONS,
        "B2C_1A_TrustFrameworkBase",
    )
    assert result["policy"]["keysets"] == [SIGNING]


def test_force_uploads_an_unchanged_policy(run_module, graph):
    run_module(b2c_policy, content=policy())
    result = run_module(b2c_policy, content=policy(), force=True)
    assert (result["changed"], result["action"], result["reason"]) == (True, "updated", "forced")
    assert len(graph.uploads) == 2


def test_non_ascii_text_is_uploaded_as_utf8_bytes_from_content_and_src(run_module, graph, tmp_path):
    text = policy(display_name="Anmeldung – Größe 日本語 ✓")
    run_module(b2c_policy, content=text)
    path = tmp_path / "ext.xml"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert run_module(b2c_policy, src=str(path))["changed"] is False
    assert graph.uploads == [text.encode("utf-8")]


@pytest.mark.parametrize(
    "args, message",
    [
        (dict(content=policy().replace("</BasePolicy>", "</Base>")), "content: line 10, column 5: not well-formed XML"),
        (dict(content=policy(), id="SignUp"), "id='SignUp' names another policy than the PolicyId"),
        (dict(content=policy(display_name="{Settings:AppName}")), "unresolved placeholder {Settings:AppName}"),
        (dict(content=policy(policy_id="SignUp")), "custom policy ids start with B2C_1A_"),
        (dict(src="/nonexistent/ext.xml"), "src=/nonexistent/ext.xml cannot be read"),
        (dict(content=policy(), src="/x.xml"), "mutually exclusive"),
        (dict(state="absent"), "state is absent but any of the following are missing: id, content, src"),
    ],
)
def test_local_refusals_send_no_request(run_module, graph, args, message):
    result = run_module(b2c_policy, **args)
    assert result["failed"] and message in result["msg"]
    assert graph.calls == []


def test_a_tenant_id_of_another_tenant_is_refused_before_any_request(run_module, graph):
    result = run_module(b2c_policy, content=policy(tenant="fabrikam.onmicrosoft.com"), **APP_LOGIN)
    assert result["failed"] and "TenantId is 'fabrikam.onmicrosoft.com', but the task's tenant is" in result["msg"]
    assert graph.calls == []
    result = run_module(b2c_policy, diff=True, content=policy(), **APP_LOGIN)
    assert result["changed"] is True
    assert APP_LOGIN["client_secret"] not in json.dumps(result)


def test_a_missing_keyset_is_refused_before_the_upload_naming_it(run_module, graph):
    text = policy(keysets=(SIGNING, "B2C_1A_FacebookSecret"))
    for check_mode in (True, False):
        result = run_module(b2c_policy, check_mode=check_mode, content=text)
        assert result["failed"] and "B2C_1A_FacebookSecret does not exist" in result["msg"]
        assert SIGNING not in result["msg"]
    assert graph.uploads == []
    assert run_module(b2c_policy, content=text, check_keysets=False)["action"] == "created"


def test_keysets_are_not_listed_when_nothing_is_uploaded(run_module, graph):
    run_module(b2c_policy, content=policy())
    del graph.calls[:]
    run_module(b2c_policy, content=policy())
    assert [path for _method, path, _body in graph.calls] == ["/trustFramework/policies/%s/$value" % EXTENSIONS]


def test_a_refused_upload_returns_its_validation_errors(run_module, graph):
    message = (
        'Validation failed: 2 validation error(s) found in policy "B2C_1A_TRUSTFRAMEWORKEXTENSIONS" of tenant '
        "\"t\".Policy with 'policyId': B2C_1A_TrustFrameworkBase cannot be found in the directory 't'."
        'Claim type "email" is the input claim of technical profile "X" in step "1" of user journey "J" but it '
        "is not an output claim in any of the previous steps."
    )
    graph.refuse_upload(message)
    result = run_module(b2c_policy, content=policy())
    assert result["failed"] and len(result["validation_errors"]) == 2
    assert result["validation_errors"][0].startswith(
        "Policy with 'policyId': B2C_1A_TrustFrameworkBase cannot be found"
    )
    assert message in result["msg"] and "deploy the base policy first" in result["msg"]
    assert result["status"] == 400 and result["graph_error_code"] == "AADB2C"


def test_defusedxml_missing_is_named_before_any_request(run_module, graph, monkeypatch):
    monkeypatch.setattr(policy_task, "xml_library_missing", lambda: "Traceback: no defusedxml")
    result = run_module(b2c_policy, content=policy())
    assert result["failed"] and "Failed to import the required Python library (defusedxml)" in result["msg"]
    assert graph.calls == []


def test_the_result_holds_what_return_documents(run_module, graph):
    docs = yaml.safe_load(b2c_policy.RETURN)
    result = run_module(b2c_policy, diff=True, content=policy())
    assert set(result) - {"changed", "failed"} == set(docs) - {"validation_errors"}
    assert set(result["policy"]) == set(docs["policy"]["contains"])
    assert set(result["diff"]) == set(docs["diff"]["contains"])
