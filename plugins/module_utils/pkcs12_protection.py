# -*- coding: utf-8 -*-
# Copyright: b2c.trustframework contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether a PKCS#12 bundle is protected the one way B2C accepts, read from its DER structure (RFC 7292).

B2C opens a bundle only when every bag is encrypted with PBE-SHA1-3DES and the MAC is SHA-1;
anything else (AES/PBES2, the default of OpenSSL 3 and Windows; RC2-40 for the certificates, the
default of OpenSSL 1.1 and of ``openssl pkcs12 -export -legacy``) is refused as "password incorrect"
(AADB2C90213: microsoftgraph/microsoft-graph-docs-contrib#8993 and #8994, MicrosoftDocs/azure-docs#36773;
the emulator's README table follows them).
Opening a bundle tells nothing about this (cryptography opens them all), so the structure is walked:
PFX -> AuthenticatedSafe -> each ContentInfo (``encryptedData``, or ``data`` holding shrouded key bags)
and the MAC. BER (indefinite lengths) counts as not accepted: re-encrypting is always safe.
The same walk gives the key-derivation iteration counts, so a bundle (or an encrypted PKCS#8 key) that would
take minutes to open is refused before anything is decrypted.
"""

from __future__ import annotations

# Contents of the DER OBJECT IDENTIFIERs compared (no OID decoding needed).
_OID_DATA = bytes.fromhex("2a864886f70d010701")  # 1.2.840.113549.1.7.1
_OID_ENCRYPTED_DATA = bytes.fromhex("2a864886f70d010706")  # 1.2.840.113549.1.7.6
_OID_SHROUDED_KEY_BAG = bytes.fromhex("2a864886f70d010c0a0102")  # 1.2.840.113549.1.12.10.1.2
_OID_PBE_SHA1_3DES = bytes.fromhex("2a864886f70d010c0103")  # 1.2.840.113549.1.12.1.3
_OID_PBES2 = bytes.fromhex("2a864886f70d01050d")  # 1.2.840.113549.1.5.13
_OID_PBE_SHA1_RC2 = (
    bytes.fromhex("2a864886f70d010c0105"),  # 1.2.840.113549.1.12.1.5 (128-bit)
    bytes.fromhex("2a864886f70d010c0106"),
)  # 1.2.840.113549.1.12.1.6 (40-bit)
_OID_SHA1 = bytes.fromhex("2b0e03021a")  # 1.3.14.3.2.26
_OID_PBKDF2 = bytes.fromhex("2a864886f70d01050c")  # 1.2.840.113549.1.5.12

_INTEGER, _SEQUENCE, _OCTET_STRING, _OID, _EXPLICIT_0 = 0x02, 0x30, 0x04, 0x06, 0xA0

# The most key-derivation rounds a bundle or an encrypted key may ask for. OpenSSL and cryptography write 2048
# (Windows 2000 or 10000); 20 million take ~12 s per opening, and a bundle is opened more than once.
MAX_KDF_ITERATIONS = 1000000


def pkcs12_refusal_reason(raw):
    """None when B2C accepts the bundle's protection, else what it would refuse (``is encrypted with ...``)."""
    try:
        algorithms, mac = _protection(raw)
    except (ValueError, IndexError):
        return "is not a DER PKCS#12 bundle that can be checked"
    others = [algorithm for algorithm in algorithms if algorithm != _OID_PBE_SHA1_3DES]
    if _OID_PBES2 in others:
        return "is encrypted with AES (PBES2)"
    if any(algorithm in _OID_PBE_SHA1_RC2 for algorithm in others):
        return "is encrypted with RC2 (as openssl pkcs12 -export -legacy and OpenSSL 1.1 write it)"
    if others or not algorithms:
        return "holds a bag that is not encrypted with PBE-SHA1-3DES"
    if mac != _OID_SHA1:
        return "has a MAC other than SHA-1"
    return None


def pkcs12_iterations(raw):
    """The largest key-derivation iteration count of the bundle (its bags and its MAC), or None when its
    structure cannot be walked (cryptography then opens it with its own checks)."""
    try:
        parts, mac_data = _parts(raw)
        counts = [_kdf_iterations(part) for part in parts if part[0] == _SEQUENCE]
        if len(mac_data) > 2:  # MacData: DigestInfo, salt, iterations (DEFAULT 1)
            counts.append(_integer(mac_data[2]))
    except (ValueError, IndexError):
        return None
    return max([count for count in counts if count is not None], default=None)


def pkcs8_iterations(der):
    """The key-derivation iteration count of an EncryptedPrivateKeyInfo (RFC 5958), or None when it has none we read."""
    try:
        return _kdf_iterations(_elements(_only(der, _SEQUENCE))[0])
    except (ValueError, IndexError):
        return None


def _protection(raw):
    """``(algorithm of every encrypted part, or None for an unencrypted bag; MAC digest)``."""
    parts, mac_data = _parts(raw)
    algorithms = [_algorithm(part) if part[0] == _SEQUENCE else part[1] for part in parts]
    mac = _algorithm(_elements(mac_data[0][1])[0]) if mac_data else None  # MacData.DigestInfo
    return algorithms, mac


def _parts(raw):
    """``(the AlgorithmIdentifier of every encrypted part - or (OID, content type) of an unknown ContentInfo,
    (None, None) for an unencrypted bag -, the MacData elements or [])``."""
    pfx = _elements(_only(raw, _SEQUENCE))
    content_type, content = _content_info(pfx[1])
    if content_type != _OID_DATA:
        raise ValueError("public-key integrity mode")
    parts = []
    for info in _elements(_only(_only(content, _OCTET_STRING), _SEQUENCE)):
        content_type, content = _content_info(info)
        if content_type == _OID_ENCRYPTED_DATA:
            encrypted_content_info = _elements(_elements(_only(content, _SEQUENCE))[1][1])
            parts.append(encrypted_content_info[1])
        elif content_type == _OID_DATA:
            parts.extend(_bag_algorithm(bag) for bag in _elements(_only(_only(content, _OCTET_STRING), _SEQUENCE)))
        else:
            parts.append((_OID, content_type))
    return parts, (_elements(pfx[2][1]) if len(pfx) > 2 else [])


def _bag_algorithm(bag):
    bag_id, value = _elements(bag[1])[:2]
    if bag_id != (_OID, _OID_SHROUDED_KEY_BAG):
        return (None, None)  # a key or certificate bag outside any encryption
    return _elements(_only(value[1], _SEQUENCE))[0]


def _kdf_iterations(element):
    """The iteration count of the key derivation an AlgorithmIdentifier ``(tag, body)`` names, or None.

    PKCS#12 PBE parameters are (salt, iterations); PBES2 names PBKDF2 with (salt, iterations, ...) (RFC 8018).
    """
    identifier = _elements(element[1])
    if len(identifier) < 2:
        return None
    parameters = _elements(identifier[1][1])
    if identifier[0][1] == _OID_PBES2:
        kdf = _elements(parameters[0][1])
        return _integer(_elements(kdf[1][1])[1]) if kdf[0][1] == _OID_PBKDF2 else None
    return _integer(parameters[1]) if len(parameters) > 1 and parameters[1][0] == _INTEGER else None


def _integer(element):
    if element[0] != _INTEGER:
        raise ValueError("not an INTEGER")
    return int.from_bytes(element[1], "big")


def _content_info(element):
    """``(content type OID, content)`` of a ContentInfo ``(tag, body)``."""
    content_type, explicit = _elements(element[1])[:2]
    if content_type[0] != _OID or explicit[0] != _EXPLICIT_0:
        raise ValueError("not a ContentInfo")
    return content_type[1], explicit[1]


def _algorithm(element):
    """The OID of an AlgorithmIdentifier ``(tag, body)``."""
    identifier = _elements(element[1])[0]
    if element[0] != _SEQUENCE or identifier[0] != _OID:
        raise ValueError("not an AlgorithmIdentifier")
    return identifier[1]


def _only(data, tag):
    """The body of the single element of ``data``, which must carry ``tag``."""
    elements = _elements(data)
    if len(elements) != 1 or elements[0][0] != tag:
        raise ValueError("unexpected DER element")
    return elements[0][1]


def _elements(data):
    """``[(tag, body)]`` of the DER elements in ``data`` (definite lengths only)."""
    elements, pos = [], 0
    while pos < len(data):
        if pos + 2 > len(data):
            raise ValueError("truncated")
        tag, length = data[pos], data[pos + 1]
        pos += 2
        if length & 0x80:
            size = length & 0x7F
            if not size or pos + size > len(data):
                raise ValueError("indefinite or truncated length")
            length = int.from_bytes(data[pos : pos + size], "big")
            pos += size
        if pos + length > len(data):
            raise ValueError("truncated")
        elements.append((tag, data[pos : pos + length]))
        pos += length
    return elements
