#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: b2c.trustframework contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: b2c_policy_info
short_description: List Azure AD B2C custom policies, their base policy and the keysets they use
version_added: 1.1.0
description:
  - Reads one Identity Experience Framework custom policy or all of them (Microsoft Graph beta
    C(trustFramework/policies), following C(@odata.nextLink)), with each policy's base policy and the keysets its XML
    references, and which policies use each keyset.
  - Never changes anything.
  - The list of policies holds ids only, so the module reads each policy's XML (one request per policy).
  - "Needs the Microsoft Graph application permission C(Policy.Read.All) (or C(Policy.ReadWrite.TrustFramework)) with
    admin consent."
author: b2c.trustframework maintainers (@b2c-trustframework)
options:
  name:
    description:
      - Policy id, with or without the C(B2C_1A_) prefix. Without it, every policy is listed.
      - A policy that does not exist gives an empty RV(policies) list, not an error.
    type: str
    aliases: [id]
  content:
    description: Include each policy's XML, as the service returns it, as RV(policies[].content).
    type: bool
    default: false
seealso:
  - module: b2c.trustframework.b2c_policy
  - module: b2c.trustframework.b2c_keyset_info
  - name: "List trustFrameworkPolicies (Microsoft Graph beta)"
    description: The API that lists policies.
    link: https://learn.microsoft.com/en-us/graph/api/trustframework-list-trustframeworkpolicies?view=graph-rest-beta
  - name: "Get trustFrameworkPolicy (Microsoft Graph beta)"
    description: The API that reads a policy's XML.
    link: https://learn.microsoft.com/en-us/graph/api/trustframeworkpolicy-get?view=graph-rest-beta
extends_documentation_fragment:
  - b2c.trustframework.graph
  - b2c.trustframework.attributes.info_module
  - b2c.trustframework.attributes.actiongroup_graph
"""

EXAMPLES = r"""
- name: Every policy of the tenant
  b2c.trustframework.b2c_policy_info:
  register: deployed

- name: The policies that would break without the token signing key
  ansible.builtin.debug:
    msg: "{{ deployed.keyset_references['B2C_1A_TokenSigningKeyContainer'] | default([]) }}"

- name: One policy with its XML
  b2c.trustframework.b2c_policy_info:
    name: TrustFrameworkExtensions
    content: true
  register: extensions
"""

RETURN = r"""
policies:
  description: The policies, as the service reports their ids.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Policy id.
      type: str
      returned: always
      sample: B2C_1A_TrustFrameworkExtensions
    base_policy:
      description: The id of the policy it inherits from (C(BasePolicy/PolicyId)), or null for a base policy.
      type: str
      returned: always
      sample: B2C_1A_TrustFrameworkBase
    keysets:
      description:
        - The keysets its own XML references (C(CryptographicKeys/Key/@StorageReferenceId)), each once. Keysets used
          only by its ancestors are listed with them.
      type: list
      elements: str
      returned: always
      sample: [B2C_1A_TokenSigningKeyContainer]
    content:
      description: The policy's XML as the service returned it.
      type: str
      returned: when O(content=true)
keyset_references:
  description: For each keyset some listed policy references, the ids of the policies whose XML references it.
  returned: always
  type: dict
  sample:
    B2C_1A_TokenSigningKeyContainer: [B2C_1A_TrustFrameworkBase, B2C_1A_TrustFrameworkExtensions]
    B2C_1A_FacebookSecret: [B2C_1A_TrustFrameworkExtensions]
"""

from ansible_collections.b2c.trustframework.plugins.module_utils.code_cache import cache_compiled_code

ARGUMENT_SPEC = dict(
    name=dict(type="str", aliases=["id"]),
    content=dict(type="bool", default=False),
)


def main():
    cache_compiled_code()  # first: the imports below are then served from it
    from ansible_collections.b2c.trustframework.plugins.module_utils.policy_info_task import PolicyInfoResource
    from ansible_collections.b2c.trustframework.plugins.module_utils.policy_task import policy_module
    from ansible_collections.b2c.trustframework.plugins.module_utils.task_runner import run_task

    module = policy_module(ARGUMENT_SPEC)
    run_task(module, PolicyInfoResource(module.params))


if __name__ == "__main__":
    main()
