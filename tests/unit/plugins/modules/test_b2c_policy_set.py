"""b2c_policy_set on the task runner: order, descendants, force, a failure in the middle, check mode, state absent,
refusals before any write, the key pre-flight over the set and its ancestors in the tenant."""

import json
import time

import pytest
import yaml

from ansible_collections.b2c.trustframework.plugins.modules import b2c_policy_set
from tests.support.policies import policy
from tests.unit.plugins.module_utils.fake_policy_graph import POLICIES, FakePolicyGraph
from tests.unit.plugins.module_utils.keyset_samples import key, keyset

SIGNING = "B2C_1A_TokenSigningKeyContainer"
ENCRYPTION = "B2C_1A_TokenEncryptionKeyContainer"
BASE = policy("B2C_1A_Base", base=None, keysets=(SIGNING,))
EXT = policy("B2C_1A_Ext", base="B2C_1A_Base", keysets=())
RP = policy("B2C_1A_SignIn", base="B2C_1A_Ext", keysets=(ENCRYPTION,))
PROFILE = policy("B2C_1A_Profile", base="B2C_1A_Ext", keysets=())
SET = [RP, PROFILE, EXT, BASE]  # given in reverse
ORDER = ["B2C_1A_Base", "B2C_1A_Ext", "B2C_1A_Profile", "B2C_1A_SignIn"]
MESSAGE = (
    'Validation failed: 1 validation error(s) found in policy "B2C_1A_EXT" of tenant "t".'
    'Policy "B2C_1A_Ext" of tenant "t" makes a reference to ClaimType with id "x" but neither the policy nor '
    "any of its base policies contain such an element."
)


class RefusingGraph(FakePolicyGraph):
    """Refuses every upload of one policy id (``refused``) with the service's validation message."""

    refused = None

    # pylint: disable-next=too-many-arguments
    def request(self, method, path, *, json=None, params=None, content=None, content_type=None, accept=None):
        if method == "PUT" and self.refused and "/%s/" % self.refused in path:
            self.refuse_upload(MESSAGE)
        return super().request(
            method, path, json=json, params=params, content=content, content_type=content_type, accept=accept
        )


@pytest.fixture(params=[False, True], ids=["as-uploaded", "reformatted"])
def graph(request):
    fake = RefusingGraph(now=int(time.time()), reformat=request.param)
    for name in (SIGNING, ENCRYPTION):
        fake.keysets[name.lower()] = keyset(key("k1", nbf=fake.now - 10, exp=fake.now + 10**7), name=name)
    return fake


def items(*texts):
    return [{"content": text} for text in texts]


def uploaded(graph):
    return [path[len(POLICIES) + 1 :].split("/")[0] for method, path in graph.policy_writes() if method == "PUT"]


def summary(result):
    return [(entry["id"], entry["action"], entry["reason"]) for entry in result["policies"]]


def test_a_set_given_in_reverse_is_uploaded_base_first_and_check_mode_predicted_it(run_module, graph):
    predicted = run_module(b2c_policy_set, check_mode=True, diff=True, policies=items(*SET))
    assert graph.policy_writes() == []
    result = run_module(b2c_policy_set, diff=True, policies=items(*SET))
    assert uploaded(graph) == ORDER
    assert summary(result) == summary(predicted) == [(policy_id, "created", "content") for policy_id in ORDER]
    assert result["diff"] == predicted["diff"]
    assert [(d["before_header"], d["before"], d["after_header"]) for d in result["diff"]] == [
        ("%s (deployed)" % policy_id, "", "%s (set)" % policy_id) for policy_id in ORDER
    ]
    assert result["changed"] is predicted["changed"] is True


def test_a_second_run_uploads_nothing_and_lists_no_keysets(run_module, graph):
    run_module(b2c_policy_set, policies=items(*SET))
    del graph.calls[:]
    result = run_module(b2c_policy_set, diff=True, policies=items(*SET))
    assert (result["changed"], result["diff"]) == (False, [])
    assert summary(result) == [(policy_id, "none", "none") for policy_id in ORDER]
    assert [path for _m, path, _b in graph.calls] == [POLICIES] + ["%s/%s/$value" % (POLICIES, p) for p in ORDER]


def test_a_changed_extension_uploads_it_and_its_descendants_only(run_module, graph):
    run_module(b2c_policy_set, policies=items(*SET))
    changed = EXT.replace("Sign in", "Sign in now")
    new_set = items(RP, PROFILE, changed, BASE)
    predicted = run_module(b2c_policy_set, check_mode=True, diff=True, policies=new_set)
    del graph.uploads[:]
    result = run_module(b2c_policy_set, diff=True, policies=new_set)
    expected = [
        ("B2C_1A_Base", "none", "none"),
        ("B2C_1A_Ext", "updated", "content"),
        ("B2C_1A_Profile", "updated", "ancestor"),
        ("B2C_1A_SignIn", "updated", "ancestor"),
    ]
    assert summary(predicted) == summary(result) == expected
    assert [d["after_header"] for d in predicted["diff"]] == [
        "B2C_1A_Ext (set)",
        "B2C_1A_Profile (set)",
        "B2C_1A_SignIn (set)",
    ]
    assert predicted["diff"] == result["diff"]
    assert graph.uploads == [changed.encode(), PROFILE.encode(), RP.encode()]


