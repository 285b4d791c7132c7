"""The policy_keys role and the provision/rotate/report playbooks against the emulator."""

import json
import os
import time

import pytest

from tests.integration.playbook_runner import REPO_ROOT, playbook_environment, run_playbook
from tests.support.certs import pfx, self_signed, x5t
from tests.support.graph import emulator_client
from tests.support.policies import policy
from tools.playbook_recap import recap_counts, recap_total

PLAYBOOKS = os.path.join(REPO_ROOT, "playbooks")
STARTER_PACK = ["B2C_1A_TokenSigningKeyContainer", "B2C_1A_TokenEncryptionKeyContainer"]
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
DAY = 86400

pytestmark = pytest.mark.integration


def keysets(emulator):
    with emulator_client(emulator) as client:
        return {keyset["id"]: keyset["keys"] for keyset in client.get("/keySets").json()["value"]}


def seed_near_expiry_signing_key(emulator, days_left):
    now = int(time.time())
    with emulator_client(emulator) as client:
        client.post("/keySets", json={"id": "TokenSigningKeyContainer"}).raise_for_status()
        client.post(
            "/keySets/B2C_1A_TokenSigningKeyContainer/generateKey",
            json={"use": "sig", "kty": "RSA", "nbf": now - DAY, "exp": now + days_left * DAY},
        ).raise_for_status()


def writes(emulator):
    return [entry for entry in emulator.requests("graph") if entry["method"] in WRITE_METHODS]


def provision(emulator, tmp_path, *options):
    run = run_playbook(emulator, tmp_path, os.path.join(PLAYBOOKS, "provision.yml"), *options)
    assert run.returncode == 0, run.stdout[-8000:] + run.stderr[-4000:]
    return run.stdout


def test_provision_previews_applies_and_converges(emulator_clean, tmp_path):
    preview = provision(emulator_clean, tmp_path, "--check", "--diff")
    assert recap_total(preview, "changed") == 1  # the key task, which creates the containers too
    for name in STARTER_PACK:  # the key task's diff shows each container about to be created
        assert '+    "id": "%s"' % name in preview
    assert writes(emulator_clean) == [] and keysets(emulator_clean) == {}

    assert recap_total(provision(emulator_clean, tmp_path), "changed") == 1
    stored = keysets(emulator_clean)
    assert sorted(stored) == sorted(STARTER_PACK)
    assert [(key["kty"].upper(), key["use"]) for key in stored["B2C_1A_TokenEncryptionKeyContainer"]] == [
        ("RSA", "enc")
    ]

    emulator_clean.clear_requests()
    assert recap_total(provision(emulator_clean, tmp_path), "changed") == 0
    assert recap_total(provision(emulator_clean, tmp_path, "--check"), "changed") == 0
    assert writes(emulator_clean) == []
    assert keysets(emulator_clean) == stored


def test_optional_secret_container_only_when_its_variable_is_set(emulator_clean, tmp_path):
    env = playbook_environment(emulator_clean, tmp_path, B2C_DEMO_FACEBOOK_SECRET="facebook-app-secret-5e1d")
    run = run_playbook(
        emulator_clean,
        tmp_path,
        os.path.join(PLAYBOOKS, "provision.yml"),
        "-v",
        "-e",
        "b2c_facebook_secret={{ lookup('ansible.builtin.env', 'B2C_DEMO_FACEBOOK_SECRET') }}",
        env=env,
    )
    assert run.returncode == 0, run.stdout[-8000:]
    assert "facebook-app-secret-5e1d" not in run.stdout + run.stderr
    stored = keysets(emulator_clean)
    assert [key["kty"].lower() for key in stored["B2C_1A_FacebookSecret"]] == ["oct"]


def test_item_failing_local_checks_creates_nothing(emulator_clean, tmp_path):
    items = [
        {"name": "GoodSigning", "kty": "rsa", "use": "sig"},
        {"name": "BadDates", "nbf": "2031-01-02T00:00:00Z", "exp": "2031-01-01T00:00:00Z"},
    ]
    run = run_playbook(
        emulator_clean, tmp_path, os.path.join(PLAYBOOKS, "provision.yml"), extra_vars={"b2c_policy_keys": items}
    )
    assert run.returncode != 0
    assert "must be after nbf" in run.stdout
    assert sorted(keysets(emulator_clean)) == ["B2C_1A_GoodSigning"]


