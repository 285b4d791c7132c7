"""Secret-leak scan: one playbook at -vvvv --diff with a distinctive sentinel in every secret input.

A dedicated emulator is started with a sentinel client secret and a sentinel
read-only secret. The playbook authenticates every way the collection supports
(client secret, client certificate with and without a password, access token),
uploads a secret and a PKCS#12 bundle, creates a keyset with a private JWK member, uploads a policy,
runs the role with a secret, and includes failing cases (wrong client secret,
403 from the read-only client, expired access token). Then every place a secret
could end up is searched for every sentinel, in every form a request carries it.
"""

import json
import os

import pytest
from cryptography.hazmat.primitives import serialization

from tests.emulator.pytest_plugin import EmulatorProcess
from tests.integration.reliability.support import (
    create_keyset,
    encoded_forms,
    local_play,
    module_task,
    read_keyset,
    run_plays,
)
from tests.support.certs import b64, pfx, private_key_pem, self_signed

# Characters that encoding changes (+ / = as older Entra client secrets hold, " \\ and non-ASCII for JSON),
# so that the scan below looks for each form a request carries (JSON-escaped, form-encoded, base64).
SENTINELS = {
    "client_secret": "sentinel-client+secret/5c1b7e=",
    "read_only_client_secret": "sentinel-reader+secret/0a93d2=",
    "wrong_client_secret": "sentinel-wrong+secret/77e0c4=",
    "uploaded_secret": 'sentinel-uploaded"secret\\d4f2a8\u00e4+/=',
    "role_item_secret": "sentinel-role-item+secret/61be3f=",
    "role_variable_secret": 'sentinel-role-var"secret\u00e4/3a8d90',
    "pkcs12_password": "sentinel-pfx+password/9e41c6=",
    "client_certificate_password": "sentinel-cert+password/b5d217=",
    "jwk_private_member": "c2VudGluZWwtandrLWstbWVtYmVyLTJmOGE",
}
# Filled at run time: a line of the client certificate's private key body, and the access tokens used.
RUNTIME_SENTINELS = ("client_certificate_private_key_line", "access_token", "expired_access_token")


