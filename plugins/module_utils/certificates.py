# -*- coding: utf-8 -*-
# Copyright: b2c.trustframework contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Certificates and PKCS#12 bundles as users give them: the PEM scanner, loading an X.509 certificate, opening a
bundle, the key-derivation limit.

One parsing path for both readers: the client certificate of login (client_certificate_file.py) and the
certificate and PKCS#12 keys uploaded to a keyset (key_material.py). cryptography is imported on first use:
importing it up front would cost every other task ~17 ms (measured with python -X importtime).
"""

from __future__ import annotations

import base64
import binascii
import re
import types

from ansible_collections.b2c.trustframework.plugins.module_utils.errors import KeyMaterialError, MissingLibraryError
from ansible_collections.b2c.trustframework.plugins.module_utils.pkcs12_protection import (
    MAX_KDF_ITERATIONS,
    pkcs8_iterations,
    pkcs12_iterations,
)

# A BEGIN or END line. The label cannot contain "-", so no match reaches past the next marker: one scan of the
# markers finds every block in linear time, however many BEGIN lines lack their END.
_PEM_MARKER = re.compile(rb"-----(BEGIN|END) ([A-Z0-9 ]{1,64})-----")
_DER_SEQUENCE = b"\x30"  # DER certificates and PKCS#12 bundles start with a SEQUENCE


def cryptography(needed_for="certificate and PKCS#12 input"):
    """The cryptography modules we use (``.x509``, ``.serialization``, ``.pkcs12``, ``.rsa``, ``.ec``, ``.hashes``)."""
    # pylint: disable=import-outside-toplevel
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec, rsa
        from cryptography.hazmat.primitives.serialization import pkcs12
    except ImportError:
        raise MissingLibraryError("cryptography", needed_for) from None
    return types.SimpleNamespace(x509=x509, serialization=serialization, pkcs12=pkcs12, rsa=rsa, ec=ec, hashes=hashes)


def as_bytes(data):
    return data.encode("utf-8") if isinstance(data, str) else bytes(data)


def b64decode(data, option):
    """Bytes of base64 (or base64url, which people copy out of JWKs) text; whitespace is ignored."""
    compact = b"".join(as_bytes(data).split())
    try:
        return base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        pass
    try:
        return base64.urlsafe_b64decode(compact + b"=" * (-len(compact) % 4))
    except (binascii.Error, ValueError):
        raise KeyMaterialError("%s is neither PEM nor base64; check its content" % option) from None


def pem_blocks(data):
    """``[(label, block)]`` of the complete PEM blocks in ``data`` (bytes), in order.

    A BEGIN without its END is skipped: the next BEGIN starts a new block.
    """
    blocks, opened = [], None
    for marker in _PEM_MARKER.finditer(data):
        kind, label = marker.group(1), marker.group(2)
        if kind == b"BEGIN":
            opened = (label, marker.start())
        elif opened is not None and opened[0] == label:
            blocks.append((label, data[opened[1] : marker.end()]))
            opened = None
    return blocks


def pem_certificates(data):
    """The CERTIFICATE blocks of ``data``."""
    return [block for label, block in pem_blocks(data) if label == b"CERTIFICATE"]


def load_certificate(data, option="certificate"):
    """An X.509 certificate from PEM text (its first certificate), DER bytes, or base64 of DER or PEM.

    Raises KeyMaterialError naming ``option``, never the content.
    """
    raw = as_bytes(data)
    pem = pem_certificates(raw)
    # DER starts with a SEQUENCE byte and is never stripped: its last signature byte may well be whitespace.
    if not pem and raw[:1] != _DER_SEQUENCE:
        raw = b64decode(raw, option)
        pem = pem_certificates(raw)
    x509 = cryptography().x509
    try:
        if pem:
            return x509.load_pem_x509_certificate(pem[0])
        return x509.load_der_x509_certificate(raw)
    except ValueError as error:
        raise KeyMaterialError(
            "%s does not hold a readable X.509 certificate (%s); give PEM text or base64 of DER" % (option, error)
        ) from None


def open_pkcs12(raw, password, option, needed_for="PKCS#12 input"):
    """``(private key, certificate, additional certificates)`` of a DER bundle, or None when it does not open.

    A bundle without a password is tried with none and with an empty one. A bundle asking for more
    key-derivation rounds than MAX_KDF_ITERATIONS is refused before anything is decrypted.
    """
    check_kdf_iterations(pkcs12_iterations(raw), option, "PKCS#12 bundle")
    pkcs12 = cryptography(needed_for).pkcs12
    for secret in [as_bytes(password)] if password else [None, b""]:
        try:
            return pkcs12.load_key_and_certificates(raw, secret)
        except (ValueError, TypeError):
            continue
    return None


def check_encrypted_key_iterations(block, option):
    """Refuse an ENCRYPTED PRIVATE KEY PEM block whose key derivation asks for too many rounds."""
    if b"ENCRYPTED PRIVATE KEY" not in block[:40]:
        return
    body = b"".join(line for line in block.splitlines() if not line.startswith(b"-----"))
    try:
        der = base64.b64decode(b"".join(body.split()), validate=True)
    except (binascii.Error, ValueError):
        return  # cryptography says it cannot be parsed
    check_kdf_iterations(pkcs8_iterations(der), option, "encrypted private key")


def check_kdf_iterations(iterations, option, what):
    if iterations is not None and iterations > MAX_KDF_ITERATIONS:
        raise KeyMaterialError(
            "%s: the %s asks for %d key-derivation iterations, more than the %d the modules accept (opening it would "
            "take minutes); export it again with the default count (openssl pkcs12 -export -iter 2048, or "
            "openssl pkcs8 -topk8 -iter 2048)" % (option, what, iterations, MAX_KDF_ITERATIONS)
        )
