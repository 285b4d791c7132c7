"""keyset_writes.py: endpoint writes, real-service answers, exactly-once adds, applying plans (fake graph)."""

import json

import pytest

from ansible_collections.b2c.trustframework.plugins.module_utils import key_plan, key_summary
from ansible_collections.b2c.trustframework.plugins.module_utils import keyset_service as svc
from ansible_collections.b2c.trustframework.plugins.module_utils import keyset_writes as writes
from ansible_collections.b2c.trustframework.plugins.module_utils.errors import GraphError, ValidationError
from tests.unit.plugins.module_utils.fake_graph import LEAKY_PRIVATE_D, FakeGraph
from tests.unit.plugins.module_utils.keyset_samples import DAY, NOW, X5T, desired, key, keyset
from tests.unit.plugins.module_utils.keyset_samples import keyset_missing_error as missing

# --------------------------------------------------------------------------- endpoint calls


def no_sleep(_seconds):
    pass


def test_create_keyset_sends_the_bare_name_and_uses_the_returned_id():
    graph = FakeGraph()
    created, was_created = writes.create_keyset(graph, "b2c_1a_New")
    assert (created["id"], was_created) == ("B2C_1A_New", True)
    assert graph.calls[0] == ("POST", "/trustFramework/keySets", {"id": "New"})


def test_create_keyset_with_keys():
    graph = FakeGraph()
    writes.create_keyset(graph, "New", keys=[{"kid": "a", "kty": "oct", "k": "x"}])
    assert graph.calls[0][2]["keys"][0]["kid"] == "a"


@pytest.mark.parametrize("status", [400, 409])
def test_create_keyset_that_exists_rereads(status):
    graph = FakeGraph([keyset(key("a"), name="B2C_1A_Old")])
    graph.fail("POST", "/keySets", GraphError(status=status, code="AADB2C95028"))
    existing, was_created = writes.create_keyset(graph, "Old")
    assert (existing["keys"][0]["kid"], was_created) == ("a", False)


def test_create_keyset_409_from_the_fake_itself():
    graph = FakeGraph([keyset(name="B2C_1A_Old")])
    assert writes.create_keyset(graph, "Old")[1] is False


def test_create_keyset_400_without_keyset_is_raised():
    graph = FakeGraph()
    graph.fail("POST", "/keySets", GraphError(status=400, code="invalidRequest"))
    with pytest.raises(GraphError):
        writes.create_keyset(graph, "New", sleep=no_sleep)


def test_create_keyset_ambiguous_failure_that_applied():
    graph = FakeGraph()
    graph.fail("POST", "/keySets", applied=True)
    assert writes.create_keyset(graph, "New", sleep=no_sleep) == ({"id": "B2C_1A_New", "keys": []}, True)


def test_create_keyset_403_is_raised_without_reread():
    graph = FakeGraph()
    graph.fail("POST", "/keySets", GraphError(status=403, code="accessDenied"))
    with pytest.raises(GraphError):
        writes.create_keyset(graph, "New")
    assert len(graph.calls) == 1


def test_action_bodies():
    graph = FakeGraph([keyset(name="B2C_1A_R"), keyset(name="B2C_1A_S")])
    writes.generate_key(graph, "B2C_1A_R", "rsa", "SIG", nbf=NOW, exp=str(NOW + DAY))
    writes.upload_secret(graph, "B2C_1A_S", "hunter2", "enc", exp=NOW + DAY)
    assert graph.calls[0] == (
        "POST",
        "/trustFramework/keySets/B2C_1A_R/generateKey",
        {"use": "sig", "kty": "RSA", "nbf": NOW, "exp": NOW + DAY},
    )
    assert graph.calls[1] == (
        "POST",
        "/trustFramework/keySets/B2C_1A_S/uploadSecret",
        {"use": "enc", "k": "hunter2", "exp": NOW + DAY},
    )
    for _method, _path, body in graph.calls:
        assert "@odata.type" not in body


def test_oct_generate_sends_OCT():
    graph = FakeGraph([keyset(name="B2C_1A_S")])
    writes.generate_key(graph, "B2C_1A_S", "oct", "sig")
    assert graph.calls[0][2] == {"use": "sig", "kty": "OCT"}


