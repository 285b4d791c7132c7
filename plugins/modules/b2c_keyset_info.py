#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: b2c.trustframework contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: b2c_keyset_info
short_description: List Azure AD B2C policy keysets, their keys and active keys
version_added: 1.0.0
description:
  - Reads one B2C policy keyset or all of them (Microsoft Graph beta C(trustFramework/keySets), following
    C(@odata.nextLink)), with the public members of each key, days to expiry and, optionally, the active key.
  - Never changes anything.
  - Marks the keysets that are not the user's to manage, so that reports can list them apart. RV(keysets[].service_managed)
    is true for C(B2C_1A_AdminClientEncryptionKeyContainer), which B2C creates and uses itself.
    RV(keysets[].backup) is true for C(<id>.bak) keysets, the copies the portal keeps when a keyset is deleted.
author: b2c.trustframework maintainers (@b2c-trustframework)
options:
  name:
    description:
      - Keyset name, with or without the C(B2C_1A_) prefix. Without it, every keyset is listed.
      - A keyset that does not exist gives an empty RV(keysets) list, not an error.
    type: str
    aliases: [id]
  active_key:
    description:
      - Include the key the service currently uses as RV(keysets[].active_key); null when no key is active
        (empty keyset, or every key expired or disabled).
      - Computed from the keyset that was read, with the service's documented rule, so it costs no extra request.
        The rule picks the enabled key whose C(nbf) passed last and whose C(exp) has not; failing that, a key
        without dates.
    type: bool
    default: true
  expiring_within_days:
    description:
      - Only return keysets that need a new key within this many days. A keyset needs one when, for some key
        type and use, the enabled key that stays valid longest expires within this many days or has expired.
      - Older keys that a newer key has superseded do not count (keys cannot be removed from a keyset, so
        expired predecessors stay there forever); disabled keys do not count. A key without expiry (the
        service's safety net) does not hide that the dated keys are due.
      - Service-managed and backup keysets are never returned by this filter, since their users do not renew them.
    type: int
  expected:
    description:
      - Keyset names (with or without the C(B2C_1A_) prefix) the tenant should have. Those that are missing are
        returned in RV(missing), so a report can fail on them.
      - Mutually exclusive with O(name).
    type: list
    elements: str
  coverage_days:
    description:
      - Judge whether the keys of each keyset cover the next this many days, in RV(keysets[].covered) and
        RV(keysets[].coverage_problem).
      - Covered means the active key is valid for more than this many days, or a successor (RV(keysets[].next_key))
        takes over before the active key expires and is itself valid for more than this many days.
      - Service-managed and backup keysets are not judged (both values null).
    type: int
  policies:
    description:
      - Also read the deployed custom policies and return, per keyset, the policies whose XML references it in a
        C(StorageReferenceId) (RV(keysets[].policies); compared case-insensitively, with or without C(B2C_1A_)), and
        in RV(reference_problems) every keyset a deployed policy references that is missing, empty or holds only
        expired or disabled keys (with O(name), only that keyset).
      - Costs the policy listing and one request per deployed policy (a tenant holds at most 200), and needs the
        C(Policy.Read.All) (or C(Policy.ReadWrite.TrustFramework)) application permission besides the keyset
        permission; without it the task fails with HTTP 403.
      - Only a policy's own XML counts; a policy that inherits the reference from its base policy is not listed.
    type: bool
    default: false
    version_added: 1.1.0
seealso:
  - module: b2c.trustframework.b2c_keyset
  - module: b2c.trustframework.b2c_keyset_key
  - name: "List keySets (Microsoft Graph beta)"
    description: The API that lists keysets.
    link: https://learn.microsoft.com/en-us/graph/api/trustframework-list-keysets?view=graph-rest-beta
  - name: "Azure AD B2C policy keys overview"
    description: Which key of a keyset is active, and how a key rolls over.
    link: https://learn.microsoft.com/en-us/azure/active-directory-b2c/policy-keys-overview
extends_documentation_fragment:
  - b2c.trustframework.graph
  - b2c.trustframework.attributes.info_module
  - b2c.trustframework.attributes.actiongroup_graph
"""

EXAMPLES = r"""
- name: All keysets with their active keys
  b2c.trustframework.b2c_keyset_info:
  register: b2c_keysets

- name: Show when the keys of each keyset expire
  ansible.builtin.debug:
    msg: "{{ item.id }}: {{ item.key_list | map(attribute='exp_iso') | join(', ') }}"
  loop: "{{ b2c_keysets.keysets }}"
  loop_control:
    label: "{{ item.id }}"

- name: Keysets that need a new key within 30 days
  b2c.trustframework.b2c_keyset_info:
    expiring_within_days: 30
    active_key: false
  register: b2c_due

- name: Fail the pipeline when a key is due
  ansible.builtin.assert:
    that: b2c_due.keysets | length == 0
    fail_msg: "Rotate: {{ b2c_due.keysets | map(attribute='id') | join(', ') }}"

- name: Gate on the keysets a tenant must have and on keys that stop covering the next 30 days
  b2c.trustframework.b2c_keyset_info:
    expected: [TokenSigningKeyContainer]
    coverage_days: 30
  register: b2c_keys

- name: Fail when one is missing or not covered
  ansible.builtin.assert:
    that:
      - b2c_keys.missing | length == 0
      - b2c_keys.keysets | selectattr('covered', 'false') | list | length == 0

- name: Which policies use each keyset, and which keysets cannot serve the policies that use them
  b2c.trustframework.b2c_keyset_info:
    policies: true
  register: b2c_usage

- name: Fail when a deployed policy references a keyset without a usable key
  ansible.builtin.assert:
    that: b2c_usage.reference_problems | length == 0
    fail_msg: >-
      {{ b2c_usage.reference_problems | map(attribute='keyset')
         | zip(b2c_usage.reference_problems | map(attribute='problem')) | map('join', ': ') | join('; ') }}
"""

RETURN = r"""
keysets:
  description: The keysets, as the service reports their ids.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Keyset id.
      type: str
      returned: always
      sample: B2C_1A_TokenSigningKeyContainer
    key_list:
      description:
        - The keys of the keyset, read with dot access (C(result.keysets[0].key_list)).
        - Keys with C(kid kty use nbf exp x5t status) as Graph returns them, plus C(nbf_iso), C(exp_iso)
          (UTC ISO 8601) and C(expires_in_days) (days left rounded up while valid, so a 10-day key shows V(10) on
          the day it is made and V(1) on its last day; negative once expired; null without C(exp)).
        - Private members are never returned.
      type: list
      elements: dict
      returned: always
      sample:
        - kid: 4PjEfAq0F8ytkXbc5XLpKhJ0gVBqpsqlpPuu7xhcAT4
          kty: RSA
          use: sig
          nbf: 1767225600
          exp: 1830297600
          x5t: null
          status: enabled
          nbf_iso: "2026-01-01T00:00:00Z"
          exp_iso: "2028-01-01T00:00:00Z"
          expires_in_days: 729
    active_key:
      description: The active key (same fields as RV(keysets[].key_list)), or null when none is active.
      type: dict
      returned: when O(active_key=true)
    next_key:
      description:
        - The key that takes over next, or null. Computed locally with the service's rule (no extra request) as the
          enabled key with the earliest C(nbf) still ahead and an C(exp) after that C(nbf), for example a successor
          staged with O(b2c.trustframework.b2c_keyset_key#module:activate_in_days).
        - Same fields as RV(keysets[].key_list), plus C(activates_in_days), whole days until its C(nbf) (rounded like
          C(expires_in_days)).
      type: dict
      returned: always
      sample:
        kid: 8vzk1Bq3Lk2mHc0ZQbA7Xr5yT1uN4pWs6dEfGhIjKlM
        kty: RSA
        use: sig
        nbf: 1798761600
        exp: 1830297600
        x5t: null
        status: enabled
        nbf_iso: "2027-01-01T00:00:00Z"
        exp_iso: "2028-01-01T00:00:00Z"
        expires_in_days: 372
        activates_in_days: 7
    service_managed:
      description: True for a keyset that B2C creates and uses itself (C(B2C_1A_AdminClientEncryptionKeyContainer)).
      type: bool
      returned: always
      sample: false
    backup:
      description: True for a C(<id>.bak) keyset, the copy the portal keeps when a keyset is deleted.
      type: bool
      returned: always
      sample: false
    covered:
      description:
        - Whether the keys of the keyset cover the next O(coverage_days) days (see there); null for a
          service-managed or backup keyset.
      type: bool
      returned: when O(coverage_days) is set
      sample: true
    coverage_problem:
      description: Why the keyset is not covered, in words, or null.
      type: str
      returned: when O(coverage_days) is set
      sample: the active key expires in 12 days and no successor is staged to take over before
    policies:
      description: The ids of the deployed policies whose own XML references the keyset, sorted; empty when none.
      type: list
      elements: str
      returned: when O(policies=true)
      sample: [B2C_1A_TrustFrameworkBase, B2C_1A_TrustFrameworkExtensions]
reference_problems:
  description:
    - One entry per keyset that a deployed policy references but that cannot serve it, so sign-ins through that
      policy fail. Empty when every referenced keyset has a usable key (enabled and not expired; a staged key
      counts).
    - A missing keyset has no entry in RV(keysets), so this is the place that names it.
  returned: when O(policies=true)
  type: list
  elements: dict
  contains:
    keyset:
      description: The keyset id as the service reports it, or as the policies spell it when it is missing.
      type: str
      returned: always
      sample: B2C_1A_FacebookSecret
    policies:
      description: The ids of the deployed policies that reference it.
      type: list
      elements: str
      returned: always
      sample: [B2C_1A_TrustFrameworkExtensions]
    problem:
      description: "V(does not exist), V(has no key) or V(has no usable key: every key is expired or disabled)."
      type: str
      returned: always
      sample: does not exist
missing:
  description: The names of O(expected) (with the C(B2C_1A_) prefix) that the tenant does not have.
  returned: when O(expected) is set
  type: list
  elements: str
  sample: [B2C_1A_FacebookSecret]
"""

from ansible_collections.b2c.trustframework.plugins.module_utils.code_cache import cache_compiled_code

ARGUMENT_SPEC = dict(
    name=dict(type="str", aliases=["id"]),
    active_key=dict(type="bool", default=True),
    expiring_within_days=dict(type="int"),
    expected=dict(type="list", elements="str"),
    coverage_days=dict(type="int"),
    policies=dict(type="bool", default=False),
)


def main():
    cache_compiled_code()  # first: the imports below are then served from it
    from ansible_collections.b2c.trustframework.plugins.module_utils.keyset_info_task import KeysetInfoResource
    from ansible_collections.b2c.trustframework.plugins.module_utils.module import B2CModule
    from ansible_collections.b2c.trustframework.plugins.module_utils.task_runner import run_task

    module = B2CModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True, mutually_exclusive=[("name", "expected")])
    run_task(module, KeysetInfoResource(module.params))


if __name__ == "__main__":
    main()
