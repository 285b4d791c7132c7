"""Reading an uploaded TrustFrameworkPolicy: text as the service decodes it, the facts upload validation needs,
and the reformatted copy the emulator can serve instead of the uploaded bytes."""

from __future__ import annotations

import dataclasses
import re
import xml.dom
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree
import defusedxml.minidom
from defusedxml import DefusedXmlException

POLICY_NAMESPACE = "http://schemas.microsoft.com/online/cpim/schemas/2013/06"
ROOT_TAG = f"{{{POLICY_NAMESPACE}}}TrustFrameworkPolicy"
# A placeholder a deploy tool should have replaced, e.g. {Settings:Tenant} (azure-ad-b2c/vscode-extension).
PLACEHOLDER = re.compile(r"\{([^{}]+)\}")


class NotXml(ValueError):
    """The body is not XML the service can read."""


@dataclasses.dataclass
class PolicyDocument:
    """What upload validation looks at; None where the document does not say."""

    root_tag: str
    policy_id: str | None
    tenant_id: str | None
    base_policy_id: str | None
    base_tenant_id: str | None
    storage_reference_ids: list[str]

    @property
    def is_trust_framework_policy(self) -> bool:
        return self.root_tag == ROOT_TAG


def decode_body(body: bytes) -> str:
    """The text the service stores: the bytes read as UTF-8 whatever the declaration says.

    A body sent in another encoding is not refused; its non-ASCII characters become replacement
    characters (mrochon/IEFPolicies #25, MicrosoftDocs/azure-docs #65924).
    """
    return body.decode("utf-8", errors="replace")


def parse(text: str) -> PolicyDocument:
    """The facts of a policy. A DTD is refused like malformed XML: the document is input, never trusted."""
    try:
        root = defusedxml.ElementTree.fromstring(text, forbid_dtd=True)
    except ParseError as exc:
        line, column = exc.position
        raise NotXml(f"Data at the root level is invalid. Line {line}, position {column + 1}.") from exc
    except DefusedXmlException as exc:
        raise NotXml("For security reasons DTD is prohibited in this XML document.") from exc
    base = root.find(f"{{{POLICY_NAMESPACE}}}BasePolicy")
    return PolicyDocument(
        root_tag=root.tag,
        policy_id=root.get("PolicyId"),
        tenant_id=root.get("TenantId"),
        base_policy_id=_child_text(base, "PolicyId"),
        base_tenant_id=_child_text(base, "TenantId"),
        storage_reference_ids=_storage_references(root),
    )


def _child_text(parent: Element | None, name: str) -> str | None:
    child = parent.find(f"{{{POLICY_NAMESPACE}}}{name}") if parent is not None else None
    return (child.text or "").strip() if child is not None else None


def _storage_references(root: Element) -> list[str]:
    """Every CryptographicKeys/Key/@StorageReferenceId, first occurrence order, without repeats (any case)."""
    seen: dict[str, str] = {}
    for keys in root.iter(f"{{{POLICY_NAMESPACE}}}CryptographicKeys"):
        for key in keys.iter(f"{{{POLICY_NAMESPACE}}}Key"):
            reference = key.get("StorageReferenceId")
            if reference:
                seen.setdefault(reference.lower(), reference)
    return list(seen.values())


def placeholder_in(value: str | None) -> str | None:
    """The inside of the first {...} placeholder in value, if any."""
    match = PLACEHOLDER.search(value or "")
    return match.group(1) if match else None


def reformat(text: str) -> str:
    """The same policy written differently: no XML declaration, tab indentation, attributes in reverse order.

    Its canonical form (C14N 2.0 with whitespace-only text stripped) is the uploaded one's; its bytes are not.
    Whether real tenants hand back the uploaded bytes is an open question, so tests run both ways.
    """
    document = defusedxml.minidom.parseString(text, forbid_dtd=True)
    _rewrite(document.documentElement, depth=0)
    return document.documentElement.toxml() + "\n"


def _rewrite(element, depth: int) -> None:
    attributes = list(element.attributes.items())
    for name, _value in attributes:
        element.removeAttribute(name)
    for name, value in reversed(attributes):
        element.setAttribute(name, value)
    children = list(element.childNodes)
    if any(
        child.nodeType == xml.dom.Node.CDATA_SECTION_NODE
        or (child.nodeType == xml.dom.Node.TEXT_NODE and child.data.strip())
        for child in children
    ):
        return  # text content (mixed or not) is data: leave it as it is
    for child in children:
        if child.nodeType == xml.dom.Node.TEXT_NODE:
            element.removeChild(child)
    kept = list(element.childNodes)
    for child in kept:
        element.insertBefore(element.ownerDocument.createTextNode("\n" + "\t" * (depth + 1)), child)
        if child.nodeType == xml.dom.Node.ELEMENT_NODE:
            _rewrite(child, depth + 1)
    if kept:
        element.appendChild(element.ownerDocument.createTextNode("\n" + "\t" * depth))
