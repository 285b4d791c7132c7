"""Live mode: a safe subset of the integration scenarios against a real B2C tenant (`make test-live`).

Runs only when B2C_LIVE_TENANT_ID, B2C_LIVE_CLIENT_ID and B2C_LIVE_CLIENT_SECRET are set; otherwise every test
is skipped with the names of the missing variables. AZURE_CLOUD selects a national cloud; B2C_GRAPH_ENDPOINT,
AZURE_AUTHORITY_HOST and B2C_CA_PATH point the modules at a stand-in (the collection's own fallbacks).

Every keyset and policy this run touches is named ``<run prefix>_<scenario>``, the prefix being random per run.
When the module is done (passed or not) the sweep playbook deletes every policy and keyset carrying the prefix and
fails if one is still listed after a bounded wait. No fault injection and no emulator control API: only what a user
does. What the tenant showed that nobody had documented is printed at the end (conftest.py).
"""

import collections
import hashlib
import json
import os
import secrets
import uuid
import warnings

import pytest

from ansible_collections.b2c.trustframework.plugins.module_utils.policy_xml import (
    canonical_form,
    parse_policy,
    read_deployed,
    same_policy,
)
from tests.integration.playbook_runner import REPO_ROOT, playbook_environment, run_playbook
from tests.support.certs import pem, pfx, self_signed, x5t
from tests.support.policies import NAMESPACE

pytestmark = pytest.mark.live

LIVE_DIR = os.path.dirname(os.path.abspath(__file__))
PLAYBOOKS = os.path.join(LIVE_DIR, "playbooks")
REPORT_PLAYBOOK = os.path.join(REPO_ROOT, "playbooks", "report.yml")
# B2C_LIVE_* variable -> the collection's own environment fallback it feeds (SPEC section 2).
CREDENTIALS = {
    "B2C_LIVE_TENANT_ID": "AZURE_TENANT_ID",
    "B2C_LIVE_CLIENT_ID": "AZURE_CLIENT_ID",
    "B2C_LIVE_CLIENT_SECRET": "AZURE_CLIENT_SECRET",
}
# Passed through when set: a national cloud, or a stand-in instead of Microsoft's cloud.
TARGET_VARIABLES = ("AZURE_CLOUD", "B2C_GRAPH_ENDPOINT", "AZURE_AUTHORITY_HOST", "B2C_CA_PATH")
PREFIX = "B2C_1A_"

# One ansible-playbook run of the suite: exit status, stdout + stderr, and the folder holding its files.
PlaybookRun = collections.namedtuple("PlaybookRun", "returncode output folder")


def missing_variables():
    return [name for name in CREDENTIALS if not os.environ.get(name)]


class LiveTenant:
    """The tenant (or stand-in) named by the environment, and the keysets this run may touch."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.prefix = "LiveT" + secrets.token_hex(4)
        self.upload_secret = secrets.token_urlsafe(24)
        self.pfx_password = secrets.token_urlsafe(16)
        # Every secret the playbooks see: none may ever show up in their output.
        self.secrets = [self.upload_secret, self.pfx_password, os.environ["B2C_LIVE_CLIENT_SECRET"]]
        self.added_keys = {}  # keyset id -> kid of the key a scenario added

    def keyset(self, scenario):
        return "%s_%s" % (self.prefix, scenario)

    def policy_id(self, scenario):
        return PREFIX + self.keyset(scenario)

    def env(self):
        """Credentials and target for playbook_environment(), which drops the caller's own AZURE_/B2C_ variables."""
        env = {target: os.environ[source] for source, target in CREDENTIALS.items()}
        env.update({name: os.environ[name] for name in TARGET_VARIABLES if os.environ.get(name)})
        return env

    def run(self, name, playbook, extra_vars=None):
        """Run a playbook with -v and --diff; fail, without printing the output, when a secret shows up in it."""
        folder = self.workdir / name
        folder.mkdir()
        variables = dict(live_prefix=self.prefix, live_result_file=str(folder / "result.json"), **(extra_vars or {}))
        process = run_playbook(
            self,
            folder,
            playbook,
            "-v",
            "--diff",
            extra_vars=variables,
            env=playbook_environment(self, folder, clock_offset_seconds=0),
        )  # a tenant's clock is real
        output = process.stdout + process.stderr
        leaked = any(secret in output for secret in self.secrets)
        assert not leaked, "a secret showed up in the output of %s (output withheld)" % name
        return PlaybookRun(process.returncode, output, folder)

    def converge(self, name, playbook, extra_vars=None):
        """Run a playbook that must succeed; return the folder holding its result file."""
        run = self.run(name, playbook, extra_vars)
        assert run.returncode == 0, run.output[-12000:]
        return run.folder

    def sweep(self):
        run = self.run("sweep", os.path.join(PLAYBOOKS, "sweep.yml"))
        assert run.returncode == 0, "keysets with prefix %s may be left behind:\n%s" % (self.prefix, run.output[-8000:])


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    missing = missing_variables()
    if missing:
        pytest.skip(
            "live tests need a tenant: set %s (missing: %s); see tests/live/README.md"
            % (", ".join(CREDENTIALS), ", ".join(missing))
        )
    tenant = LiveTenant(tmp_path_factory.mktemp("live"))
    try:
        yield tenant
    finally:
        tenant.sweep()


