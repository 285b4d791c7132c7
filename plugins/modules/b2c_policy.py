#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: b2c.trustframework contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: b2c_policy
short_description: Deploy or delete one Azure AD B2C custom policy (IEF TrustFrameworkPolicy)
version_added: 1.1.0
description:
  - Ensures that one Identity Experience Framework custom policy (a C(TrustFrameworkPolicy) XML file, Microsoft Graph beta
    C(trustFramework/policies)) is deployed with the given content, or is absent.
  - Idempotent by content. The module reads the deployed policy and compares it with O(content) or O(src) as XML, not as
    bytes, so a copy the service reformatted (another indentation, attribute order or namespace prefix, no XML
    declaration, no comments) is no change, while a changed attribute or text is. Attributes the service sets on what it
    stores (C(TenantObjectId), and C(PublicPolicyUri) when the file has none) do not count. Only a difference uploads.
  - "The upload is the text exactly as given, as UTF-8 bytes without a byte order mark, with
    C(Content-Type: application/xml; charset=utf-8) (the service refuses whitespace in some elements, so the text is
    never reformatted). Non-ASCII text round-trips unchanged."
  - "Refused before any request, with a message naming the line or the element: text that is not well-formed XML, any
    DTD (C(<!DOCTYPE>): no entity is ever expanded and no external file is read), a root element that is not a
    C(TrustFrameworkPolicy) of the namespace C(http://schemas.microsoft.com/online/cpim/schemas/2013/06), a C(PolicyId)
    or C(BasePolicy/PolicyId) without the C(B2C_1A_) prefix, a file over 1024 KB (the service's limit), a declaration
    naming an encoding other than UTF-8, a C(TenantId) or C(BasePolicy/TenantId) other than the task's tenant (when
    O(tenant_id) is a domain name), and an unresolved placeholder (C(yourtenant.onmicrosoft.com) on another tenant,
    C({Settings:...}))."
  - Keys first. With O(check_keysets), every keyset the policy references (C(CryptographicKeys/Key/@StorageReferenceId))
    must exist with a usable key (enabled and unexpired) before the upload is sent; the message names each keyset that
    is missing or unusable and how to create it.
  - When the service refuses the upload, RV(validation_errors) lists its errors one by one (the service sends them as one
    string, concatenated), and the message keeps the service's whole text.
  - A transient failure of the service (C(Object reference not set to an instance of an object), or C(UnknownError)
    without a message) is sent once more; every request of this module is idempotent. Throttling (429) and unavailable
    (503) answers are retried as for every module, honouring C(Retry-After).
  - "The service validates a policy with its ancestors: deploy the base first, then the extensions, then the relying
    parties (see O(check_keysets) for the keys). A change may take up to 30 minutes to reach every sign-in; Microsoft
    advises uploading a changed production policy under a new id and switching the application to it."
  - "Needs the Microsoft Graph application permission C(Policy.ReadWrite.TrustFramework) with admin consent (the keyset
    permission C(TrustFrameworkKeySet.ReadWrite.All) does not cover policies)."
