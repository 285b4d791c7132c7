# -*- coding: utf-8 -*-
# Copyright: b2c.trustframework contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: markdown_cell
short_description: Text made safe to show as one cell of a Markdown table
version_added: 1.1.0
description:
  - Escapes a value so that it stays one cell of one row of a Markdown table and shows every character it holds,
    whatever the service returned in it; C(playbooks/report.yml) shows keyset ids and kids with it.
  - A backslash becomes C(\\) and a C(|) becomes C(\|), so no cell is split.
  - A line break (line feed, carriage return, U+2028, U+2029) becomes C(\n), C(\r), C(\u2028) or C(\u2029), and a
    tab C(\t), so no row is forged.
  - Every other control or invisible formatting character (Unicode categories Cc and Cf, such as the bidirectional
    overrides U+202A to U+202E and U+2066 to U+2069, the marks U+200E, U+200F and U+061C, zero-width characters)
    becomes a visible escape such as C(\u202e), so no text shows reordered or hidden.
  - Other characters are kept as they are.
author: b2c.trustframework maintainers (@b2c-trustframework)
options:
  _input:
    description: The value to show. Anything that is not a string is shown as its text; null as an empty cell.
    type: raw
    required: true
seealso:
  - name: GitHub Flavored Markdown, tables
    description: How a C(|) inside a cell is escaped.
    link: https://github.github.com/gfm/#tables-extension-
  - name: "Unicode Bidirectional Algorithm (UAX #9)"
    description: The explicit directional formatting characters.
    link: https://www.unicode.org/reports/tr9/
"""

EXAMPLES = r"""
- name: One row per keyset, whatever its id holds
  ansible.builtin.debug:
    msg: "| {{ item.id | b2c.trustframework.markdown_cell }} | {{ item.active_key.kid | b2c.trustframework.markdown_cell }} |"
  loop: "{{ b2c_keysets.keysets | selectattr('active_key') }}"

# A kid "k1 | forged", a line break, then "| B2C_1A_Other" shows as: k1 \| forged\n\| B2C_1A_Other
"""

RETURN = r"""
_value:
  description: The escaped text.
  type: str
"""

import unicodedata

from ansible.module_utils.common.text.converters import to_text

NAMED_ESCAPES = {"\\": "\\\\", "|": "\\|", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
ESCAPED_CATEGORIES = ("Cc", "Cf", "Zl", "Zp", "Cs")


def _escape(character):
    if character in NAMED_ESCAPES:
        return NAMED_ESCAPES[character]
    if unicodedata.category(character) in ESCAPED_CATEGORIES:
        return "\\u%04x" % ord(character) if ord(character) <= 0xFFFF else "\\U%08x" % ord(character)
    return character


def markdown_cell(value):
    """``value`` as the text of one Markdown table cell: no ``|`` or line break unescaped, no invisible character."""
    if value is None:
        return ""
    return "".join(_escape(character) for character in to_text(value, errors="surrogate_or_replace"))


class FilterModule(object):  # pylint: disable=too-few-public-methods,useless-object-inheritance
    def filters(self):
        return {"markdown_cell": markdown_cell}
