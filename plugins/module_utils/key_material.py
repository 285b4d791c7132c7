# -*- coding: utf-8 -*-
# Copyright: b2c.trustframework contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Certificate and PKCS#12 inputs of keys (RSA only): checking them for upload, x5t, the PKCS#12 encryption B2C
accepts (parsing: certificates.py).

Everything here runs before a request is sent, so bad input fails fast with an
error naming the option. Nothing here talks to Graph or to Ansible.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import hashlib

from ansible_collections.b2c.trustframework.plugins.module_utils.certificates import (
    as_bytes,
    b64decode,
    cryptography,
    load_certificate,
    open_pkcs12,
)
from ansible_collections.b2c.trustframework.plugins.module_utils.errors import KeyMaterialError
from ansible_collections.b2c.trustframework.plugins.module_utils.pkcs12_protection import pkcs12_refusal_reason


def _der(cert):
    return cert.public_bytes(cryptography().serialization.Encoding.DER)


def x5t(cert):
    """The JWK ``x5t``: base64url SHA-1 of the certificate DER, without padding."""
    digest = hashlib.sha1(_der(cert)).digest()  # nosec - x5t is SHA-1 by definition
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def certificate_b64(cert):
    """Base64 (standard alphabet) of the DER encoding: the uploadCertificate body."""
    return base64.b64encode(_der(cert)).decode("ascii")


def check_certificate_dates(cert, now, option):
    """Fail when the certificate has expired (uploading it would give an unusable key)."""
    not_after = cert.not_valid_after_utc
    if not_after.timestamp() <= now:
        raise KeyMaterialError(
            "the certificate in %s expired on %s; upload a current certificate"
            % (option, not_after.strftime("%Y-%m-%dT%H:%M:%SZ"))
        )


def check_rsa_certificate(cert, option):
    """Fail unless the certificate carries an RSA key: B2C policy keys are RSA only.

    The service refuses anything else ("Only RSA certificates are supported"), but only after
    the keyset was created; refusing here leaves the tenant untouched.
    """
    crypto = cryptography()
    public_key = cert.public_key()
    if isinstance(public_key, crypto.rsa.RSAPublicKey):
        return
    if isinstance(public_key, crypto.ec.EllipticCurvePublicKey):
        kind = "an EC (%s)" % public_key.curve.name
    else:
        kind = "a %s" % type(public_key).__name__.replace("PublicKey", "")
    raise KeyMaterialError(
        "the certificate in %s has %s key; B2C policy keys are RSA only (the service refuses it with "
        "'Only RSA certificates are supported'): use a certificate with an RSA key" % (option, kind)
    )


def certificate_validity(cert):
    """``(nbf, exp)`` epoch seconds of the certificate, used to predict the key in check mode."""
    return int(cert.not_valid_before_utc.timestamp()), int(cert.not_valid_after_utc.timestamp())


def pkcs12_bytes(data, option="pkcs12"):
    """Raw PFX bytes from base64 text (the option) or bytes read from a file."""
    if isinstance(data, str):
        return b64decode(data, option)
    raw = bytes(data)
    # A file may itself hold base64 text; DER PFX starts with a SEQUENCE byte (0x30).
    if raw[:1] != b"\x30":
        return b64decode(raw, option)
    return raw


def load_pkcs12(data, password, option="pkcs12"):
    """Open a PKCS#12 bundle; returns ``(private_key, certificate)``.

    The service needs both halves (B2C: uploaded certificates must include the
    private key), so a bundle without either is refused here.
    """
    opened = open_pkcs12(pkcs12_bytes(data, option), password, option)
    if opened is None:
        if not password:
            raise KeyMaterialError("could not open %s without a password: set pkcs12_password" % option)
        raise KeyMaterialError("could not open %s: wrong pkcs12_password or not a PKCS#12 (.pfx) file" % option)
    private_key, cert, _chain = opened
    # Without a private key, cryptography reports the certificate among the chain: check the key first.
    if private_key is None:
        raise KeyMaterialError("%s holds no private key; B2C needs the private key, export the .pfx with it" % option)
    if cert is None:
        raise KeyMaterialError("%s holds no certificate; export the .pfx with its certificate" % option)
    return private_key, cert


def legacy_pkcs12(raw, password):
    """The same key and certificates, re-encrypted with PBE-SHA1-3DES and a SHA-1 MAC (the x5t is unchanged)."""
    crypto = cryptography()
    secret = as_bytes(password)
    bundle = crypto.pkcs12.load_pkcs12(raw, secret)
    encryption = (
        crypto.serialization.PrivateFormat.PKCS12.encryption_builder()
        .kdf_rounds(2048)
        .key_cert_algorithm(crypto.pkcs12.PBES.PBESv1SHA1And3KeyTripleDESCBC)
        .hmac_hash(crypto.hashes.SHA1())  # nosec - the only MAC the service accepts
        .build(secret)
    )
    return crypto.pkcs12.serialize_key_and_certificates(
        bundle.cert.friendly_name,
        bundle.key,
        bundle.cert.certificate,
        [extra.certificate for extra in bundle.additional_certs] or None,
        encryption,
    )


def pkcs12_b64(data, option="pkcs12"):
    """Base64 of the PFX bytes: the uploadPkcs12 ``key`` body field."""
    return base64.b64encode(pkcs12_bytes(data, option)).decode("ascii")


def certificate_upload(data, option, now):
    """Check a certificate for uploadCertificate (RSA, not expired); returns ``(cert, body_key)``."""
    cert = load_certificate(data, option)
    check_rsa_certificate(cert, option)
    check_certificate_dates(cert, now, option)
    return cert, certificate_b64(cert)


def pkcs12_upload(data, password, option, now, reencode=True):
    """Check a PKCS#12 bundle for uploadPkcs12 (opens, has key and an RSA certificate, not expired).

    Returns ``(cert, body_key, reencoded)``. A bundle protected any other way
    than PBE-SHA1-3DES in every bag with a SHA-1 MAC (pkcs12_protection.py) is
    re-encrypted locally when ``reencode``, else refused here.
    """
    _private_key, cert = load_pkcs12(data, password, option)
    check_rsa_certificate(cert, option)
    check_certificate_dates(cert, now, option)
    if not password:
        raise KeyMaterialError(
            "%s has no password; B2C accepts only a password-protected .pfx (PBE-SHA1-3DES with a SHA-1 MAC): "
            "export it with a password and set pkcs12_password" % option
        )
    raw = pkcs12_bytes(data, option)
    refusal = pkcs12_refusal_reason(raw)
    if refusal is None:
        return cert, pkcs12_b64(data, option), False
    if not reencode:
        raise KeyMaterialError(
            "%s %s; B2C accepts only PBE-SHA1-3DES in every bag with a SHA-1 MAC and refuses anything else as "
            "'password incorrect' (AADB2C90213) even with the right password. Set pkcs12_reencode: true, or "
            "re-export it with 'openssl pkcs12 -export -keypbe PBE-SHA1-3DES -certpbe PBE-SHA1-3DES -macalg SHA1'"
            % (option, refusal)
        )
    return cert, base64.b64encode(legacy_pkcs12(raw, password)).decode("ascii"), True
