"""argspec.py: connection options, env fallbacks, doc fragment consistency."""

from __future__ import annotations

import json
import os

import pytest
import yaml
from ansible.module_utils.basic import AnsibleModule

from ansible_collections.b2c.trustframework.plugins.doc_fragments.graph import ModuleDocFragment
from ansible_collections.b2c.trustframework.plugins.module_utils.argspec import CONNECTION_OPTIONS, graph_argument_spec
from ansible_collections.b2c.trustframework.plugins.module_utils.connection_settings import ConnectionSettings
from tests.unit.module_args import patch_module_args

# Every variable an option falls back to, read from the spec so that a new one is cleared too.
ENV_VARS = tuple(
    name for option in CONNECTION_OPTIONS.values() if "fallback" in option for name in option["fallback"][1]
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for var in ENV_VARS:
        monkeypatch.delenv(var, raising=False)


def module_params(args):
    with patch_module_args(args):
        module = AnsibleModule(argument_spec=graph_argument_spec(), supports_check_mode=True)
    return module.params


def test_spec_shape():
    assert set(CONNECTION_OPTIONS) == {
        "tenant_id",
        "client_id",
        "client_secret",
        "client_certificate_path",
        "client_certificate_password",
        "managed_identity",
        "managed_identity_client_id",
        "federated_token_file",
        "access_token",
        "auth_method",
        "cloud",
        "graph_endpoint",
        "authority_host",
        "validate_certs",
        "ca_path",
        "timeout",
        "max_retries",
        "token_cache_path",
    }
    for name in ("client_secret", "client_certificate_password", "access_token"):
        assert CONNECTION_OPTIONS[name]["no_log"] is True


def test_graph_argument_spec_merges_and_copies():
    spec = graph_argument_spec(name=dict(type="str", required=True))
    assert spec["name"]["required"] is True and "tenant_id" in spec
    spec["timeout"]["default"] = 1
    assert CONNECTION_OPTIONS["timeout"]["default"] == 30.0


def test_a_task_without_connection_options_talks_to_public_graph_verified_with_30_s_and_5_retries():
    """What SPEC promises a task that only gives its credential, whatever the spec's defaults spell."""
    settings = ConnectionSettings.from_params(module_params({"access_token": "t"}))
    assert settings.endpoints.graph_root == "https://graph.microsoft.com"
    assert settings.endpoints.authority_host == "https://login.microsoftonline.com"
    assert settings.verify is True
    assert (settings.timeout, settings.max_retries) == (30.0, 5)
    assert settings.credential.method == "access_token", "auth_method auto picks the one credential given"


@pytest.mark.parametrize(
    "env, args, option, expected",
    [
        ({"AZURE_TENANT_ID": "sdk", "AZURE_TENANT": "azcoll"}, {}, "tenant_id", "sdk"),
        ({"AZURE_TENANT": "azcoll"}, {}, "tenant_id", "azcoll"),
        ({"AZURE_TENANT_ID": "sdk"}, {"tenant_id": "param"}, "tenant_id", "param"),
        ({"AZURE_CLIENT_SECRET": "sdk", "AZURE_SECRET": "azcoll"}, {}, "client_secret", "sdk"),
        ({"AZURE_SECRET": "azcoll"}, {}, "client_secret", "azcoll"),
        ({"AZURE_CLIENT_ID": "cid"}, {}, "client_id", "cid"),
        ({"AZURE_CLIENT_CERTIFICATE_PASSWORD": "pw"}, {}, "client_certificate_password", "pw"),
        ({"B2C_ACCESS_TOKEN": "tok"}, {}, "access_token", "tok"),
        ({"AZURE_CLOUD": "usgov"}, {}, "cloud", "usgov"),
        ({"AZURE_CLOUD": "AzureChinaCloud"}, {}, "cloud", "china"),
        ({"AZURE_CLOUD": "AzureUSGovernment"}, {"cloud": "dod"}, "cloud", "dod"),
        # AAP/AWX's Azure credential and azure.azcollection set AZURE_CLOUD_ENVIRONMENT; AZURE_CLOUD wins.
        ({"AZURE_CLOUD_ENVIRONMENT": "AzureUSGovernment"}, {}, "cloud", "usgov"),
        ({"AZURE_CLOUD_ENVIRONMENT": "AzureChinaCloud"}, {}, "cloud", "china"),
        ({"AZURE_CLOUD_ENVIRONMENT": "AzureCloud"}, {}, "cloud", "public"),
        ({"AZURE_CLOUD_ENVIRONMENT": "USGovDoD"}, {}, "cloud", "dod"),
        ({"AZURE_CLOUD": "china", "AZURE_CLOUD_ENVIRONMENT": "AzureUSGovernment"}, {}, "cloud", "china"),
        ({"AZURE_CLOUD_ENVIRONMENT": "AzureUSGovernment"}, {"cloud": "public"}, "cloud", "public"),
        ({"AZURE_CLOUD": "", "AZURE_CLOUD_ENVIRONMENT": "AzureChinaCloud"}, {}, "cloud", "china"),  # empty = unset
        ({"AZURE_CLOUD": " ", "AZURE_CLOUD_ENVIRONMENT": ""}, {}, "cloud", "public"),
        ({"AZURE_CLIENT_CERTIFICATE_PATH": ""}, {}, "client_certificate_path", ""),
        ({"AZURE_FEDERATED_TOKEN_FILE": "/var/run/token"}, {}, "federated_token_file", "/var/run/token"),
        ({"B2C_GRAPH_ENDPOINT": "https://127.0.0.1:8443"}, {}, "graph_endpoint", "https://127.0.0.1:8443"),
        ({"AZURE_AUTHORITY_HOST": "https://127.0.0.1:8443"}, {}, "authority_host", "https://127.0.0.1:8443"),
        ({"B2C_CA_PATH": "/tmp/ca.pem"}, {}, "ca_path", "/tmp/ca.pem"),
        ({"B2C_TOKEN_CACHE_PATH": ""}, {}, "token_cache_path", ""),
    ],
)
def test_env_fallbacks(monkeypatch, env, args, option, expected):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert module_params(args)[option] == expected


def test_unknown_cloud_environment_fails_as_a_choice(monkeypatch):
    monkeypatch.setenv("AZURE_CLOUD_ENVIRONMENT", "AzureGermanCloud")
    with pytest.raises(SystemExit):
        module_params({})


_SDK = "AzurePublicCloud, AzureUSGovernment, AzureUSGovernmentCloud, AzureUSGovernmentDoD, USGovDoD, AzureChinaCloud"


@pytest.mark.parametrize(
    "args, env, words",
    [
        (
            {"auth_method": "bogus"},
            {},
            "value of auth_method must be one of: auto, access_token, client_certificate, "
            "client_secret, workload_identity, managed_identity, got: bogus",
        ),
        (
            {"cloud": "mars"},
            {},
            "value of cloud must be one of: public, usgov, dod, china, AzureCloud, %s, got: mars" % _SDK,
        ),
        (
            {},
            {"AZURE_CLOUD": "mars"},
            "value of cloud must be one of: public, usgov, dod, china, AzureCloud, %s, got: mars" % _SDK,
        ),
        ({"cloud": "azurechinacloud"}, {}, "value of cloud must be one of: public,"),  # choices are case-sensitive
    ],
)
def test_unknown_choices_are_refused_by_the_argument_spec_alone(monkeypatch, capsys, args, env, words):
    """The one check of auth_method and cloud (credentials and clouds take the value as it is)."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit):
        module_params(args)
    assert words in json.loads(capsys.readouterr().out)["msg"]


def test_certificate_path_env(monkeypatch, tmp_path):
    monkeypatch.setenv("AZURE_CLIENT_CERTIFICATE_PATH", str(tmp_path / "c.pem"))
    assert module_params({})["client_certificate_path"] == str(tmp_path / "c.pem")


def test_env_secret_values_are_no_log(monkeypatch):
    monkeypatch.setenv("AZURE_CLIENT_SECRET", "env-secret-value")
    with patch_module_args({}):
        module = AnsibleModule(argument_spec=graph_argument_spec())
    assert "env-secret-value" in module.no_log_values


# ----------------------------------------------------------------------------- doc fragment
def test_doc_fragment_matches_spec():
    doc = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)
    options = doc["options"]
    assert set(options) == set(CONNECTION_OPTIONS)
    for name, spec in CONNECTION_OPTIONS.items():
        assert options[name]["type"] == spec["type"], name
        assert options[name].get("default") == spec.get("default"), name
        assert options[name].get("choices") == spec.get("choices"), name
        assert options[name].get("aliases") == spec.get("aliases"), name
        fallback = spec.get("fallback")
        if fallback:
            description = json.dumps(options[name]["description"])
            for env in fallback[1]:
                assert "E(%s)" % env in description, (name, env)


def test_attributes_fragments_parse():
    from ansible_collections.b2c.trustframework.plugins.doc_fragments.attributes import ModuleDocFragment as Attrs

    assert yaml.safe_load(Attrs.DOCUMENTATION)["attributes"]["check_mode"]["support"] == "full"
    assert yaml.safe_load(Attrs.INFO_MODULE)["attributes"]["diff_mode"]["support"] == "N/A"
    group = yaml.safe_load(Attrs.ACTIONGROUP_GRAPH)["attributes"]["action_group"]
    assert group["membership"] == ["b2c.trustframework.graph"]


def test_no_env_leak_into_defaults():
    assert not any(os.environ.get(v) for v in ENV_VARS)


# ----------------------------------------------------------------------------- azure.azcollection names
def test_azcollection_option_names_are_aliases():
    params = module_params(
        {"tenant": "t.onmicrosoft.com", "cloud_environment": "AzureChinaCloud", "client_id": "c", "client_secret": "s"}
    )
    assert (params["tenant_id"], params["cloud"]) == ("t.onmicrosoft.com", "AzureChinaCloud")
    settings = ConnectionSettings.from_params(params)
    assert settings.endpoints.graph_root == "https://microsoftgraph.chinacloudapi.cn"
    assert settings.credential.tenant_id == "t.onmicrosoft.com"


@pytest.mark.parametrize(
    "cloud, graph_root",
    [
        ("AzureChinaCloud", "https://microsoftgraph.chinacloudapi.cn"),
        ("AzureUSGovernment", "https://graph.microsoft.us"),
        ("USGovDoD", "https://dod-graph.microsoft.us"),
        ("AzureCloud", "https://graph.microsoft.com"),
    ],
)
def test_azure_sdk_cloud_names_are_option_values_too(cloud, graph_root):
    settings = ConnectionSettings.from_params(module_params({"cloud": cloud, "access_token": "t"}))
    assert settings.endpoints.graph_root == graph_root
