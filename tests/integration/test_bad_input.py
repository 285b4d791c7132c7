"""Bad input: ONE playbook with a task per case (ignore_errors / rescue), then a test per case.

Each case must fail locally, before any network call, with a message that names what
is wrong and what to do; the emulator must not see a single request (Graph, token or
discovery) while the case runs.
"""

import dataclasses

import pytest

from tests.integration.reliability.support import local_play, module_task, request_ended, run_plays
from tests.support.certs import b64, ec_key, pem, pfx, self_signed

PFX_PASSWORD = "bad-input-pfx-password"
NO_SECRET = {"AZURE_CLIENT_SECRET": "", "AZURE_SECRET": ""}
NO_TENANT = {"AZURE_TENANT_ID": "", "AZURE_TENANT": ""}
ROLE = "b2c.trustframework.policy_keys"


@dataclasses.dataclass(frozen=True)
class BadInput:
    """``args`` may use {name} placeholders filled from the material fixture (file paths, PEM, PKCS#12)."""

    name: str
    module: str  # a module name, or ROLE (args are then one b2c_policy_keys item)
    args: dict
    expected: tuple  # fragments of the failure message
    environment: dict = dataclasses.field(default_factory=dict)


# Cases that still reach the emulator: product bugs, reported to the owner.
def case(name, module, args, *expected, environment=None):
    return pytest.param(BadInput(name, module, args, expected, environment or {}), id=name)


