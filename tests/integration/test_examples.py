"""The modules' EXAMPLES and the README's module_defaults example, run as written against the emulator.

A promise of the collection: a playbook a user copies from the README or from EXAMPLES works unchanged except for
its connection values. For each module, its EXAMPLES (read with ast, main() is never run) lose only their connection
options, are run as one play on a freshly reset emulator with --diff, then run again: every task must succeed both
times and the second run must change nothing (tasks with ``force: true`` or ``update_secret: always`` excepted,
they change by design). What the examples refer to (a .pfx under files/, variables such as the secret to upload, the
kid of a compromised key) is made here and handed over as files next to the playbook and extra vars.

The plays run on the implicit localhost (an empty inventory), as ``ansible-playbook play.yml`` does for a new user.
"""

import ast
import base64
import json
import os
import re
import secrets
import stat
import time

import pytest
import yaml

from tests.integration.playbook_runner import REPO_ROOT, playbook_environment, run_playbook
from tests.integration.reliability.support import CALLBACK_DIR, KEYSETS_PATH, graph
from tests.support.certs import pfx, self_signed, x5t
from tests.support.policies import policy

pytestmark = pytest.mark.integration

MODULES = (
    "b2c_keyset",
    "b2c_keyset_key",
    "b2c_keyset_info",
    "b2c_policy",
    "b2c_policy_info",
    "b2c_policy_set",
    "b2c_report_file",
)
POLICIES_PATH = "/beta/trustFramework/policies"
COLLECTION = "b2c.trustframework."
CONNECTION_OPTIONS = frozenset(
    (
        "tenant_id",
        "client_id",
        "client_secret",
        "client_certificate_path",
        "client_certificate_password",
        "access_token",
        "auth_method",
        "cloud",
        "graph_endpoint",
        "authority_host",
        "ca_path",
        "validate_certs",
    )
)
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
DAY = 86400


# -- reading and preparing the examples -------------------------------------------------------------
def module_examples(module):
    """The EXAMPLES of plugins/modules/<module>.py, parsed (the module file is not imported)."""
    path = os.path.join(REPO_ROOT, "plugins", "modules", module + ".py")
    with open(path, encoding="utf-8") as handle:
        tree = ast.parse(handle.read(), path)
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(target, "id", None) == "EXAMPLES" for target in node.targets):
            return yaml.safe_load(node.value.value)
    raise AssertionError("%s has no EXAMPLES" % path)


def readme_authentication_example():
    """The yaml block of the README's "## Authentication" section."""
    with open(os.path.join(REPO_ROOT, "README.md"), encoding="utf-8") as handle:
        section = handle.read().split("\n## Authentication\n", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"^```yaml\n(.*?)^```$", section, re.MULTILINE | re.DOTALL)
    assert block, "the README's Authentication section has no yaml block"
    return yaml.safe_load(block.group(1))


def is_connection_option(option):
    return option in CONNECTION_OPTIONS or option.startswith("managed_identity")


def collection_module_args(task):
    """(module key, args dict) of a task that calls one of the collection's modules, else (None, None)."""
    for key, value in task.items():
        if key.startswith(COLLECTION) or key in MODULES:
            return key, value if isinstance(value, dict) else {}
    return None, None


def strip_connection(task):
    """The task without connection options in its module arguments (everything else as written)."""
    key, args = collection_module_args(task)
    if key is None:
        return task
    stripped = dict(task)
    stripped[key] = {option: value for option, value in args.items() if not is_connection_option(option)} or None
    return stripped


def strip_play(play):
    """A play-level example without the connection options of its module_defaults."""
    play = dict(play, tasks=[strip_connection(task) for task in play.get("tasks") or []])
    defaults = {}
    for group, options in (play.pop("module_defaults", None) or {}).items():
        kept = {option: value for option, value in (options or {}).items() if not is_connection_option(option)}
        if kept:
            defaults[group] = kept
    if defaults:
        play["module_defaults"] = defaults
    return play


def example_plays(module):
    """One play holding every task example of ``module`` (play-level examples stay plays of their own)."""
    examples = module_examples(module)
    assert examples, "%s has an empty EXAMPLES" % module
    plays = [strip_play(example) for example in examples if "hosts" in example]
    tasks = [strip_connection(example) for example in examples if "hosts" not in example]
    if tasks:
        plays.insert(0, {"name": "EXAMPLES of " + module, "hosts": "localhost", "gather_facts": False, "tasks": tasks})
    return plays