def test_report_fails_on_a_key_near_expiry_and_rotate_renews_it(emulator_clean, tmp_path):
    seed_near_expiry_signing_key(emulator_clean, days_left=5)
    provision(emulator_clean, tmp_path)
    report_file = tmp_path / "report.json"

    report = run_playbook(
        emulator_clean,
        tmp_path,
        os.path.join(PLAYBOOKS, "report.yml"),
        "-e",
        "fail_within_days=30",
        "-e",
        "report_file=%s" % report_file,
    )
    assert report.returncode != 0
    assert "B2C_1A_TokenSigningKeyContainer" in report.stdout
    assert "no successor is staged" in report.stdout
    rows = {keyset["id"]: keyset for keyset in json.loads(report_file.read_text())}
    assert rows["B2C_1A_TokenSigningKeyContainer"]["active_key"]["expires_in_days"] in (4, 5)

    rotate = run_playbook(emulator_clean, tmp_path, os.path.join(PLAYBOOKS, "rotate.yml"), "-e", "renew_before_days=30")
    assert rotate.returncode == 0, rotate.stdout[-8000:]
    assert recap_total(rotate.stdout, "changed") == 1
    assert len(keysets(emulator_clean)["B2C_1A_TokenSigningKeyContainer"]) == 2
    again = run_playbook(emulator_clean, tmp_path, os.path.join(PLAYBOOKS, "rotate.yml"), "-e", "renew_before_days=30")
    assert recap_total(again.stdout, "changed") == 0

    report = run_playbook(emulator_clean, tmp_path, os.path.join(PLAYBOOKS, "report.yml"), "-e", "fail_within_days=30")
    assert report.returncode == 0, report.stdout[-8000:]
    assert "| B2C_1A_TokenSigningKeyContainer |" in report.stdout


def test_role_included_for_two_tenants_with_their_own_credentials(emulator_clean, tmp_path):
    inventory = tmp_path / "tenants.yml"
    inventory.write_text(
        json.dumps(
            {
                "b2c_tenants": {
                    "hosts": {
                        "alpha": {
                            "b2c_tenant_id": emulator_clean.tenant,
                            "b2c_client_id": emulator_clean.client_id,
                            "b2c_client_secret": emulator_clean.client_secret,
                            "tenant_app_secret": "alpha-app-secret-91c2",
                        },
                        "beta": {
                            "b2c_tenant_id": emulator_clean.tenant_guid,
                            "b2c_access_token": emulator_clean.mint_token(),
                            "tenant_app_secret": "beta-app-secret-0d7e",
                        },
                    }
                }
            }
        )
    )
    # Only module_defaults may carry the connection: no credential in the environment.
    env = {
        k: v
        for k, v in playbook_environment(emulator_clean, tmp_path).items()
        if not k.startswith(("AZURE_", "B2C_G", "B2C_CA"))
    }
    playbook = os.path.join(REPO_ROOT, "tests", "integration", "role", "two_tenants.yml")
    extra_vars = {"emulator_url": emulator_clean.url, "emulator_ca": emulator_clean.ca_path}

    first = run_playbook(
        emulator_clean,
        tmp_path,
        playbook,
        "-v",
        "--forks",
        "2",
        inventory=str(inventory),
        env=env,
        extra_vars=extra_vars,
    )
    assert first.returncode == 0, first.stdout[-8000:] + first.stderr[-4000:]
    assert {host: counts["changed"] for host, counts in recap_counts(first.stdout).items()} == {"alpha": 1, "beta": 1}
    for secret in ("alpha-app-secret-91c2", "beta-app-secret-0d7e", emulator_clean.client_secret):
        assert secret not in first.stdout + first.stderr
    assert sorted(keysets(emulator_clean)) == [
        "B2C_1A_alphaSecret",
        "B2C_1A_alphaSigning",
        "B2C_1A_betaSecret",
        "B2C_1A_betaSigning",
    ]

    second = run_playbook(emulator_clean, tmp_path, playbook, inventory=str(inventory), env=env, extra_vars=extra_vars)
    assert second.returncode == 0 and recap_total(second.stdout, "changed") == 0