CASES = [
    # b2c_keyset
    case(
        "keyset-name-with-space",
        "b2c_keyset",
        {"name": "Token Signing"},
        "name='Token Signing' may only hold letters, digits",
    ),
    case(
        "keyset-name-empty",
        "b2c_keyset",
        {"name": "B2C_1A_"},
        "name must not be empty (give e.g. TokenSigningKeyContainer)",
    ),
    case("keyset-name-too-long", "b2c_keyset", {"name": "K" * 130}, "is too long", "at most 128"),
    case(
        "keyset-keys-mix-families",
        "b2c_keyset",
        {
            "name": "Mixed",
            "keys": [
                {"kty": "RSA", "use": "sig", "n": "AQAB", "e": "AQAB"},
                {"kty": "oct", "use": "sig", "k": "c2VjcmV0"},
            ],
        },
        "keys mixes RSA and oct keys",
        "AADB2C95032",
    ),
    case(
        "keyset-keys-unknown-kty",
        "b2c_keyset",
        {"name": "Curve", "keys": [{"kty": "EC", "use": "sig"}]},
        "keys[0].kty='EC' must be rsa or oct",
    ),
    case(
        "keyset-keys-unparsable-nbf",
        "b2c_keyset",
        {"name": "Dated", "keys": [{"kty": "RSA", "use": "sig", "nbf": "tomorrow"}]},
        "keys[0].nbf='tomorrow' is not a valid time; use epoch seconds",
        "ISO 8601",
    ),
    case(
        "keyset-unknown-state",
        "b2c_keyset",
        {"name": "Stateful", "state": "enabled"},
        "value of state must be one of: present, absent",
    ),
    # b2c_keyset_key: names, kty/use, dates
    case(
        "key-keyset-name-with-slash", "b2c_keyset_key", {"keyset": "a/b"}, "keyset='a/b' may only hold letters, digits"
    ),
    case(
        "key-kty-ec",
        "b2c_keyset_key",
        {"keyset": "Sig", "kty": "ec"},
        "value of kty must be one of: rsa, oct, RSA, OCT, got: ec",
    ),
    case(
        "key-use-encrypt",
        "b2c_keyset_key",
        {"keyset": "Sig", "use": "encrypt"},
        "value of use must be one of: sig, enc, SIG, ENC, got: encrypt",
    ),
    case(
        "key-exp-before-nbf",
        "b2c_keyset_key",
        {"keyset": "Sig", "nbf": "2031-01-02T00:00:00Z", "exp": "2031-01-01T00:00:00Z"},
        "exp (2031-01-01T00:00:00Z) must be after nbf (2031-01-02T00:00:00Z)",
    ),
    case(
        "key-exp-in-the-past",
        "b2c_keyset_key",
        {"keyset": "Sig", "exp": 1000000000},
        "exp (2001-09-09T01:46:40Z) is in the past",
    ),
    case(
        "key-nbf-unparsable",
        "b2c_keyset_key",
        {"keyset": "Sig", "nbf": "next monday"},
        "nbf='next monday' is not a valid time",
    ),
    case(
        "key-exp-unparsable",
        "b2c_keyset_key",
        {"keyset": "Sig", "exp": "2031-13-45"},
        "exp='2031-13-45' is not a valid time",
    ),
    case(
        "key-valid-days-with-exp",
        "b2c_keyset_key",
        {"keyset": "Sig", "valid_days": 30, "exp": "2031-01-01T00:00:00Z"},
        "parameters are mutually exclusive: exp|valid_days",
    ),
    case(
        "key-valid-days-zero",
        "b2c_keyset_key",
        {"keyset": "Sig", "valid_days": 0},
        "valid_days=0 must be a positive number of days",
    ),
    case(
        "key-renew-before-days-negative",
        "b2c_keyset_key",
        {"keyset": "Sig", "renew_before_days": -1},
        "renew_before_days must be 0 or more",
    ),
    case(
        "key-renew-before-outlives-key",
        "b2c_keyset_key",
        {"keyset": "Sig", "valid_days": 10, "renew_before_days": 30},
        "renewed on every run",
        "make exp / valid_days longer than renew_before_days",
    ),
    case(
        "key-activate-with-nbf",
        "b2c_keyset_key",
        {"keyset": "Sig", "activate_in_days": 7, "nbf": "2031-01-01T00:00:00Z"},
        "parameters are mutually exclusive: nbf|activate_in_days",
    ),
    case(
        "key-activate-past-year-9999",
        "b2c_keyset_key",
        {"keyset": "Sig", "activate_in_days": 100000000},
        "activate_in_days=100000000 from now is after 9999-12-31T23:59:59Z, later than a key can carry",
    ),
    case(
        "key-valid-days-after-activation-past-year-9999",
        "b2c_keyset_key",
        {"keyset": "Sig", "activate_in_days": 2000000, "valid_days": 1000000},
        "valid_days=1000000 after activate_in_days=2000000 is after 9999-12-31T23:59:59Z",
    ),
    case(
        "key-nbf-before-year-1",
        "b2c_keyset_key",
        {"keyset": "Sig", "nbf": -1e29},
        "nbf is before 0001-01-01T00:00:00Z, earlier than a key can carry",
    ),
    case(
        "key-activate-negative",
        "b2c_keyset_key",
        {"keyset": "Sig", "activate_in_days": -1},
        "activate_in_days must be 0 or more",
    ),
    case(
        "key-activate-not-below-renewal",
        "b2c_keyset_key",
        {"keyset": "Sig", "activate_in_days": 7, "renew_before_days": 7, "valid_days": 365},
        "renew_before_days (7) must be larger than activate_in_days (7)",
    ),
    case(
        "key-disable-expired-grace-negative",
        "b2c_keyset_key",
        {"keyset": "Sig", "disable_expired_after_days": -1},
        "disable_expired_after_days must be 0 or more",
    ),
    case(
        "key-kid-without-status",
        "b2c_keyset_key",
        {"keyset": "Sig", "kid": "abc"},
        "parameters are required together: kid, status",
    ),
    case(
        "key-status-without-kid",
        "b2c_keyset_key",
        {"keyset": "Sig", "status": "disabled"},
        "parameters are required together: kid, status",
    ),
    # b2c_keyset_key: sources and key material
    case(
        "key-secret-with-source-generate",
        "b2c_keyset_key",
        {"keyset": "Sig", "secret": "s3cr3t"},
        "secret is for source=secret",
        "set source: secret",
    ),
    case(
        "key-empty-secret",
        "b2c_keyset_key",
        {"keyset": "Oct", "source": "secret", "secret": ""},
        "Invalid options: secret",
    ),
    case(
        "key-source-secret-without-secret",
        "b2c_keyset_key",
        {"keyset": "Oct", "source": "secret"},
        "source is secret but all of the following are missing: secret",
    ),
    case(
        "key-certificate-not-base64",
        "b2c_keyset_key",
        {"keyset": "Cert", "source": "certificate", "certificate": "@@ not base64 @@"},
        "certificate is neither PEM nor base64; check its content",
    ),
    case(
        "key-certificate-not-x509",
        "b2c_keyset_key",
        {"keyset": "Cert", "source": "certificate", "certificate": "bm90IGEgY2VydGlmaWNhdGU="},
        "certificate does not hold a readable X.509 certificate",
        "give PEM text or base64 of DER",
    ),
    case(
        "key-certificate-path-missing",
        "b2c_keyset_key",
        {"keyset": "Cert", "source": "certificate", "certificate_path": "/nonexistent/cert.pem"},
        "certificate_path: cannot read '/nonexistent/cert.pem'",
    ),
    # every file is read bounded: 1 MiB for certificates and tokens, 10 MiB for PKCS#12 bundles
    case(
        "key-certificate-path-dev-zero",
        "b2c_keyset_key",
        {"keyset": "Cert", "source": "certificate", "certificate_path": "/dev/zero"},
        "certificate_path: '/dev/zero' is larger than 1 MiB, the most this option reads",
    ),
    case(
        "key-pkcs12-path-dev-zero",
        "b2c_keyset_key",
        {"keyset": "Pfx", "source": "pkcs12", "pkcs12_path": "/dev/zero", "pkcs12_password": PFX_PASSWORD},
        "pkcs12_path: '/dev/zero' is larger than 10 MiB, the most this option reads",
    ),
    case(
        "client-certificate-path-dev-zero",
        "b2c_keyset_info",
        {"client_certificate_path": "/dev/zero"},
        "client_certificate_path (or AZURE_CLIENT_CERTIFICATE_PATH): '/dev/zero' is larger than 10 MiB",
    ),
    case(
        "federated-token-file-dev-zero",
        "b2c_keyset_info",
        {"federated_token_file": "/dev/zero"},
        "federated_token_file (or AZURE_FEDERATED_TOKEN_FILE): '/dev/zero' is larger than 1 MiB",
        environment=NO_SECRET,
    ),
    case("ca-path-dev-zero", "b2c_keyset_info", {"ca_path": "/dev/zero"}, "ca_path (or B2C_CA_PATH): '/dev/zero'"),
    case(
        "key-certificate-expired",
        "b2c_keyset_key",
        {"keyset": "Cert", "source": "certificate", "certificate": "{expired_pem}"},
        "the certificate in certificate expired on",
        "upload a current certificate",
    ),
    case(
        "key-certificate-ec",
        "b2c_keyset_key",
        {"keyset": "Cert", "source": "certificate", "certificate": "{ec_pem}"},
        "the certificate in certificate has an EC (secp256r1) key; B2C policy keys are RSA only",
    ),
    case(
        "key-pkcs12-ec",
        "b2c_keyset_key",
        {"keyset": "Pfx", "source": "pkcs12", "pkcs12": "{ec_pfx}", "pkcs12_password": PFX_PASSWORD},
        "the certificate in pkcs12 has an EC (secp256r1) key",
        "Only RSA certificates are supported",
    ),
    case(
        "key-certificate-with-exp",
        "b2c_keyset_key",
        {"keyset": "Cert", "source": "certificate", "certificate": "{valid_pem}", "valid_days": 5},
        "valid_days does not apply to source=certificate: the certificate's own validity is used",
    ),
    case(
        "key-pkcs12-wrong-password",
        "b2c_keyset_key",
        {"keyset": "Pfx", "source": "pkcs12", "pkcs12": "{pfx}", "pkcs12_password": "not-the-pfx-password"},
        "could not open pkcs12: wrong pkcs12_password or not a PKCS#12 (.pfx) file",
    ),
    case(
        "key-pkcs12-without-password",
        "b2c_keyset_key",
        {"keyset": "Pfx", "source": "pkcs12", "pkcs12": "{pfx}"},
        "could not open pkcs12 without a password: set pkcs12_password",
    ),
    case(
        "key-certificate-option-with-source-pkcs12",
        "b2c_keyset_key",
        {
            "keyset": "Pfx",
            "source": "pkcs12",
            "pkcs12": "{pfx}",
            "pkcs12_password": PFX_PASSWORD,
            "certificate": "{valid_pem}",
        },
        "certificate is for source=certificate, but source is pkcs12; set source: certificate",
    ),
    # connection and credentials (through every module)
    case(
        "no-credentials",
        "b2c_keyset_info",
        {},
        "No credentials: set one of access_token (or B2C_ACCESS_TOKEN)",
        "client_secret (or AZURE_CLIENT_SECRET)",
        environment=NO_SECRET,
    ),
    case(
        "azure-credential-user-form",
        "b2c_keyset_info",
        {},
        "Found AZURE_AD_USER and AZURE_PASSWORD (the user form of the Azure credential)",
        "needs an application credential",
        environment=dict(NO_SECRET, AZURE_AD_USER="someone@example.com", AZURE_PASSWORD="user-password"),
    ),
    case(
        "certificate-auth-without-path",
        "b2c_keyset_info",
        {"auth_method": "client_certificate"},
        "auth_method=client_certificate needs client_certificate_path: set client_certificate_path (or AZURE_CLIENT_CERTIFICATE_PATH)",
    ),
    case(
        "access-token-auth-without-token",
        "b2c_keyset_key",
        {"keyset": "Sig", "auth_method": "access_token"},
        "auth_method=access_token needs access_token: set access_token (or B2C_ACCESS_TOKEN)",
    ),
    case(
        "managed-identity-contradiction",
        "b2c_keyset",
        {"name": "Sig", "auth_method": "managed_identity", "managed_identity": False},
        "auth_method=managed_identity contradicts managed_identity=false: remove one of them",
    ),
    case(
        "secret-without-tenant",
        "b2c_keyset_info",
        {},
        "needs tenant_id: set tenant_id (or AZURE_TENANT_ID)",
        environment=NO_TENANT,
    ),
    case(
        "access-token-with-spaces",
        "b2c_keyset_info",
        {"access_token": "not a token"},
        "access_token (or B2C_ACCESS_TOKEN) must be a bare bearer token",
    ),
    case(
        "client-certificate-path-missing",
        "b2c_keyset_info",
        {"client_certificate_path": "/nonexistent/client.pem"},
        "client_certificate_path (or AZURE_CLIENT_CERTIFICATE_PATH): cannot read '/nonexistent/client.pem'",
    ),
    case(
        "client-certificate-without-key",
        "b2c_keyset_info",
        {"client_certificate_path": "{certificate_only_path}"},
        "holds no PEM private key; it must contain the private key and the certificate",
    ),
    case(
        "unknown-cloud",
        "b2c_keyset_info",
        {"cloud": "mars"},
        "value of cloud must be one of: public, usgov, dod, china, AzureCloud, AzurePublicCloud, AzureUSGovernment, "
        "AzureUSGovernmentCloud, AzureUSGovernmentDoD, USGovDoD, AzureChinaCloud, got: mars",
    ),
    case(
        "graph-endpoint-http",
        "b2c_keyset_info",
        {"graph_endpoint": "http://127.0.0.1:8443"},
        "graph_endpoint (B2C_GRAPH_ENDPOINT) must use https://; expected a URL such as https://127.0.0.1:8443",
    ),
    case(
        "graph-endpoint-with-path",
        "b2c_keyset_info",
        {"graph_endpoint": "https://127.0.0.1:8443/beta"},
        "graph_endpoint (B2C_GRAPH_ENDPOINT) must not contain a path, query or fragment",
    ),
    case(
        "authority-host-not-a-url",
        "b2c_keyset_key",
        {"keyset": "Sig", "authority_host": "login"},
        "authority_host (AZURE_AUTHORITY_HOST) must use https://",
    ),
    case(
        "ca-path-missing",
        "b2c_keyset_info",
        {"ca_path": "/nonexistent/ca.pem"},
        "ca_path (or B2C_CA_PATH): '/nonexistent/ca.pem' does not exist",
    ),
    case(
        "ca-path-not-pem",
        "b2c_keyset_info",
        {"ca_path": "{text_path}"},
        "holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
    ),
    case("timeout-zero", "b2c_keyset_info", {"timeout": 0}, "timeout must be greater than 0 seconds, got 0"),
    case("max-retries-negative", "b2c_keyset_info", {"max_retries": -1}, "max_retries must be 0 or more, got -1"),
    case(
        "token-cache-path-is-a-directory",
        "b2c_keyset_info",
        {"token_cache_path": "{directory}"},
        "is a directory; give a file path, or an empty string to disable the cache",
    ),
    # b2c_keyset_info
    case(
        "info-name-with-space",
        "b2c_keyset_info",
        {"name": "Two Words"},
        "name='Two Words' may only hold letters, digits",
    ),
    case(
        "info-expiring-within-negative",
        "b2c_keyset_info",
        {"expiring_within_days": -5},
        "expiring_within_days must be 0 or more",
    ),
    # the role: argument_specs
    case(
        "role-unknown-source",
        ROLE,
        {"name": "Vaulted", "source": "vault"},
        "value of source must be one of: generate, secret, certificate, pkcs12, got: vault",
    ),
    case("role-item-without-name", ROLE, {"source": "generate"}, "missing required arguments: name"),
    # kty/use are refused by the module's choices (either case) before any request
    case(
        "role-unknown-use",
        ROLE,
        {"name": "Both", "use": "both"},
        "value of use must be one of: sig, enc, SIG, ENC, got: both",
    ),
    case(
        "role-unknown-kty",
        ROLE,
        {"name": "Curve", "kty": "EC"},
        "value of kty must be one of: rsa, oct, RSA, OCT, got: EC",
    ),
    case(
        "role-unknown-item-option",
        ROLE,
        {"name": "Typo", "sauce": "generate"},
        "b2c_policy_keys.sauce. Supported parameters include: activate_in_days, certificate",
    ),
    case(
        "role-valid-days-not-a-number",
        ROLE,
        {"name": "Days", "valid_days": "ten"},
        "argument 'valid_days' is of type str found in 'b2c_policy_keys'",
        "cannot be converted to an int",
    ),
]


