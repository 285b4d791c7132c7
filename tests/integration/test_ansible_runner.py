"""playbooks/provision.yml through ansible-runner (the engine AWX and AAP run jobs with), connected only by
what the AAP credential type in extras/aap/credential_type.yml injects."""

import os
import sys

import ansible_runner
import httpx
import pytest
import yaml
from jinja2.sandbox import ImmutableSandboxedEnvironment

from ansible_collections.b2c.trustframework.plugins.module_utils.argspec import CONNECTION_OPTIONS
from tests.integration.playbook_runner import COLLECTIONS_PATH, REPO_ROOT

CREDENTIAL_TYPE = os.path.join(REPO_ROOT, "extras", "aap", "credential_type.yml")
PLAYBOOKS = os.path.join(REPO_ROOT, "playbooks")
STARTER_PACK = {"B2C_1A_TokenSigningKeyContainer", "B2C_1A_TokenEncryptionKeyContainer"}

pytestmark = pytest.mark.integration


def credential_type():
    with open(CREDENTIAL_TYPE, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def variables_the_modules_read():
    return {name for option in CONNECTION_OPTIONS.values() if option.get("fallback")
            for name in option["fallback"][1]}


def inject(definition, inputs, directory):
    """The environment a job gets from a credential with ``inputs``, its injectors rendered as AWX renders them:
    a Jinja sandbox, file templates written first and named by ``tower.filename.<name>``."""
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
    return {name: sandbox.from_string(template).render(**namespace) for name, template in injectors["env"].items()}


def test_the_credential_type_injects_only_variables_the_modules_read():
    definition = credential_type()
    assert set(definition["injectors"]["env"]) <= variables_the_modules_read()
    fields = {field["id"] for field in definition["inputs"]["fields"]}
    assert set(definition["inputs"]["required"]) == {"tenant_id", "client_id"} <= fields
    secret_fields = {field["id"] for field in definition["inputs"]["fields"] if field.get("secret")}
    assert {"client_secret", "client_certificate", "client_certificate_password"} <= secret_fields


def _emulator_inputs(emulator, proof):
    with open(emulator.ca_path, encoding="ascii") as handle:
        ca_bundle = handle.read()
    inputs = {"tenant_id": emulator.tenant, "client_id": emulator.client_id, "graph_endpoint": emulator.url,
              "authority_host": emulator.url, "ca_bundle": ca_bundle}
    if proof == "secret":
        inputs["client_secret"] = emulator.client_secret
    else:
        with open(emulator.client_cert_path, encoding="ascii") as handle:
            inputs["client_certificate"] = handle.read()
    return inputs


@pytest.mark.parametrize("proof", ["secret", "certificate"])
def test_provision_runs_under_ansible_runner_with_the_aap_credential(emulator_clean, tmp_path, monkeypatch, proof):
    for name in list(os.environ):
        if name.startswith(("AZURE_", "B2C_", "ANSIBLE_")):
            monkeypatch.delenv(name)  # nothing but the credential may connect the job
    # ansible-runner starts the ansible-playbook it finds first on PATH: this venv's, as in an execution environment.
    monkeypatch.setenv("PATH", os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    env = inject(credential_type(), _emulator_inputs(emulator_clean, proof), tmp_path)
    env.update(ANSIBLE_COLLECTIONS_PATH=COLLECTIONS_PATH, XDG_CACHE_HOME=str(tmp_path / "cache"),
               ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_NOCOLOR="1")
    inventory = {"all": {"hosts": {"localhost": {"ansible_connection": "local",
                                                 "ansible_python_interpreter": sys.executable}}}}
    private_data_dir = tmp_path / "runner"
    private_data_dir.mkdir()
    result = ansible_runner.run(private_data_dir=str(private_data_dir), project_dir=PLAYBOOKS, playbook="provision.yml",
                                inventory=inventory,
                                envvars=env, quiet=True)
    output = result.stdout.read()
    assert (result.status, result.rc) == ("successful", 0), output[-8000:]
    assert result.stats["changed"].get("localhost", 0) >= 1
    assert emulator_clean.client_secret not in output
    assert emulator_clean.requests("token"), "the job logged in with the credential"
    with httpx.Client(base_url=emulator_clean.url + "/beta/trustFramework", verify=emulator_clean.ssl_context(),
                      headers={"Authorization": "Bearer " + emulator_clean.mint_token()}) as graph:
        assert STARTER_PACK <= {keyset["id"] for keyset in graph.get("/keySets").json()["value"]}