def test_playbooks_take_every_connection_option_from_host_variables(emulator_clean, tmp_path):
    """provision.yml and report.yml with the connection in per-host b2c_* variables only, one host per auth method."""
    connection = {
        "b2c_tenant_id": emulator_clean.tenant,
        "b2c_client_id": emulator_clean.client_id,
        "b2c_graph_endpoint": emulator_clean.url,
        "b2c_authority_host": emulator_clean.url,
        "b2c_ca_path": emulator_clean.ca_path,
        "b2c_cloud": "public",
        "b2c_validate_certs": True,
        "b2c_timeout": 60,
        "b2c_max_retries": 3,
    }
    hosts = {
        "secret_tenant": dict(
            connection,
            b2c_client_secret=emulator_clean.client_secret,
            b2c_auth_method="client_secret",
            b2c_token_cache_path=str(tmp_path / "secret-tenant-cache.json"),
            b2c_policy_keys=[{"name": "SecretTenantSigning"}],
        ),
        "certificate_tenant": dict(
            connection,
            b2c_client_certificate_path=emulator_clean.client_cert_path,
            b2c_auth_method="client_certificate",
            b2c_token_cache_path=str(tmp_path / "certificate-tenant-cache.json"),
            b2c_policy_keys=[{"name": "CertificateTenantSigning"}],
        ),
    }
    inventory = tmp_path / "tenants.yml"
    inventory.write_text(json.dumps({"b2c_tenants": {"hosts": hosts}}))
    # Nothing of the connection in the environment: no AZURE_*, no B2C_* (endpoint, CA, token cache).
    env = {
        k: v for k, v in playbook_environment(emulator_clean, tmp_path).items() if not k.startswith(("AZURE_", "B2C_"))
    }

    provisioned = run_playbook(
        emulator_clean,
        tmp_path,
        os.path.join(PLAYBOOKS, "provision.yml"),
        "-e",
        "b2c_hosts=b2c_tenants",
        inventory=str(inventory),
        env=env,
    )
    assert provisioned.returncode == 0, provisioned.stdout[-8000:] + provisioned.stderr[-4000:]
    assert {host: counts["changed"] for host, counts in recap_counts(provisioned.stdout).items()} == {
        "secret_tenant": 1,
        "certificate_tenant": 1,
    }
    assert sorted(keysets(emulator_clean)) == ["B2C_1A_CertificateTenantSigning", "B2C_1A_SecretTenantSigning"]
    assert (tmp_path / "secret-tenant-cache.json").exists() and (tmp_path / "certificate-tenant-cache.json").exists()

    report = run_playbook(
        emulator_clean,
        tmp_path,
        os.path.join(PLAYBOOKS, "report.yml"),
        "-e",
        "b2c_hosts=b2c_tenants",
        inventory=str(inventory),
        env=env,
    )
    assert report.returncode == 0, report.stdout[-8000:] + report.stderr[-4000:]
    assert "| B2C_1A_CertificateTenantSigning |" in report.stdout


HIDDEN = "the output has been hidden"


def key_task_output(stdout):
    """The output of the role's key task (the set_fact tasks before it always hide their results)."""
    section = stdout.split("TASK [b2c.trustframework.policy_keys : Ensure each policy key container", 1)[1]
    return section.split("PLAY RECAP", 1)[0]


