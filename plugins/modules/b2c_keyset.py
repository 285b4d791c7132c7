#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: b2c.trustframework contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: b2c_keyset
short_description: Create or delete an Azure AD B2C policy keyset
version_added: 1.0.0
description:
  - Ensures that a B2C policy keyset (the container of policy keys, Microsoft Graph beta
    C(trustFramework/keySets)) exists or is absent.
  - The usual pattern is to create an empty keyset with this module and add keys with
    M(b2c.trustframework.b2c_keyset_key). O(keys) creates a keyset with given JWKs instead.
  - A keyset that does not exist is found missing whether the service answers 404 or, as real tenants do,
    HTTP 400 with C(AADB2C90073). Creating a keyset that another run has just created (C(AADB2C95028)) is not an error.
  - The keyset C(B2C_1A_AdminClientEncryptionKeyContainer) belongs to B2C itself; the module refuses to delete it
    or replace its keys.
  - Before it writes, a task takes the keyset's lock (shared with M(b2c.trustframework.b2c_keyset_key)), then reads
    the keyset and decides again, so forks and parallel runs on one controller do not write over each other.
author: b2c.trustframework maintainers (@b2c-trustframework)
options:
  name:
    description:
      - Keyset name, with or without the C(B2C_1A_) prefix (compared case-insensitively). The service stores
        it as C(B2C_1A_<name>); the returned RV(keyset) carries the C(id) as the service reports it.
    type: str
    required: true
    aliases: [id]
  state:
    description:
      - V(present) creates the keyset when missing; V(absent) deletes it (a missing keyset is not an error).
      - Deleting a keyset deletes all its keys. Policies that reference it stop working, and the service is not
        known to refuse the delete, so before it deletes an existing keyset the module reads every deployed custom
        policy and refuses (also in check mode) when one references the keyset in a C(StorageReferenceId)
        (compared case-insensitively, with or without C(B2C_1A_)), naming the policies. O(force=true) skips that.
      - That check costs the policy listing and one request per deployed policy (a tenant holds at most 200), made
        only for V(absent) of a keyset that exists, and needs the C(Policy.Read.All) (or
        C(Policy.ReadWrite.TrustFramework)) application permission besides the keyset permission. Without it the
        module fails with HTTP 403 and deletes nothing; grant it, or set O(force=true).
      - Only the policies' own XML counts; a policy that inherits the reference from its base policy is named
        through that base policy.
    type: str
    choices: [present, absent]
    default: present
  keys:
    description:
      - JWKs (RFC 7517) to create the keyset with. Used only when the keyset is created, or with O(update_keys).
      - Private members (C(k d p q dp dq qi)) are marked C(no_log), so their values are masked in all output,
        and they are never returned or diffed.
    type: list
    elements: dict
    suboptions:
      kid:
        description:
          - Do not set. The service assigns key ids itself and refuses a C(kid) in a create or replace request
            (C(AADB2C95059)), so a C(kid) here fails before any request.
        type: str
      kty:
        description: V(rsa) or V(oct) (any case). All keys of a keyset have the same type.
        type: str
      use:
        description: V(sig) or V(enc).
        type: str
      nbf:
        description: Activation time, epoch seconds or ISO 8601.
        type: raw
      exp:
        description: Expiry time, epoch seconds or ISO 8601.
        type: raw
      e:
        description: RSA public exponent.
        type: str
      n:
        description: RSA modulus.
        type: str
      x5c:
        description: X.509 certificate chain.
        type: list
        elements: str
      x5t:
        description: Certificate thumbprint.
        type: str
      k:
        description: Symmetric key value (oct).
        type: str
      d:
        description: RSA private exponent.
        type: str
      p:
        description: RSA first prime.
        type: str
      q:
        description: RSA second prime.
        type: str
      dp:
        description: RSA first CRT exponent.
        type: str
      dq:
        description: RSA second CRT exponent.
        type: str
      qi:
        description: RSA CRT coefficient.
        type: str
  update_keys:
    description:
      - When V(true) and the keyset exists, replace its keys with O(keys) (HTTP PUT) unless each entry of O(keys)
        matches one key of the keyset and the keyset holds no other key.
      - An entry matches a key with the same C(kty) and C(use) and the same value of each of C(nbf exp n e x5t) the
        entry sets. A secret (C(k)) cannot be read back, so a changed C(k) alone is not seen; change C(nbf) or
        C(exp) with it.
      - A replace drops keys that are not in O(keys). Prefer M(b2c.trustframework.b2c_keyset_key) to add keys.
    type: bool
    default: false
  force:
    description:
      - With O(state=absent), delete the keyset even when deployed policies reference it, without reading the
        policies (so neither their read permission nor the requests are needed). Those policies then fail at
        sign-in until the keyset is back with a key.
      - No effect with O(state=present).
    type: bool
    default: false
    version_added: 1.1.0
