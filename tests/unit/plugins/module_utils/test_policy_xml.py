"""Policy XML: the hardened parse, every local refusal, the facts, the comparison form, the upload bytes."""

from __future__ import annotations

import builtins
import sys

import pytest

from ansible_collections.b2c.trustframework.plugins.module_utils import policy_xml as px
from ansible_collections.b2c.trustframework.plugins.module_utils.errors import ValidationError
from ansible_collections.b2c.trustframework.plugins.module_utils.policy_tenant import check_for_tenant
from tests.support.policies import TENANT, policy, reformatted

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<TrustFrameworkPolicy xmlns="http://schemas.microsoft.com/online/cpim/schemas/2013/06" PolicyId="B2C_1A_X">&lol9;</TrustFrameworkPolicy>
"""
EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE TrustFrameworkPolicy [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<TrustFrameworkPolicy xmlns="http://schemas.microsoft.com/online/cpim/schemas/2013/06" PolicyId="B2C_1A_X">&xxe;</TrustFrameworkPolicy>
"""


def refusal(text, where="content", tenant=TENANT):
    with pytest.raises(ValidationError) as err:
        check_for_tenant(px.parse_policy(text, where), tenant, where)
    return str(err.value)


# ----------------------------------------------------------------------------- hardened parse
@pytest.mark.parametrize("text", [BILLION_LAUGHS, EXTERNAL_ENTITY], ids=["billion-laughs", "external-entity"])
def test_a_dtd_is_refused_before_any_entity_is_expanded_or_read(text):
    message = refusal(text)
    assert "line 2" in message and "DTD" in message and "DTDForbidden" in message
    assert "lollol" not in message and "root:" not in message


def test_an_entity_declared_in_the_internal_subset_never_reaches_the_tree(monkeypatch):
    # Even if the DTD rule were lifted, defusedxml refuses the entities themselves.
    defused, refused = px._defused()
    with pytest.raises(refused):
        defused.fromstring(BILLION_LAUGHS, forbid_dtd=False)


def test_not_well_formed_names_line_and_column():
    text = policy().replace("</BasePolicy>", "</Base>")
    message = refusal(text, where="src=/p/ext.xml")
    assert message.startswith("src=/p/ext.xml: line 10, column 5: not well-formed XML (mismatched tag)")


def test_not_a_trust_framework_policy():
    assert "root element is <Policy>" in refusal('<Policy PolicyId="B2C_1A_X"/>')
    other_namespace = policy().replace("cpim/schemas/2013/06", "cpim/schemas/2099/01")
    assert (
        "not a TrustFrameworkPolicy in the namespace http://schemas.microsoft.com/online/cpim/schemas/2013/06"
        in refusal(other_namespace)
    )


def test_policy_id_must_carry_the_prefix_and_base_too():
    assert "TrustFrameworkPolicy/@PolicyId is 'SignUp'" in refusal(policy(policy_id="SignUp"))
    assert "BasePolicy/PolicyId is 'B2C_1_susi'" in refusal(policy(base="B2C_1_susi"))
    assert "no PolicyId attribute" in refusal(policy().replace(' PolicyId="B2C_1A_TrustFrameworkExtensions"', ""))
    assert px.parse_policy(policy(policy_id="b2c_1a_lower")).policy_id == "b2c_1a_lower"


def test_size_limit_is_the_utf8_byte_count():
    filler = "<!--%s-->" % ("x" * (px.MAX_POLICY_BYTES - len(policy().encode("utf-8")) - 7))
    at_limit = policy(body=filler)
    assert len(at_limit.encode("utf-8")) == px.MAX_POLICY_BYTES
    px.parse_policy(at_limit)
    # As many characters, but one of them two bytes long in UTF-8: over the limit.
    over = policy(body=filler.replace("x", "é", 1))
    assert len(over) == px.MAX_POLICY_BYTES < len(over.encode("utf-8"))
    assert "over the service's limit of 1024 KB" in refusal(over)


def test_a_1025_kb_file_is_refused_without_reading_it_whole(tmp_path, monkeypatch):
    path = tmp_path / "big.xml"
    path.write_bytes(policy(body="<!--%s-->" % ("x" * 1025 * 1024)).encode("utf-8"))
    reads = []
    real_open = builtins.open

    def recording_open(*args, **kwargs):
        handle = real_open(*args, **kwargs)
        real_read = handle.read
        handle.read = lambda size=-1: reads.append(size) or real_read(size)
        return handle

    monkeypatch.setattr(builtins, "open", recording_open)
    with pytest.raises(ValidationError) as err:
        px.read_policy_file(str(path))
    assert "src=%s is more than 1048576 bytes" % path in str(err.value)
    assert reads == [len(px.UTF8_BOM) + px.MAX_POLICY_BYTES + 1]