def changes_by_design(task):
    """Tasks that are not idempotent on purpose: force, update_secret: always."""
    _key, args = collection_module_args(task)
    args = args or {}
    return str(args.get("force")).lower() in ("true", "yes", "on", "1") or args.get("update_secret") == "always"


def play_tasks(plays):
    return [task for play in plays for task in play.get("tasks") or []]


# -- running them ----------------------------------------------------------------------------------------------
def run_plays(emulator, workdir, plays, run_name, extra_vars=None, env=None):
    """Run ``plays`` (written next to the files the examples use) with --diff; (process, recorded task results)."""
    playbook = workdir / "examples.yml"
    playbook.write_text(json.dumps(plays, indent=1))
    inventory = workdir / "empty-inventory.ini"
    inventory.write_text("")
    results_file = workdir / ("results-%s.json" % run_name)
    environment = dict(
        env or playbook_environment(emulator, workdir),
        ANSIBLE_CALLBACK_PLUGINS=CALLBACK_DIR,
        ANSIBLE_CALLBACKS_ENABLED="result_recorder",
        RELIABILITY_RESULTS_FILE=str(results_file),
    )
    process = run_playbook(
        emulator, workdir, playbook, "--diff", extra_vars=extra_vars, env=environment, inventory=str(inventory)
    )
    entries = json.loads(results_file.read_text()) if results_file.exists() else []
    return process, entries


def assert_all_succeeded(plays, process, entries, run_name):
    output = process.stdout[-12000:] + process.stderr[-4000:]
    assert process.returncode == 0, "%s run failed:\n%s" % (run_name, output)
    outcomes = {entry["task"]: entry["outcome"] for entry in entries}
    for task in play_tasks(plays):
        assert outcomes.get(task["name"]) == "ok", "%s run: task %r was %s\n%s" % (
            run_name,
            task["name"],
            outcomes.get(task["name"], "never run"),
            output,
        )


def converge_twice(emulator, workdir, plays, extra_vars=None, env=None, secrets_in_play=()):
    """First run, then the second one that must change nothing; returns the first run's results by task name."""
    first, first_entries = run_plays(emulator, workdir, plays, "first", extra_vars, env)
    assert_all_succeeded(plays, first, first_entries, "first")

    emulator.clear_requests()
    second, second_entries = run_plays(emulator, workdir, plays, "second", extra_vars, env)
    assert_all_succeeded(plays, second, second_entries, "second")
    results = {entry["task"]: entry["result"] for entry in second_entries}
    expected_to_change = [task["name"] for task in play_tasks(plays) if changes_by_design(task)]
    changed = [name for name, result in results.items() if result.get("changed") and name not in expected_to_change]
    assert changed == [], "the second run changed %s:\n%s" % (changed, second.stdout[-12000:])
    if not expected_to_change:
        writes = [(e["method"], e["path"]) for e in emulator.requests("graph") if e["method"] in WRITE_METHODS]
        assert writes == [], "the second run sent writing requests: %s" % writes

    for secret in secrets_in_play:
        for run in (first, second):
            assert secret not in run.stdout + run.stderr, "a secret of the examples leaked into the output"
    return {entry["task"]: entry["result"] for entry in first_entries}


# -- what the examples of each module refer to -------------------------------------------------------------
def stored_keysets(emulator):
    with graph(emulator) as client:
        response = client.get(KEYSETS_PATH)
        response.raise_for_status()
        return {keyset["id"]: keyset["keys"] for keyset in response.json()["value"]}


def generate_key(client, keyset, **body):
    response = client.post(
        "%s/%s/generateKey" % (KEYSETS_PATH, keyset), json=dict({"use": "sig", "kty": "RSA"}, **body)
    )
    response.raise_for_status()
    return response.json()


def prepare_b2c_keyset(_emulator, _workdir):
    session_key = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")
    return {"legacy_session_key_b64url": session_key}, [session_key]


def check_b2c_keyset(emulator, _first_results, _extra_vars):
    stored = stored_keysets(emulator)
    assert stored["B2C_1A_TokenSigningKeyContainer"] == []
    assert [(key["kty"].lower(), key["use"]) for key in stored["B2C_1A_LegacySessionKey"]] == [("oct", "sig")]
    assert stored["B2C_1A_LegacySessionKey"][0]["kid"]  # assigned by the service
    assert "B2C_1A_OldFacebookSecret" not in stored