def test_set_key_status_patches_only_status():
    graph = FakeGraph([keyset(key("a"), name="B2C_1A_Sig")])
    writes.set_key_status(graph, "B2C_1A_Sig", "a", "disabled")
    assert graph.calls[-1] == ("PATCH", "/trustFramework/keySets/B2C_1A_Sig/keys_v2/a", {"status": "disabled"})
    assert graph.keys("B2C_1A_Sig")[0]["status"] == "disabled"


def test_delete_keyset():
    graph = FakeGraph([keyset(name="B2C_1A_Sig")])
    assert writes.delete_keyset(graph, "B2C_1A_Sig") is True
    assert writes.delete_keyset(graph, "B2C_1A_Sig") is False


def test_replace_keys_puts_the_list():
    graph = FakeGraph([keyset(key("a"), name="B2C_1A_Sig")])
    writes.replace_keys(graph, "B2C_1A_Sig", [{"kid": "b", "kty": "oct", "k": "x"}])
    assert graph.calls[-1] == (
        "PUT",
        "/trustFramework/keySets/B2C_1A_Sig",
        {"keys": [{"kid": "b", "kty": "oct", "k": "x"}]},
    )


# --------------------------------------------------------------------------- exactly once


def generate_once(graph, keyset_id="B2C_1A_Sig", attempts=3):
    wanted = desired()
    before = svc.read_keyset(graph, keyset_id)
    return writes.add_key_once(
        graph,
        keyset_id,
        lambda: writes.send_key(graph, keyset_id, wanted),
        key_plan.added_key_finder(before, wanted),
        attempts=attempts,
        sleep=no_sleep,
    )


@pytest.mark.parametrize("applied, posts", [(True, 1), (False, 2)])
def test_add_key_once_after_an_ambiguous_failure(applied, posts):
    graph = FakeGraph([keyset(key("old", exp=NOW - DAY), name="B2C_1A_Sig")])
    graph.fail("POST", "generateKey", applied=applied)
    added = generate_once(graph)
    assert added["kid"] != "old"
    assert len(graph.posts_to("generateKey")) == posts
    assert len(graph.keys("B2C_1A_Sig")) == 2  # exactly one new key


def test_add_key_once_never_retries_a_definite_failure():
    graph = FakeGraph([keyset(name="B2C_1A_Sig")])
    graph.fail("POST", "generateKey", GraphError(status=400, code="invalidRequest"))
    with pytest.raises(GraphError):
        generate_once(graph)
    assert len(graph.posts_to("generateKey")) == 1


def test_add_key_once_gives_up_after_attempts():
    graph = FakeGraph([keyset(name="B2C_1A_Sig")])
    graph.fail("POST", "generateKey", times=5)
    with pytest.raises(GraphError):
        generate_once(graph, attempts=3)
    assert len(graph.posts_to("generateKey")) == 3
    assert graph.keys("B2C_1A_Sig") == []


def test_add_key_once_gives_up_when_the_last_attempt_applied_but_never_adds_two():
    graph = FakeGraph([keyset(name="B2C_1A_Sig")])
    graph.fail("POST", "generateKey", applied=True, times=5)
    assert generate_once(graph)["kty"] == "RSA"
    assert len(graph.keys("B2C_1A_Sig")) == 1


def test_add_key_once_tolerates_replication_lag_on_the_reread():
    graph = FakeGraph([keyset(name="B2C_1A_Sig")])
    graph.fail("POST", "generateKey", applied=True)
    graph.fail("GET", "B2C_1A_Sig", GraphError(status=404), times=2)
    wanted = desired()
    before = keyset(name="B2C_1A_Sig")
    added = writes.add_key_once(
        graph,
        "B2C_1A_Sig",
        lambda: writes.send_key(graph, "B2C_1A_Sig", wanted),
        key_plan.added_key_finder(before, wanted),
        sleep=no_sleep,
    )
    assert added is not None
    assert len(graph.keys("B2C_1A_Sig")) == 1


def test_add_key_once_waits_for_a_key_the_service_applies_late():
    """A timed-out send that the service applies a moment later must not be sent again."""
    graph = FakeGraph([keyset(name="B2C_1A_Sig")])
    graph.fail("POST", "generateKey")  # not applied yet when the client gives up
    wanted = desired()
    slept = []

    def service_applies_it_while_we_wait(seconds):
        if not slept:
            graph.request("POST", "/trustFramework/keySets/B2C_1A_Sig/generateKey", json={"kty": "RSA", "use": "sig"})
        slept.append(seconds)

    added = writes.add_key_once(
        graph,
        "B2C_1A_Sig",
        lambda: writes.send_key(graph, "B2C_1A_Sig", wanted),
        key_plan.added_key_finder(keyset(name="B2C_1A_Sig"), wanted),
        sleep=service_applies_it_while_we_wait,
    )
    assert added is not None and slept == [1]
    assert len(graph.keys("B2C_1A_Sig")) == 1


