"""Which algorithms protect a PKCS#12 bundle, read from its DER structure (RFC 7292).

`cryptography` opens AES (PBES2) and legacy 3DES bundles alike, so opening a bundle says
nothing about whether the service takes it. This walks the structure instead:
PFX -> AuthenticatedSafe -> each ContentInfo (plain `data` holding SafeBags, or
`encryptedData`) and the MacData, and collects the algorithm OIDs. DER only (what OpenSSL,
Windows and cryptography write); BER's indefinite lengths are refused as malformed.
"""

from __future__ import annotations

import dataclasses

OID_DATA = "1.2.840.113549.1.7.1"
OID_ENCRYPTED_DATA = "1.2.840.113549.1.7.6"
OID_SHROUDED_KEY_BAG = "1.2.840.113549.1.12.10.1.2"
OID_PBES2 = "1.2.840.113549.1.5.13"
OID_PBE_SHA1_3DES = "1.2.840.113549.1.12.1.3"
OID_SHA1 = "1.3.14.3.2.26"

TAG_INTEGER, TAG_OCTET_STRING, TAG_OID, TAG_SEQUENCE, TAG_CONTEXT_0 = 0x02, 0x04, 0x06, 0x30, 0xA0


class MalformedPkcs12(ValueError):
    """The bytes are not a DER-encoded PKCS#12 PFX."""


@dataclasses.dataclass
class Pkcs12Protection:
    encryption: set  # OIDs of every encryption: encryptedData contents and shrouded key bags
    mac: str | None  # OID of the MAC digest; None when the bundle has no MAC

    @property
    def is_legacy_3des_sha1(self) -> bool:
        """All encryption PBE-SHA1-3DES and a SHA-1 MAC: the only kind the service accepts."""
        return bool(self.encryption) and self.encryption == {OID_PBE_SHA1_3DES} and self.mac == OID_SHA1


def pkcs12_protection(der: bytes) -> Pkcs12Protection:
    pfx = _children(_only(der, TAG_SEQUENCE))
    if len(pfx) < 2 or pfx[0][0] != TAG_INTEGER or pfx[1][0] != TAG_SEQUENCE:
        raise MalformedPkcs12("not a PFX: expected version and authSafe")
    content_type, content = _content_info(pfx[1][1])
    if content_type != OID_DATA:
        raise MalformedPkcs12("public-key integrity mode is not supported")
    encryption: set = set()
    for tag, info in _children(_only(_octets(content), TAG_SEQUENCE)):
        _expect(tag, TAG_SEQUENCE)
        encryption |= _encryption_of(*_content_info(info))
    mac = _mac_digest(pfx[2][1]) if len(pfx) > 2 else None
    return Pkcs12Protection(encryption=encryption, mac=mac)


def _encryption_of(content_type: str, content: bytes) -> set:
    if content_type == OID_DATA:
        return _shrouded_key_algorithms(_octets(content))
    if content_type == OID_ENCRYPTED_DATA:
        encrypted_data = _children(_only(content, TAG_SEQUENCE))  # version, EncryptedContentInfo
        encrypted_content_info = _children(_sequence_at(encrypted_data, 1))  # contentType, algorithm, [0] data
        return {_algorithm_oid(_sequence_at(encrypted_content_info, 1))}
    return {content_type}  # envelopedData or anything else: not the legacy form


def _shrouded_key_algorithms(safe_contents: bytes) -> set:
    found = set()
    for tag, bag in _children(_only(safe_contents, TAG_SEQUENCE)):
        _expect(tag, TAG_SEQUENCE)
        bag_fields = _children(bag)
        if _oid(bag_fields[0]) == OID_SHROUDED_KEY_BAG:
            encrypted_key_info = _children(_only(_explicit(bag_fields[1]), TAG_SEQUENCE))
            found.add(_algorithm_oid(_sequence_at(encrypted_key_info, 0)))
    return found


def _mac_digest(mac_data: bytes) -> str:
    digest_info = _children(_sequence_at(_children(mac_data), 0))
    return _algorithm_oid(_sequence_at(digest_info, 0))


# -- DER primitives -----------------------------------------------------------------------------


def _content_info(body: bytes) -> tuple[str, bytes]:
    fields = _children(body)
    if len(fields) < 2:
        raise MalformedPkcs12("ContentInfo without content")
    return _oid(fields[0]), _explicit(fields[1])


def _algorithm_oid(algorithm_identifier: bytes) -> str:
    return _oid(_children(algorithm_identifier)[0])


def _explicit(element: tuple[int, bytes]) -> bytes:
    _expect(element[0], TAG_CONTEXT_0)
    return element[1]


def _octets(body: bytes) -> bytes:
    return _only(body, TAG_OCTET_STRING)


def _sequence_at(elements: list, index: int) -> bytes:
    if len(elements) <= index:
        raise MalformedPkcs12("structure too short")
    _expect(elements[index][0], TAG_SEQUENCE)
    return elements[index][1]


def _only(data: bytes, tag: int) -> bytes:
    elements = _children(data)
    if len(elements) != 1:
        raise MalformedPkcs12("expected exactly one element")
    _expect(elements[0][0], tag)
    return elements[0][1]


def _expect(tag: int, wanted: int) -> None:
    if tag != wanted:
        raise MalformedPkcs12(f"expected tag 0x{wanted:02x}, found 0x{tag:02x}")


def _oid(element: tuple[int, bytes]) -> str:
    tag, body = element
    _expect(tag, TAG_OID)
    if not body:
        raise MalformedPkcs12("empty OID")
    arcs, value = [], 0
    for byte in body:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(value)
            value = 0
    first = arcs[0]
    head = [min(first // 40, 2), first - 40 * min(first // 40, 2)]
    return ".".join(str(arc) for arc in head + arcs[1:])


def _children(data: bytes) -> list[tuple[int, bytes]]:
    """The (tag, body) pairs that make up `data`, in order."""
    elements, offset = [], 0
    while offset < len(data):
        tag = data[offset]
        if tag & 0x1F == 0x1F:
            raise MalformedPkcs12("high tag numbers do not occur in PKCS#12")
        length, offset = _length(data, offset + 1)
        if offset + length > len(data):
            raise MalformedPkcs12("element runs past the end of the data")
        elements.append((tag, data[offset : offset + length]))
        offset += length
    return elements


def _length(data: bytes, offset: int) -> tuple[int, int]:
    if offset >= len(data):
        raise MalformedPkcs12("truncated length")
    first = data[offset]
    if first < 0x80:
        return first, offset + 1
    count = first & 0x7F
    if count == 0 or count > 4 or offset + 1 + count > len(data):
        raise MalformedPkcs12("indefinite or oversized length (not DER)")
    return int.from_bytes(data[offset + 1 : offset + 1 + count], "big"), offset + 1 + count
