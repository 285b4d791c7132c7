# -*- coding: utf-8 -*-
# Copyright: b2c.trustframework contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A TrustFrameworkPolicy file: reading it safely, the facts in it, and its canonical form.

A policy file is input, so it is parsed with defusedxml and any DTD is refused
(no entity expansion, no external entity). Every refusal names the line or
the element. The text is never reformatted: what the user wrote is what is
uploaded; the canonical form is only for comparing with the deployed copy.

Encoding: the upload is the text as UTF-8 bytes (a byte order mark is
dropped). A file that is not UTF-8, or a declaration naming another encoding,
is refused rather than transcoded: the service reads the declaration, and a
body in an encoding other than the one it expects is stored with ``?`` in
place of every non-ASCII character (IEFPolicies #25, azure-docs #65924).
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

import copy
import hashlib
import re
import traceback
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from ansible_collections.b2c.trustframework.plugins.module_utils.errors import ValidationError
from ansible_collections.b2c.trustframework.plugins.module_utils.keyset_names import PREFIX, strip_prefix

NAMESPACE = "http://schemas.microsoft.com/online/cpim/schemas/2013/06"
ROOT_TAG = "{%s}TrustFrameworkPolicy" % NAMESPACE
# The service's limit per policy file (service-limits.md, 2024).
MAX_POLICY_BYTES = 1024 * 1024
UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
# The tenant's object id, which policies downloaded from a tenant carry
# (active-directory-verifiable-credentials-dotnet #63): set by the service, never compared.
SERVICE_ASSIGNED_ATTRIBUTES = ("TenantObjectId",)
# In the answers of the API pages' samples where the request had none (trustframeworkpolicy-get.md;
# inferred: the service may add it): compared only when the desired policy sets it.
SERVICE_DEFAULTED_ATTRIBUTES = ("PublicPolicyUri",)
_DECLARED_ENCODING = re.compile(r"""\A<\?xml\s[^>]*?\bencoding\s*=\s*["']([^"']*)["']""")


def _defused():
    """``(defusedxml.ElementTree, DefusedXmlException)``, imported when a policy is first parsed."""
    try:
        # pylint: disable-next=import-outside-toplevel
        from defusedxml import DefusedXmlException, ElementTree
    except ImportError:
        raise MissingXmlLibrary(traceback.format_exc()) from None
    return ElementTree, DefusedXmlException


class MissingXmlLibrary(ValidationError):
    """defusedxml is not installed; the module reports it with missing_required_lib("defusedxml")."""

    library = "defusedxml"

    def __init__(self, import_traceback):
        super().__init__("the Python library defusedxml is required to read policy XML safely")
        self.import_traceback = import_traceback


def xml_library_missing():
    """The ImportError traceback when defusedxml cannot be imported, else None (for missing_required_lib)."""
    try:
        _defused()
    except MissingXmlLibrary as missing:
        return missing.import_traceback
    return None


# ---------------------------------------------------------------------------
# Text in
# ---------------------------------------------------------------------------


def _too_large(size, where):
    return ValidationError(
        "%s is %s bytes, over the service's limit of 1024 KB per policy file: split it into a base and "
        "an extension policy" % (where, "more than %d" % MAX_POLICY_BYTES if size is None else size)
    )


def line_of(text, offset):
    return text.count("\n", 0, offset) + 1


def read_policy_file(path):
    """The text of the policy file at ``path`` (UTF-8, BOM dropped); reads at most the limit and a byte more."""
    where = "src=%s" % path
    try:
        with open(path, "rb") as handle:
            data = handle.read(len(UTF8_BOM) + MAX_POLICY_BYTES + 1)
    except OSError as error:
        raise ValidationError("%s cannot be read: %s" % (where, error.strerror or error)) from None
    if data.startswith(UTF8_BOM):
        data = data[len(UTF8_BOM) :]
    if len(data) > MAX_POLICY_BYTES:
        raise _too_large(None, where)
    if data.startswith(UTF16_BOMS):
        raise ValidationError("%s is saved as UTF-16: save it as UTF-8 (the service expects UTF-8)" % where)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise ValidationError(
            "%s is not UTF-8 (line %d holds a byte that UTF-8 does not allow): save it as UTF-8" % (where, line)
        ) from None


def policy_text(content):
    """``content`` as given, without a leading byte order mark."""
    return str(content)[1:] if str(content).startswith("\ufeff") else str(content)


def upload_body(text):
    """The bytes PUT to the service: the text as given, UTF-8, no byte order mark."""
    return policy_text(text).encode("utf-8")


# ---------------------------------------------------------------------------
# The document
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class BasePolicy:
    policy_id: str | None
    tenant_id: str | None


@dataclass(frozen=True, eq=False)
class PolicyDocument:
    """A parsed policy: its text as given and the facts the collection uses."""

    text: str
    policy_id: str | None
    tenant_id: str | None
    base_policy: BasePolicy | None
    keysets: tuple
    public_policy_uri: str | None
    root: ET.Element

    def canonical(self, ignore=()):
        """The W3C canonical form (C14N 2.0) compared with the deployed copy; ``ignore``: root attributes left out."""
        return canonical_form(self.root, SERVICE_ASSIGNED_ATTRIBUTES + tuple(ignore))

    @property
    def sha256(self):
        return hashlib.sha256(self.canonical().encode("utf-8")).hexdigest()


def _parse(text, where):
    """The root element; refuses a DTD and text that is not well-formed, naming the line."""
    defused, refused = _defused()
    try:
        return defused.fromstring(text, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except defused.ParseError as error:
        line, column = getattr(error, "position", (None, None))
        raise ValidationError(
            "%s: line %s, column %s: not well-formed XML (%s)" % (where, line, (column or 0) + 1, _expat_reason(error))
        ) from None
    except refused as error:  # DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
        offset = text.find("<!DOCTYPE")
        raise ValidationError(
            "%s: line %d: the policy has a DTD (<!DOCTYPE>), which is refused: a policy needs none, "
            "and a DTD can expand entities or read external files (%s); remove it"
            % (where, line_of(text, max(offset, 0)), type(error).__name__)
        ) from None


def _expat_reason(error):
    return re.sub(r":\s*line \d+, column \d+$", "", str(error))


def _child_text(element, name):
    child = element.find("{%s}%s" % (NAMESPACE, name)) if element is not None else None
    return child.text.strip() if child is not None and child.text and child.text.strip() else None


def _storage_reference_ids(root):
    seen = {}
    for key in root.iterfind(".//{%s}CryptographicKeys/{%s}Key" % (NAMESPACE, NAMESPACE)):
        keyset = (key.get("StorageReferenceId") or "").strip()
        if keyset:
            seen.setdefault(keyset.lower(), keyset)
    return tuple(seen.values())


def read_document(text, where="content"):
    """The parsed policy, refusing only what cannot be read at all (a DTD, not well-formed XML)."""
    root = _parse(text, where)
    base = root.find("{%s}BasePolicy" % NAMESPACE)
    return PolicyDocument(
        text=text,
        policy_id=(root.get("PolicyId") or "").strip() or None,
        tenant_id=(root.get("TenantId") or "").strip() or None,
        base_policy=BasePolicy(_child_text(base, "PolicyId"), _child_text(base, "TenantId"))
        if base is not None
        else None,
        keysets=_storage_reference_ids(root),
        public_policy_uri=root.get("PublicPolicyUri"),
        root=root,
    )


def read_deployed(text):
    """The service's copy as a document, or None when there is none or it cannot be read as XML."""
    if text is None:
        return None
    try:
        return read_document(policy_text(text), "the deployed policy")
    except MissingXmlLibrary:
        raise
    except ValidationError:
        return None


def parse_policy(text, where="content"):
    """The policy to upload: every refusal of the policy on its own, before any request."""
    text = policy_text(text)
    size = len(text.encode("utf-8"))
    if size > MAX_POLICY_BYTES:
        raise _too_large(size, where)
    declared = _DECLARED_ENCODING.match(text.lstrip())
    if declared and declared.group(1).strip().lower() != "utf-8":
        raise ValidationError(
            '%s: line 1: the XML declaration says encoding="%s", but policies are uploaded as UTF-8: '
            'save the file as UTF-8 and declare encoding="utf-8"' % (where, declared.group(1))
        )
    document = read_document(text, where)
    if document.root.tag != ROOT_TAG:
        raise ValidationError(
            "%s: the root element is <%s>, not a TrustFrameworkPolicy in the namespace %s"
            % (where, _local_name(document.root.tag), NAMESPACE)
        )
    if not document.policy_id:
        raise ValidationError("%s: the TrustFrameworkPolicy element has no PolicyId attribute" % where)
    _require_prefix(document.policy_id, "TrustFrameworkPolicy/@PolicyId", where)
    if document.base_policy is not None:
        if not document.base_policy.policy_id:
            raise ValidationError("%s: BasePolicy has no PolicyId element" % where)
        # A custom policy cannot inherit from a user flow (B2C_1_...): azure-ad-b2c/samples #414.
        _require_prefix(document.base_policy.policy_id, "BasePolicy/PolicyId", where)
    return document


def _local_name(tag):
    return tag.rsplit("}", 1)[-1]


def _require_prefix(policy_id, element, where):
    # The service refuses other ids: "cannot match the policy id to a prefix" (azure-docs #5303).
    if policy_id[: len(PREFIX)].upper() != PREFIX or not strip_prefix(policy_id):
        raise ValidationError(
            "%s: %s is %r: custom policy ids start with %s (e.g. %sTrustFrameworkBase)"
            % (where, element, policy_id, PREFIX, PREFIX)
        )


# ---------------------------------------------------------------------------
# Comparison
# ---------------------------------------------------------------------------


def canonical_form(root, ignore_attributes=()):
    """C14N 2.0 of ``root`` without whitespace between elements, comments, ``ignore_attributes`` of the root.

    Attribute order, namespace prefixes, the declaration and indentation do not
    count; text content does, including the whitespace of an element without
    children (the service treats whitespace there as content: samples #618).
    """
    tree = copy.deepcopy(root)
    for name in ignore_attributes:
        tree.attrib.pop(name, None)
    for element in tree.iter():
        if len(element) and element.text is not None and not element.text.strip():
            element.text = None
        if element.tail is not None and not element.tail.strip():
            element.tail = None
    # The second parse reads our own serialization of the tree, which holds no DTD.
    return ET.canonicalize(ET.tostring(tree, encoding="unicode"), rewrite_prefixes=True)


def same_policy(desired, deployed):
    """True when the deployed document is the desired one, as XML (service-set attributes aside)."""
    ignore = tuple(name for name in SERVICE_DEFAULTED_ATTRIBUTES if desired.root.get(name) is None)
    return desired.canonical() == deployed.canonical(ignore)
