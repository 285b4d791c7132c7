"""Live mode: a safe subset of the integration scenarios against a real B2C tenant (`make test-live`).

Runs only when B2C_LIVE_TENANT_ID, B2C_LIVE_CLIENT_ID and B2C_LIVE_CLIENT_SECRET are set; otherwise every test
is skipped with the names of the missing variables. AZURE_CLOUD selects a national cloud; B2C_GRAPH_ENDPOINT,
AZURE_AUTHORITY_HOST and B2C_CA_PATH point the modules at a stand-in (the collection's own fallbacks).

Every keyset this run touches is named ``<run prefix>_<scenario>``, the prefix being random per run. When the
module is done (passed or not) the sweep playbook deletes every keyset carrying the prefix and fails if one is
still listed after a bounded wait. No fault injection and no emulator control API: only what a user does.
"""

import collections
import json
import os
import secrets
import warnings

import pytest

from tests.integration.playbook_runner import REPO_ROOT, playbook_environment, run_playbook
from tests.support.certs import pem, pfx, self_signed, x5t

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
        process = run_playbook(self, folder, playbook, "-v", "--diff", extra_vars=variables,
                               env=playbook_environment(self, folder, clock_offset_seconds=0))  # a tenant's clock is real
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
        pytest.skip("live tests need a tenant: set %s (missing: %s); see tests/live/README.md"
                    % (", ".join(CREDENTIALS), ", ".join(missing)))
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
        "pkcs12": {"live_pkcs12_path": str(folder / "bundle.pfx"), "live_pkcs12_password": live.pfx_password,
                   "live_x5t": x5t(pfx_cert)},
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
    extra_vars = dict(KEY_SCENARIOS[scenario], live_keyset=keyset, live_secret=live.upload_secret,
                      **key_material.get(scenario, {}))
    folder = live.converge(scenario, os.path.join(PLAYBOOKS, "key.yml"), extra_vars)
    result = json.loads((folder / "result.json").read_text())
    live.added_keys[result["keyset"]] = result["kid"]


def test_report(live):
    """playbooks/report.yml lists every keyset the key scenarios made, each with the key they added as active."""
    if not live.added_keys:
        pytest.skip("the report is checked after the key scenarios: run the whole module")
    report_file = live.workdir / "report.json"
    # The report expects exactly this run's keysets: not the starter pack the role would provision.
    run = live.run("report", REPORT_PLAYBOOK, {"report_file": str(report_file), "b2c_policy_keys": [],
                                               "expected_keysets": sorted(live.added_keys)})
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
    warnings.warn("playbooks/report.yml failed because of keysets outside this run: %s" % ", ".join(flagged))
