"""keyset_service.py: the keyset reads, and which answers mean the keyset is missing (fake graph)."""

import pytest

from ansible_collections.b2c.trustframework.plugins.module_utils import keyset_service as svc
from ansible_collections.b2c.trustframework.plugins.module_utils.errors import GraphError
from tests.unit.plugins.module_utils.fake_graph import FakeGraph
from tests.unit.plugins.module_utils.keyset_samples import key, keyset
from tests.unit.plugins.module_utils.keyset_samples import keyset_missing_error as missing

# --------------------------------------------------------------------------- endpoint calls


def test_read_keyset_normalizes_and_maps_404_to_none():
    graph = FakeGraph([keyset(key("a"), name="B2C_1A_Sig")])
    assert svc.read_keyset(graph, "Sig")["id"] == "B2C_1A_Sig"
    assert svc.read_keyset(graph, "Missing") is None
    assert [c[1] for c in graph.calls] == [
        "/trustFramework/keySets/B2C_1A_Sig",
        "/trustFramework/keySets/B2C_1A_Missing",
    ]


def test_read_keyset_raises_other_errors():
    graph = FakeGraph()
    graph.fail("GET", "B2C_1A_Sig", GraphError(status=403, code="Authorization_RequestDenied"))
    with pytest.raises(GraphError):
        svc.read_keyset(graph, "Sig")


def test_kid_is_quoted_in_keys_v2_paths():
    graph = FakeGraph([keyset(key("a/b c"), name="B2C_1A_Sig")])
    assert svc.get_key_v2(graph, "B2C_1A_Sig", "a/b c")["kid"] == "a/b c"
    assert graph.calls[0][1] == "/trustFramework/keySets/B2C_1A_Sig/keys_v2/a%2Fb%20c"


def test_get_key_v2_accepts_bare_and_wrapped():
    class Answer:
        def __init__(self, answer):
            self.answer = answer

        def request(self, method, path, json=None, params=None):
            return self.answer

    assert svc.get_key_v2(Answer({"kid": "a", "status": "enabled"}), "x", "a")["status"] == "enabled"
    assert svc.get_key_v2(Answer({"value": {"kid": "a", "status": "disabled"}}), "x", "a")["status"] == "disabled"
    assert svc.get_key_v2(FakeGraph([keyset(name="B2C_1A_Sig")]), "B2C_1A_Sig", "zz") is None


def test_list_keysets_uses_get_all():
    graph = FakeGraph([keyset(name="B2C_1A_A"), keyset(name="B2C_1A_B")])
    assert [k["id"] for k in svc.list_keysets(graph)] == ["B2C_1A_A", "B2C_1A_B"]


# ---------------------------------- how the real service answers (tests/emulator/README.md, Real-service behaviour)


@pytest.mark.parametrize(
    "error, is_missing",
    [
        (missing(), True),
        (missing("AADB2C95052"), True),
        (missing(status=404, code="itemNotFound"), True),
        (GraphError(status=400, code="BadRequest", inner_codes=["AADB2C90073"]), True),
        (GraphError(status=400, code="BadRequest", graph_message="... AADB2C90073: KeyContainer ..."), True),
        (GraphError(status=400, code="invalidRequest", graph_message="bad body"), False),
        (GraphError(status=403, code="AADB2C90073"), True),
        (GraphError(status=500, code="AADB2C90073"), False),
        (GraphError(reason="connection dropped"), False),
    ],
)
def test_which_answers_mean_the_keyset_is_missing(error, is_missing):
    graph = FakeGraph()
    graph.fail("GET", "B2C_1A_X", error)
    if is_missing:
        assert svc.read_keyset(graph, "X") is None
    else:
        with pytest.raises(GraphError):
            svc.read_keyset(graph, "X")
