"""credentials.py: auth method selection, credential loading, the certificate (PEM or PKCS#12), the federated token."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from ansible_collections.b2c.trustframework.plugins.module_utils import auth_method_base
from ansible_collections.b2c.trustframework.plugins.module_utils.auth_method_access_token import AccessTokenCredential
from ansible_collections.b2c.trustframework.plugins.module_utils.auth_method_client_certificate import (
    ClientCertificateCredential,
)
from ansible_collections.b2c.trustframework.plugins.module_utils.auth_method_client_secret import ClientSecretCredential
from ansible_collections.b2c.trustframework.plugins.module_utils.auth_method_managed_identity import (
    ManagedIdentityCredential,
)
from ansible_collections.b2c.trustframework.plugins.module_utils.auth_method_workload_identity import (
    WorkloadIdentityCredential,
)
from ansible_collections.b2c.trustframework.plugins.module_utils.client_certificate_file import load_client_certificate
from ansible_collections.b2c.trustframework.plugins.module_utils.credentials import (
    AUTH_PRECEDENCE,
    auth_method,
    load_credential,
    select_auth_method,
)
from ansible_collections.b2c.trustframework.plugins.module_utils.errors import (
    KeyMaterialError,
    MissingLibraryError,
    ValidationError,
)
from tests.support.certs import ec_key, pfx, rsa_key, self_signed
from tests.support.fresh_python import fresh_python

SECRET = "Sup3r-S3cret-Value"
CERT_PASSWORD = "cert-pass-123"
BASE = dict(tenant_id="t.onmicrosoft.com", client_id="cid")


# ----------------------------------------------------------------------------- selection
@pytest.mark.parametrize(
    "params, expected",
    [
        (dict(access_token="tok"), "access_token"),
        (
            dict(
                BASE, access_token="tok", client_secret=SECRET, client_certificate_path="/c.pem", managed_identity=True
            ),
            "access_token",
        ),
        (dict(BASE, client_secret=SECRET, client_certificate_path="/c.pem"), "client_certificate"),
        (dict(BASE, client_secret=SECRET, managed_identity=True), "client_secret"),
        (dict(BASE, client_secret=SECRET), "client_secret"),
        (dict(managed_identity=True), "managed_identity"),
        (dict(managed_identity_client_id="uami"), "managed_identity"),
        (dict(BASE, access_token="", client_secret=SECRET), "client_secret"),  # empty counts as unset
        (dict(BASE, auth_method="client_secret", client_secret=SECRET, access_token="tok"), "client_secret"),
        (
            dict(BASE, auth_method="client_certificate", client_certificate_path="/c.pem", access_token="tok"),
            "client_certificate",
        ),
        (dict(auth_method="managed_identity", client_secret=SECRET), "managed_identity"),
        (dict(auth_method="access_token", access_token="Bearer tok"), "access_token"),
        # workload identity: after the secret-based methods, before managed identity
        (dict(BASE, federated_token_file="/t", managed_identity=True), "workload_identity"),
        (dict(BASE, federated_token_file="/t", client_secret=SECRET), "client_secret"),
        (dict(BASE, federated_token_file="/t", client_certificate_path="/c.pem"), "client_certificate"),
        (
            dict(BASE, auth_method="workload_identity", federated_token_file="/t", client_secret=SECRET),
            "workload_identity",
        ),
    ],
)
def test_select_auth_method(params, expected):
    assert select_auth_method(params) == expected


@pytest.mark.parametrize(
    "params, expected",
    [
        (
            dict(),
            [
                "No credentials",
                "access_token (or B2C_ACCESS_TOKEN)",
                "client_secret (or AZURE_CLIENT_SECRET)",
                "federated_token_file (or AZURE_FEDERATED_TOKEN_FILE)",
                "client_certificate_path (or AZURE_CLIENT_CERTIFICATE_PATH)",
                "managed_identity=true",
            ],
        ),
        (dict(managed_identity=False), ["No credentials"]),
        (dict(auth_method="access_token"), ["access_token (or B2C_ACCESS_TOKEN)"]),
        (dict(BASE, auth_method="client_secret"), ["client_secret (or AZURE_CLIENT_SECRET)"]),
        (
            dict(BASE, auth_method="client_certificate", client_secret=SECRET),
            ["client_certificate_path (or AZURE_CLIENT_CERTIFICATE_PATH)"],
        ),
        (dict(auth_method="managed_identity", managed_identity=False), ["contradicts managed_identity=false"]),
        (dict(client_secret=SECRET), ["tenant_id (or AZURE_TENANT_ID)", "client_id (or AZURE_CLIENT_ID)"]),
        (dict(client_secret=SECRET, tenant_id="t"), ["client_id (or AZURE_CLIENT_ID)"]),
        (dict(client_certificate_path="/c.pem", client_id="c"), ["tenant_id (or AZURE_TENANT_ID)"]),
        (dict(BASE, auth_method="workload_identity"), ["federated_token_file (or AZURE_FEDERATED_TOKEN_FILE)"]),
        (dict(federated_token_file="/t"), ["tenant_id (or AZURE_TENANT_ID)", "client_id (or AZURE_CLIENT_ID)"]),
        (
            dict(BASE, federated_token_file="/nonexistent/token"),
            ["federated_token_file (or AZURE_FEDERATED_TOKEN_FILE)", "cannot read"],
        ),
        (dict(access_token="two words"), ["bare bearer token"]),
    ],
)
def test_load_credential_errors(params, expected):
    with pytest.raises(ValidationError) as err:
        load_credential(params)
    for fragment in expected:
        assert fragment in str(err.value)
    assert SECRET not in str(err.value)


# ----------------------------------------------------------------------------- loading
def test_load_credential_per_method(tmp_path):
    assert load_credential(dict(access_token=" Bearer abc.def ")) == AccessTokenCredential(token="abc.def")
    secret = load_credential(dict(BASE, client_secret=SECRET, tenant_id=" t.onmicrosoft.com "))
    assert secret == ClientSecretCredential(tenant_id="t.onmicrosoft.com", client_id="cid", secret=SECRET)
    assert secret.method == "client_secret" and SECRET not in repr(secret) + secret.fingerprint
    assert load_credential(dict(managed_identity=True)) == ManagedIdentityCredential(client_id=None)
    assert load_credential(dict(managed_identity_client_id="uami")).client_id == "uami"
    path = _write_pem(tmp_path)[0]
    cert = load_credential(dict(BASE, client_certificate_path=path))
    assert isinstance(cert, ClientCertificateCredential) and cert.method == "client_certificate"
    assert cert.fingerprint == "cert:" + cert.sha256_thumbprint and "PRIVATE" not in repr(cert)


def test_rotated_secret_changes_the_fingerprint():
    one = ClientSecretCredential(tenant_id="t", client_id="c", secret="one")
    two = ClientSecretCredential(tenant_id="t", client_id="c", secret="two")
    assert one.fingerprint != two.fingerprint


def test_missing_msal_is_reported_before_anything_else(monkeypatch):
    real_find_spec = auth_method_base.importlib.util.find_spec
    monkeypatch.setattr(
        auth_method_base.importlib.util, "find_spec", lambda name: None if name == "msal" else real_find_spec(name)
    )
    with pytest.raises(MissingLibraryError) as err:
        load_credential(dict(BASE, client_secret=SECRET))
    assert err.value.library == "msal" and "client_secret" in str(err.value)
    assert load_credential(dict(access_token="tok")).token == "tok"  # no msal needed


# ----------------------------------------------------------------------------- the certificate PEM
def _write_pem(tmp_path, password=None, key_type="rsa", mismatch=False, include_key=True, include_cert=True):
    key = ec_key() if key_type == "ec" else rsa_key()
    cert = self_signed(key=rsa_key() if mismatch else key, days_valid=30)[1]
    encryption = serialization.BestAvailableEncryption(password.encode()) if password else serialization.NoEncryption()
    data = b""
    if include_cert:
        data += cert.public_bytes(serialization.Encoding.PEM)
    if include_key:
        data += key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
    path = tmp_path / "cert.pem"
    path.write_bytes(data)
    return str(path), cert, data


def sha256_thumbprint(cert):
    return hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()


def test_load_certificate_plain(tmp_path):
    """msal gets the key and the certificate, and computes the SHA-256 thumbprint itself (PS256)."""
    path, cert, _data = _write_pem(tmp_path)
    client_credential, thumbprint = load_client_certificate(path)
    assert thumbprint == sha256_thumbprint(cert)
    assert client_credential["private_key"].startswith("-----BEGIN PRIVATE KEY-----")
    assert client_credential["public_certificate"] == cert.public_bytes(serialization.Encoding.PEM).decode()
    assert set(client_credential) == {"private_key", "public_certificate"}, "no SHA-1 thumbprint, no passphrase"


def test_load_certificate_encrypted(tmp_path):
    path = _write_pem(tmp_path, password=CERT_PASSWORD)[0]
    client_credential = load_client_certificate(path, CERT_PASSWORD)[0]
    assert client_credential["passphrase"] == CERT_PASSWORD
    assert client_credential["private_key"].startswith("-----BEGIN ENCRYPTED PRIVATE KEY-----")
    with pytest.raises(KeyMaterialError) as err:
        load_client_certificate(path)
    assert "client_certificate_password (or AZURE_CLIENT_CERTIFICATE_PASSWORD)" in str(err.value)
    with pytest.raises(KeyMaterialError) as err:
        load_client_certificate(path, "wrong-password")
    assert "could not decrypt" in str(err.value) and "wrong-password" not in str(err.value)


def test_load_certificate_password_for_plain_key_is_tolerated(tmp_path):
    path = _write_pem(tmp_path)[0]
    assert "passphrase" not in load_client_certificate(path, "unneeded")[0], "msal refuses a password for a plain key"


@pytest.mark.parametrize(
    "kwargs, expected",
    [
        (dict(include_key=False), "no PEM private key"),
        (dict(include_cert=False), "no PEM certificate"),
        (dict(mismatch=True), "matches its private key"),
        (dict(key_type="ec"), "not an RSA key"),
    ],
)
def test_load_certificate_problems(tmp_path, kwargs, expected):
    path, _cert, data = _write_pem(tmp_path, **kwargs)
    with pytest.raises(KeyMaterialError) as err:
        load_client_certificate(path)
    text = str(err.value) + repr(err.value)
    assert expected in text and "client_certificate_path (or AZURE_CLIENT_CERTIFICATE_PATH)" in text
    assert "BEGIN" not in text and data[40:80].decode(errors="ignore") not in text


def test_load_certificate_garbage_and_missing(tmp_path):
    bad = tmp_path / "bad.pem"
    bad.write_text(
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n-----BEGIN CERTIFICATE-----\nAA\n-----END CERTIFICATE-----\n"
    )
    with pytest.raises(KeyMaterialError) as err:
        load_client_certificate(str(bad))
    assert "cannot be parsed" in str(err.value)
    with pytest.raises(KeyMaterialError) as err:
        load_client_certificate(str(tmp_path / "missing.pem"))
    assert "cannot read" in str(err.value)


# ----------------------------------------------------------------------------- the certificate as PKCS#12
@pytest.mark.parametrize("name", ["client.pfx", "client.p12", "client.pem", "client"])
def test_load_certificate_pkcs12_is_told_by_content(tmp_path, name):
    key, cert = self_signed(days_valid=30)
    path = tmp_path / name
    path.write_bytes(pfx(key, cert, CERT_PASSWORD))
    client_credential, thumbprint = load_client_certificate(str(path), CERT_PASSWORD)
    assert thumbprint == sha256_thumbprint(cert)
    # msal opens the bundle itself (private_key_pfx_path): nothing converted to PEM here
    assert client_credential == {"private_key_pfx_path": str(path), "passphrase": CERT_PASSWORD}


@pytest.mark.parametrize("password", [None, ""])
def test_load_certificate_pkcs12_without_password(tmp_path, password):
    key, cert = self_signed(days_valid=30)
    path = tmp_path / "client.pfx"
    path.write_bytes(pfx(key, cert, password))
    assert load_client_certificate(str(path), password)[0] == {"private_key_pfx_path": str(path)}


def test_load_certificate_pkcs12_legacy_encryption(tmp_path):
    key, cert = self_signed(days_valid=30)
    path = tmp_path / "client.pfx"
    path.write_bytes(pfx(key, cert, CERT_PASSWORD, legacy=True))
    assert load_client_certificate(str(path), CERT_PASSWORD)[1]


@pytest.mark.parametrize(
    "password, expected",
    [
        ("wrong-password", "check client_certificate_password (or AZURE_CLIENT_CERTIFICATE_PASSWORD)"),
        (None, "it is encrypted (set client_certificate_password (or AZURE_CLIENT_CERTIFICATE_PASSWORD)) or damaged"),
    ],
)
def test_load_certificate_pkcs12_password_problems(tmp_path, password, expected):
    key, cert = self_signed(days_valid=30)
    path = tmp_path / "client.pfx"
    path.write_bytes(pfx(key, cert, CERT_PASSWORD))
    with pytest.raises(KeyMaterialError) as err:
        load_client_certificate(str(path), password)
    assert expected in str(err.value) and CERT_PASSWORD not in str(err.value)


@pytest.mark.parametrize(
    "make, expected",
    [
        (lambda key, cert: pfx(None, cert, None), "holds no private key"),
        (
            lambda key, cert: pkcs12.serialize_key_and_certificates(
                b"x", key, None, [self_signed(days_valid=30)[1]], serialization.NoEncryption()
            ),
            "matches its private key",
        ),
        (lambda key, cert: pfx(ec_key(), None, None), "not an RSA key"),
    ],
)
def test_load_certificate_pkcs12_content_problems(tmp_path, make, expected):
    key, cert = self_signed(days_valid=30)
    path = tmp_path / "client.pfx"
    path.write_bytes(make(key, cert))
    with pytest.raises(KeyMaterialError) as err:
        load_client_certificate(str(path))
    assert expected in str(err.value)


def test_load_certificate_neither_pem_nor_pkcs12(tmp_path):
    path = tmp_path / "client.pfx"
    path.write_bytes(b"not a certificate")
    with pytest.raises(KeyMaterialError) as err:
        load_client_certificate(str(path))
    assert "neither PEM" in str(err.value) and "PKCS#12" in str(err.value)


# ----------------------------------------------------------------------------- workload identity
JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln"


def test_load_credential_workload_identity(tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text(JWT + "\n")
    credential = load_credential(dict(BASE, federated_token_file=str(token_file)))
    assert isinstance(credential, WorkloadIdentityCredential) and credential.method == "workload_identity"
    assert credential.read_assertion() == JWT
    assert JWT not in repr(credential) + credential.fingerprint
    token_file.write_text("eyJ.eyJ.new")
    assert credential.read_assertion() == "eyJ.eyJ.new"  # read again each time


@pytest.mark.parametrize("content", [b"", b"   \n", b"not-a-jwt", b"a.b.c d", b"\xff\xfe.a.b"])
def test_federated_token_file_must_hold_a_jwt(tmp_path, content):
    token_file = tmp_path / "token"
    token_file.write_bytes(content)
    with pytest.raises(KeyMaterialError) as err:
        load_credential(dict(BASE, federated_token_file=str(token_file)))
    assert "does not hold a JWT" in str(err.value) and "federated_token_file" in str(err.value)


# ----------------------------------------------------------------------------- the user form of the Azure credential
@pytest.mark.parametrize("variables", [("AZURE_AD_USER", "AZURE_PASSWORD"), ("AZURE_AD_USER",)])
def test_a_user_and_password_alone_are_refused_naming_an_application_credential(monkeypatch, variables):
    for name in variables:
        monkeypatch.setenv(name, "someone@example.com")
    with pytest.raises(ValidationError) as err:
        load_credential(dict(tenant_id="t", client_id="c"))
    text = str(err.value)
    assert text.startswith("Found %s (the user form of the Azure credential)" % " and ".join(variables))
    assert "needs an application credential" in text and "client_secret (or AZURE_CLIENT_SECRET)" in text
    assert "someone@example.com" not in text


def test_a_user_and_password_beside_an_application_credential_are_ignored(monkeypatch):
    monkeypatch.setenv("AZURE_AD_USER", "someone@example.com")
    monkeypatch.setenv("AZURE_PASSWORD", "pw")
    assert select_auth_method(dict(BASE, client_secret=SECRET)) == "client_secret"


# ----------------------------------------------------------------------------- bounded reads, key-derivation limit
@pytest.mark.parametrize(
    "params, option",
    [
        (dict(BASE, client_certificate_path="/dev/zero"), "client_certificate_path (or AZURE_CLIENT_CERTIFICATE_PATH)"),
        (dict(BASE, federated_token_file="/dev/zero"), "federated_token_file (or AZURE_FEDERATED_TOKEN_FILE)"),
    ],
)
def test_dev_zero_is_refused_naming_the_option(params, option):
    with pytest.raises(KeyMaterialError) as err:
        load_credential(params)
    assert str(err.value).startswith("%s: '/dev/zero' is larger than" % option)


def test_a_pem_client_certificate_over_1_mib_is_refused(tmp_path):
    path, _cert, data = _write_pem(tmp_path)
    (tmp_path / "cert.pem").write_bytes(data + b"#" * (1024 * 1024))
    with pytest.raises(KeyMaterialError, match="is larger than 1 MiB"):
        load_client_certificate(path)


def _bundle_with_iterations(key, cert, rounds):
    from cryptography.hazmat.primitives import hashes

    encryption = (
        serialization.PrivateFormat.PKCS12.encryption_builder()
        .kdf_rounds(rounds)
        .key_cert_algorithm(pkcs12.PBES.PBESv2SHA256AndAES256CBC)
        .hmac_hash(hashes.SHA256())
        .build(CERT_PASSWORD.encode())
    )
    return pkcs12.serialize_key_and_certificates(b"x", key, cert, None, encryption)


def test_a_bundle_asking_for_too_many_key_derivation_rounds_is_refused_before_decrypting(tmp_path, monkeypatch):
    key, cert = self_signed(days_valid=30)
    path = tmp_path / "client.pfx"
    path.write_bytes(_bundle_with_iterations(key, cert, 1000001))
    monkeypatch.setattr(pkcs12, "load_key_and_certificates", lambda *a: pytest.fail("decrypted"))
    with pytest.raises(KeyMaterialError) as err:
        load_client_certificate(str(path), CERT_PASSWORD)
    assert "asks for 1000001 key-derivation iterations, more than the 1000000" in str(err.value)
    assert str(err.value).startswith("client_certificate_path (or AZURE_CLIENT_CERTIFICATE_PATH)")


def test_a_bundle_at_the_key_derivation_limit_opens(tmp_path):
    key, cert = self_signed(days_valid=30)
    path = tmp_path / "client.pfx"
    path.write_bytes(_bundle_with_iterations(key, cert, 2048))
    assert load_client_certificate(str(path), CERT_PASSWORD)[1] == sha256_thumbprint(cert)


def test_an_encrypted_pem_key_asking_for_too_many_rounds_is_refused(tmp_path, monkeypatch):
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("no openssl CLI to write a PKCS#8 key with a chosen iteration count")
    key, cert = self_signed(days_valid=30)
    plain = tmp_path / "plain.pem"
    plain.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    encrypted = subprocess.run(
        [
            openssl,
            "pkcs8",
            "-topk8",
            "-v2",
            "aes256",
            "-iter",
            "1500000",
            "-in",
            str(plain),
            "-passout",
            "pass:" + CERT_PASSWORD,
        ],
        check=True,
        capture_output=True,
    ).stdout
    path = tmp_path / "cert.pem"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM) + encrypted)
    monkeypatch.setattr(serialization, "load_pem_private_key", lambda *a, **k: pytest.fail("decrypted"))
    with pytest.raises(KeyMaterialError, match="encrypted private key asks for 1500000 key-derivation iterations"):
        load_client_certificate(str(path), CERT_PASSWORD)


@pytest.mark.parametrize("name", AUTH_PRECEDENCE)
def test_the_registry_names_each_method_by_its_own_name_and_input(name):
    assert auth_method(name).name == name
    assert auth_method(name).input == auth_method_base.INPUT[name]
    assert set(auth_method_base.INPUT) == set(AUTH_PRECEDENCE)


def test_a_task_imports_the_auth_methods_it_looks_at_only():
    """A task's code imports no method's file; auth_method=client_secret imports that one, and so does auto, which
    tells from the options alone which method it picks."""
    code = (
        "import json, sys\n"
        "from ansible_collections.b2c.trustframework.plugins.module_utils import key_task, module, task_runner\n"
        "from ansible_collections.b2c.trustframework.plugins.module_utils.credentials import select_auth_method\n"
        "identity = dict(tenant_id='t', client_id='c', client_secret='s')\n"
        "select_auth_method(dict(identity, auth_method=sys.argv[1]))\n"
        "print(json.dumps(sorted(name.rsplit('.', 1)[1] for name in sys.modules if '.auth_method_' in name)))\n"
    )
    for auth_method_option in ("client_secret", "auto"):
        imported = json.loads(fresh_python(code, auth_method_option))
        assert imported == ["auth_method_base", "auth_method_client_secret"], auth_method_option
