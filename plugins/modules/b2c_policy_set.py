#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: b2c.trustframework contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: b2c_policy_set
short_description: Deploy or delete a set of Azure AD B2C custom policies in order (base first)
version_added: 1.1.0
description:
  - Ensures that a set of Identity Experience Framework custom policies (C(TrustFrameworkPolicy) XML files, such as a
    base, localization, extensions and relying parties) is deployed, or is absent, in the order their C(BasePolicy)
    elements give. The service enforces that order and validates each policy with its ancestors.
  - Each policy is compared with its deployed copy as XML, as M(b2c.trustframework.b2c_policy) does, and every local
    refusal of that module applies to each policy of the set, before any request.
  - "Refused before any write, naming the policies and their files: two files with one C(PolicyId), a C(BasePolicy)
    chain that loops, a base found neither in the set nor in the tenant, a chain deeper than 10 policies (the policy
    counted, with its ancestors in the tenant) and more than 200 policies in the tenant after the run (the set and the
    tenant's other policies), the service's limits."
  - Uploads run one at a time, base first; within one level of inheritance, by policy id. A failure stops the run, and the
    result lists the policies uploaded, the one that failed (RV(policies[].action=failed), with the service's
    RV(policies[].validation_errors)) and the ones not attempted (RV(policies[].reason=not_attempted)). Running the task
    again continues from there, since the uploaded policies now match.
  - With O(upload_descendants), a policy that is uploaded brings every policy of the set that inherits from it,
    directly or not, changed or not (RV(policies[].reason=ancestor)), since the service runs some checks of a base only
    when a relying party that uses it is uploaded.
  - "Keys first: with O(check_keysets), before the first upload, every keyset referenced by a policy to upload or by
    one of its ancestors (in the set or in the tenant) must exist with a usable key; the message has one line per
    keyset that is missing or unusable, naming the policies that need it."
  - "A change may take up to 30 minutes to reach every sign-in; Microsoft advises uploading a changed production policy
    under a new id and switching the application to it."
  - "Needs the Microsoft Graph application permission C(Policy.ReadWrite.TrustFramework) with admin consent, and
    C(TrustFrameworkKeySet.Read.All) for O(check_keysets)."
author: b2c.trustframework maintainers (@b2c-trustframework)
options:
  src:
    description:
      - A folder on the managed host. Every C(*.xml) file in it (not in its subfolders) is one policy of the set.
      - Mutually exclusive with O(policies); one of them is required.
    type: path
  policies:
    description:
      - The policies of the set, each with O(policies[].content) or O(policies[].src). Their order does not matter.
    type: list
    elements: dict
    suboptions:
      content:
        description:
          - The policy XML as a string, for example rendered with C(lookup('ansible.builtin.template', ...)).
        type: str
      src:
        description: Path of the policy XML file on the managed host, UTF-8.
        type: path
  state:
    description:
      - V(present) uploads the policies that are missing or differ, in order; V(absent) deletes the set's policies,
        children first.
      - V(absent) refuses to delete a policy that still has children in the tenant outside the set. To find them, the
        module reads every policy of the tenant (one request per policy).
    type: str
    choices: [present, absent]
    default: present
  check_keysets:
    description:
      - Before the first upload, check that every keyset referenced by the policies to upload and their ancestors
        exists with a usable key (enabled and unexpired), and upload nothing otherwise.
      - Costs one request (the list of keysets), only when something is to be uploaded.
    type: bool
    default: true
  upload_descendants:
    description:
      - When a policy is uploaded, upload after it every policy of the set that inherits from it, changed or not.
    type: bool
    default: true
  force:
    description:
      - Upload every policy of the set, even those that match (RV(policies[].reason=forced)).
    type: bool
    default: false
notes:
  - Check mode sends no PUT or DELETE and reports exactly the writes of the real run, in order, with their diffs.
  - With C(--diff), RV(diff) holds one entry per policy written, in order (its deployed and its new XML), so Ansible
    prints a unified diff per policy.
  - Reads cost one request for the list of policies, one per policy of the set that is deployed, and one per ancestor
    of the set found only in the tenant.
seealso:
  - module: b2c.trustframework.b2c_policy
  - module: b2c.trustframework.b2c_policy_info
  - module: b2c.trustframework.b2c_keyset_key
  - name: "Create or update trustFrameworkPolicy (Microsoft Graph beta)"
    description: The API that uploads a policy.
    link: https://learn.microsoft.com/en-us/graph/api/trustframework-put-trustframeworkpolicy?view=graph-rest-beta
extends_documentation_fragment:
  - b2c.trustframework.graph
  - b2c.trustframework.attributes
  - b2c.trustframework.attributes.actiongroup_graph
"""

EXAMPLES = r"""
- name: Deploy every policy of a folder, base first
  b2c.trustframework.b2c_policy_set:
    src: "{{ playbook_dir }}/policies"

- name: Deploy policies rendered for this tenant from templates/policies/
  b2c.trustframework.b2c_policy_set:
    policies:
      - content: "{{ lookup('ansible.builtin.template', 'policies/SignUpOrSignin.xml') }}"
      - content: "{{ lookup('ansible.builtin.template', 'policies/TrustFrameworkExtensions.xml') }}"
      - content: "{{ lookup('ansible.builtin.template', 'policies/TrustFrameworkBase.xml') }}"
  register: deployed

- name: Show which policies were uploaded
  ansible.builtin.debug:
    msg: "{{ deployed.policies | rejectattr('action', 'eq', 'none') | map(attribute='id') | list }}"

- name: Show what a pipeline run would upload, in order, with a diff per policy
  b2c.trustframework.b2c_policy_set:
    src: "{{ playbook_dir }}/policies"
  check_mode: true
  diff: true

- name: Remove a set that no application uses any more, relying parties first
  b2c.trustframework.b2c_policy_set:
    src: "{{ playbook_dir }}/old-policies"
    state: absent
"""

RETURN = r"""
policies:
  description:
    - The set in upload order (for O(state=absent), in delete order), each with what the run did (in check mode, would
      do). After a failed write, also returned with the failure.
  returned: success, and when a write failed
  type: list
  elements: dict
  contains:
    id:
      description: The policy id, from the XML's C(PolicyId).
      type: str
      returned: always
      sample: B2C_1A_TrustFrameworkExtensions
    action:
      description: V(failed) is the write that stopped the run.
      type: str
      returned: always
      choices: [none, created, updated, deleted, failed]
      sample: updated
    reason:
      description:
        - Why. V(content) (missing or differs), V(ancestor) (uploaded because a policy it inherits from is),
          V(forced), V(absent) (deleted), V(none), or V(not_attempted) (a write left out because an earlier one failed).
      type: str
      returned: always
      choices: [content, ancestor, forced, absent, none, not_attempted]
      sample: ancestor
    validation_errors:
      description: The service's errors one by one, on the entry whose upload the service refused.
      type: list
      elements: str
      returned: on the failed entry, when the service refused the upload
  sample:
    - {id: B2C_1A_TrustFrameworkBase, action: none, reason: none}
    - {id: B2C_1A_TrustFrameworkExtensions, action: updated, reason: content}
    - {id: B2C_1A_SignUpOrSignin, action: updated, reason: ancestor}
diff:
  description: One entry per policy written, in order.
  returned: in diff mode
  type: list
  elements: dict
  contains:
    before:
      description: The deployed policy's XML, as the service returned it (V('') when missing).
      type: str
    after:
      description: The XML uploaded (V('') when deleted).
      type: str
    before_header:
      description: C(<id> (deployed)).
      type: str
    after_header:
      description: C(<id> (set)), or C(<id> (deleted)).
      type: str
validation_errors:
  description: When the service refused an upload, its errors one by one (as on the failed entry of RV(policies)).
  returned: when the service refused an upload
  type: list
  elements: str
"""

from ansible_collections.b2c.trustframework.plugins.module_utils.code_cache import cache_compiled_code

ARGUMENT_SPEC = dict(
    src=dict(type="path"),
    policies=dict(
        type="list",
        elements="dict",
        options=dict(content=dict(type="str"), src=dict(type="path")),
        mutually_exclusive=[("content", "src")],
        required_one_of=[("content", "src")],
    ),
    state=dict(type="str", default="present", choices=["present", "absent"]),
    check_keysets=dict(type="bool", default=True),
    upload_descendants=dict(type="bool", default=True),
    force=dict(type="bool", default=False),
)

MODULE_OPTIONS = dict(mutually_exclusive=[("src", "policies")], required_one_of=[("src", "policies")])


def main():
    cache_compiled_code()  # first: the imports below are then served from it
    from ansible_collections.b2c.trustframework.plugins.module_utils.policy_set_task import PolicySetResource
    from ansible_collections.b2c.trustframework.plugins.module_utils.policy_task import policy_module, task_tenant
    from ansible_collections.b2c.trustframework.plugins.module_utils.task_runner import run_task

    module = policy_module(ARGUMENT_SPEC, **MODULE_OPTIONS)
    run_task(module, PolicySetResource(module.params, tenant=task_tenant(module)))


if __name__ == "__main__":
    main()
