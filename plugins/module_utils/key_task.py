# -*- coding: utf-8 -*-
# Copyright: b2c.trustframework contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The task of b2c_keyset_key: a usable key of a kind in a keyset, or one key's status."""

from __future__ import annotations

from typing import NamedTuple

from ansible_collections.b2c.trustframework.plugins.module_utils import (
    dates,
    key_desired,
    key_plan,
    key_rollover,
    key_rules,
    key_summary,
    keyset_names,
)
from ansible_collections.b2c.trustframework.plugins.module_utils import keyset_reconcile as reconcile
from ansible_collections.b2c.trustframework.plugins.module_utils import keyset_service as service
from ansible_collections.b2c.trustframework.plugins.module_utils.errors import ValidationError
from ansible_collections.b2c.trustframework.plugins.module_utils.input_files import (
    BUNDLE_FILE_LIMIT,
    TEXT_FILE_LIMIT,
    read_input_file,
)
from ansible_collections.b2c.trustframework.plugins.module_utils.redaction import register_secrets
from ansible_collections.b2c.trustframework.plugins.module_utils.task_runner import Outcome, Resource

# Options that only make sense with one source: given with another source they are a mistake.
SOURCE_OPTIONS = {
    "secret": ("secret",),
    "certificate": ("certificate", "certificate_path"),
    "pkcs12": ("pkcs12", "pkcs12_path", "pkcs12_password"),
}
VALIDITY_OPTIONS = ("nbf", "exp", "valid_days", "activate_in_days")
ADDED = ("generated", "uploaded")


def check_source_options(params):
    source = params["source"]
    for owner, options in SOURCE_OPTIONS.items():
        for option in options:
            if owner != source and params.get(option) is not None:
                raise ValidationError(
                    "%s is for source=%s, but source is %s; set source: %s" % (option, owner, source, owner)
                )
    if source in ("certificate", "pkcs12"):
        for option in VALIDITY_OPTIONS:
            if params.get(option) is not None:
                raise ValidationError(
                    "%s does not apply to source=%s: the certificate's own validity is used" % (option, source)
                )


def load_certificate_material(params, desired, now):
    """Validate the certificate or PKCS#12 input locally; fills the upload body, x5t and predicted validity.

    Returns the warnings to show (a re-encrypted PKCS#12 bundle).
    """
    # Imported here: a converged task without certificate input never pays for cryptography's helpers.
    # pylint: disable-next=import-outside-toplevel
    from ansible_collections.b2c.trustframework.plugins.module_utils import key_material

    source = desired.source
    option = source if params[source] is not None else source + "_path"
    limit = BUNDLE_FILE_LIMIT if source == "pkcs12" else TEXT_FILE_LIMIT
    data = params[option] if option == source else read_input_file(params[option], option, limit)
    warnings = []
    if source == "certificate":
        cert, desired.certificate_b64 = key_material.certificate_upload(data, option, now)
    else:
        cert, desired.pkcs12_b64, reencoded = key_material.pkcs12_upload(
            data, params["pkcs12_password"], option, now, reencode=params["pkcs12_reencode"]
        )
        desired.pkcs12_password = params["pkcs12_password"]
        # The bundle is sent as this base64 (re-encoded, or read from pkcs12_path): masked like the option.
        register_secrets([desired.pkcs12_b64])
        if reencoded:
            warnings.append(
                "%s is not protected with PBE-SHA1-3DES in every bag and a SHA-1 MAC (an AES bundle, or one "
                "written by openssl -legacy, is not), which B2C refuses as 'password incorrect' (AADB2C90213); "
                "it was re-encrypted locally with PBE-SHA1-3DES and a SHA-1 MAC for the upload (same "
                "certificate and x5t). Set pkcs12_reencode: false to refuse such bundles instead." % option
            )
    desired.x5t = key_material.x5t(cert)
    desired.nbf, desired.exp = key_material.certificate_validity(cert)  # predicts the key in check mode
    return warnings