def test_without_upload_descendants_only_the_change_is_uploaded(run_module, graph):
    run_module(b2c_policy_set, policies=items(*SET))
    result = run_module(
        b2c_policy_set,
        upload_descendants=False,
        policies=items(RP, PROFILE, EXT.replace("Sign in", "Sign in now"), BASE),
    )
    assert [entry["action"] for entry in result["policies"]] == ["none", "updated", "none", "none"]


def test_force_uploads_every_policy_in_order(run_module, graph):
    run_module(b2c_policy_set, policies=items(*SET))
    del graph.uploads[:]
    result = run_module(b2c_policy_set, force=True, policies=items(*SET))
    assert summary(result) == [(policy_id, "updated", "forced") for policy_id in ORDER]
    assert len(graph.uploads) == 4


def test_a_refused_middle_upload_stops_the_run_and_a_rerun_continues(run_module, graph):
    graph.refused = "B2C_1A_Ext"
    result = run_module(b2c_policy_set, policies=items(*SET))
    assert result["failed"] and result["changed"] is True
    assert summary(result) == [
        ("B2C_1A_Base", "created", "content"),
        ("B2C_1A_Ext", "failed", "content"),
        ("B2C_1A_Profile", "none", "not_attempted"),
        ("B2C_1A_SignIn", "none", "not_attempted"),
    ]
    assert result["policies"][1]["validation_errors"] == result["validation_errors"]
    assert result["validation_errors"][0].startswith('Policy "B2C_1A_Ext" of tenant "t" makes a reference')
    assert result["msg"].startswith("Could not deploy the policy set (4 policies): ")
    assert uploaded(graph) == ["B2C_1A_Base", "B2C_1A_Ext"]
    graph.refused = None
    result = run_module(b2c_policy_set, policies=items(*SET))
    assert summary(result) == [("B2C_1A_Base", "none", "none")] + [
        (policy_id, "created", "content") for policy_id in ORDER[1:]
    ]


@pytest.mark.parametrize(
    "texts, message",
    [
        (
            [BASE, EXT, BASE.replace("Sign in", "Other")],
            "policies[0].content and policies[2].content both have PolicyId B2C_1A_Base",
        ),
        (
            [policy("B2C_1A_A", base="B2C_1A_B"), policy("B2C_1A_B", base="B2C_1A_A")],
            "the BasePolicy chain loops: B2C_1A_A (policies[0].content) -> B2C_1A_B (policies[1].content) -> B2C_1A_A",
        ),
        (
            [policy("B2C_1A_P1", base=None)]
            + [policy("B2C_1A_P%d" % n, base="B2C_1A_P%d" % (n - 1)) for n in range(2, 12)],
            "the inheritance chain of B2C_1A_P11 (policies[10].content) is 11 policies deep",
        ),
        (
            [BASE, EXT.replace("<DisplayName>", "<DisplayName>{Settings:Name}")],
            "policies[1].content: line 13: unresolved placeholder {Settings:Name}",
        ),
    ],
)
def test_local_refusals_send_no_request(run_module, graph, texts, message):
    result = run_module(b2c_policy_set, policies=items(*texts))
    assert result["failed"] and message in result["msg"], result["msg"]
    assert graph.calls == []


def test_a_base_neither_in_the_set_nor_in_the_tenant_is_refused_after_the_list_only(run_module, graph):
    result = run_module(b2c_policy_set, policies=items(RP, PROFILE))
    assert result["failed"]
    assert (
        "B2C_1A_Profile (policies[1].content) inherits from B2C_1A_Ext, which is neither in the set nor in the "
        "tenant; B2C_1A_SignIn (policies[0].content) inherits from B2C_1A_Ext"
    ) in result["msg"]
    assert [(m, p) for m, p, _b in graph.calls] == [("GET", POLICIES)]


def test_a_base_in_the_tenant_is_used_and_its_keysets_are_checked(run_module, graph):
    run_module(b2c_policy_set, policies=items(BASE, EXT))
    del graph.keysets[SIGNING.lower()]
    result = run_module(b2c_policy_set, policies=items(RP, PROFILE))
    assert result["failed"] and graph.uploads[2:] == []
    assert (
        "no policy of the set was uploaded: B2C_1A_TokenSigningKeyContainer does not exist: create it with its key"
    ) in result["msg"]
    assert "(needed by B2C_1A_Base (in the tenant))" in result["msg"]
    assert ENCRYPTION not in result["msg"]
    graph.keysets[SIGNING.lower()] = keyset(key("k2", nbf=graph.now - 10, exp=graph.now + 10**7), name=SIGNING)
    result = run_module(b2c_policy_set, policies=items(RP, PROFILE))
    assert summary(result) == [("B2C_1A_Profile", "created", "content"), ("B2C_1A_SignIn", "created", "content")]