def test_file_encoding_bom_and_declaration(tmp_path):
    text = policy(display_name="Connexion – été ✓")
    bom = tmp_path / "bom.xml"
    bom.write_bytes(px.UTF8_BOM + text.encode("utf-8"))
    assert px.read_policy_file(str(bom)) == text
    utf16 = tmp_path / "utf16.xml"
    utf16.write_bytes(text.encode("utf-16"))
    with pytest.raises(ValidationError, match="saved as UTF-16: save it as UTF-8"):
        px.read_policy_file(str(utf16))
    latin1 = tmp_path / "latin1.xml"
    latin1.write_bytes(policy(display_name="\u00e9t\u00e9").encode("latin-1", "replace"))
    with pytest.raises(ValidationError, match=r"is not UTF-8 \(line 13 "):
        px.read_policy_file(str(latin1))
    with pytest.raises(ValidationError, match="cannot be read"):
        px.read_policy_file(str(tmp_path / "missing.xml"))
    declared = policy().replace('encoding="utf-8"', 'encoding="ISO-8859-1"')
    assert 'line 1: the XML declaration says encoding="ISO-8859-1"' in refusal(declared)


def test_non_ascii_text_is_uploaded_as_given_in_utf8_without_bom():
    text = policy(display_name="Anmeldung – Größe 日本語 ✓")
    assert px.upload_body("\ufeff" + text) == text.encode("utf-8")
    document = px.parse_policy("\ufeff" + text)
    assert document.text == text
    assert "Größe 日本語" in document.canonical()


# ----------------------------------------------------------------------------- facts
def test_facts():
    keysets = (
        "B2C_1A_TokenSigningKeyContainer",
        "B2C_1A_TokenEncryptionKeyContainer",
        "b2c_1a_tokensigningkeycontainer",
    )
    document = px.parse_policy(policy(keysets=keysets))
    assert document.policy_id == "B2C_1A_TrustFrameworkExtensions"
    assert document.tenant_id == TENANT
    assert document.base_policy == px.BasePolicy("B2C_1A_TrustFrameworkBase", TENANT)
    assert document.keysets == ("B2C_1A_TokenSigningKeyContainer", "B2C_1A_TokenEncryptionKeyContainer")
    assert document.public_policy_uri == "http://%s/B2C_1A_TrustFrameworkExtensions" % TENANT
    base = px.parse_policy(policy(policy_id="B2C_1A_TrustFrameworkBase", base=None, keysets=()))
    assert base.base_policy is None and base.keysets == ()


# ----------------------------------------------------------------------------- comparison
def compare(desired_text, deployed_text):
    return px.same_policy(px.parse_policy(desired_text), px.read_deployed(deployed_text))


def test_a_reformatted_copy_is_the_same_policy():
    text = policy()
    assert reformatted(text) != text
    assert compare(text, reformatted(text))
    assert px.parse_policy(text).sha256 == px.read_deployed(reformatted(text)).sha256


def test_one_changed_attribute_is_a_change():
    assert not compare(policy(), reformatted(policy().replace('Id="JwtIssuer"', 'Id="JwtIssuer2"')))
    assert not compare(policy(), policy().replace('PolicySchemaVersion="0.3.0.0"', 'PolicySchemaVersion="0.3.0.1"'))


def test_text_content_counts_but_indentation_and_comments_do_not():
    assert not compare(policy(), policy(display_name="Sign in "))
    assert not compare(policy(), policy(display_name="Sign  in"))
    assert not compare(policy(), policy().replace("<InputClaims />", "<InputClaims> </InputClaims>"))
    assert compare(policy(), policy().replace("<!-- the extension of the starter pack -->", "<!-- other -->"))
    assert compare(policy(), policy(declaration=False).replace("\n  <", "\n<"))


def test_attributes_the_service_sets_do_not_count():
    deployed = policy().replace('PolicyId="', 'TenantObjectId="7c9d5e64-0f8a-4f39-9a83-2f4e0d6e1b11" PolicyId="')
    assert compare(policy(), deployed)
    without_uri = policy().replace(' PublicPolicyUri="http://%s/B2C_1A_TrustFrameworkExtensions"' % TENANT, "")
    assert compare(without_uri, policy())  # the service added it
    assert not compare(policy(), without_uri)  # the desired policy sets it: it counts


def test_deployed_text_that_is_not_xml_reads_as_none():
    assert px.read_deployed(None) is None
    assert px.read_deployed("<TrustFrameworkPolicy") is None
    assert px.read_deployed(BILLION_LAUGHS) is None


def test_defusedxml_missing_is_reported_for_missing_required_lib(monkeypatch):
    assert px.xml_library_missing() is None
    monkeypatch.setitem(sys.modules, "defusedxml", None)
    assert "ImportError" in px.xml_library_missing() or "ModuleNotFoundError" in px.xml_library_missing()
    with pytest.raises(px.MissingXmlLibrary) as err:
        px.parse_policy(policy())
    assert err.value.library == "defusedxml"