def _private_key_line(pem_path):
    """A full base64 line from the middle of the PEM private key (distinctive: 64 random characters)."""
    with open(pem_path, encoding="ascii") as handle:
        text = handle.read()
    body = text.split("-----BEGIN PRIVATE KEY-----")[1].split("-----END PRIVATE KEY-----")[0].split()
    return body[len(body) // 2]


def _encrypted_copy(pem_path, password, target):
    """The same key (encrypted with ``password``) and certificate in a new PEM file."""
    with open(pem_path, "rb") as handle:
        data = handle.read()
    key = serialization.load_pem_private_key(data, password=None)
    certificate = data[data.index(b"-----BEGIN CERTIFICATE-----") :]
    target.write_bytes(private_key_pem(key, password) + certificate)
    os.chmod(target, 0o600)
    return str(target)


def _policy(emulator, policy_id):
    """A policy for the leak emulator's tenant that uses the keyset the certificate task fills."""
    return (
        '<TrustFrameworkPolicy xmlns="http://schemas.microsoft.com/online/cpim/schemas/2013/06" '
        'PolicySchemaVersion="0.3.0.0" TenantId="%s" PolicyId="%s"><ClaimsProviders><ClaimsProvider>'
        '<DisplayName>Leak</DisplayName><TechnicalProfiles><TechnicalProfile Id="JwtIssuer"><CryptographicKeys>'
        '<Key Id="issuer_secret" StorageReferenceId="B2C_1A_LeakCert" /></CryptographicKeys></TechnicalProfile>'
        "</TechnicalProfiles></ClaimsProvider></ClaimsProviders></TrustFrameworkPolicy>" % (emulator.tenant, policy_id)
    )


def _tasks(emulator, sentinels, material):
    reader = {"client_id": emulator.read_only_client_id, "client_secret": sentinels["read_only_client_secret"]}
    certificate = {"auth_method": "client_certificate", "client_certificate_path": emulator.client_cert_path}
    encrypted = {
        "auth_method": "client_certificate",
        "client_certificate_path": material["encrypted_pem"],
        "client_certificate_password": sentinels["client_certificate_password"],
    }
    token = {"auth_method": "access_token", "access_token": sentinels["access_token"]}
    role_items = [
        {"name": "LeakRoleItem", "source": "secret", "secret": sentinels["role_item_secret"]},
        {"name": "LeakRoleVariable", "source": "secret", "secret_variable": "leak_role_secret"},
    ]
    return [
        module_task(
            "upload a secret",
            "b2c_keyset_key",
            {"keyset": "LeakSecret", "source": "secret", "secret": sentinels["uploaded_secret"]},
        ),
        module_task(
            "upload a pkcs12",
            "b2c_keyset_key",
            {
                "keyset": "LeakPfx",
                "source": "pkcs12",
                "pkcs12": material["pfx"],
                "pkcs12_password": sentinels["pkcs12_password"],
            },
        ),
        module_task("generate with a client certificate", "b2c_keyset_key", dict(certificate, keyset="LeakCert")),
        module_task("list with an encrypted client certificate", "b2c_keyset_info", encrypted),
        module_task(
            "create with an access token and a private jwk member",
            "b2c_keyset",
            dict(token, name="LeakJwk", keys=[{"kty": "oct", "use": "sig", "k": sentinels["jwk_private_member"]}]),
        ),
        {
            "name": "the role with secrets",
            "ansible.builtin.include_role": {"name": "b2c.trustframework.policy_keys"},
            "vars": {"b2c_policy_keys": role_items, "leak_role_secret": sentinels["role_variable_secret"]},
        },
        module_task(
            "upload a policy with an access token", "b2c_policy", dict(token, content=_policy(emulator, "B2C_1A_Leak"))
        ),
        module_task(
            "list policies with an encrypted client certificate", "b2c_policy_info", dict(encrypted, content=True)
        ),
        module_task(
            "fail a policy upload with the read-only client",
            "b2c_policy",
            dict(reader, content=_policy(emulator, "B2C_1A_LeakReadOnly")),
            ignore_errors=True,
        ),
        module_task(
            "fail with a wrong client secret",
            "b2c_keyset_info",
            {"client_secret": sentinels["wrong_client_secret"], "token_cache_path": ""},
            ignore_errors=True,
        ),
        module_task(
            "fail with the read-only client", "b2c_keyset_key", dict(reader, keyset="LeakReadOnly"), ignore_errors=True
        ),
        module_task(
            "fail with an expired access token",
            "b2c_keyset_key",
            {"keyset": "LeakSecret", "auth_method": "access_token", "access_token": sentinels["expired_access_token"]},
            ignore_errors=True,
        ),
    ]


EXPECTED_FAILURES = {
    "fail with a wrong client secret": "AADSTS7000215",
    "fail with the read-only client": "TrustFrameworkKeySet.ReadWrite.All",
    "fail a policy upload with the read-only client": "Policy.ReadWrite.TrustFramework",
    "fail with an expired access token": "rejected the supplied access token",
}


@pytest.fixture(scope="module")
def leak_emulator():
    with EmulatorProcess(
        client_secret=SENTINELS["client_secret"], read_only_client_secret=SENTINELS["read_only_client_secret"]
    ) as emu:
        yield emu


@pytest.fixture(scope="module")
def scanned(leak_emulator, tmp_path_factory):
    """Runs the playbook; returns (sentinels, {source name: text}, run)."""
    tmp_path = tmp_path_factory.mktemp("secrets")
    key, cert = self_signed("leak-pkcs12")
    sentinels = dict(
        SENTINELS,
        client_certificate_private_key_line=_private_key_line(leak_emulator.client_cert_path),
        access_token=leak_emulator.mint_token(),
        expired_access_token=leak_emulator.mint_token(lifetime=-600),
    )
    material = {
        "pfx": b64(pfx(key, cert, sentinels["pkcs12_password"])),
        "encrypted_pem": _encrypted_copy(
            leak_emulator.client_cert_path, sentinels["client_certificate_password"], tmp_path / "encrypted-client.pem"
        ),
    }
    create_keyset(leak_emulator, "LeakReadOnly")
    log_path = tmp_path / "ansible.log"
    run = run_plays(
        leak_emulator,
        tmp_path,
        [local_play(_tasks(leak_emulator, sentinels, material), name="Leak scan")],
        "-vvvv",
        "--diff",
        env={"ANSIBLE_LOG_PATH": str(log_path)},
    )
    entries = run.entries
    sources = {
        "ansible stdout+stderr": run.output,
        "ansible log file": log_path.read_text() if log_path.exists() else "",
        "callback results": json.dumps(entries),
        "diffs": json.dumps([entry["result"].get("diff") for entry in entries]),
        "failure messages": json.dumps(
            [entry["result"].get("msg") for entry in entries if entry["outcome"] == "failed"]
        ),
        "emulator request log": json.dumps(leak_emulator.requests()),
        "emulator stderr": open(leak_emulator.stderr_path, encoding="utf-8", errors="replace").read(),
        "token cache file": (tmp_path / "token-cache.json").read_text(),
        "keysets as stored": json.dumps(
            [read_keyset(leak_emulator, name) for name in ("LeakSecret", "LeakJwk", "LeakPfx")]
        ),
    }
    return sentinels, sources, run


@pytest.mark.integration
def test_the_leak_playbook_did_what_it_should(scanned):
    sentinels, sources, run = scanned
    assert run.process.returncode == 0, run.output[-8000:]
    assert sorted(sentinels) == sorted(list(SENTINELS) + list(RUNTIME_SENTINELS))
    for task in (
        "upload a secret",
        "upload a pkcs12",
        "generate with a client certificate",
        "create with an access token and a private jwk member",
        "upload a policy with an access token",
    ):
        assert run.result(task)["changed"] is True, task
    for task, fragment in EXPECTED_FAILURES.items():
        assert run.failed(task) and fragment in run.result(task)["msg"], (task, run.result(task).get("msg"))
    assert "diff" in run.result("upload a secret"), "--diff must produce diffs to scan"
    assert "access_token" in sources["token cache file"] or "AccessToken" in sources["token cache file"], (
        "the token cache holds the emulator-issued token (proof that it was written and scanned)"
    )


@pytest.mark.integration
@pytest.mark.parametrize("sentinel", sorted(list(SENTINELS) + list(RUNTIME_SENTINELS)))
def test_no_sentinel_anywhere(scanned, sentinel):
    sentinels, sources, dummy_run = scanned
    forms = encoded_forms(sentinels[sentinel])
    leaks = [name for name, text in sources.items() if any(form in text for form in forms)]
    assert leaks == [], "%s leaked into: %s" % (sentinel, ", ".join(leaks))