@pytest.fixture(scope="module")
def key_material(live):
    """A certificate and a legacy-encrypted PKCS#12 bundle (both RSA), plus their x5t."""
    folder = live.workdir / "material"
    folder.mkdir()
    cert = self_signed(common_name="b2c-live-certificate")[1]
    (folder / "cert.pem").write_text(pem(cert))
    pfx_key, pfx_cert = self_signed(common_name="b2c-live-pkcs12")
    # Legacy PBE-SHA1-3DES with a SHA-1 MAC: the only encryption uploadPkcs12 accepts
    # (microsoft-graph-docs-contrib #8993/#8994, MicrosoftDocs/azure-docs #36773).
    (folder / "bundle.pfx").write_bytes(pfx(pfx_key, pfx_cert, live.pfx_password, legacy=True))
    return {
        "certificate": {"live_certificate_path": str(folder / "cert.pem"), "live_x5t": x5t(cert)},
        "pkcs12": {
            "live_pkcs12_path": str(folder / "bundle.pfx"),
            "live_pkcs12_password": live.pfx_password,
            "live_x5t": x5t(pfx_cert),
        },
    }


def test_keyset_create_and_delete(live):
    """An empty keyset: check mode predicts it, apply creates it once; then check, delete, delete again."""
    live.converge("keyset", os.path.join(PLAYBOOKS, "keyset.yml"), {"live_keyset": live.keyset("Container")})


KEY_SCENARIOS = {
    "generate-sig": {"live_source": "generate", "live_use": "sig", "live_kty": "RSA"},
    "generate-enc": {"live_source": "generate", "live_use": "enc", "live_kty": "RSA"},
    "secret": {"live_source": "secret", "live_use": "sig", "live_kty": "OCT"},
    "certificate": {"live_source": "certificate", "live_use": "sig", "live_kty": "RSA"},
    "pkcs12": {"live_source": "pkcs12", "live_use": "sig", "live_kty": "RSA"},
}


@pytest.mark.parametrize("scenario", KEY_SCENARIOS)
def test_key(live, key_material, scenario):
    """Check mode predicts a new keyset and key, apply adds it, info shows it active, a second run changes nothing."""
    keyset = live.keyset(scenario.title().replace("-", ""))
    extra_vars = dict(
        KEY_SCENARIOS[scenario], live_keyset=keyset, live_secret=live.upload_secret, **key_material.get(scenario, {})
    )
    folder = live.converge(scenario, os.path.join(PLAYBOOKS, "key.yml"), extra_vars)
    result = json.loads((folder / "result.json").read_text())
    live.added_keys[result["keyset"]] = result["kid"]


def test_report(live):
    """playbooks/report.yml lists every keyset the key scenarios made, each with the key they added as active."""
    if not live.added_keys:
        pytest.skip("the report is checked after the key scenarios: run the whole module")
    report_file = live.workdir / "report.json"
    # The report expects exactly this run's keysets: not the starter pack the role would provision.
    run = live.run(
        "report",
        REPORT_PLAYBOOK,
        {"report_file": str(report_file), "b2c_policy_keys": [], "expected_keysets": sorted(live.added_keys)},
    )
    assert report_file.exists(), run.output[-12000:]
    reported = {keyset["id"]: keyset for keyset in json.loads(report_file.read_text())}
    for keyset, kid in live.added_keys.items():
        assert keyset in reported, "%s is missing from the report" % keyset
        assert (reported[keyset]["active_key"] or {}).get("kid") == kid, reported[keyset]
    if run.returncode != 0:
        _assert_report_only_flags_other_keysets(live, run.output)


