"""trustFramework/policies: the endpoints, upload validation and the reformatted-output switch."""

from __future__ import annotations

import hashlib
import json
import os
from xml.etree.ElementTree import canonicalize

import pytest

from tests.emulator.pytest_plugin import EmulatorProcess
from tests.emulator.tests.helpers import b2c_refusal, graph_error_code
from tests.support.graph import emulator_client

NAMESPACE = "http://schemas.microsoft.com/online/cpim/schemas/2013/06"
XML = {"Content-Type": "application/xml; charset=utf-8"}


def policy_xml(
    policy_id: str,
    tenant: str = "emulator.onmicrosoft.com",
    base: str | None = None,
    base_tenant: str | None = None,
    keysets=(),
    declaration: bool = True,
    extra: str = "",
) -> str:
    """A small TrustFrameworkPolicy as the starter pack writes them (declaration, 2-space indentation)."""
    base_xml = (
        ""
        if base is None
        else (
            f"  <BasePolicy>\n    <TenantId>{base_tenant or tenant}</TenantId>\n    <PolicyId>{base}</PolicyId>\n  </BasePolicy>\n"
        )
    )
    keys = "".join(
        f'            <Key Id="k{index}" StorageReferenceId="{keyset}" />\n' for index, keyset in enumerate(keysets)
    )
    profiles = (
        ""
        if not keys
        else (
            '  <ClaimsProviders>\n    <ClaimsProvider>\n      <TechnicalProfiles>\n        <TechnicalProfile Id="JwtIssuer">\n'
            f"          <CryptographicKeys>\n{keys}          </CryptographicKeys>\n"
            "        </TechnicalProfile>\n      </TechnicalProfiles>\n    </ClaimsProvider>\n  </ClaimsProviders>\n"
        )
    )
    head = '<?xml version="1.0" encoding="utf-8"?>\n' if declaration else ""
    return (
        f'{head}<TrustFrameworkPolicy xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        f'xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns="{NAMESPACE}" PolicySchemaVersion="0.3.0.0" '
        f'TenantId="{tenant}" PolicyId="{policy_id}" '
        f'PublicPolicyUri="http://{tenant}/{policy_id}">\n{base_xml}{profiles}{extra}</TrustFrameworkPolicy>\n'
    )


def upload(graph, policy_id: str, text: str | bytes, headers=None):
    body = text.encode("utf-8") if isinstance(text, str) else text
    return graph.put(f"/policies/{policy_id}/$value", content=body, headers=headers or XML)


def uploaded(graph, policy_id: str, **kwargs) -> str:
    text = policy_xml(policy_id, **kwargs)
    response = upload(graph, policy_id, text)
    assert response.status_code in (200, 201), response.text
    return text


def validation_message(response) -> str:
    assert b2c_refusal(response) == "AADB2C"
    return response.json()["error"]["message"]


def canonical(text: str) -> str:
    return canonicalize(text, strip_text=True)


def usable_keyset(graph, name: str) -> str:
    keyset = graph.post("/keySets", json={"id": name}).json()["id"]
    assert graph.post(f"/keySets/{keyset}/generateKey", json={"use": "sig", "kty": "oct"}).status_code == 200
    return keyset


@pytest.fixture
def keyset(graph):
    return usable_keyset(graph, "TokenSigningKeyContainer")


# -- endpoints ------------------------------------------------------------------------------------------


def test_put_creates_201_then_replaces_200_and_get_returns_the_uploaded_bytes(graph):
    first = policy_xml("B2C_1A_Base")
    assert upload(graph, "B2C_1A_Base", first).status_code == 201
    second = policy_xml("B2C_1A_Base", extra="  <!-- v2 -->\n")
    assert upload(graph, "B2C_1A_Base", second).status_code == 200
    response = graph.get("/policies/B2C_1A_Base/$value")
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/xml")
    assert response.content == second.encode("utf-8")