def desired_key(params, now):
    """``(DesiredKey, warnings)`` from the module options; every local check happens here, before any request."""
    name = keyset_names.normalize_name(params["keyset"], "keyset")
    if params["status"]:
        desired = key_desired.DesiredKey(
            keyset=name,
            kid=params["kid"],
            status=params["status"],
            create_keyset=params["create_keyset"],
            force=params["force"],
        )
        key_desired.validate_desired_key(desired, now)
        return desired, []
    check_source_options(params)
    source = params["source"]
    nbf, exp = dates.resolve_validity(params["nbf"], params["exp"], params["valid_days"], now)
    desired = key_desired.DesiredKey(
        keyset=name,
        source=source,
        kty=(params["kty"] or "rsa").lower(),  # the argument spec's choices: either case
        use=(params["use"] or "sig").lower(),
        nbf=nbf,
        exp=exp,
        update_secret=params["update_secret"],
        renew_before_days=params["renew_before_days"],
        force=params["force"],
        create_keyset=params["create_keyset"],
        secret=params["secret"],
        activate_in_days=params["activate_in_days"],
        valid_days=params["valid_days"],
        disable_expired=params["disable_expired"],
        disable_expired_after_days=params["disable_expired_after_days"],
    )
    warnings = load_certificate_material(params, desired, now) if source in ("certificate", "pkcs12") else []
    key_desired.validate_desired_key(desired, now)
    return desired, warnings


def disabled_key_warning(key, keyset_id):
    return (
        "the service reports the new key %s of keyset %s as disabled, so it is not used; enable it with "
        "b2c.trustframework.b2c_keyset_key (keyset: %s, kid: %s, status: enabled)"
        % (key.get("kid"), keyset_id, keyset_id, key.get("kid"))
    )


class KeysetState(NamedTuple):
    """What a key task reads: the keyset (None when missing) and, to set a status, the key's keys_v2 view."""

    keyset: dict | None
    key_v2: dict | None = None


class KeyResource(Resource):
    kind = "keyset"  # a key is written through its keyset: one lock for both modules

    def desired(self):
        desired, warnings = desired_key(self.params, self.now)
        self.warnings.extend(warnings)
        return desired

    def failure_context(self, desired):
        if desired.status:
            return "Could not set the status of key %s in keyset %s" % (desired.kid, desired.keyset)
        return "Could not ensure the key in keyset %s" % desired.keyset

    def lock_ids(self, desired):
        return [desired.keyset]

    def read(self, graph, desired):
        current = service.read_keyset(graph, desired.keyset)
        if desired.status and current is not None:
            return KeysetState(current, service.get_key_v2(graph, current["id"], desired.kid))
        return KeysetState(current)

    def plan(self, current, desired):
        plan = key_plan.plan_key(current.keyset, desired, self.now, key_v2=current.key_v2)
        if plan.action in ADDED and current.keyset is not None:
            reconcile.refuse_expired_again(current.keyset, desired, self.now)
        return plan

    def apply(self, graph, current, desired, plan):
        # Imported here: a converged task only reads.
        # pylint: disable-next=import-outside-toplevel
        from ansible_collections.b2c.trustframework.plugins.module_utils import keyset_writes

        return keyset_writes.apply_key_plan(graph, current.keyset, desired, plan, self.now)

    def outcome(self, current, desired, plan, applied):
        now, current = self.now, current.keyset
        keyset_id = current["id"] if current else desired.keyset
        key, after, keyset_created = plan.key, key_plan.keyset_after_plan(current, plan, keyset_id), plan.create_keyset
        lead_warning = key_rollover.short_lead_warning(desired, plan, now)
        if lead_warning:
            self.warnings.append(lead_warning)
        added = applied is not None and applied.plan.action in ADDED
        if applied is not None:
            plan, key, after, keyset_created = applied.plan, applied.key, applied.keyset, applied.keyset_created
            if added and not key_rules.is_enabled(key or {}):
                self.warnings.append(disabled_key_warning(key, after.get("id")))
        elif plan.action == "none" and not desired.status:
            duplicates = reconcile.late_write_duplicates(current, key, desired, now)
            if duplicates:
                self.warnings.append(reconcile.duplicates_warning(keyset_id, key, duplicates, desired))
        action = plan.action
        if keyset_created and action == "none":
            action = "created_keyset"  # the keyset was created, yet it already held a matching key
        result = dict(
            action=action,
            keyset_created=keyset_created,
            key=key_summary.summarize_key(key, now),
            keyset=key_summary.summarize_keyset(after, now),
            disabled_keys=[key_summary.summarize_key(dict(old, status="disabled"), now) for old in plan.retire],
        )
        return Outcome(
            changed=keyset_created or plan.changed,
            result=result,
            diff=key_summary.keyset_diff(current, after, now),
            failure=reconcile.unusable_on_arrival(key, now) if added else None,
        )
