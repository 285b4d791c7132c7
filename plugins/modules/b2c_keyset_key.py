#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: b2c.trustframework contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: b2c_keyset_key
short_description: Ensure an Azure AD B2C policy key (generated, secret, certificate or PKCS#12) exists in a keyset
version_added: 1.0.0
description:
  - Ensures that a B2C policy keyset (Microsoft Graph beta C(trustFramework/keySets)) holds a usable key,
    adding one with C(generateKey), C(uploadSecret), C(uploadCertificate) or C(uploadPkcs12) only when needed.
  - Keys cannot be replaced or removed one by one; every add is a new key. The module therefore reads the
    keyset first and adds a key only when the rules described under O(source) say so. One run adds at most one key,
    even when a request fails after the service may have applied it (the keyset is re-read before any retry).
  - With O(kid) and O(status) it enables or disables one existing key instead (Graph C(keys_v2)).
  - A keyset holds either RSA keys or oct (secret) keys; adding the other family fails locally with a clear
    message instead of the service error C(AADB2C95032).
  - A keyset holds either sig or enc keys; mixing them fails locally instead of with the service error C(AADB2C95042).
  - All inputs (dates, PEM, PKCS#12 and its password) are checked locally before any request is sent,
    including the key type of a certificate - B2C policy keys are RSA only, so an EC certificate or PKCS#12 bundle is
    refused before the keyset is created.
  - A keyset that does not exist is found missing whether the service answers 404 or, as real tenants do,
    HTTP 400 with C(AADB2C90073).
  - The keyset C(B2C_1A_AdminClientEncryptionKeyContainer) belongs to B2C itself; the module refuses to change it.
author: b2c.trustframework maintainers (@b2c-trustframework)
options:
  keyset:
    description:
      - Keyset name, with or without the C(B2C_1A_) prefix (compared case-insensitively).
    type: str
    required: true
  source:
    description:
      - Where the key comes from.
      - V(generate) - the service generates the key. Added when the keyset has no usable key of that O(kty) and
        O(use) (usable means enabled or without status, and O(exp) absent or in the future), or when
        O(renew_before_days) says the usable key that stays valid longest is due. Keys without O(exp) do not hide
        that the dated keys are due.
      - V(secret) - upload O(secret) as an oct key. A secret cannot be read back, so see O(update_secret).
      - V(certificate) - upload a certificate. Added when no key of the keyset has its C(x5t) thumbprint.
      - V(pkcs12) - upload a .pfx with private key. Added when no key of the keyset has its C(x5t) thumbprint.
    type: str
    choices: [generate, secret, certificate, pkcs12]
    default: generate
  kty:
    description:
      - Key type for O(source=generate), V(rsa) or V(oct), in lower or upper case. Defaults to V(rsa).
      - Ignored for other sources (secrets are oct, certificates RSA).
    type: str
    choices: [rsa, oct, RSA, OCT]
  use:
    description:
      - Key use, V(sig) (signature) or V(enc) (encryption), in lower or upper case.
    type: str
    default: sig
    choices: [sig, enc, SIG, ENC]
  nbf:
    description:
      - Activation time (not before) of a generated key or secret, as epoch seconds or ISO 8601
        (V(2026-01-01T00:00:00Z); without offset means UTC).
      - The service signs with the enabled key whose O(nbf) passed last and whose O(exp) has not (failing that, a key
        without dates), so a future O(nbf) stages a key, which is published in the keyset before it is used.
      - Not for certificates, whose validity comes from the certificate.
    type: raw
  exp:
    description:
      - Expiry time of a generated key or secret, epoch seconds or ISO 8601. Must be after O(nbf) and in the future.
    type: raw
  valid_days:
    description:
      - Alternative to O(exp). The key expires this many days after O(nbf) (or after now without O(nbf)).
      - With O(activate_in_days), it counts from the staged key's O(nbf).
    type: int
  activate_in_days:
    description:
      - Stage the new key of a renewal (O(renew_before_days), O(force), O(update_secret=always)) this many days ahead
        of its activation, for O(source=generate) and O(source=secret). Must be 0 or more; mutually exclusive with O(nbf).
      - The new key gets O(nbf) = now + this many days, and O(valid_days) counts from that O(nbf). Until then the current
        key stays active, while the new key is already published in the keyset (the JWKS of the policies that use it),
        so relying parties that cache the keys learn it before it signs anything.
      - The new key never activates after the usable key it follows expires; a run that finds the key due later than
        that shortens the lead time and warns.
      - The first key of a keyset (no usable key of that O(kty)/O(use)) is not staged, it activates at once, since
        nothing else would be active until its O(nbf).
      - A staged successor (enabled, future O(nbf), expiring beyond the renewal window) counts as the renewal done, so
        the next run changes nothing. With O(renew_before_days), O(renew_before_days) must be larger than this.
    type: int
  secret:
    description:
      - The secret for O(source=secret), for example an identity provider's client secret.
    type: str
  update_secret:
    description:
      - V(on_create) - upload only when the keyset has no usable oct key of that O(use).
      - V(always) - upload on every run (always changed); use it to push a new secret value.
    type: str
    choices: [on_create, always]
    default: on_create
  certificate:
    description:
      - For O(source=certificate), the certificate as PEM text or base64 of DER. Mutually exclusive with
        O(certificate_path).
    type: str
  certificate_path:
    description:
      - For O(source=certificate), path of a PEM or DER certificate file on the managed node.
    type: path
  pkcs12:
    description:
      - For O(source=pkcs12), the .pfx file content, base64-encoded. Mutually exclusive with O(pkcs12_path).
    type: str
  pkcs12_path:
    description:
      - For O(source=pkcs12), path of a .pfx file on the managed node.
    type: path
  pkcs12_password:
    description:
      - Password of the .pfx. It is checked locally before the upload.
    type: str
  pkcs12_reencode:
    description:
      - B2C accepts only .pfx files encrypted with PBE-SHA1-3DES and a SHA-1 MAC. It refuses a bundle encrypted with
        AES (the default of OpenSSL 3 and of Windows' AES256-SHA256 export) as "password incorrect" (C(AADB2C90213)),
        even with the right password.
      - When V(true), such a bundle is re-encrypted locally, in memory, with PBE-SHA1-3DES and a SHA-1 MAC and the same
        password before the upload, and the result carries a warning. The certificate and its C(x5t) do not change,
        and the private key never leaves the machine unencrypted.
      - When V(false), such a bundle is refused before any request (for policies that forbid 3DES).
    type: bool
    default: true
  renew_before_days:
    description:
      - For O(source=generate) and O(source=secret), add a new key when the usable key that stays valid longest
        expires within this many days. Must be 0 or more. Ignored for certificates (their validity is their own).
      - The new key's O(exp) or O(valid_days) must reach beyond this window, otherwise every run would renew.
    type: int
  force:
    description:
      - Always add a key (always changed). Use it to rotate on demand.
      - With O(status=disabled), disable the key even when it is the active key of the keyset or the last usable key
        of its C(kty)/C(use) (see O(status)).
    type: bool
    default: false
  disable_expired:
    description:
      - Retire old keys of this O(kty)/O(use) in the same run (Graph C(keys_v2) C(status=disabled)), that is every enabled key
        whose O(exp) passed more than O(disable_expired_after_days) days ago.
      - Never the active key, and never every enabled key of that O(kty)/O(use) (the one that expired last stays).
        Keys cannot be removed from a keyset, so without this the expired keys of a keyset renewed for years stay
        enabled and published.
      - The keys it disabled are returned in RV(disabled_keys); check mode and diff mode show them.
    type: bool
    default: false
  disable_expired_after_days:
    description:
      - The grace period of O(disable_expired), in days after a key's O(exp). Must be 0 or more.
      - A key that has just expired may still be needed to check tokens it signed before its O(exp) (relying parties
        and B2C itself can hold them for days; refresh tokens live 14 days by default and up to 90), so the default
        keeps it published 30 days longer. Raise it when your policies issue longer-lived tokens.
    type: int
    default: 30
  create_keyset:
    description:
      - Create the keyset first when it does not exist. When V(false), a missing keyset is an error.
    type: bool
    default: true
  kid:
    description:
      - Key id of an existing key whose status to set with O(status). O(source) and the key options are then ignored.
    type: str
  status:
    description:
      - Set the status of the key O(kid). No request is sent when the key already has this status.
      - V(disabled) is refused, before any write, when the key is the active key of the keyset (the one B2C signs or
        encrypts with now) or the last usable key of its C(kty)/C(use); the message names the key that would then be
        active, or says that none would. Set O(force=true) to disable it anyway (a compromised key).
    type: str
    choices: [enabled, disabled]
notes:
  - A key is returned with its public members only; private members (C(d p q dp dq qi k)) are never returned,
    logged or diffed, even if the service sent them.
  - RV(action) reports the key action; a keyset created on the way is reported in RV(keyset_created).
  - Before it writes, a task takes a lock for the keyset (a file in C(locks) next to the token cache), then reads
    the keyset and decides again, so forks and parallel runs on one controller add one key between them. Tasks on
    other controllers are not serialised.
  - A key the service adds already expired fails the task; a run that finds twin enabled keys (left by a request
    applied late after a resend) adds nothing and warns.
seealso:
  - module: b2c.trustframework.b2c_keyset
  - module: b2c.trustframework.b2c_keyset_info
  - name: "trustFrameworkKeySet: generateKey (Microsoft Graph beta)"
    description: The API that generates a key.
    link: https://learn.microsoft.com/en-us/graph/api/trustframeworkkeyset-generatekey?view=graph-rest-beta
  - name: "trustFrameworkKeySet: uploadSecret (Microsoft Graph beta)"
    description: The API that uploads a secret.
    link: https://learn.microsoft.com/en-us/graph/api/trustframeworkkeyset-uploadsecret?view=graph-rest-beta
  - name: "trustFrameworkKeySet: uploadPkcs12 (Microsoft Graph beta)"
    description: The API that uploads a PKCS#12 bundle.
    link: https://learn.microsoft.com/en-us/graph/api/trustframeworkkeyset-uploadpkcs12?view=graph-rest-beta
  - name: Policy keys overview (Azure AD B2C)
    description: How B2C picks the active key of a keyset.
    link: https://learn.microsoft.com/en-us/azure/active-directory-b2c/policy-keys-overview
extends_documentation_fragment:
  - b2c.trustframework.graph
  - b2c.trustframework.attributes
  - b2c.trustframework.attributes.actiongroup_graph
"""

EXAMPLES = r"""
- name: Token signing key for IEF (RSA, sig), created with its keyset when missing
  b2c.trustframework.b2c_keyset_key:
    keyset: TokenSigningKeyContainer
    kty: rsa
    use: sig

- name: Renew the encryption key 30 days before it expires, new keys valid for a year
  b2c.trustframework.b2c_keyset_key:
    keyset: TokenEncryptionKeyContainer
    use: enc
    valid_days: 365
    renew_before_days: 30

- name: Zero-downtime rollover - stage the successor a week before it signs anything, retire keys expired 30+ days ago
  b2c.trustframework.b2c_keyset_key:
    keyset: TokenSigningKeyContainer
    use: sig
    valid_days: 365
    renew_before_days: 45
    activate_in_days: 7
    disable_expired: true

- name: Facebook app secret, uploaded once
  b2c.trustframework.b2c_keyset_key:
    keyset: FacebookSecret
    source: secret
    secret: "{{ facebook_app_secret }}"

# pkcs12_path is read on the managed node; with hosts: localhost the module runs in the
# playbook's directory, so files/saml-signing.pfx is relative to the playbook.
- name: SAML signing certificate from a .pfx file
  b2c.trustframework.b2c_keyset_key:
    keyset: SamlIdpCert
    source: pkcs12
    pkcs12_path: files/saml-signing.pfx
    pkcs12_password: "{{ saml_pfx_password }}"

- name: Switch off a compromised key, even when it is the active one
  b2c.trustframework.b2c_keyset_key:
    keyset: TokenSigningKeyContainer
    kid: "{{ compromised_kid }}"
    status: disabled
    force: true
"""

RETURN = r"""
action:
  description:
    - What was done to the key (or would be done in check mode).
    - One of V(none), V(created_keyset) (the keyset was created but already held a matching key, which
      only happens when another run created it at the same time), V(generated), V(uploaded), V(status_changed).
  returned: always
  type: str
  sample: generated
keyset_created:
  description: Whether the keyset was created (or would be, in check mode) before the key was added.
  returned: always
  type: bool
  sample: false
key:
  description:
    - The key that was added, the existing key that satisfied the request, or the key whose status was set.
    - In check mode an added key is a prediction whose C(kid) is null.
  returned: always
  type: dict
  contains:
    kid:
      description: Key id.
      type: str
      returned: always
      sample: "4PjEfAq0F8ytkXbc5XLpKhJ0gVBqpsqlpPuu7xhcAT4"
    kty:
      description: Key type as the service reports it.
      type: str
      returned: always
      sample: RSA
    use:
      description: Key use.
      type: str
      returned: always
      sample: sig
    nbf:
      description: Activation time in epoch seconds, as returned.
      type: int
      returned: always
      sample: 1767225600
    exp:
      description: Expiry time in epoch seconds, as returned.
      type: int
      returned: always
      sample: 1798761600
    x5t:
      description: Certificate thumbprint (certificate keys only).
      type: str
      returned: always
      sample: null
    status:
      description:
        - V(enabled) or V(disabled). After an add it is read back from the service (C(keys_v2)); a key the service
          reports V(disabled) comes with a warning that says how to enable it.
        - Null in the check-mode prediction of an added key (the service sets it when the key is added).
      type: str
      returned: always (null in the check-mode prediction of an added key)
      sample: enabled
    nbf_iso:
      description: C(nbf) as UTC ISO 8601.
      type: str
      returned: always
      sample: "2026-01-01T00:00:00Z"
    exp_iso:
      description: C(exp) as UTC ISO 8601.
      type: str
      returned: always
      sample: "2027-01-01T00:00:00Z"
    expires_in_days:
      description:
        - Days until expiry, rounded up while the key is valid (a started day counts), so a key made with
          O(valid_days=10) shows V(10) on the day it is made and V(1) on its last day; C(expires_in_days <= N)
          exactly when the key expires within N days.
        - Negative once expired (V(-1) on the first day after expiry); null without C(exp).
      type: int
      returned: always
      sample: 364
disabled_keys:
  description:
    - The keys that O(disable_expired) disabled in this run (would disable, in check mode), as in RV(key).
  returned: always
  type: list
  elements: dict
  sample: []
keyset:
  description: The keyset after the run (predicted in check mode).
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
        - The keys of the keyset, each as in RV(key), read with dot access (C(result.keyset.key_list)).
      type: list
      elements: dict
      returned: always
      sample: []
diff:
  description: The keyset before and after (summaries as in RV(keyset); V({}) when absent).
  returned: in diff mode
  type: dict
"""

from ansible_collections.b2c.trustframework.plugins.module_utils.code_cache import cache_compiled_code

ARGUMENT_SPEC = dict(
    keyset=dict(type="str", required=True, no_log=False),
    source=dict(type="str", default="generate", choices=["generate", "secret", "certificate", "pkcs12"]),
    # Either case: people write the JWK spellings (RSA, oct) and lower case alike.
    kty=dict(type="str", choices=["rsa", "oct", "RSA", "OCT"]),
    use=dict(type="str", default="sig", choices=["sig", "enc", "SIG", "ENC"]),
    nbf=dict(type="raw"),
    exp=dict(type="raw"),
    valid_days=dict(type="int"),
    secret=dict(type="str", no_log=True),
    update_secret=dict(type="str", default="on_create", choices=["on_create", "always"]),
    certificate=dict(type="str"),
    certificate_path=dict(type="path"),
    pkcs12=dict(type="str", no_log=True),
    pkcs12_path=dict(type="path"),
    pkcs12_password=dict(type="str", no_log=True),
    pkcs12_reencode=dict(type="bool", default=True),
    renew_before_days=dict(type="int"),
    force=dict(type="bool", default=False),
    activate_in_days=dict(type="int"),
    disable_expired=dict(type="bool", default=False),
    disable_expired_after_days=dict(type="int", default=30),
    create_keyset=dict(type="bool", default=True),
    kid=dict(type="str"),
    status=dict(type="str", choices=["enabled", "disabled"]),
)


# How options go together, checked by AnsibleModule before the task starts.
OPTION_RULES = dict(
    mutually_exclusive=[
        ("exp", "valid_days"),
        ("nbf", "activate_in_days"),
        ("certificate", "certificate_path"),
        ("pkcs12", "pkcs12_path"),
    ],
    required_if=[
        ("source", "secret", ["secret"]),
        ("source", "certificate", ["certificate", "certificate_path"], True),
        ("source", "pkcs12", ["pkcs12", "pkcs12_path"], True),
    ],
    required_together=[("kid", "status")],
)


def main():
    cache_compiled_code()  # first: the imports below are then served from it
    from ansible_collections.b2c.trustframework.plugins.module_utils.key_task import KeyResource
    from ansible_collections.b2c.trustframework.plugins.module_utils.module import B2CModule
    from ansible_collections.b2c.trustframework.plugins.module_utils.task_runner import run_task

    module = B2CModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True, **OPTION_RULES)
    run_task(module, KeyResource(module.params))


if __name__ == "__main__":
    main()
