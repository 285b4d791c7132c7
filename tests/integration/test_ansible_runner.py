"""playbooks/provision.yml (and site.yml) through ansible-runner (the engine AWX and AAP run jobs with), connected only by
what the AAP credential type in extras/aap/credential_type.yml injects, alone or next to AWX's built-in
Microsoft Azure Resource Manager credential."""

import os
import sys

import ansible_runner
import pytest
import yaml
from jinja2.sandbox import ImmutableSandboxedEnvironment

from ansible_collections.b2c.trustframework.plugins.module_utils.argspec import CONNECTION_OPTIONS
from tests.integration.playbook_runner import COLLECTIONS_PATH, REPO_ROOT
from tests.support.graph import emulator_client

CREDENTIAL_TYPE = os.path.join(REPO_ROOT, "extras", "aap", "credential_type.yml")
PLAYBOOKS = os.path.join(REPO_ROOT, "playbooks")
CONNECTION_VARS = os.path.join(PLAYBOOKS, "vars", "connection.yml")
# What AWX's built-in Azure credential sets (awx/main/models/credential/injectors.py, azure_rm): any of them in our
# injectors would be overwritten by it, or overwrite it, depending on the order AWX applies the credentials in.
AZURE_RM_VARIABLES = {
    "AZURE_SUBSCRIPTION_ID",
    "AZURE_CLIENT_ID",
    "AZURE_TENANT",
    "AZURE_SECRET",
    "AZURE_AD_USER",
    "AZURE_PASSWORD",
    "AZURE_CLOUD_ENVIRONMENT",
}
STARTER_PACK = {"B2C_1A_TokenSigningKeyContainer", "B2C_1A_TokenEncryptionKeyContainer"}
SAMPLE_POLICIES = {"B2C_1A_SAMPLE_BASE", "B2C_1A_SAMPLE_EXTENSIONS", "B2C_1A_SAMPLE_SIGNIN", "B2C_1A_SAMPLE_GREETING"}
# Host variables of the job's inventory that site.yml's sample policies need.
IEF_APP_IDS = {
    "b2c_ief_app_id": "7a6b5c4d-0000-4000-8000-0000000000e1",
    "b2c_proxy_ief_app_id": "7a6b5c4d-0000-4000-8000-0000000000f2",
}

pytestmark = pytest.mark.integration


