"""The markdown_cell filter: a hostile id stays one cell of one row, every character visible."""

from __future__ import annotations

import re

import pytest

from ansible_collections.b2c.trustframework.plugins.filter.markdown_cell import FilterModule, markdown_cell

# A cell boundary: a | that no backslash escapes (an escaped backslash does not escape it).
CELL_BOUNDARY = re.compile(r"(?<!\\)(?:\\\\)*\|")


@pytest.mark.parametrize(
    "value, shown",
    [
        ("B2C_1A_TokenSigningKeyContainer", "B2C_1A_TokenSigningKeyContainer"),
        ("k1 | forged", "k1 \\| forged"),
        ("a\\|b", "a\\\\\\|b"),
        ("line\nbreak\r\n", "line\\nbreak\\r\\n"),
        ("tab\there", "tab\\there"),
        ("nul\x00bell\x07del\x7fnel\x85", "nul\\u0000bell\\u0007del\\u007fnel\\u0085"),
        ("abc\u202edcba", "abc\\u202edcba"),
        (
            "\u202a\u202b\u202c\u202d\u2066\u2067\u2068\u2069",
            "\\u202a\\u202b\\u202c\\u202d\\u2066\\u2067\\u2068\\u2069",
        ),
        ("\u200e\u200f\u061c", "\\u200e\\u200f\\u061c"),
        ("zero\u200bwidth\ufeff", "zero\\u200bwidth\\ufeff"),
        ("sep\u2028par\u2029", "sep\\u2028par\\u2029"),
        ("tag\U000e0041", "tag\\U000e0041"),
        ("caf\u00e9 \u65e5\u672c", "caf\u00e9 \u65e5\u672c"),
        (7, "7"),
        (None, ""),
    ],
)
def test_escapes(value, shown):
    assert markdown_cell(value) == shown


def test_a_forged_row_stays_one_cell():
    kid = "k1 | 2099-01-01 |\n| B2C_1A_Forged | k2 | RSA/sig | never | - | - | - | - |\u202e"
    row = "| B2C_1A_Real | %s | RSA/sig |" % markdown_cell(kid)
    assert "\n" not in row and "\u202e" not in row
    assert len(CELL_BOUNDARY.findall(row)) == 4, "three cells, as without the hostile kid"


def test_the_filter_is_registered_under_its_documented_name():
    assert FilterModule().filters() == {"markdown_cell": markdown_cell}
