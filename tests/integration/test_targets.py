"""Run the integration targets (tests/integration/targets/<module>) with ansible-playbook against the emulator.

Each case applies one target role (or one scenario file of it) to localhost on a
freshly reset emulator. Key material is made here with cryptography and handed
over as extra vars; the secrets are then searched for in the verbose output.
"""

import pytest

from tests.integration.playbook_runner import run_playbook
from tests.support.certs import b64, der, pem, pfx, self_signed, x5t

IT_SECRET = "it-facebook-secret-3f9a1c"
IT_PFX_PASSWORD = "it-pfx-password-77b2"
IT_OCT_KEY = "aXQtb2N0LWtleS1tdXN0LW5vdC1sZWFr"

CASES = [
    ("b2c_keyset", "main"),
    ("b2c_keyset", "policies"),
    ("b2c_keyset_key", "generate"),
    ("b2c_keyset_key", "secret"),
    ("b2c_keyset_key", "certificate"),
    ("b2c_keyset_key", "pkcs12"),
    ("b2c_keyset_key", "renew"),
    ("b2c_keyset_key", "rollover"),
    ("b2c_keyset_key", "status"),
    ("b2c_keyset_key", "fault"),
    ("b2c_keyset_key", "errors"),
    ("b2c_keyset_info", "main"),
    ("b2c_keyset_info", "policies"),
    ("b2c_policy", "main"),
    ("b2c_policy", "reformatted"),
    ("b2c_policy_set", "main"),
    ("b2c_policy_set", "reformatted"),
]

PLAYBOOK = """\
- name: Integration target {target} ({tasks})
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Check the emulator
      ansible.builtin.include_role:
        name: setup_emulator
    - name: Run the target
      ansible.builtin.include_role:
        name: {target}
        tasks_from: {tasks}
"""


@pytest.fixture(scope="session")
def key_material_vars(tmp_path_factory):
    """Certificate, expired certificate and PKCS#12 files, plus what the targets compare against."""
    folder = tmp_path_factory.mktemp("key-material")
    key, cert = self_signed("b2c-integration")
    _key, expired = self_signed("b2c-integration", days_valid=-1, days_before=30, key=key)
    pfx_key, pfx_cert = self_signed("b2c-integration")
    bundle = pfx(pfx_key, pfx_cert, IT_PFX_PASSWORD)
    legacy_key, legacy_cert = self_signed("b2c-integration-openssl-legacy")
    try:
        legacy_bundle = pfx(legacy_key, legacy_cert, IT_PFX_PASSWORD, protection="openssl-legacy")
    except pytest.skip.Exception:  # no openssl CLI here: the targets leave that case out
        legacy_bundle = None
    files = {
        "cert.pem": pem(cert).encode(),
        "expired.pem": pem(expired).encode(),
        "bundle.pfx": bundle,
        "bundle.pfx.b64": b64(bundle).encode(),
        "not-a-certificate.txt": b"just some text\n",
        "bundle-openssl-legacy.pfx": legacy_bundle or b"",
    }
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return {
        "it_cert_path": str(folder / "cert.pem"),
        "it_cert_b64": b64(der(cert)),
        "it_cert_x5t": x5t(cert),
        "it_expired_cert_path": str(folder / "expired.pem"),
        "it_pfx_path": str(folder / "bundle.pfx"),
        "it_pfx_b64_path": str(folder / "bundle.pfx.b64"),
        "it_pfx_password": IT_PFX_PASSWORD,
        "it_pfx_password_file": str(folder / "not-a-certificate.txt"),
        "it_pfx_x5t": x5t(pfx_cert),
        "it_legacy_pfx_path": str(folder / "bundle-openssl-legacy.pfx") if legacy_bundle else "",
        "it_legacy_pfx_x5t": x5t(legacy_cert),
        "it_secret": IT_SECRET,
        "it_oct_key": IT_OCT_KEY,
    }


@pytest.mark.integration
@pytest.mark.parametrize("target, tasks", CASES, ids=["%s-%s" % case for case in CASES])
def test_target(emulator_clean, key_material_vars, tmp_path, target, tasks):
    playbook = tmp_path / "playbook.yml"
    playbook.write_text(PLAYBOOK.format(target=target, tasks=tasks))
    extra_vars = dict(key_material_vars, emulator_url=emulator_clean.url, emulator_ca=emulator_clean.ca_path)
    run = run_playbook(emulator_clean, tmp_path, playbook, "-v", extra_vars=extra_vars)
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-20000:]
    assert "failed=0" in run.stdout
    for secret in (IT_SECRET, IT_PFX_PASSWORD, IT_OCT_KEY):
        assert secret not in output, "a secret leaked into the ansible-playbook output"
    log = emulator_clean.requests("graph")
    assert all(entry.get("status") != 401 for entry in log)
    if tasks == "fault":
        _assert_faults_were_hit(log)


def _assert_faults_were_hit(log):
    """The scenario only proves something if the injected faults really fired."""
    applied = [e for e in log if e.get("fault") == "apply_then_fail"]
    assert [(e["method"], e["path"].rsplit("/", 1)[-1], e["status"]) for e in applied] == [("POST", "generateKey", 500)]
    assert any(e.get("fault") == "replication_lag" for e in log)
    lagged_reads = [e for e in log if e["method"] == "GET" and "ItLagged" in e["path"] and e["status"] == 400]
    assert lagged_reads, "the module never met the replication lag"