def test_role_items_take_every_key_option_and_a_password_variable(emulator_clean, tmp_path):
    key, cert = self_signed("role-saml-signing")
    password = "role-pfx-password-3f9a"
    pfx_path = tmp_path / "saml-signing.pfx"
    pfx_path.write_bytes(pfx(key, cert, password))  # AES: re-encrypted for the upload (pkcs12_reencode)
    items = [
        {
            "name": "RoleSaml",
            "source": "pkcs12",
            "pkcs12_path": str(pfx_path),
            "pkcs12_password_variable": "role_saml_pfx_password",
            "pkcs12_reencode": True,
        },
        {"name": "RoleUpper", "kty": "RSA", "use": "SIG", "valid_days": 30},
    ]
    env = playbook_environment(emulator_clean, tmp_path, ROLE_PFX_PASSWORD=password)
    password_var = ["-e", "role_saml_pfx_password={{ lookup('ansible.builtin.env', 'ROLE_PFX_PASSWORD') }}"]

    preview = run_playbook(
        emulator_clean,
        tmp_path,
        os.path.join(PLAYBOOKS, "provision.yml"),
        "--check",
        "--diff",
        "-v",
        *password_var,
        extra_vars={"b2c_policy_keys": items},
        env=env,
    )
    assert preview.returncode == 0, preview.stdout[-8000:] + preview.stderr[-4000:]
    shown = key_task_output(preview.stdout)
    assert HIDDEN not in shown  # the items and their diffs are shown: no secret is in them
    assert '+    "id": "B2C_1A_RoleSaml"' in shown and "pkcs12_password_variable" in shown
    assert password not in preview.stdout + preview.stderr
    assert writes(emulator_clean) == []

    applied = run_playbook(
        emulator_clean,
        tmp_path,
        os.path.join(PLAYBOOKS, "provision.yml"),
        *password_var,
        extra_vars={"b2c_policy_keys": items},
        env=env,
    )
    assert applied.returncode == 0, applied.stdout[-8000:]
    assert "re-encrypted locally" in applied.stdout + applied.stderr
    stored = keysets(emulator_clean)
    assert [key["x5t"] for key in stored["B2C_1A_RoleSaml"]] == [x5t(cert)]
    assert [(key["kty"].upper(), key["use"]) for key in stored["B2C_1A_RoleUpper"]] == [("RSA", "sig")]

    # kid/status/force and create_keyset are passed through as well
    kid = stored["B2C_1A_RoleUpper"][0]["kid"]
    switch = [
        {"name": "RoleUpper", "kid": kid, "status": "disabled"},
        {"name": "RoleUpper", "kid": kid, "status": "disabled", "force": True},
        {"name": "RoleNeverCreated", "create_keyset": False},
    ]
    switched = run_playbook(
        emulator_clean, tmp_path, os.path.join(PLAYBOOKS, "provision.yml"), extra_vars={"b2c_policy_keys": switch}
    )
    assert switched.returncode != 0
    assert "is the active key of keyset B2C_1A_RoleUpper; disabling it leaves no active key" in switched.stdout
    assert "keyset B2C_1A_RoleNeverCreated does not exist and create_keyset is false" in switched.stdout
    stored = keysets(emulator_clean)
    assert [key["status"] for key in stored["B2C_1A_RoleUpper"]] == ["disabled"]
    assert "B2C_1A_RoleNeverCreated" not in stored


def playbook(emulator, tmp_path, name, *options, **keywords):
    return run_playbook(emulator, tmp_path, os.path.join(PLAYBOOKS, name), *options, **keywords)


def test_report_judges_coverage_by_the_staged_successor(emulator_clean, tmp_path):
    """A key 20 days from expiry fails the gate until rotate.yml stages its successor, which the report shows."""
    seed_near_expiry_signing_key(emulator_clean, days_left=20)
    provision(emulator_clean, tmp_path)
    before = playbook(emulator_clean, tmp_path, "report.yml")
    assert before.returncode != 0
    assert "B2C_1A_TokenSigningKeyContainer: the active key expires in" in before.stdout

    rotate = playbook(emulator_clean, tmp_path, "rotate.yml")
    assert rotate.returncode == 0, rotate.stdout[-8000:]
    assert recap_total(rotate.stdout, "changed") == 1
    staged = [key for key in keysets(emulator_clean)["B2C_1A_TokenSigningKeyContainer"] if key["nbf"] > time.time()]
    assert len(staged) == 1 and 6 * DAY < staged[0]["nbf"] - time.time() <= 7 * DAY
    assert staged[0]["exp"] - staged[0]["nbf"] == 365 * DAY

    report_file = tmp_path / "keys.md"
    after = playbook(emulator_clean, tmp_path, "report.yml", "-e", "report_file=keys.md", cwd=str(tmp_path))
    assert after.returncode == 0, after.stdout[-8000:]
    row = next(line for line in report_file.read_text().splitlines() if "TokenSigning" in line)
    assert staged[0]["kid"] in row and staged[0]["kid"] not in row.split("|")[2]  # next kid, not the active one


def test_report_fails_on_missing_expected_keysets_and_on_an_empty_tenant(emulator_clean, tmp_path):
    empty = playbook(emulator_clean, tmp_path, "report.yml")
    assert empty.returncode != 0
    assert "B2C_1A_TokenSigningKeyContainer: expected, but missing" in empty.stdout
    nothing_expected = playbook(emulator_clean, tmp_path, "report.yml", extra_vars={"b2c_policy_keys": []})
    assert nothing_expected.returncode != 0 and "the tenant has no keyset of its own" in nothing_expected.stdout

    provision(emulator_clean, tmp_path)
    assert playbook(emulator_clean, tmp_path, "report.yml").returncode == 0
    extra = playbook(emulator_clean, tmp_path, "report.yml", "-e", '{"expected_keysets": ["b2c_1a_GitHubSecret"]}')
    assert extra.returncode != 0 and "B2C_1A_GitHubSecret: expected, but missing" in extra.stdout