def test_list_gives_ids_only_and_pages_with_top(graph, emulator_clean):
    for index in range(5):
        uploaded(graph, f"B2C_1A_P{index}")
    seen, url, pages = [], "/policies?$top=2", 0
    while url:
        body = graph.get(url).json()
        assert all(set(item) == {"id"} for item in body["value"])
        seen += [item["id"] for item in body["value"]]
        url = body.get("@odata.nextLink")
        assert url is None or url.startswith(f"{emulator_clean.url}/beta/trustFramework/policies?")
        pages += 1
    assert pages == 3 and seen == [f"B2C_1A_P{index}" for index in range(5)]
    assert graph.get("/policies?$top=0").status_code == 400


def test_ids_compare_case_insensitively_and_keep_the_stored_form(graph):
    uploaded(graph, "B2C_1A_Base")
    assert upload(graph, "b2c_1a_base", policy_xml("B2C_1A_BASE")).status_code == 200
    assert [item["id"] for item in graph.get("/policies").json()["value"]] == ["B2C_1A_Base"]
    assert graph.get("/policies/B2C_1A_BASE/$value").status_code == 200
    assert graph.get("/policies('B2C_1A_Base')/$value").status_code == 200  # the OData key form


def test_post_creates_201_with_location_and_refuses_an_existing_id(graph):
    text = policy_xml("B2C_1A_Posted")
    response = graph.post("/policies", content=text.encode(), headers=XML)
    assert response.status_code == 201 and response.headers["Location"] == "/trustFramework/policies('B2C_1A_Posted')"
    again = graph.post("/policies", content=text.encode(), headers=XML)
    assert "already has a policy with id 'B2C_1A_Posted'" in validation_message(again)


def test_delete_is_204_and_a_missing_policy_is_400_aadb2c90073(graph, emulator_clean):
    uploaded(graph, "B2C_1A_Gone")
    assert graph.delete("/policies/B2C_1A_Gone").status_code == 204
    for method, suffix in (("GET", "/$value"), ("GET", ""), ("DELETE", "")):
        response = graph.request(method, f"/policies/B2C_1A_Gone{suffix}")
        assert b2c_refusal(response) == "AADB2C90073"
        assert response.json()["error"]["message"] == (
            f"Policy with 'policyId': B2C_1A_Gone cannot be found in the directory '{emulator_clean.tenant_guid}'."
        )


def test_put_without_value_is_aadb2c99009(graph):
    response = graph.put("/policies/B2C_1A_X", content=policy_xml("B2C_1A_X").encode(), headers=XML)
    assert b2c_refusal(response) == "AADB2C99009"
    assert "append '$value'" in response.json()["error"]["message"]


def test_policies_need_the_policy_permissions(emulator_clean):
    keyset_only = emulator_clean.mint_token(roles=["TrustFrameworkKeySet.ReadWrite.All"])
    reader = emulator_clean.mint_token(read_only=True)
    with emulator_client(emulator_clean, token=None) as client:
        assert client.get("/policies", headers={"Authorization": f"Bearer {keyset_only}"}).status_code == 403
        assert client.get("/policies", headers={"Authorization": f"Bearer {reader}"}).status_code == 200
        denied = client.put(
            "/policies/B2C_1A_X/$value",
            content=policy_xml("B2C_1A_X").encode(),
            headers={**XML, "Authorization": f"Bearer {reader}"},
        )
        assert denied.status_code == 403 and graph_error_code(denied) == "Authorization_RequestDenied"


def test_policies_survive_a_restart(tmp_path):
    with EmulatorProcess(state_dir=str(tmp_path / "state")) as emu:
        headers = {"Authorization": f"Bearer {emu.mint_token()}", **XML}
        text = policy_xml("B2C_1A_Kept")
        with emulator_client(emu, token=None) as client:
            assert client.put("/policies/B2C_1A_Kept/$value", content=text.encode(), headers=headers).status_code == 201
        emu.restart()
        headers = {"Authorization": f"Bearer {emu.mint_token()}"}
        with emulator_client(emu, token=None) as client:
            assert client.get("/policies/B2C_1A_Kept/$value", headers=headers).text == text
        with open(os.path.join(emu.state_dir, "state.json"), encoding="utf-8") as handle:
            assert json.load(handle)["policies"][0]["id"] == "B2C_1A_Kept"