def prepare_b2c_keyset_key(emulator, workdir):
    """A .pfx under files/, the secrets, and a signing keyset whose older key is the compromised one.

    The keyset holds a newer key too, as it does after a rotation: then switching the compromised key off leaves a
    usable signing key and the first example stays converged on the next run.
    """
    now = int(time.time())
    with graph(emulator) as client:
        client.post(KEYSETS_PATH, json={"id": "TokenSigningKeyContainer"}).raise_for_status()
        compromised = generate_key(client, "B2C_1A_TokenSigningKeyContainer", nbf=now - 90 * DAY, exp=now + 600 * DAY)
        generate_key(client, "B2C_1A_TokenSigningKeyContainer", nbf=now - DAY, exp=now + 700 * DAY)
    password = "pfx-" + secrets.token_hex(8)
    key, cert = self_signed(common_name="saml-signing.contoso.example")
    (workdir / "files").mkdir()
    (workdir / "files" / "saml-signing.pfx").write_bytes(pfx(key, cert, password))
    facebook_secret = "facebook-" + secrets.token_hex(12)
    extra_vars = {
        "facebook_app_secret": facebook_secret,
        "saml_pfx_password": password,
        "compromised_kid": compromised["kid"],
        "saml_x5t": x5t(cert),
    }
    return extra_vars, [facebook_secret, password]


def check_b2c_keyset_key(emulator, _first_results, extra_vars):
    stored = stored_keysets(emulator)
    status = {key["kid"]: key.get("status") for key in stored["B2C_1A_TokenSigningKeyContainer"]}
    assert status.pop(extra_vars["compromised_kid"]) == "disabled" and list(status.values()) == ["enabled"]
    assert [(key["kty"].upper(), key["use"]) for key in stored["B2C_1A_TokenEncryptionKeyContainer"]] == [
        ("RSA", "enc")
    ]
    assert [key["kty"].lower() for key in stored["B2C_1A_FacebookSecret"]] == ["oct"]
    assert [key["x5t"] for key in stored["B2C_1A_SamlIdpCert"]] == [extra_vars["saml_x5t"]]


def prepare_b2c_keyset_info(emulator, _workdir):
    """One keyset with a key valid for two years, so the listing has something to show and nothing is due."""
    with graph(emulator) as client:
        client.post(KEYSETS_PATH, json={"id": "TokenSigningKeyContainer"}).raise_for_status()
        generate_key(client, "B2C_1A_TokenSigningKeyContainer")
    return {}, []


def check_b2c_keyset_info(_emulator, first_results, _extra_vars):
    listed = first_results["All keysets with their active keys"]["keysets"]
    assert [(keyset["id"], bool(keyset["active_key"])) for keyset in listed] == [
        ("B2C_1A_TokenSigningKeyContainer", True)
    ]
    shown = [item["msg"] for item in first_results["Show when the keys of each keyset expire"]["results"]]
    assert shown == ["B2C_1A_TokenSigningKeyContainer: " + listed[0]["key_list"][0]["exp_iso"]]
    assert first_results["Keysets that need a new key within 30 days"]["keysets"] == []


def signing_keyset_with_a_key(emulator):
    with graph(emulator) as client:
        client.post(KEYSETS_PATH, json={"id": "TokenSigningKeyContainer"}).raise_for_status()
        generate_key(client, "B2C_1A_TokenSigningKeyContainer")


def starter_pack(tenant):
    """Base, extensions and relying party of a starter-pack-like chain, by file name."""
    return {
        "TrustFrameworkBase.xml": policy(policy_id="B2C_1A_TrustFrameworkBase", base=None, tenant=tenant),
        "TrustFrameworkExtensions.xml": policy(tenant=tenant),
        "SignUpOrSignin.xml": policy(
            policy_id="B2C_1A_signup_signin", base="B2C_1A_TrustFrameworkExtensions", tenant=tenant, keysets=()
        ),
    }


def deployed_policy_ids(emulator):
    with graph(emulator) as client:
        response = client.get(POLICIES_PATH)
        response.raise_for_status()
        return sorted(item["id"] for item in response.json()["value"])