seealso:
  - module: b2c.trustframework.b2c_keyset_key
  - module: b2c.trustframework.b2c_keyset_info
  - name: "Create trustFrameworkKeySet (Microsoft Graph beta)"
    description: The API that creates a keyset.
    link: https://learn.microsoft.com/en-us/graph/api/trustframework-post-keysets?view=graph-rest-beta
  - name: "Delete trustFrameworkKeySet (Microsoft Graph beta)"
    description: The API that deletes a keyset.
    link: https://learn.microsoft.com/en-us/graph/api/trustframeworkkeyset-delete?view=graph-rest-beta
extends_documentation_fragment:
  - b2c.trustframework.graph
  - b2c.trustframework.attributes
  - b2c.trustframework.attributes.actiongroup_graph
"""

EXAMPLES = r"""
- name: Keyset for the IEF token signing key
  b2c.trustframework.b2c_keyset:
    name: TokenSigningKeyContainer

- name: Keyset created with a symmetric key
  b2c.trustframework.b2c_keyset:
    name: B2C_1A_LegacySessionKey
    keys:
      - kty: oct
        use: sig
        k: "{{ legacy_session_key_b64url }}"

- name: Remove a keyset that is no longer referenced by any policy (refused while a deployed policy uses it)
  b2c.trustframework.b2c_keyset:
    name: OldFacebookSecret
    state: absent

- name: Remove a keyset even though policies still use it (they fail at sign-in afterwards)
  b2c.trustframework.b2c_keyset:
    name: OldFacebookSecret
    state: absent
    force: true
"""

RETURN = r"""
keyset:
  description: The keyset after the run (predicted in check mode), or null when absent.
  returned: always
  type: dict
  contains:
    id:
      description: Keyset id.
      type: str
      returned: always
      sample: B2C_1A_TokenSigningKeyContainer
    key_list:
      description:
        - The keys of the keyset, read with dot access (C(result.keyset.key_list)).
        - Keys carry C(kid kty use nbf exp x5t status) plus C(nbf_iso), C(exp_iso) and C(expires_in_days); private
          members are never returned.
        - C(expires_in_days) is rounded up while the key is valid (a started day counts; V(1) on its last day) and
          negative once it has expired.
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
diff:
  description: The keyset before and after (summaries as in RV(keyset); V({}) when absent).
  returned: in diff mode
  type: dict
"""

from ansible_collections.b2c.trustframework.plugins.module_utils.code_cache import cache_compiled_code

SECRET_MEMBER = dict(type="str", no_log=True)

JWK_OPTIONS = dict(
    kid=dict(type="str"),
    kty=dict(type="str"),
    use=dict(type="str"),
    nbf=dict(type="raw"),
    exp=dict(type="raw"),
    e=dict(type="str"),
    n=dict(type="str"),
    x5c=dict(type="list", elements="str"),
    x5t=dict(type="str"),
    k=SECRET_MEMBER,
    d=SECRET_MEMBER,
    p=SECRET_MEMBER,
    q=SECRET_MEMBER,
    dp=SECRET_MEMBER,
    dq=SECRET_MEMBER,
    qi=SECRET_MEMBER,
)

ARGUMENT_SPEC = dict(
    name=dict(type="str", required=True, aliases=["id"]),
    state=dict(type="str", default="present", choices=["present", "absent"]),
    keys=dict(type="list", elements="dict", options=JWK_OPTIONS, no_log=False),
    update_keys=dict(type="bool", default=False),
    force=dict(type="bool", default=False),
)


def main():
    cache_compiled_code()  # first: the imports below are then served from it
    from ansible_collections.b2c.trustframework.plugins.module_utils.keyset_task import KeysetResource
    from ansible_collections.b2c.trustframework.plugins.module_utils.module import B2CModule
    from ansible_collections.b2c.trustframework.plugins.module_utils.task_runner import run_task

    module = B2CModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    run_task(module, KeysetResource(module.params))


if __name__ == "__main__":
    main()