@pytest.mark.parametrize(
    "options, message",
    [
        (["-e", "renew_before_days=800"], "smaller than valid_days (365)"),
        (["-e", "renew_before_days=7"], "must be larger than activate_in_days (7)"),
    ],
)
def test_rotate_refuses_windows_that_stage_too_late_or_renew_every_run(emulator_clean, tmp_path, options, message):
    run = playbook(emulator_clean, tmp_path, "rotate.yml", *options)
    assert run.returncode != 0 and message in run.stdout
    assert writes(emulator_clean) == []


def deploy_policy(emulator, policy_id, base, keysets):
    text = policy(policy_id, tenant=emulator.tenant, base=base, keysets=keysets)
    with emulator_client(emulator) as client:
        client.put(
            "/policies/%s/$value" % policy_id,
            content=text.encode("utf-8"),
            headers={"Content-Type": "application/xml; charset=utf-8"},
        ).raise_for_status()


def test_report_shows_the_policies_of_each_keyset_and_fails_on_a_keyset_they_cannot_use(emulator_clean, tmp_path):
    provision(emulator_clean, tmp_path)
    with emulator_client(emulator_clean) as client:
        client.post("/keySets", json={"id": "ItReportSecret"}).raise_for_status()
        client.post("/keySets/B2C_1A_ItReportSecret/generateKey", json={"use": "sig", "kty": "RSA"}).raise_for_status()
    deploy_policy(emulator_clean, "B2C_1A_ItReportBase", None, STARTER_PACK)
    deploy_policy(
        emulator_clean,
        "B2C_1A_ItReportExt",
        "B2C_1A_ItReportBase",
        ("b2c_1a_tokensigningkeycontainer", "B2C_1A_ItReportSecret"),
    )

    usable = playbook(emulator_clean, tmp_path, "report.yml", "-e", "report_file=keys.json", cwd=str(tmp_path))
    assert usable.returncode == 0, usable.stdout[-8000:]
    assert (
        "| keyset | active kid | kty/use | expires (UTC) | days left | next kid | activates (UTC) | in days | policies |"
        in usable.stdout
    )
    assert "Every keyset a deployed policy uses has a usable key." in usable.stdout
    signing_row = next(line for line in usable.stdout.splitlines() if "| B2C_1A_TokenSigningKeyContainer |" in line)
    assert signing_row.rstrip('",').endswith("| B2C_1A_ItReportBase, B2C_1A_ItReportExt |")
    rows = {keyset["id"]: keyset for keyset in json.loads((tmp_path / "keys.json").read_text())}
    assert rows["B2C_1A_TokenEncryptionKeyContainer"]["policies"] == ["B2C_1A_ItReportBase"]
    assert rows["B2C_1A_ItReportSecret"]["policies"] == ["B2C_1A_ItReportExt"]

    with emulator_client(
        emulator_clean
    ) as client:  # what b2c_keyset refuses without force: the extension now lacks its keyset
        client.delete("/keySets/B2C_1A_ItReportSecret").raise_for_status()
    broken = playbook(emulator_clean, tmp_path, "report.yml", "-e", "report_file=keys.md", cwd=str(tmp_path))
    assert broken.returncode != 0
    assert "1 problem(s): B2C_1A_ItReportSecret does not exist, used by B2C_1A_ItReportExt." in broken.stdout
    assert "Give each keyset a deployed policy uses a usable key" in broken.stdout
    assert "| B2C_1A_ItReportSecret | does not exist | B2C_1A_ItReportExt |" in (tmp_path / "keys.md").read_text()

    emulator_clean.clear_requests()
    keys_only = playbook(emulator_clean, tmp_path, "report.yml", "-e", "report_policies=false")
    assert keys_only.returncode == 0, keys_only.stdout[-8000:]
    assert (
        '"| keyset | active kid | kty/use | expires (UTC) | days left | next kid | activates (UTC) | in days |",'
        in keys_only.stdout
    )
    assert "Every keyset a deployed policy uses" not in keys_only.stdout
    assert not [entry for entry in emulator_clean.requests("graph") if "/policies" in entry["path"]]
