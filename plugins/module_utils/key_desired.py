# -*- coding: utf-8 -*-
# Copyright: b2c.trustframework contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The key b2c_keyset_key is asked for (DesiredKey) and the checks it must pass before any request."""

from __future__ import annotations

from dataclasses import dataclass, field

from ansible_collections.b2c.trustframework.plugins.module_utils.dates import SECONDS_PER_DAY, epoch_to_iso
from ansible_collections.b2c.trustframework.plugins.module_utils.errors import ValidationError
from ansible_collections.b2c.trustframework.plugins.module_utils.key_rollover import validate_rollover
from ansible_collections.b2c.trustframework.plugins.module_utils.key_rules import key_family
from ansible_collections.b2c.trustframework.plugins.module_utils.keyset_names import check_kid, refuse_service_managed


@dataclass
class DesiredKey:
    """What b2c_keyset_key should ensure. Secret payloads are kept out of repr()."""

    keyset: str
    source: str = "generate"
    kty: str = "rsa"
    use: str = "sig"
    nbf: int | None = None
    exp: int | None = None
    update_secret: str = "on_create"
    x5t: str | None = None
    renew_before_days: int | None = None
    force: bool = False
    create_keyset: bool = True
    kid: str | None = None
    status: str | None = None
    activate_in_days: int | None = None
    valid_days: int | None = None
    disable_expired: bool = False
    disable_expired_after_days: int = 30
    secret: str | None = field(default=None, repr=False)
    certificate_b64: str | None = field(default=None, repr=False)
    pkcs12_b64: str | None = field(default=None, repr=False)
    pkcs12_password: str | None = field(default=None, repr=False)

    @property
    def family(self):
        if self.source == "generate":
            return key_family(self.kty)
        if self.source == "secret":
            return "oct"
        return "rsa"  # certificates and PKCS#12 bundles become RSA keys

    @property
    def add_action(self):
        return "generated" if self.source == "generate" else "uploaded"


def validate_desired_key(desired, now):
    """Local sanity checks that need no keyset state."""
    refuse_service_managed(desired.keyset, "change the keys of")
    check_kid(desired.kid)
    if desired.source == "generate" and key_family(desired.kty) is None:
        raise ValidationError("kty=%r must be rsa or oct" % (desired.kty,))
    if desired.source == "secret" and not (desired.secret or "").strip():
        raise ValidationError(
            "secret is empty; with source=secret, set secret to the value to upload (for example an IdP client secret)"
        )
    if desired.exp is not None and desired.exp <= now:
        raise ValidationError(
            "exp (%s) is in the past; the service refuses such a key (AADB2C90214)" % epoch_to_iso(desired.exp)
        )
    if desired.renew_before_days is not None:
        if desired.renew_before_days < 0:
            raise ValidationError("renew_before_days must be 0 or more")
        # Certificates bring their own validity; renew_before_days does not apply to them.
        renewable = desired.source in ("generate", "secret")
        if renewable and desired.exp is not None and desired.exp - now <= desired.renew_before_days * SECONDS_PER_DAY:
            # Otherwise every run would find the new key due and add another one.
            raise ValidationError(
                "the new key would expire within renew_before_days=%d and be renewed on every run; "
                "make exp / valid_days longer than renew_before_days" % desired.renew_before_days
            )
    validate_rollover(desired, now)
