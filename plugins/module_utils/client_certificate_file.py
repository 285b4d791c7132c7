# -*- coding: utf-8 -*-
# Copyright: b2c.trustframework contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The client certificate file of auth_method client_certificate: a PEM file (private key and certificate) or a
PKCS#12 bundle, told apart by content.

The file is checked here, before any request (it opens, the key is RSA, a certificate matches it), so a bad
file fails with a message naming the option; the result is what msal's ``client_credential`` takes and the
certificate's SHA-256 thumbprint.
"""

from __future__ import annotations

from ansible_collections.b2c.trustframework.plugins.module_utils.auth_method_base import HOW, present
from ansible_collections.b2c.trustframework.plugins.module_utils.certificates import (
    check_encrypted_key_iterations,
    cryptography,
    open_pkcs12,
    pem_blocks,
)
from ansible_collections.b2c.trustframework.plugins.module_utils.errors import KeyMaterialError
from ansible_collections.b2c.trustframework.plugins.module_utils.input_files import (
    BUNDLE_FILE_LIMIT,
    TEXT_FILE_LIMIT,
    check_size,
    read_input_file,
)

_NEEDED_FOR = "auth_method client_certificate"
_OPTION = HOW["client_certificate_path"]
_PASSWORD = HOW["client_certificate_password"]
_KEY_LABELS = (b"PRIVATE KEY", b"RSA PRIVATE KEY", b"ENCRYPTED PRIVATE KEY", b"EC PRIVATE KEY")
_DER_SEQUENCE = b"\x30"  # a PKCS#12 bundle is a DER SEQUENCE


def load_client_certificate(path, password=None):
    """``(msal client_credential, SHA-256 hex thumbprint)`` of the client certificate file ``path``.

    The format is told by the content, not the file name: AAP and azure-identity users point
    AZURE_CLIENT_CERTIFICATE_PATH at either. Raises KeyMaterialError naming the option; never
    includes key material.
    """
    crypto = cryptography(_NEEDED_FOR)
    data = read_input_file(path, _OPTION, BUNDLE_FILE_LIMIT)
    if b"-----BEGIN " in data:
        check_size(data, path, _OPTION, TEXT_FILE_LIMIT)
        return _from_pem(crypto, data, password, path)
    if data[:1] == _DER_SEQUENCE:
        return _from_pkcs12(crypto, data, password, path)
    raise KeyMaterialError(
        "%s: %r is neither PEM (private key and certificate) nor PKCS#12 (.pfx/.p12)." % (_OPTION, path)
    )


def _from_pem(crypto, data, password, path):
    blocks = pem_blocks(data)
    key_blocks = [block for label, block in blocks if label in _KEY_LABELS]
    cert_blocks = [block for label, block in blocks if label == b"CERTIFICATE"]
    for found, what in ((key_blocks, "private key"), (cert_blocks, "certificate")):
        if not found:
            raise KeyMaterialError(
                "%s: %r holds no PEM %s; it must contain the private key and the certificate." % (_OPTION, path, what)
            )
    key, encrypted = _load_private_key(crypto.serialization, key_blocks[0], password, path)
    certificates = []
    for block in cert_blocks:
        try:
            certificates.append(crypto.x509.load_pem_x509_certificate(block))
        except ValueError:
            continue
    certificate = _certificate_of(crypto, key, certificates, path)
    client_credential = {
        "private_key": key_blocks[0].decode("ascii"),
        "public_certificate": certificate.public_bytes(crypto.serialization.Encoding.PEM).decode("ascii"),
    }
    if encrypted:
        client_credential["passphrase"] = password
    return client_credential, _sha256_thumbprint(crypto, certificate)


def _from_pkcs12(crypto, data, password, path):
    opened = open_pkcs12(data, password, _OPTION, _NEEDED_FOR)
    if opened is None:
        if present(password):
            raise KeyMaterialError("%s: could not open the PKCS#12 file %r: check %s." % (_OPTION, path, _PASSWORD))
        raise KeyMaterialError(
            "%s: could not open the PKCS#12 file %r: it is encrypted (set %s) or damaged." % (_OPTION, path, _PASSWORD)
        )
    key, certificate, _chain = opened
    if key is None:
        raise KeyMaterialError("%s: the PKCS#12 file %r holds no private key." % (_OPTION, path))
    # msal signs with the bundle's own certificate: that one must match the key.
    certificate = _certificate_of(crypto, key, [certificate] if certificate is not None else [], path)
    client_credential = {"private_key_pfx_path": path}
    if present(password):
        client_credential["passphrase"] = password
    return client_credential, _sha256_thumbprint(crypto, certificate)


def _certificate_of(crypto, key, certificates, path):
    """The certificate among ``certificates`` that carries the public half of ``key`` (an RSA key)."""
    if not isinstance(key, crypto.rsa.RSAPrivateKey):
        raise KeyMaterialError(
            "%s: the private key in %r is not an RSA key; Microsoft Entra ID needs an RSA certificate."
            % (_OPTION, path)
        )
    public_numbers = key.public_key().public_numbers()
    certificate = next((c for c in certificates if _public_numbers(c) == public_numbers), None)
    if certificate is None:
        raise KeyMaterialError("%s: no certificate in %r matches its private key." % (_OPTION, path))
    return certificate


def _sha256_thumbprint(crypto, certificate):
    return certificate.fingerprint(crypto.hashes.SHA256()).hex()


def _public_numbers(certificate):
    try:
        return certificate.public_key().public_numbers()
    except (AttributeError, ValueError):  # a certificate with a key type that has no numbers (Ed25519)
        return None


def _load_private_key(serialization, block, password, path):
    """``(key, whether it was encrypted)``; a password given for an unencrypted key is ignored."""
    check_encrypted_key_iterations(block, _OPTION)
    unreadable = KeyMaterialError("%s: the private key in %r cannot be parsed." % (_OPTION, path))
    pwd = password.encode("utf-8") if present(password) else None
    try:
        return serialization.load_pem_private_key(block, password=pwd), pwd is not None
    except TypeError:
        if pwd is None:
            raise KeyMaterialError(
                "%s: the private key in %r is encrypted: set %s." % (_OPTION, path, _PASSWORD)
            ) from None
    except ValueError:
        if pwd is not None:
            raise KeyMaterialError(
                "%s: could not decrypt the private key in %r: check %s." % (_OPTION, path, _PASSWORD)
            ) from None
        raise unreadable from None
    except Exception:  # pylint: disable=broad-except
        raise unreadable from None
    try:  # a password was given for an unencrypted key: use the key as it is
        return serialization.load_pem_private_key(block, password=None), False
    except (TypeError, ValueError):
        raise unreadable from None