def prepare_b2c_policy(emulator, workdir):
    """The starter-pack chain as the examples read it: templates (rendered with the tenant's name) and a file."""
    signing_keyset_with_a_key(emulator)
    files = starter_pack("{{ b2c_tenant_name }}")
    (workdir / "templates" / "policies").mkdir(parents=True)
    (workdir / "policies").mkdir()
    for name in ("TrustFrameworkBase.xml", "SignUpOrSignin.xml"):
        (workdir / "templates" / "policies" / name).write_text(files[name], encoding="utf-8")
    (workdir / "policies" / "TrustFrameworkExtensions.xml").write_text(
        files["TrustFrameworkExtensions.xml"].replace("{{ b2c_tenant_name }}", emulator.tenant), encoding="utf-8"
    )
    return {"b2c_tenant_name": emulator.tenant}, []


def check_b2c_policy(emulator, first_results, _extra_vars):
    assert deployed_policy_ids(emulator) == [
        "B2C_1A_TrustFrameworkBase",
        "B2C_1A_TrustFrameworkExtensions",
        "B2C_1A_signup_signin",
    ]
    assert first_results["Extensions policy from a file"]["policy"]["base_policy"] == "B2C_1A_TrustFrameworkBase"


def put_policy(client, policy_id, text):
    client.put(
        "%s/%s/$value" % (POLICIES_PATH, policy_id),
        content=text.encode("utf-8"),
        headers={"Content-Type": "application/xml; charset=utf-8"},
    ).raise_for_status()


def prepare_b2c_policy_info(emulator, _workdir):
    """The base and extensions policies deployed, the signing keyset they use."""
    signing_keyset_with_a_key(emulator)
    files = starter_pack(emulator.tenant)
    with graph(emulator) as client:
        for name, policy_id in (
            ("TrustFrameworkBase.xml", "B2C_1A_TrustFrameworkBase"),
            ("TrustFrameworkExtensions.xml", "B2C_1A_TrustFrameworkExtensions"),
        ):
            put_policy(client, policy_id, files[name])
    return {}, []


def check_b2c_policy_info(_emulator, first_results, _extra_vars):
    listed = first_results["Every policy of the tenant"]
    assert [(item["id"], item["base_policy"]) for item in listed["policies"]] == [
        ("B2C_1A_TrustFrameworkBase", None),
        ("B2C_1A_TrustFrameworkExtensions", "B2C_1A_TrustFrameworkBase"),
    ]
    assert first_results["The policies that would break without the token signing key"]["msg"] == [
        "B2C_1A_TrustFrameworkBase",
        "B2C_1A_TrustFrameworkExtensions",
    ]
    assert "<TrustFrameworkPolicy" in first_results["One policy with its XML"]["policies"][0]["content"]


def prepare_b2c_report_file(emulator, workdir):
    """A signing keyset with a key to report, and the folder the examples write to."""
    signing_keyset_with_a_key(emulator)
    (workdir / "artifacts").mkdir()
    return {"artifacts_dir": str(workdir / "artifacts")}, []


def check_b2c_report_file(_emulator, first_results, extra_vars):
    artifacts = extra_vars["artifacts_dir"]
    with open(os.path.join(artifacts, "keysets.json"), encoding="utf-8") as handle:
        assert [keyset["id"] for keyset in json.load(handle)] == ["B2C_1A_TokenSigningKeyContainer"]
    kids = first_results["The kids of the active keys, readable by their owner only"]
    assert kids["changed"] and kids["mode"] == "0600" and kids["path"] == os.path.join(artifacts, "active-kids.txt")
    assert stat.S_IMODE(os.stat(kids["path"]).st_mode) == 0o600
    with open(kids["path"], encoding="utf-8") as handle:
        assert handle.read().startswith("B2C_1A_TokenSigningKeyContainer ")


OLD_SIGNUP = "B2C_1A_signup_signin_v1"


def prepare_b2c_policy_set(emulator, workdir):
    """The starter-pack chain as a folder and as templates, and an old relying party (deployed) in its own folder."""
    signing_keyset_with_a_key(emulator)
    deployed = starter_pack(emulator.tenant)
    old = policy(policy_id=OLD_SIGNUP, base="B2C_1A_TrustFrameworkExtensions", tenant=emulator.tenant, keysets=())
    with graph(emulator) as client:
        put_policy(client, "B2C_1A_TrustFrameworkBase", deployed["TrustFrameworkBase.xml"])
        put_policy(client, "B2C_1A_TrustFrameworkExtensions", deployed["TrustFrameworkExtensions.xml"])
        put_policy(client, OLD_SIGNUP, old)
    for folder, files in (
        ("templates/policies", starter_pack("{{ b2c_tenant_name }}")),
        ("policies", deployed),
        ("old-policies", {"SignUpOrSigninV1.xml": old}),
    ):
        (workdir / folder).mkdir(parents=True)
        for name, text in files.items():
            (workdir / folder / name).write_text(text, encoding="utf-8")
    return {"b2c_tenant_name": emulator.tenant}, []