def credential_type():
    with open(CREDENTIAL_TYPE, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def variables_the_playbooks_read():
    """The b2c_<option> variables playbooks/vars/connection.yml passes to the modules."""
    with open(CONNECTION_VARS, encoding="utf-8") as handle:
        connection = yaml.safe_load(handle)["b2c_connection"]
    assert set(connection) == set(CONNECTION_OPTIONS)
    return {"b2c_" + option for option in connection}


def azure_rm_environment(client_id, secret, tenant, cloud_environment="AzureCloud"):
    """What AWX's built-in Microsoft Azure Resource Manager credential injects for a service principal."""
    return {
        "AZURE_SUBSCRIPTION_ID": "00000000-0000-0000-0000-000000000000",
        "AZURE_CLIENT_ID": client_id,
        "AZURE_TENANT": tenant,
        "AZURE_SECRET": secret,
        "AZURE_CLOUD_ENVIRONMENT": cloud_environment,
    }


def inject(definition, inputs, directory):
    """The (environment, extra variables) a job gets from a credential with ``inputs``, its injectors rendered as
    AWX renders them: a Jinja sandbox where a field without a value is empty, file templates written first and
    named by ``tower.filename.<name>``."""
    sandbox = ImmutableSandboxedEnvironment()
    injectors = definition["injectors"]
    filenames = {}
    for key, template in injectors.get("file", {}).items():
        name = key.split(".", 1)[1]
        path = directory / ("credential-" + name)
        path.write_text(sandbox.from_string(template).render(**inputs))
        path.chmod(0o600)
        filenames[name] = str(path)
    namespace = dict(inputs, tower={"filename": filenames})

    def render(kind):
        return {
            name: sandbox.from_string(template).render(**namespace)
            for name, template in injectors.get(kind, {}).items()
        }

    return render("env"), render("extra_vars")


def test_the_credential_type_sets_only_what_the_playbooks_read_and_nothing_the_azure_credential_sets():
    definition = credential_type()
    assert set(definition["injectors"]["extra_vars"]) <= variables_the_playbooks_read()
    injected_env = set(definition["injectors"].get("env", {}))
    assert not {name for name in injected_env if name.startswith("AZURE_")}, "azure.azcollection tasks read AZURE_*"
    assert not injected_env & AZURE_RM_VARIABLES
    fields = {field["id"] for field in definition["inputs"]["fields"]}
    assert set(definition["inputs"]["required"]) == {"tenant_id", "client_id"} <= fields
    secret_fields = {field["id"] for field in definition["inputs"]["fields"] if field.get("secret")}
    assert {"client_secret", "client_certificate", "client_certificate_password"} <= secret_fields


def test_no_field_turns_empty_into_a_value():
    # AWX stores an emptied field that has choices as its first choice: an empty Cloud would become a cloud.
    for field in credential_type()["inputs"]["fields"]:
        assert field.get("choices", [""])[0] == "", field["id"]


def _emulator_inputs(emulator, proof):
    with open(emulator.ca_path, encoding="ascii") as handle:
        ca_bundle = handle.read()
    inputs = {
        "tenant_id": emulator.tenant,
        "client_id": emulator.client_id,
        "graph_endpoint": emulator.url,
        "authority_host": emulator.url,
        "ca_bundle": ca_bundle,
    }
    if proof == "secret":
        inputs["client_secret"] = emulator.client_secret
    else:
        with open(emulator.client_cert_path, encoding="ascii") as handle:
            inputs["client_certificate"] = handle.read()
    return inputs


def _run_job(emulator, tmp_path, monkeypatch, env, extra_vars, playbook="provision.yml"):
    """``playbook`` under ansible-runner with only ``env`` and ``extra_vars`` (what the job's credentials give);
    returns the ids of the policies in the tenant afterwards."""
    for name in list(os.environ):
        if name.startswith(("AZURE_", "B2C_", "ANSIBLE_")):
            monkeypatch.delenv(name)  # nothing but the credentials may connect the job
    # ansible-runner starts the ansible-playbook it finds first on PATH: this venv's, as in an execution environment.
    monkeypatch.setenv("PATH", os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    env = dict(
        env,
        ANSIBLE_COLLECTIONS_PATH=COLLECTIONS_PATH,
        XDG_CACHE_HOME=str(tmp_path / "cache"),
        ANSIBLE_LOCALHOST_WARNING="0",
        ANSIBLE_NOCOLOR="1",
    )
    inventory = {
        "all": {
            "hosts": {
                "localhost": dict(IEF_APP_IDS, ansible_connection="local", ansible_python_interpreter=sys.executable)
            }
        }
    }
    private_data_dir = tmp_path / "runner"
    private_data_dir.mkdir()
    result = ansible_runner.run(
        private_data_dir=str(private_data_dir),
        project_dir=PLAYBOOKS,
        playbook=playbook,
        inventory=inventory,
        envvars=env,
        extravars=extra_vars,
        quiet=True,
    )
    output = result.stdout.read()
    assert (result.status, result.rc) == ("successful", 0), output[-8000:]
    assert result.stats["changed"].get("localhost", 0) >= 1
    assert emulator.client_secret not in output
    assert emulator.requests("token"), "the job logged in with the credential"
    with emulator_client(emulator) as graph:
        assert STARTER_PACK <= {keyset["id"] for keyset in graph.get("/keySets").json()["value"]}
        return {policy["id"] for policy in graph.get("/policies").json()["value"]}


@pytest.mark.parametrize("proof", ["secret", "certificate"])
def test_provision_runs_under_ansible_runner_with_the_aap_credential(emulator_clean, tmp_path, monkeypatch, proof):
    env, extra_vars = inject(credential_type(), _emulator_inputs(emulator_clean, proof), tmp_path)
    assert _run_job(emulator_clean, tmp_path, monkeypatch, env, extra_vars) == set()


def test_site_runs_under_ansible_runner_with_the_aap_credential(emulator_clean, tmp_path, monkeypatch):
    env, extra_vars = inject(credential_type(), _emulator_inputs(emulator_clean, "secret"), tmp_path)
    assert _run_job(emulator_clean, tmp_path, monkeypatch, env, extra_vars, playbook="site.yml") == SAMPLE_POLICIES


@pytest.mark.parametrize("proof", ["secret", "certificate"])
def test_next_to_the_azure_credential_the_job_logs_in_with_the_b2c_one(emulator_clean, tmp_path, monkeypatch, proof):
    # The Azure credential is the emulator's read-only app: a job that logged in with it could not add a key.
    # Its cloud and this credential's empty Cloud field must not fight either (the endpoints are overridden here).
    env, extra_vars = inject(credential_type(), _emulator_inputs(emulator_clean, proof), tmp_path)
    env.update(
        azure_rm_environment(
            emulator_clean.read_only_client_id, emulator_clean.read_only_client_secret, emulator_clean.tenant
        )
    )
    _run_job(emulator_clean, tmp_path, monkeypatch, env, extra_vars)


def test_the_azure_credential_alone_still_works(emulator_clean, tmp_path, monkeypatch):
    env = azure_rm_environment(emulator_clean.client_id, emulator_clean.client_secret, emulator_clean.tenant)
    # The endpoints of the emulator, as a job template's extra environment variables would give them.
    env.update(
        B2C_GRAPH_ENDPOINT=emulator_clean.url,
        AZURE_AUTHORITY_HOST=emulator_clean.url,
        B2C_CA_PATH=emulator_clean.ca_path,
    )
    _run_job(emulator_clean, tmp_path, monkeypatch, env, {})
