"""Microsoft's Graph beta SDK for Python (msgraph-beta-sdk, built on kiota) drives the emulator.

The modules speak plain HTTP, and so do the emulator's other tests: both could drift together from what the
service sends. The SDK is generated from the service's own metadata, so here it builds the URLs (`getActiveKey()`,
the OData function form), sends the bodies, parses the answers into its models and raises its ODataError on the
error answers. A test-only dependency (requirements-dev.txt, so `make test` runs this); skipped where it is not
installed, as in the floor and matrix environments.
"""

import asyncio
import json
import time

import httpx
import pytest

from tests.support.policies import policy

pytest.importorskip("msgraph_beta", reason="msgraph-beta-sdk is not installed (pip install -r requirements-dev.txt)")

# pylint: disable=wrong-import-position,wrong-import-order
from azure.core.credentials import AccessToken  # noqa: E402
from kiota_authentication_azure.azure_identity_authentication_provider import AzureIdentityAuthenticationProvider  # noqa: E402
from msgraph_beta import GraphRequestAdapter, GraphServiceClient  # noqa: E402
from msgraph_beta.generated.models.o_data_errors.o_data_error import ODataError  # noqa: E402
from msgraph_beta.generated.models.trust_framework_key_set import TrustFrameworkKeySet  # noqa: E402
from msgraph_beta.generated.models.trust_framework_policy import TrustFrameworkPolicy  # noqa: E402
from msgraph_beta.generated.trust_framework.key_sets.item.generate_key.generate_key_post_request_body import (  # noqa: E402
    GenerateKeyPostRequestBody,
)
from msgraph_core import APIVersion, GraphClientFactory  # noqa: E402

# The SDK warns about its own deprecated configuration classes as it imports them.
pytestmark = [
    pytest.mark.filterwarnings("ignore::DeprecationWarning:msgraph_beta"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning:kiota_abstractions"),
]


class StaticTokenCredential:
    """An azure-core async token credential (all the SDK calls is get_token) with one token the emulator minted."""

    def __init__(self, token):
        self._token = token

    async def get_token(self, *_scopes, **_options):
        return AccessToken(self._token, int(time.time()) + 3600)


def run_with_sdk(emulator, scenario):
    """Run ``scenario(client, sent)`` on one event loop; ``sent`` collects every httpx request the SDK made."""

    async def main():
        sent = []

        async def record(request):
            sent.append(request)

        async with httpx.AsyncClient(
            verify=emulator.ssl_context(), timeout=30, event_hooks={"request": [record]}
        ) as http:
            credential = StaticTokenCredential(emulator.mint_token())
            auth = AzureIdentityAuthenticationProvider(credential, allowed_hosts=["127.0.0.1"])
            adapter = GraphRequestAdapter(
                auth, GraphClientFactory.create_with_default_middleware(api_version=APIVersion.beta, client=http)
            )
            adapter.base_url = emulator.url + "/beta"  # no trailing slash: the SDK's URL templates add it
            return await scenario(GraphServiceClient(request_adapter=adapter), sent)

    return asyncio.run(main())


async def sdk_error(call):
    """The ODataError the SDK raises for an awaitable's error answer."""
    with pytest.raises(ODataError) as raised:
        await call
    return raised.value


def test_keyset_create_generate_list_get_and_active_key(emulator_clean):
    async def scenario(client, sent):
        # The SDK's keyset model has no `usage`; a caller adds it as additional data, as a Terraform provider
        # does (ahauter/terraform-provider-azure-b2c-ief), and real tenants still answer 201.
        created = await client.trust_framework.key_sets.post(
            TrustFrameworkKeySet(id="SdkKeys", additional_data={"usage": "sig"})
        )
        create_body = json.loads(sent[-1].content)
        keyset = client.trust_framework.key_sets.by_trust_framework_key_set_id(created.id)
        generated = await keyset.generate_key.post(GenerateKeyPostRequestBody(use="sig", kty="RSA"))
        listed = await client.trust_framework.key_sets.get()
        read = await keyset.get()
        active = await keyset.get_active_key.get()
        return created, create_body, generated, listed, read, active, sent[-1].url.path

    created, create_body, generated, listed, read, active, active_key_path = run_with_sdk(emulator_clean, scenario)
    assert create_body == {"id": "SdkKeys", "usage": "sig"}
    assert created.id == "B2C_1A_SdkKeys" and created.keys == []
    assert generated.kty == "RSA" and generated.use == "sig" and generated.kid and generated.n and generated.e
    assert generated.d is None and generated.nbf < generated.exp
    assert [item.id for item in listed.value] == ["B2C_1A_SdkKeys"] and listed.odata_next_link is None
    assert [key.kid for key in read.keys] == [generated.kid]
    assert active_key_path.endswith("/B2C_1A_SdkKeys/getActiveKey()")
    assert (active.kid, active.n, active.exp) == (generated.kid, generated.n, generated.exp)


def test_policy_upload_list_and_read_back(emulator_clean):
    text = policy("B2C_1A_SdkBase", tenant=emulator_clean.tenant, base=None, keysets=())

    async def scenario(client, sent):
        item = client.trust_framework.policies.by_trust_framework_policy_id("B2C_1A_SdkBase")
        await item.content.put(text.encode("utf-8"))  # the SDK sends it as application/octet-stream
        upload_type = sent[-1].headers["Content-Type"]
        return upload_type, await client.trust_framework.policies.get(), await item.get(), await item.content.get()

    upload_type, listed, read, content = run_with_sdk(emulator_clean, scenario)
    assert upload_type == "application/octet-stream"
    assert [item.id for item in listed.value] == ["B2C_1A_SdkBase"]
    assert read.id == "B2C_1A_SdkBase"
    assert content == text.encode("utf-8")


def test_a_missing_keyset_raises_the_b2c_code(emulator_clean):
    async def scenario(client, _sent):
        keyset = client.trust_framework.key_sets.by_trust_framework_key_set_id("B2C_1A_Missing")
        return await sdk_error(keyset.get()), await sdk_error(keyset.get_active_key.get())

    for error in run_with_sdk(emulator_clean, scenario):
        assert error.response_status_code == 400
        assert error.error.code == "AADB2C90073"
        assert "B2C_1A_Missing" in error.error.message


def test_an_unrouted_path_raises_bad_request_not_a_missing_resource(emulator_clean):
    async def scenario(client, _sent):
        misspelt = client.trust_framework.key_sets.with_url(emulator_clean.url + "/beta/trustFramework/keySet")
        return await sdk_error(misspelt.get())

    error = run_with_sdk(emulator_clean, scenario)
    assert error.response_status_code == 400
    assert error.error.code == "BadRequest"
    assert error.error.message == "Resource not found for the segment 'keySet'."


def test_an_unrouted_method_raises_unknown_error_with_the_back_end_message(emulator_clean):
    # PATCH of a policy, as msgraph-beta-sdk-dotnet #883 reports it: UnknownError wrapping the B2C back end's JSON.
    async def scenario(client, _sent):
        item = client.trust_framework.policies.by_trust_framework_policy_id("B2C_1A_SdkBase")
        return await sdk_error(item.patch(TrustFrameworkPolicy(id="B2C_1A_SdkBase")))

    error = run_with_sdk(emulator_clean, scenario)
    assert error.response_status_code == 400
    assert error.error.code == "UnknownError"
    assert "No HTTP resource was found" in json.loads(error.error.message)["message"]