def _assert_report_only_flags_other_keysets(live, output):
    """The report judges the whole tenant: keysets outside this run may need attention, this run's may not."""
    marker = " problem(s): "
    assert marker in output, output[-12000:]
    problems = output.split(marker, 1)[1].split(". Provision", 1)[0].split("; ")
    flagged = [problem.split(":", 1)[0] for problem in problems]
    ours = [name for name in flagged if name.lower().startswith((PREFIX + live.prefix).lower())]
    assert not ours, "the report flags keysets of this run: %s" % ours
    warnings.warn(
        "playbooks/report.yml failed because of keysets outside this run: %s" % ", ".join(flagged), stacklevel=1
    )


def small_base_policy(policy_id, tenant):
    """A base policy of one claim type, written the way people write them: a declaration, a comment, two-space
    indentation, the attributes in the starter pack's order and a non-ASCII display name. A service that stores
    a re-serialized copy cannot hand these bytes back unchanged."""
    return (
        '<?xml version="1.0" encoding="utf-8" ?>\n'
        '<TrustFrameworkPolicy xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"\n'
        '  xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns="%s"\n'
        '  PolicySchemaVersion="0.3.0.0" TenantId="%s" PolicyId="%s"\n'
        '  PublicPolicyUri="http://%s/%s">\n'
        "  <!-- b2c.trustframework live test: deleted when the run ends -->\n"
        "  <BuildingBlocks>\n    <ClaimsSchema>\n"
        '      <ClaimType Id="liveTestClaim">\n'
        "        <DisplayName>Live test claim \u00e9\u00e8</DisplayName>\n"
        "        <DataType>string</DataType>\n"
        "      </ClaimType>\n    </ClaimsSchema>\n  </BuildingBlocks>\n"
        "</TrustFrameworkPolicy>\n" % (NAMESPACE, tenant, policy_id, tenant, policy_id)
    )


def describe_copy(policy_id, uploaded, returned):
    """What the service did with the uploaded bytes (the first open question of graph-policies-api.md section 5)."""
    returned_bytes = returned.encode("utf-8")
    desired, deployed = parse_policy(uploaded.decode("utf-8")), read_deployed(returned)
    if deployed is None:
        comparison, added = "the copy is not XML", []
    else:
        added = sorted(set(deployed.root.attrib) - set(desired.root.attrib))
        if canonical_form(desired.root) == canonical_form(deployed.root):
            comparison = "equal"
        elif same_policy(desired, deployed):
            comparison = "equal once the attributes the service sets are left out, as b2c_policy compares"
        else:
            comparison = "different: b2c_policy would upload it on every run"
    return (
        "policy %s read back: bytes unchanged: %s (sha256 uploaded %s, returned %s); canonical form: %s; "
        "root attributes the service added: %s"
        % (
            policy_id,
            "yes" if returned_bytes == uploaded else "no",
            hashlib.sha256(uploaded).hexdigest(),
            hashlib.sha256(returned_bytes).hexdigest(),
            comparison,
            ", ".join(added) or "none",
        )
    )


def test_policy_upload_read_back_and_delete(live, record_finding):
    """A small base policy: check mode predicts the upload, apply uploads it, b2c_policy_info reads it back, a second
    upload changes nothing, then delete. Records whether the service returned the uploaded bytes unchanged."""
    tenant = os.environ["B2C_LIVE_TENANT_ID"]
    if _is_guid(tenant):
        pytest.skip(
            "the policy case needs B2C_LIVE_TENANT_ID as the tenant's domain name (contoso.onmicrosoft.com), "
            "the form a policy's TenantId takes"
        )
    policy_id = live.policy_id("Policy")
    policy_file = live.workdir / "policy.xml"
    policy_file.write_bytes(small_base_policy(policy_id, tenant).encode("utf-8"))
    run = live.run(
        "policy",
        os.path.join(PLAYBOOKS, "policy.yml"),
        {"live_policy_file": str(policy_file), "live_policy_id": policy_id},
    )
    result_file = run.folder / "result.json"
    if result_file.exists():  # recorded right after the read-back: a later failure keeps the finding
        returned = json.loads(result_file.read_text())["content"]
        returned_file = run.folder / "returned.xml"
        returned_file.write_text(returned, encoding="utf-8")
        finding = describe_copy(policy_id, policy_file.read_bytes(), returned)
        record_finding("%s; both copies: %s, %s" % (finding, policy_file, returned_file))
    assert run.returncode == 0, run.output[-12000:]


def _is_guid(text):
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True
