# -*- coding: utf-8 -*-
# Copyright: b2c.trustframework contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Attribute fragments (check_mode, diff_mode, action_group) for b2c.trustframework modules."""

from __future__ import annotations


class ModuleDocFragment(object):  # pylint: disable=too-few-public-methods,useless-object-inheritance
    # Modules that change state: full check and diff mode support.
    DOCUMENTATION = r"""
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying the tenant.
    support: full
  diff_mode:
    description: Will return details on what has changed (or would change in check mode) when run in diff mode.
    support: full
"""

    # Read-only (_info) modules.
    INFO_MODULE = r"""
attributes:
  check_mode:
    description: Can run in check_mode and return the same information, since the module never changes anything.
    support: full
    details:
      - This action does not modify state.
  diff_mode:
    description: Will return details on what has changed when run in diff mode.
    support: N/A
    details:
      - This action does not modify state.
"""

    # Membership of the action group used with module_defaults.
    ACTIONGROUP_GRAPH = r"""
attributes:
  action_group:
    description: Use C(group/b2c.trustframework.graph) in C(module_defaults) to set connection options once for all modules of this collection.
    support: full
    membership:
      - b2c.trustframework.graph
"""