# -- bodies and encodings -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body", [json.dumps({"trustFrameworkPolicy": "<TrustFrameworkPolicy/>"}), "not xml at all", ""]
)
def test_a_json_or_non_xml_body_is_refused(graph, body):
    response = upload(graph, "B2C_1A_X", body)
    assert validation_message(response).startswith("The policy being uploaded is not XML or is not correctly formatted")


def test_a_dtd_is_refused_like_malformed_xml(graph):
    laughs = '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><lolz>&lol2;</lolz>'
    assert "not XML or is not correctly formatted" in validation_message(upload(graph, "B2C_1A_X", laughs))


def test_non_ascii_text_round_trips_as_utf8(graph):
    text = policy_xml("B2C_1A_Intl", extra="  <!-- Zürich, 東京, naïve -->\n")
    assert upload(graph, "B2C_1A_Intl", text).status_code == 201
    assert graph.get("/policies/B2C_1A_Intl/$value").content == text.encode("utf-8")


def test_a_body_in_another_encoding_is_stored_with_replacement_characters(graph):
    text = policy_xml("B2C_1A_Latin", extra="  <!-- Zürich -->\n").replace('encoding="utf-8"', 'encoding="ISO-8859-1"')
    assert (
        upload(graph, "B2C_1A_Latin", text.encode("latin-1"), headers={"Content-Type": "application/xml"}).status_code
        == 201
    )
    stored = graph.get("/policies/B2C_1A_Latin/$value").content.decode("utf-8")
    assert "Z\ufffdrich" in stored and "Zürich" not in stored


# -- upload validation -------------------------------------------------------------------------------------


def test_not_a_trust_framework_policy(graph):
    message = validation_message(upload(graph, "B2C_1A_X", '<Policy PolicyId="B2C_1A_X"/>'))
    assert message.startswith(
        'Validation failed: 1 validation error(s) found in policy "B2C_1A_X" of tenant '
        '"emulator.onmicrosoft.com".The root element'
    )


def test_policy_id_without_the_prefix(graph):
    message = validation_message(upload(graph, "MyPolicy", policy_xml("MyPolicy")))
    assert "basic policy constraint handler 'B2CBasicPoliciesOnly' cannot match the policy id to a prefix" in message


def test_url_id_must_name_the_xml_policy_id(graph):
    message = validation_message(upload(graph, "B2C_1A_Other", policy_xml("B2C_1A_Mine")))
    assert "does not match the id 'B2C_1A_Other'" in message
    assert upload(graph, "b2c_1a_mine", policy_xml("B2C_1A_Mine")).status_code == 201


@pytest.mark.parametrize("where", ["policy", "base"])
def test_tenant_id_of_another_tenant_is_aadb2c95044(graph, where):
    uploaded(graph, "B2C_1A_Base")
    text = policy_xml(
        "B2C_1A_Child",
        base="B2C_1A_Base",
        **({"tenant": "yourtenant.onmicrosoft.com"} if where == "policy" else {"base_tenant": "other.onmicrosoft.com"}),
    )
    assert b2c_refusal(upload(graph, "B2C_1A_Child", text)) == "AADB2C95044"


def test_the_tenant_guid_is_the_tenant_too(graph, emulator_clean):
    assert upload(graph, "B2C_1A_Guid", policy_xml("B2C_1A_Guid", tenant=emulator_clean.tenant_guid)).status_code == 201


def test_a_settings_placeholder_for_the_tenant(graph):
    response = upload(graph, "B2C_1A_X", policy_xml("B2C_1A_X", tenant="{Settings:Tenant}"))
    assert validation_message(response) == "settings:tenant is neither a valid DNS name, nor a valid external domain."


def test_a_base_policy_not_in_the_tenant(graph, emulator_clean):
    message = validation_message(upload(graph, "B2C_1A_Child", policy_xml("B2C_1A_Child", base="B2C_1A_Nowhere")))
    assert message.endswith(
        f"Policy with 'policyId': B2C_1A_Nowhere cannot be found in the directory '{emulator_clean.tenant_guid}'."
    )