def test_add_key_once_retries_a_404_send_after_a_wait():
    graph = FakeGraph([keyset(name="B2C_1A_Sig")])
    graph.fail("POST", "generateKey", GraphError(status=404), times=2)
    slept = []
    wanted = desired()
    writes.add_key_once(
        graph,
        "B2C_1A_Sig",
        lambda: writes.send_key(graph, "B2C_1A_Sig", wanted),
        key_plan.added_key_finder(None, wanted),
        sleep=slept.append,
    )
    assert slept == [1, 2]
    assert len(graph.keys("B2C_1A_Sig")) == 1


def test_add_key_once_404_that_persists_is_raised():
    graph = FakeGraph([keyset(name="B2C_1A_Sig")])
    graph.fail("POST", "generateKey", GraphError(status=404), times=10)
    with pytest.raises(GraphError):
        writes.add_key_once(
            graph,
            "B2C_1A_Sig",
            lambda: writes.send_key(graph, "B2C_1A_Sig", desired()),
            lambda _keyset: None,
            sleep=no_sleep,
        )
    assert len(graph.posts_to("generateKey")) == len(svc.SETTLE_WAITS) + 1


def test_added_key_finder_for_certificates_uses_x5t():
    finder = key_plan.added_key_finder(keyset(), desired(source="certificate", x5t=X5T))
    assert finder(keyset(key("c", x5t=X5T)))["kid"] == "c"
    assert finder(keyset(key("c", x5t="other"))) is None


def test_added_key_finder_ignores_known_kids_and_other_families():
    before = keyset(key("old"))
    finder = key_plan.added_key_finder(before, desired())
    assert finder(keyset(key("old"))) is None
    assert finder(keyset(key("old"), key("enc", use="enc"))) is None
    assert finder(keyset(key("old"), key("new")))["kid"] == "new"


# --------------------------------------------------------------------------- apply


def test_apply_creates_the_keyset_then_generates():
    graph = FakeGraph()
    wanted = desired(keyset="B2C_1A_New")
    plan = key_plan.plan_key(None, wanted, NOW)
    applied = writes.apply_key_plan(graph, None, wanted, plan, NOW, sleep=no_sleep)
    assert applied.keyset_created is True
    assert applied.key["kid"] and applied.key["status"] == "enabled"
    assert [k["kid"] for k in applied.keyset["keys"]] == [applied.key["kid"]]
    assert LEAKY_PRIVATE_D not in json.dumps(key_summary.summarize_keyset(applied.keyset, NOW))
    assert LEAKY_PRIVATE_D not in json.dumps(key_summary.summarize_key(applied.key, NOW))


def test_apply_when_another_run_created_the_keyset_with_a_key():
    graph = FakeGraph([keyset(key("theirs"), name="B2C_1A_New")])
    wanted = desired(keyset="B2C_1A_New")
    applied = writes.apply_key_plan(graph, None, wanted, key_plan.plan_key(None, wanted, NOW), NOW, sleep=no_sleep)
    assert (applied.plan.action, applied.keyset_created, applied.key["kid"]) == ("none", False, "theirs")
    assert graph.posts_to("generateKey") == []


def test_apply_status_change():
    graph = FakeGraph([keyset(key("a"), name="B2C_1A_Sig")])
    current = svc.read_keyset(graph, "Sig")
    wanted = desired(kid="a", status="disabled", force=True)
    applied = writes.apply_key_plan(
        graph, current, wanted, key_plan.plan_key(current, wanted, NOW), NOW, sleep=no_sleep
    )
    assert applied.key["status"] == "disabled"
    assert applied.keyset["keys"][0]["status"] == "disabled"


# ---------------------------------- how the real service answers (tests/emulator/README.md, Real-service behaviour)


@pytest.mark.parametrize(
    "call",
    [
        lambda graph: writes.delete_keyset(graph, "B2C_1A_Gone"),
        lambda graph: svc.get_key_v2(graph, "B2C_1A_Gone", "kid"),
        lambda graph: svc.read_keyset(graph, "Gone"),
    ],
)
def test_missing_keyset_answers_every_call_with_the_real_service_code(call):
    graph = FakeGraph()
    assert call(graph) in (None, False)