def _fill(value, material):
    if isinstance(value, str):
        return value.format(**material) if "{" in value else value
    if isinstance(value, list):
        return [_fill(item, material) for item in value]
    if isinstance(value, dict):
        return {key: _fill(item, material) for key, item in value.items()}
    return value


def _case_tasks(bad, material):
    """Module cases: one task with ignore_errors. Role cases: include_role in a block; the rescue records the failure."""
    task_name = "case " + bad.name
    keywords = {"environment": bad.environment} if bad.environment else {}
    if bad.module != ROLE:
        return [module_task(task_name, bad.module, _fill(bad.args, material), ignore_errors=True, **keywords)]
    return [
        {
            "name": "block " + bad.name,
            "block": [
                {
                    "name": "role " + bad.name,
                    "ansible.builtin.include_role": {"name": ROLE},
                    "vars": {"b2c_policy_keys": [_fill(bad.args, material)]},
                }
            ],
            "rescue": [
                {"name": task_name, "ansible.builtin.set_fact": {"bad_input_failure": "{{ ansible_failed_result }}"}}
            ],
        }
    ]


@pytest.fixture(scope="module")
def material(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bad-input-material")
    key, cert = self_signed("bad-input")
    dummy_expired_key, expired = self_signed("bad-input-expired", days_valid=-1, days_before=30)
    ec_private_key, ec_cert = self_signed("bad-input-ec", key=ec_key())
    (folder / "certificate-only.pem").write_text(pem(cert))
    (folder / "notes.txt").write_text("not a certificate\n")
    (folder / "a-directory").mkdir()
    return {
        "valid_pem": pem(cert),
        "expired_pem": pem(expired),
        "pfx": b64(pfx(key, cert, PFX_PASSWORD)),
        "ec_pem": pem(ec_cert),
        "ec_pfx": b64(pfx(ec_private_key, ec_cert, PFX_PASSWORD, legacy=True)),
        "certificate_only_path": str(folder / "certificate-only.pem"),
        "text_path": str(folder / "notes.txt"),
        "directory": str(folder / "a-directory"),
    }


@pytest.fixture(scope="module")
def bad_input_run(emulator, material, tmp_path_factory):
    """All cases in one playbook run; returns the run, the emulator's request log and each case's time window."""
    emulator.reset()
    tasks = [task for param in CASES for task in _case_tasks(param.values[0], material)]
    run = run_plays(emulator, tmp_path_factory.mktemp("bad-input"), [local_play(tasks, name="Bad input")])
    log = emulator.requests()
    windows, previous_end = {}, 0.0
    for param in CASES:
        entry = run.entry("case " + param.values[0].name)
        windows[param.values[0].name] = (previous_end, entry["end"])
        previous_end = entry["end"]
    return run, log, windows


def failure_message(run, bad):
    """The failure message of a case (a module's msg, or the role failure kept by the rescue)."""
    entry = run.entry("case " + bad.name)
    if bad.module == ROLE:  # the argument_specs check, or the key task's loop (its items carry the module's msg)
        failure = entry["result"]["ansible_facts"]["bad_input_failure"]
        return "\n".join([failure["msg"]] + [item.get("msg", "") for item in failure.get("results", [])])
    assert entry["outcome"] == "failed", "%s did not fail: %s" % (bad.name, entry["result"])
    return entry["result"]["msg"]


@pytest.mark.integration
def test_there_are_enough_cases():
    assert len(CASES) >= 30
    assert {param.values[0].module for param in CASES} == {"b2c_keyset", "b2c_keyset_key", "b2c_keyset_info", ROLE}


@pytest.mark.integration
@pytest.mark.parametrize("bad", CASES)
def test_bad_input_fails_locally_with_advice(bad_input_run, bad):
    run, log, windows = bad_input_run
    message = failure_message(run, bad)
    for fragment in bad.expected:
        assert fragment in message, "%s: expected %r in:\n%s" % (bad.name, fragment, message)
    start, end = windows[bad.name]
    sent = [(item["kind"], item["method"], item["path"]) for item in log if start < request_ended(item) <= end]
    assert sent == [], "%s sent requests before failing: %s" % (bad.name, sent)


@pytest.mark.integration
def test_bad_input_run_sent_nothing_else(bad_input_run):
    """The whole run never reached the emulator (a guard against gaps between windows)."""
    dummy_run, log, dummy_windows = bad_input_run
    sent = [(item["kind"], item["path"]) for item in log]
    assert sent == [], "the bad-input playbook reached the emulator: %s" % sent
