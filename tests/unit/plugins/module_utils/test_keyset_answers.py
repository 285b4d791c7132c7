"""keyset_answers.py: an answer of the wrong shape is refused naming the field, never a Python exception."""

import pytest

from ansible_collections.b2c.trustframework.plugins.module_utils.errors import UnexpectedAnswer
from ansible_collections.b2c.trustframework.plugins.module_utils.keyset_answers import (
    checked_key,
    checked_keyset,
    checked_keysets,
)


@pytest.mark.parametrize(
    "answer, field",
    [
        ([], "the keyset is []"),
        ("x", "the keyset is 'x'"),
        ({"id": 5}, "the keyset.id is 5"),
        ({"id": "B2C_1A_S", "keys": {"kid": "a"}}, "the keyset.keys is {'kid': 'a'}"),
        ({"id": "B2C_1A_S", "keys": [1, 2]}, "keyset B2C_1A_S keys[0] is 1"),
        ({"id": "B2C_1A_S", "keys": [{"exp": float("inf")}]}, "keys[0].exp is inf"),
        ({"id": "B2C_1A_S", "keys": [{"exp": float("nan")}]}, "keys[0].exp is nan"),
        ({"id": "B2C_1A_S", "keys": [{"exp": "soon"}]}, "keys[0].exp is 'soon'"),
        ({"id": "B2C_1A_S", "keys": [{"nbf": True}]}, "keys[0].nbf is True"),
        ({"id": "B2C_1A_S", "keys": [{"nbf": 10**20}]}, "within the years 1 to 9999"),
        ({"id": "B2C_1A_S", "keys": [{"status": ["enabled"]}]}, "keys[0].status is ['enabled']"),
    ],
)
def test_wrong_shapes_are_refused_naming_the_field(answer, field):
    with pytest.raises(UnexpectedAnswer) as err:
        checked_keyset(answer)
    assert str(err.value).startswith("unexpected answer from Graph: ") and field in str(err.value)
    assert err.value.hint


def test_good_shapes_pass_unchanged():
    keyset = {
        "id": "B2C_1A_S",
        "keys": [{"kid": "a", "nbf": 1, "exp": "1767225600", "status": "enabled"}, {"kid": "b"}],
    }
    assert checked_keyset(keyset) is keyset
    assert checked_keyset({"id": "B2C_1A_S"}) == {"id": "B2C_1A_S"}
    assert checked_key({"kid": "a", "exp": 1767225600.0}) == {"kid": "a", "exp": 1767225600.0}
    assert checked_keysets([keyset]) == [keyset]
    with pytest.raises(UnexpectedAnswer, match=r"keysets\[1\] is None"):
        checked_keysets([keyset, None])