def test_a_missing_keyset_in_the_policy_or_an_ancestor(graph, keyset):
    doomed = usable_keyset(graph, "MissingInBase")
    uploaded(graph, "B2C_1A_Base", keysets=[keyset, doomed])
    assert graph.delete(f"/keySets/{doomed}").status_code == 204  # not known to be refused while a policy uses it
    response = upload(graph, "B2C_1A_Child", policy_xml("B2C_1A_Child", base="B2C_1A_Base", keysets=["B2C_1A_Missing"]))
    header = (
        'Validation failed: 2 validation error(s) found in policy "B2C_1A_CHILD" of tenant "emulator.onmicrosoft.com".'
    )
    missing = 'Tenant "emulator.onmicrosoft.com" does not have CryptographicKey referenced by storageReferenceId "{}".'
    assert validation_message(response) == header + missing.format("B2C_1A_Missing") + missing.format(
        "B2C_1A_MissingInBase"
    )


def test_a_keyset_without_a_usable_key_is_refused(graph, emulator_clean):
    empty = graph.post("/keySets", json={"id": "Empty"}).json()["id"]
    disabled = usable_keyset(graph, "Disabled")
    kid = graph.get(f"/keySets/{disabled}").json()["keys"][0]["kid"]
    assert graph.patch(f"/keySets/{disabled}/keys_v2/{kid}", json={"status": "disabled"}).status_code == 204
    message = validation_message(upload(graph, "B2C_1A_K", policy_xml("B2C_1A_K", keysets=[empty, disabled])))
    assert message.startswith("Validation failed: 2 validation error(s)")
    for keyset in (empty, disabled):
        assert (
            f"The key container with ID '{keyset}' in tenant '{emulator_clean.tenant}' does not have a valid key."
            in message
        )


def test_a_keyset_hidden_by_replication_lag_is_missing(graph, emulator_clean):
    emulator_clean.add_fault(method="POST", path="keySets$", replication_lag_ms=10 * 60 * 1000)
    fresh = graph.post(
        "/keySets", json={"id": "Fresh", "keys": [{"kty": "oct", "use": "sig", "k": "c2VjcmV0"}]}
    ).json()["id"]
    message = validation_message(upload(graph, "B2C_1A_K", policy_xml("B2C_1A_K", keysets=[fresh])))
    assert f'does not have CryptographicKey referenced by storageReferenceId "{fresh}"' in message


def test_a_policy_needs_a_tenant_id(graph):
    text = policy_xml("B2C_1A_NoTenant").replace('TenantId="emulator.onmicrosoft.com" ', "")
    assert "has no TenantId attribute" in validation_message(upload(graph, "B2C_1A_NoTenant", text))


def test_keyset_references_compare_case_insensitively(graph, keyset):
    assert upload(graph, "B2C_1A_K", policy_xml("B2C_1A_K", keysets=[keyset.upper()])).status_code == 201


def test_over_1024_kb(graph):
    padding = "  <!-- " + "x" * (1024 * 1024) + " -->\n"
    message = validation_message(upload(graph, "B2C_1A_Big", policy_xml("B2C_1A_Big", extra=padding)))
    assert "over the limit of 1048576 bytes" in message


def test_over_200_policies(graph, emulator_clean):
    for index in range(200):
        uploaded(graph, f"B2C_1A_P{index:03}")
    assert "already has 200 policies" in validation_message(
        upload(graph, "B2C_1A_One_More", policy_xml("B2C_1A_One_More"))
    )
    assert upload(graph, "B2C_1A_P000", policy_xml("B2C_1A_P000")).status_code == 200  # replacing still works


def test_inheritance_deeper_than_10(graph):
    uploaded(graph, "B2C_1A_L1")
    for level in range(2, 11):
        uploaded(graph, f"B2C_1A_L{level}", base=f"B2C_1A_L{level - 1}")
    message = validation_message(upload(graph, "B2C_1A_L11", policy_xml("B2C_1A_L11", base="B2C_1A_L10")))
    assert "inheritance depth over 10" in message