author: b2c.trustframework maintainers (@b2c-trustframework)
options:
  id:
    description:
      - Policy id, with or without the C(B2C_1A_) prefix (compared case-insensitively).
      - Optional with O(content) or O(src), whose C(PolicyId) is the truth; an O(id) that names another policy is
        refused. Required for O(state=absent) without content.
    type: str
    aliases: [name]
  content:
    description:
      - The policy XML as a string, for example rendered with
        C(lookup('ansible.builtin.template', 'TrustFrameworkExtensions.xml')).
      - Mutually exclusive with O(src). One of them is required with O(state=present).
    type: str
  src:
    description:
      - Path of the policy XML file on the managed host, UTF-8 (a byte order mark is allowed).
      - At most 1024 KB are read; a bigger file is refused. A file saved in another encoding is refused, since the
        service would store every non-ASCII character as C(?).
    type: path
  state:
    description:
      - V(present) uploads the policy when it is missing or differs; V(absent) deletes it (a missing policy is not an
        error).
      - Deleting a base policy breaks every policy that inherits from it.
    type: str
    choices: [present, absent]
    default: present
  check_keysets:
    description:
      - Before an upload, check that every keyset the policy's own XML references exists in the tenant with a usable key,
        and refuse the upload otherwise (the service refuses a missing keyset with "does not have CryptographicKey
        referenced by storageReferenceId"; a keyset without a usable key fails every sign-in at run time).
      - Costs one request (the list of keysets), only when the policy is to be uploaded.
    type: bool
    default: true
  force:
    description:
      - Upload even when the deployed policy already matches (RV(action=updated), RV(reason=forced)), for example to
        make the service validate a relying party again after its base changed.
    type: bool
    default: false
notes:
  - Check mode sends no PUT or DELETE and reports what the real run would do, with its diff.
  - With C(--diff), RV(diff) holds the deployed and the desired policy XML, so Ansible prints a unified diff of the change.
seealso:
  - module: b2c.trustframework.b2c_policy_info
  - module: b2c.trustframework.b2c_keyset_key
  - name: "Create or update trustFrameworkPolicy (Microsoft Graph beta)"
    description: The API that uploads a policy.
    link: https://learn.microsoft.com/en-us/graph/api/trustframework-put-trustframeworkpolicy?view=graph-rest-beta
  - name: "Delete trustFrameworkPolicy (Microsoft Graph beta)"
    description: The API that deletes a policy.
    link: https://learn.microsoft.com/en-us/graph/api/trustframeworkpolicy-delete?view=graph-rest-beta
extends_documentation_fragment:
  - b2c.trustframework.graph
  - b2c.trustframework.attributes
  - b2c.trustframework.attributes.actiongroup_graph
"""

EXAMPLES = r"""
- name: Base policy of the starter pack, rendered for this tenant from templates/policies/
  b2c.trustframework.b2c_policy:
    content: "{{ lookup('ansible.builtin.template', 'policies/TrustFrameworkBase.xml') }}"

- name: Extensions policy from a file
  b2c.trustframework.b2c_policy:
    src: "{{ playbook_dir }}/policies/TrustFrameworkExtensions.xml"

- name: Upload the relying party although it matches, so the service validates it again with its new base
  b2c.trustframework.b2c_policy:
    content: "{{ lookup('ansible.builtin.template', 'policies/SignUpOrSignin.xml') }}"
    force: true

- name: Remove a policy that no application uses any more
  b2c.trustframework.b2c_policy:
    id: B2C_1A_signup_signin_v1
    state: absent
"""

RETURN = r"""
action:
  description:
    - What the run did (in check mode, would do) to the policy. V(updated) also for a O(force) upload of an unchanged
      policy.
  returned: success
  type: str
  choices: [none, created, updated, deleted]
  sample: updated
reason:
  description:
    - Why. V(content) (the deployed policy is missing or differs), V(forced), V(absent) (deleted), V(none).
  returned: success
  type: str
  sample: content
policy:
  description: The policy after the run (predicted in check mode), or null when absent.
  returned: success
  type: dict
  contains:
    id:
      description: The policy id, from the XML's C(PolicyId).
      type: str
      returned: always
      sample: B2C_1A_TrustFrameworkExtensions
    base_policy:
      description: The id of the policy it inherits from (C(BasePolicy/PolicyId)), or null for a base policy.
      type: str
      returned: always
      sample: B2C_1A_TrustFrameworkBase
    keysets:
      description: The keysets its own XML references (C(CryptographicKeys/Key/@StorageReferenceId)), each once.
      type: list
      elements: str
      returned: always
      sample: [B2C_1A_TokenSigningKeyContainer, B2C_1A_TokenEncryptionKeyContainer]
    sha256:
      description:
        - SHA-256 (hex) of the policy's canonical form, the form the comparison uses (W3C C14N 2.0 without whitespace
          between elements and without comments). Equal for a policy and any reformatted copy of it.
      type: str
      returned: always
      sample: 940431239009eb330176b0874c0e25efc2f29d5fb4466ca1c8ff6c19b3b1a6cf
diff:
  description: The deployed policy XML (V('') when missing) and the desired one (V('') for O(state=absent)).
  returned: in diff mode
  type: dict
  contains:
    before:
      description: The deployed policy's XML, as the service returned it.
      type: str
    after:
      description: The policy's XML after the run, as uploaded.
      type: str
validation_errors:
  description:
    - When the service refused the upload, its errors one by one (the service sends them concatenated in one message,
      often each one twice). The task's C(msg) keeps the whole message.
  returned: when the service refused the upload
  type: list
  elements: str
  sample:
    - Tenant "contoso.onmicrosoft.com" does not have CryptographicKey referenced by storageReferenceId "B2C_1A_FacebookSecret".
    - Policy "B2C_1A_TrustFrameworkExtensions" of tenant "contoso.onmicrosoft.com" makes a reference to ClaimType with
      id "userId" but neither the policy nor any of its base policies contain such an element.
"""

from ansible_collections.b2c.trustframework.plugins.module_utils.code_cache import cache_compiled_code

ARGUMENT_SPEC = dict(
    id=dict(type="str", aliases=["name"]),
    content=dict(type="str"),
    src=dict(type="path"),
    state=dict(type="str", default="present", choices=["present", "absent"]),
    check_keysets=dict(type="bool", default=True),
    force=dict(type="bool", default=False),
)

MODULE_OPTIONS = dict(
    mutually_exclusive=[("content", "src")],
    required_if=[("state", "present", ("content", "src"), True), ("state", "absent", ("id", "content", "src"), True)],
)


def main():
    cache_compiled_code()  # first: the imports below are then served from it
    from ansible_collections.b2c.trustframework.plugins.module_utils.policy_task import (
        PolicyResource,
        policy_module,
        task_tenant,
    )
    from ansible_collections.b2c.trustframework.plugins.module_utils.task_runner import run_task

    module = policy_module(ARGUMENT_SPEC, **MODULE_OPTIONS)
    run_task(module, PolicyResource(module.params, tenant=task_tenant(module)))


if __name__ == "__main__":
    main()