def check_b2c_policy_set(emulator, first_results, _extra_vars):
    assert deployed_policy_ids(emulator) == [
        "B2C_1A_TrustFrameworkBase",
        "B2C_1A_TrustFrameworkExtensions",
        "B2C_1A_signup_signin",
    ]
    folder = first_results["Deploy every policy of a folder, base first"]["policies"]
    assert [(item["id"], item["action"]) for item in folder] == [
        ("B2C_1A_TrustFrameworkBase", "none"),
        ("B2C_1A_TrustFrameworkExtensions", "none"),
        ("B2C_1A_signup_signin", "created"),
    ]
    assert first_results["Show which policies were uploaded"]["msg"] == []
    removed = first_results["Remove a set that no application uses any more, relying parties first"]["policies"]
    assert removed == [{"id": OLD_SIGNUP, "action": "deleted", "reason": "absent"}]


SETUP = {
    "b2c_keyset": (prepare_b2c_keyset, check_b2c_keyset),
    "b2c_keyset_key": (prepare_b2c_keyset_key, check_b2c_keyset_key),
    "b2c_keyset_info": (prepare_b2c_keyset_info, check_b2c_keyset_info),
    "b2c_policy": (prepare_b2c_policy, check_b2c_policy),
    "b2c_policy_info": (prepare_b2c_policy_info, check_b2c_policy_info),
    "b2c_report_file": (prepare_b2c_report_file, check_b2c_report_file),
    "b2c_policy_set": (prepare_b2c_policy_set, check_b2c_policy_set),
}


# -- the tests -------------------------------------------------------------------------------------------------
def test_every_module_has_examples_and_a_setup():
    modules = sorted(
        name[:-3] for name in os.listdir(os.path.join(REPO_ROOT, "plugins", "modules")) if name.endswith(".py")
    )
    assert modules == sorted(MODULES) == sorted(SETUP)


@pytest.mark.parametrize("module", MODULES)
def test_module_examples_run_as_written_and_converge(emulator_clean, tmp_path, module):
    prepare, check = SETUP[module]
    plays = example_plays(module)
    extra_vars, secrets_in_play = prepare(emulator_clean, tmp_path)
    first_results = converge_twice(emulator_clean, tmp_path, plays, extra_vars, secrets_in_play=secrets_in_play)
    check(emulator_clean, first_results, extra_vars)


CONNECTION_VALUES = {
    "tenant_id": lambda emulator: emulator.tenant,
    "client_id": lambda emulator: emulator.client_id,
    "client_secret": lambda emulator: emulator.client_secret,
    "graph_endpoint": lambda emulator: emulator.url,
    "authority_host": lambda emulator: emulator.url,
    "ca_path": lambda emulator: emulator.ca_path,
}


def point_at_emulator(options, emulator, extra_vars):
    """Connection values of ``options`` for the emulator: literals replaced, ``{{ variable }}`` given as extra vars."""
    for option in set(options) & set(CONNECTION_VALUES):
        value = CONNECTION_VALUES[option](emulator)
        variable = re.fullmatch(r"\{\{\s*(\w+)\s*\}\}", str(options[option]))
        if variable:
            extra_vars[variable.group(1)] = value
        else:
            options[option] = value


def test_readme_module_defaults_example_runs_as_written_and_converges(emulator_clean, tmp_path):
    plays = readme_authentication_example()
    extra_vars = {}
    for play in plays:
        for options in (play.get("module_defaults") or {}).values():
            point_at_emulator(options, emulator_clean, extra_vars)
        for task in play.get("tasks") or []:
            point_at_emulator(collection_module_args(task)[1] or {}, emulator_clean, extra_vars)
    assert any("module_defaults" in play for play in plays), "the README example no longer shows module_defaults"
    # The credentials come from the play's module_defaults only; Graph/login URLs and the CA from the environment.
    env = playbook_environment(emulator_clean, tmp_path)
    for variable in ("AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET"):
        env.pop(variable)

    converge_twice(emulator_clean, tmp_path, plays, extra_vars, env=env, secrets_in_play=[emulator_clean.client_secret])
    assert [
        (key["kty"].upper(), key["use"]) for key in stored_keysets(emulator_clean)["B2C_1A_TokenSigningKeyContainer"]
    ] == [("RSA", "sig")]
