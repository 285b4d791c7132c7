"""playbooks/site.yml and deploy_policies.yml against the emulator: an empty tenant gets its keys and the sample
policies in one run, the next run changes nothing, a changed host variable re-uploads the policies that use it and
the ones that inherit from them, and a placeholder left in a template stops the run before any upload."""

import shutil

import pytest

from tests.integration.playbook_runner import REPO_ROOT, run_playbook
from tests.integration.reliability.support import graph
from tools.playbook_recap import recap_total

pytestmark = pytest.mark.integration

SITE = REPO_ROOT + "/playbooks/site.yml"
DEPLOY = REPO_ROOT + "/playbooks/deploy_policies.yml"
SAMPLE_DIR = REPO_ROOT + "/playbooks/files/policies"
APP_IDS = {
    "b2c_ief_app_id": "0f3e2d1c-0000-4000-8000-0000000000a1",
    "b2c_proxy_ief_app_id": "0f3e2d1c-0000-4000-8000-0000000000b2",
}
SAMPLE_POLICIES = ["B2C_1A_SAMPLE_BASE", "B2C_1A_SAMPLE_EXTENSIONS", "B2C_1A_SAMPLE_GREETING", "B2C_1A_SAMPLE_SIGNIN"]
WRITES = {"POST", "PUT", "PATCH", "DELETE"}


def site(emulator, tmp_path, *options, playbook=SITE, **variables):
    process = run_playbook(emulator, tmp_path, playbook, *options, extra_vars=dict(APP_IDS, **variables))
    return process, process.stdout + process.stderr


def writes(emulator):
    return [(entry["method"], entry["path"]) for entry in emulator.requests("graph") if entry["method"] in WRITES]


def policy_puts(emulator):
    """The ids of the policies uploaded since the log was cleared, in order."""
    return [path.split("/")[-2] for method, path in writes(emulator) if method == "PUT" and "/policies/" in path]


def deployed_policies(emulator):
    with graph(emulator) as client:
        return sorted(item["id"] for item in client.get("/beta/trustFramework/policies").json()["value"])


def test_site_on_an_empty_tenant_previews_then_provisions_keys_and_policies_and_converges(emulator_clean, tmp_path):
    preview, output = site(emulator_clean, tmp_path, "--check", "--diff")
    assert preview.returncode == 0, output[-6000:]
    assert writes(emulator_clean) == []
    assert "B2C_1A_SAMPLE_BASE: created (content)" in output

    first, output = site(emulator_clean, tmp_path)
    assert first.returncode == 0, output[-6000:]
    puts = policy_puts(emulator_clean)
    assert puts[:2] == ["B2C_1A_SAMPLE_BASE", "B2C_1A_SAMPLE_EXTENSIONS"] and sorted(puts) == SAMPLE_POLICIES
    assert deployed_policies(emulator_clean) == SAMPLE_POLICIES

    emulator_clean.clear_requests()
    second, output = site(emulator_clean, tmp_path)
    assert second.returncode == 0, output[-6000:]
    assert recap_total(output, "changed") == 0, output[-6000:]
    assert writes(emulator_clean) == []


def test_a_changed_app_id_uploads_the_extension_and_its_relying_parties_only(emulator_clean, tmp_path):
    first, output = site(emulator_clean, tmp_path)
    assert first.returncode == 0, output[-6000:]
    emulator_clean.clear_requests()

    changed = {"b2c_ief_app_id": "0f3e2d1c-0000-4000-8000-0000000000c3"}  # site() adds the other app id
    preview, output = site(emulator_clean, tmp_path, "--check", playbook=DEPLOY, **changed)
    assert preview.returncode == 0 and writes(emulator_clean) == [], output[-6000:]
    predicted = [
        "B2C_1A_SAMPLE_EXTENSIONS: updated (content)",
        "B2C_1A_SAMPLE_GREETING: updated (ancestor)",
        "B2C_1A_SAMPLE_SIGNIN: updated (ancestor)",
    ]
    assert all(line in output for line in predicted), output[-6000:]

    run, output = site(emulator_clean, tmp_path, playbook=DEPLOY, **changed)
    assert run.returncode == 0, output[-6000:]
    assert policy_puts(emulator_clean) == ["B2C_1A_SAMPLE_EXTENSIONS", "B2C_1A_SAMPLE_GREETING", "B2C_1A_SAMPLE_SIGNIN"]


@pytest.mark.parametrize(
    "leftover, shown",
    [
        ('TenantId="yourtenant.onmicrosoft.com"', "yourtenant.onmicrosoft.com"),
        (
            '<Item Key="client_id">{Settings:ProxyIdentityExperienceFrameworkAppId}</Item>',
            "{Settings:ProxyIdentityExperienceFrameworkAppId}",
        ),
        ("{% raw %}{{ b2c_ief_app_id }}{% endraw %}", "{{"),
    ],
)
def test_a_placeholder_left_after_rendering_fails_before_any_upload(emulator_clean, tmp_path, leftover, shown):
    policies = tmp_path / "policies"
    shutil.copytree(SAMPLE_DIR, policies)
    signin = policies / "signin.xml"
    signin.write_text(signin.read_text().replace("<RelyingParty>", "<!-- %s -->\n  <RelyingParty>" % leftover))
    process, output = site(emulator_clean, tmp_path, b2c_policy_dir=str(policies))
    assert process.returncode != 0
    assert "Placeholders left after rendering, nothing uploaded: %s (%s)" % (signin, shown) in output, output[-6000:]
    assert policy_puts(emulator_clean) == [] and deployed_policies(emulator_clean) == []


def test_a_tenant_given_by_guid_needs_b2c_tenant_name(emulator_clean, tmp_path):
    process, output = site(emulator_clean, tmp_path, playbook=DEPLOY, b2c_tenant_id=emulator_clean.tenant_guid)
    assert process.returncode != 0 and writes(emulator_clean) == []
    assert "set b2c_tenant_name for this host" in output, output[-6000:]
    named, output = site(
        emulator_clean, tmp_path, b2c_tenant_id=emulator_clean.tenant_guid, b2c_tenant_name=emulator_clean.tenant
    )
    assert named.returncode == 0, output[-6000:]
    assert deployed_policies(emulator_clean) == SAMPLE_POLICIES