def test_one_line_per_missing_keyset_naming_every_policy_that_needs_it(run_module, graph):
    graph.keysets.clear()
    texts = [BASE, policy("B2C_1A_Ext", base="B2C_1A_Base", keysets=(SIGNING, "B2C_1A_Facebook")), RP]
    for check_mode in (True, False):
        result = run_module(b2c_policy_set, check_mode=check_mode, policies=items(*texts))
        assert result["failed"]
        lines = result["msg"].split("no policy of the set was uploaded: ")[1].split("; ")
        assert [line.split(" ")[0] for line in lines] == ["B2C_1A_Facebook", ENCRYPTION, SIGNING]
        assert lines[0].endswith("(needed by B2C_1A_Ext)") and "(needed by B2C_1A_SignIn)" in lines[1]
        assert "(needed by B2C_1A_Base, B2C_1A_Ext)" in lines[2]
    assert graph.uploads == []
    assert run_module(b2c_policy_set, check_keysets=False, policies=items(*texts))["changed"] is True


def test_state_absent_deletes_children_first(run_module, graph):
    run_module(b2c_policy_set, policies=items(*SET))
    predicted = run_module(b2c_policy_set, check_mode=True, state="absent", policies=items(*SET))
    result = run_module(b2c_policy_set, state="absent", policies=items(*SET))
    children_first = ["B2C_1A_Profile", "B2C_1A_SignIn", "B2C_1A_Ext", "B2C_1A_Base"]
    expected = [(policy_id, "deleted", "absent") for policy_id in children_first]
    assert summary(predicted) == summary(result) == expected
    assert [p.rsplit("/", 1)[1] for m, p in graph.policy_writes() if m == "DELETE"] == [e[0] for e in expected]
    assert graph.policies == {}
    assert run_module(b2c_policy_set, state="absent", policies=items(*SET))["changed"] is False


def test_state_absent_refuses_to_orphan_a_child_outside_the_set(run_module, graph):
    run_module(b2c_policy_set, policies=items(*SET))
    result = run_module(b2c_policy_set, state="absent", policies=items(BASE, EXT, RP))
    assert result["failed"] and graph.policy_writes()[-1][0] == "PUT"
    assert (
        "B2C_1A_Ext (policies[1].content) still has children in the tenant outside the set: B2C_1A_Profile"
        in result["msg"]
    )


def test_a_folder_is_every_xml_file_in_it(run_module, graph, tmp_path):
    for name, text in (("rp.xml", RP), ("ext.XML", EXT), ("base.xml", BASE), ("profile.xml", PROFILE)):
        (tmp_path / name).write_text(text, encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not a policy")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "other.xml").write_text("<broken")
    result = run_module(b2c_policy_set, src=str(tmp_path))
    assert [entry["id"] for entry in result["policies"]] == ORDER
    assert run_module(b2c_policy_set, src=str(tmp_path / "sub"))["msg"] == (
        "Invalid options: src=%s: line 1, column 1: not well-formed XML (unclosed token)"
        % (tmp_path / "sub" / "other.xml")
    )
    (tmp_path / "empty").mkdir()
    empty = run_module(b2c_policy_set, src=str(tmp_path / "empty"))
    assert empty["msg"].endswith("holds no *.xml file: give the folder of the policy files")


@pytest.mark.parametrize(
    "args, message",
    [
        (dict(), "one of the following is required: src, policies"),
        (dict(src="/x", policies=[{"content": BASE}]), "mutually exclusive"),
        (dict(policies=[{}]), "one of the following is required: content, src"),
        (dict(policies=[]), "the policy set is empty"),
        (dict(src="/nonexistent"), "src=/nonexistent is not a folder"),
    ],
)
def test_bad_options_send_no_request(run_module, graph, args, message):
    result = run_module(b2c_policy_set, **args)
    assert result["failed"] and message in result["msg"], result["msg"]
    assert graph.calls == []


def test_the_result_holds_what_return_documents(run_module, graph):
    docs = yaml.safe_load(b2c_policy_set.RETURN)
    result = run_module(b2c_policy_set, diff=True, policies=items(*SET))
    assert set(result) - {"changed", "failed"} == set(docs) - {"validation_errors"}
    assert set(result["policies"][0]) == set(docs["policies"]["contains"]) - {"validation_errors"}
    assert set(result["diff"][0]) == set(docs["diff"]["contains"])
    json.dumps(result)