@pytest.mark.parametrize("status", [400, 409])
@pytest.mark.parametrize("code", ["AADB2C95028", "AADB2C95038"])
def test_create_conflict_is_recognised_by_code_whatever_the_status(status, code):
    graph = FakeGraph([keyset(key("a"), name="B2C_1A_Old")])
    graph.fail("POST", "/keySets", GraphError(status=status, code=code))
    assert writes.create_keyset(graph, "Old", sleep=no_sleep)[1] is False


def test_create_failing_with_another_400_reports_that_400_not_the_reread():
    graph = FakeGraph()
    graph.fail("POST", "/keySets", GraphError(status=400, code="invalidRequest", graph_message="bad id"))
    with pytest.raises(GraphError, match="invalidRequest: bad id"):
        writes.create_keyset(graph, "New", sleep=no_sleep)
    assert [method for method, _path, _body in graph.calls] == ["POST", "GET"], "looked up once, no settle waits"


def test_create_is_resent_after_a_transient_failure_once_a_reread_shows_it_missing():
    graph = FakeGraph()
    graph.fail("POST", "/keySets", GraphError(status=503, code="serviceNotAvailable", may_have_been_applied=True))
    created, was_created = writes.create_keyset(graph, "New", sleep=no_sleep)
    assert (created["id"], was_created) == ("B2C_1A_New", True)
    assert len(graph.posts_to("/keySets")) == 2


def test_an_add_refused_for_concurrent_writes_is_reread_before_it_is_resent():
    graph = FakeGraph([keyset(name="B2C_1A_Sig")])
    graph.fail(
        "POST", "generateKey", GraphError(status=400, code="AADB2C95053", may_have_been_applied=True), applied=True
    )
    added = generate_once(graph)
    assert added is not None
    assert len(graph.posts_to("generateKey")) == 1 and len(graph.keys("B2C_1A_Sig")) == 1


def test_an_internal_error_on_upload_secret_is_not_resent_when_the_secret_landed():
    graph = FakeGraph([keyset(name="B2C_1A_Sec")])
    graph.fail(
        "POST", "uploadSecret", GraphError(status=500, code="AADB2C90063", may_have_been_applied=True), applied=True
    )
    wanted = desired(keyset="B2C_1A_Sec", source="secret", secret="s3cret")
    writes.add_key_once(
        graph,
        "B2C_1A_Sec",
        lambda: writes.send_key(graph, "B2C_1A_Sec", wanted),
        key_plan.added_key_finder(keyset(name="B2C_1A_Sec"), wanted),
        sleep=no_sleep,
    )
    assert len(graph.posts_to("uploadSecret")) == 1 and len(graph.keys("B2C_1A_Sec")) == 1


def test_a_send_refused_as_missing_is_resent_after_a_wait():
    graph = FakeGraph([keyset(name="B2C_1A_Sig")])
    graph.fail("POST", "generateKey", missing(), times=1)
    slept = []
    wanted = desired()
    writes.add_key_once(
        graph,
        "B2C_1A_Sig",
        lambda: writes.send_key(graph, "B2C_1A_Sig", wanted),
        key_plan.added_key_finder(None, wanted),
        sleep=slept.append,
    )
    assert slept == [1] and len(graph.keys("B2C_1A_Sig")) == 1


def test_apply_reads_the_new_keys_status_back_from_keys_v2():
    graph = FakeGraph([keyset(name="B2C_1A_Sig")])
    graph.disable_new_keys = True
    wanted = desired()
    current = svc.read_keyset(graph, "Sig")
    applied = writes.apply_key_plan(
        graph, current, wanted, key_plan.plan_key(current, wanted, NOW), NOW, sleep=no_sleep
    )
    assert applied.key["status"] == "disabled"
    assert ("GET", "/trustFramework/keySets/B2C_1A_Sig/keys_v2/" + applied.key["kid"], None) in graph.calls


def test_paths_cannot_leave_keys_v2():
    graph = FakeGraph([keyset(key("a"), name="B2C_1A_Sig")])
    with pytest.raises(ValidationError, match="is not a key id"):
        writes.set_key_status(graph, "B2C_1A_Sig", "..", "disabled")
    assert graph.calls == []
