"""The sample policy set shipped in playbooks/files/policies: each file renders with Jinja and uploads to the
emulator, base first, once the starter-pack keysets hold a key."""

import os
import re
from xml.etree import ElementTree

import jinja2
import jinja2.meta
import pytest

from tests.integration.playbook_runner import REPO_ROOT
from tests.integration.reliability.support import KEYSETS_PATH, graph

pytestmark = pytest.mark.integration

SAMPLE_DIR = os.path.join(REPO_ROOT, "playbooks", "files", "policies")
POLICIES_PATH = "/beta/trustFramework/policies"
NAMESPACE = {"tfp": "http://schemas.microsoft.com/online/cpim/schemas/2013/06"}
# The host variables the sample is written for (documented in its README and in inventory/example.yml).
SAMPLE_VARIABLES = {"b2c_tenant_name", "b2c_ief_app_id", "b2c_proxy_ief_app_id"}
IEF_APP_ID = "6c1d2e3f-0000-4000-8000-0000000000e1"
PROXY_IEF_APP_ID = "6c1d2e3f-0000-4000-8000-0000000000f2"
LEFTOVER = re.compile(r"\{\{|\{%|\{Settings:|yourtenant\.onmicrosoft\.com", re.IGNORECASE)
STARTER_PACK_KEYSETS = {"TokenSigningKeyContainer": "sig", "TokenEncryptionKeyContainer": "enc"}


def sample_files():
    return sorted(name for name in os.listdir(SAMPLE_DIR) if name.endswith(".xml"))


def jinja_environment():
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(SAMPLE_DIR), undefined=jinja2.StrictUndefined, keep_trailing_newline=True
    )


def rendered_sample(tenant):
    """{PolicyId: (file, rendered text, BasePolicy id or None)} of every sample file."""
    environment = jinja_environment()
    values = {"b2c_tenant_name": tenant, "b2c_ief_app_id": IEF_APP_ID, "b2c_proxy_ief_app_id": PROXY_IEF_APP_ID}
    policies = {}
    for name in sample_files():
        text = environment.get_template(name).render(values)
        root = ElementTree.fromstring(text.encode("utf-8"))
        base = root.findtext("tfp:BasePolicy/tfp:PolicyId", namespaces=NAMESPACE)
        policies[root.get("PolicyId")] = (name, text, base)
    return policies


def upload_order(policies):
    """Policy ids, every base before the policies that inherit from it (depth first along BasePolicy)."""
    order = []

    def place(policy_id):
        base = policies[policy_id][2]
        if base is not None and base not in order:
            place(base)
        if policy_id not in order:
            order.append(policy_id)

    for policy_id in sorted(policies):
        place(policy_id)
    return order


def create_starter_pack_keysets(client):
    for name, use in STARTER_PACK_KEYSETS.items():
        keyset = client.post(KEYSETS_PATH, json={"id": name})
        assert keyset.status_code == 201, keyset.text
        key = client.post("%s/%s/generateKey" % (KEYSETS_PATH, keyset.json()["id"]), json={"use": use, "kty": "RSA"})
        assert key.status_code == 200, key.text


def put_policy(client, policy_id, text):
    return client.put(
        "%s/%s/$value" % (POLICIES_PATH, policy_id),
        content=text.encode("utf-8"),
        headers={"Content-Type": "application/xml; charset=utf-8"},
    )


def test_the_sample_is_a_chain_from_one_base_to_two_relying_parties():
    policies = rendered_sample("contoso.onmicrosoft.com")
    assert {policy_id: base for policy_id, (_name, _text, base) in policies.items()} == {
        "B2C_1A_SAMPLE_BASE": None,
        "B2C_1A_SAMPLE_EXTENSIONS": "B2C_1A_SAMPLE_BASE",
        "B2C_1A_SAMPLE_SIGNIN": "B2C_1A_SAMPLE_EXTENSIONS",
        "B2C_1A_SAMPLE_GREETING": "B2C_1A_SAMPLE_EXTENSIONS",
    }
    for name, text, _base in policies.values():
        assert not LEFTOVER.search(text), "%s still holds a placeholder after rendering" % name
    naming_the_apps = sorted(
        name for name, text, _base in policies.values() if IEF_APP_ID in text and PROXY_IEF_APP_ID in text
    )
    assert naming_the_apps == ["extensions.xml"]


def test_the_sample_uses_exactly_the_documented_host_variables():
    environment = jinja_environment()
    used = set()
    for name in sample_files():
        with open(os.path.join(SAMPLE_DIR, name), encoding="utf-8") as handle:
            used |= jinja2.meta.find_undeclared_variables(environment.parse(handle.read()))
    assert used == SAMPLE_VARIABLES
    with open(os.path.join(REPO_ROOT, "inventory", "example.yml"), encoding="utf-8") as handle:
        inventory = handle.read()
    assert all(variable in inventory for variable in SAMPLE_VARIABLES), "inventory/example.yml must show them"


def test_every_sample_policy_renders_and_uploads_in_base_policy_order(emulator_clean):
    policies = rendered_sample(emulator_clean.tenant)
    order = upload_order(policies)
    assert order[:2] == ["B2C_1A_SAMPLE_BASE", "B2C_1A_SAMPLE_EXTENSIONS"]
    with graph(emulator_clean) as client:
        create_starter_pack_keysets(client)
        for policy_id in order:
            response = put_policy(client, policy_id, policies[policy_id][1])
            assert response.status_code == 201, "%s: %s" % (policies[policy_id][0], response.text)
        listed = client.get(POLICIES_PATH).json()["value"]
        assert sorted(item["id"] for item in listed) == sorted(order)
        for policy_id in order:
            assert client.get("%s/%s/$value" % (POLICIES_PATH, policy_id)).text == policies[policy_id][1]


def test_the_sample_needs_the_starter_pack_keysets_and_its_base(emulator_clean):
    """What the upload order and the keys-first rule protect against: the service refuses both."""
    policies = rendered_sample(emulator_clean.tenant)
    with graph(emulator_clean) as client:
        without_keys = put_policy(client, "B2C_1A_SAMPLE_BASE", policies["B2C_1A_SAMPLE_BASE"][1])
        assert without_keys.status_code == 400
        for name in STARTER_PACK_KEYSETS:
            assert 'storageReferenceId "B2C_1A_%s"' % name in without_keys.json()["error"]["message"]
        create_starter_pack_keysets(client)
        before_its_base = put_policy(client, "B2C_1A_SAMPLE_EXTENSIONS", policies["B2C_1A_SAMPLE_EXTENSIONS"][1])
        assert before_its_base.status_code == 400
        assert "B2C_1A_SAMPLE_BASE cannot be found" in before_its_base.json()["error"]["message"]