def test_validation_errors_are_concatenated_without_separator(graph):
    response = upload(graph, "B2C_1A_Wrong", policy_xml("NoPrefix", keysets=["B2C_1A_Absent"]))
    message = validation_message(response)
    assert message.startswith('Validation failed: 2 validation error(s) found in policy "NOPREFIX"')
    assert "prefix.The policy id 'NoPrefix' in the document does not match" in message


# -- the reformatted output switch ------------------------------------------------------------------------


def test_reformat_switch_serves_the_same_canonical_xml_in_other_bytes(graph, emulator_clean, keyset):
    text = policy_xml(
        "B2C_1A_Fmt", keysets=[keyset], extra="  <!-- Zürich -->\n  <Note><![CDATA[keep  <this>]]></Note>\n"
    )
    assert upload(graph, "B2C_1A_Fmt", text).status_code == 201
    emulator_clean.set_policy_format(True)
    assert emulator_clean.policy_format() is True
    served = graph.get("/policies/B2C_1A_Fmt/$value").content.decode("utf-8")
    assert not served.startswith("<?xml") and "\n\t<ClaimsProviders>" in served
    assert served.index("PolicyId=") < served.index("TenantId=")  # attributes in another order
    assert "<Note><![CDATA[keep  <this>]]></Note>" in served  # text content is data: never reindented
    assert served != text and canonical(served) == canonical(text)
    emulator_clean.set_policy_format(False)
    assert graph.get("/policies/B2C_1A_Fmt/$value").content == text.encode("utf-8")


def test_reset_puts_the_format_back_and_the_option_sets_it_from_the_start(tmp_path):
    with EmulatorProcess(state_dir=str(tmp_path / "state"), extra_args=["--reformat-policies"]) as emu:
        assert emu.info()["reformat_policies"] is True
        emu.set_policy_format(False)
        emu.reset()
        assert emu.policy_format() is True


# -- the request log ---------------------------------------------------------------------------------------


def test_the_request_log_holds_the_size_and_hash_of_a_policy_never_its_text(graph, emulator_clean):
    text = policy_xml("B2C_1A_Logged", extra="  <!-- MARKER-IN-THE-POLICY -->\n")
    upload(graph, "B2C_1A_Logged", text)
    graph.get("/policies/B2C_1A_Logged/$value")
    graph.post("/keySets", json={"id": "NotHashed"})
    entries = emulator_clean.requests(kind="graph")
    assert "MARKER-IN-THE-POLICY" not in json.dumps(entries)
    body = text.encode("utf-8")
    assert entries[0]["body"] == {"size": len(body), "sha256": hashlib.sha256(body).hexdigest()}
    assert entries[1]["body"] is None and entries[2]["body"] is None  # no body; keyset bodies are never hashed


# -- transient faults on policies ---------------------------------------------------------------------------


@pytest.mark.parametrize("status", [429, 503])
def test_put_can_be_throttled_with_retry_after(graph, emulator_clean, status):
    emulator_clean.add_fault(method="PUT", path=r"/policies/[^/]+/\$value$", status=status, retry_after="1")
    response = upload(graph, "B2C_1A_T", policy_xml("B2C_1A_T"))
    assert response.status_code == status and response.headers["Retry-After"] == "1"
    assert upload(graph, "B2C_1A_T", policy_xml("B2C_1A_T")).status_code == 201


@pytest.mark.parametrize(
    "code, message", [("AADB2C", "Object reference not set to an instance of an object."), ("UnknownError", "")]
)
def test_transient_failures_with_the_service_words(graph, emulator_clean, code, message):
    emulator_clean.add_fault(method="PUT", path=r"\$value$", status=400, code=code, message=message)
    response = upload(graph, "B2C_1A_T", policy_xml("B2C_1A_T"))
    assert response.status_code == 400 and graph_error_code(response) == code
    assert response.json()["error"]["message"] == message
    assert upload(graph, "B2C_1A_T", policy_xml("B2C_1A_T")).status_code == 201


@pytest.mark.parametrize("body", [{"reformat": "yes"}, {}, {"reformat": True, "other": 1}])
def test_the_format_switch_refuses_anything_but_a_boolean(emulator_clean, body):
    with emulator_client(emulator_clean, root="", token=None) as client:
        assert client.post("/_emulator/policy_format", json=body).status_code == 400
