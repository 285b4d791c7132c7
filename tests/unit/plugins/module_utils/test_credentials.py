"""credentials.py: auth method selection, credential loading, the certificate (PEM or PKCS#12), the federated token."""

from __future__ import annotations

import hashlib

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from ansible_collections.b2c.trustframework.plugins.module_utils import credentials
from ansible_collections.b2c.trustframework.plugins.module_utils.credentials import (
    AccessTokenCredential,
    ClientCertificateCredential,
    ClientSecretCredential,
    ManagedIdentityCredential,
    MissingLibraryError,
    WorkloadIdentityCredential,
    load_certificate,
    load_credential,
    select_auth_method,
)
from ansible_collections.b2c.trustframework.plugins.module_utils.errors import KeyMaterialError, ValidationError

from tests.support.certs import ec_key, pfx, rsa_key, self_signed

SECRET = "Sup3r-S3cret-Value"
CERT_PASSWORD = "cert-pass-123"
BASE = dict(tenant_id="t.onmicrosoft.com", client_id="cid")


# ----------------------------------------------------------------------------- selection
@pytest.mark.parametrize("params, expected", [
    (dict(access_token="tok"), "access_token"),
    (dict(BASE, access_token="tok", client_secret=SECRET, client_certificate_path="/c.pem", managed_identity=True), "access_token"),
    (dict(BASE, client_secret=SECRET, client_certificate_path="/c.pem"), "client_certificate"),
    (dict(BASE, client_secret=SECRET, managed_identity=True), "client_secret"),
    (dict(BASE, client_secret=SECRET), "client_secret"),
    (dict(managed_identity=True), "managed_identity"),
    (dict(managed_identity_client_id="uami"), "managed_identity"),
    (dict(BASE, access_token="", client_secret=SECRET), "client_secret"),  # empty counts as unset
    (dict(BASE, auth_method="client_secret", client_secret=SECRET, access_token="tok"), "client_secret"),
    (dict(BASE, auth_method="client_certificate", client_certificate_path="/c.pem", access_token="tok"), "client_certificate"),
    (dict(auth_method="managed_identity", client_secret=SECRET), "managed_identity"),
    (dict(auth_method="access_token", access_token="Bearer tok"), "access_token"),
    # workload identity: after the secret-based methods, before managed identity
    (dict(BASE, federated_token_file="/t", managed_identity=True), "workload_identity"),
    (dict(BASE, federated_token_file="/t", client_secret=SECRET), "client_secret"),
    (dict(BASE, federated_token_file="/t", client_certificate_path="/c.pem"), "client_certificate"),
    (dict(BASE, auth_method="workload_identity", federated_token_file="/t", client_secret=SECRET), "workload_identity"),
])
def test_select_auth_method(params, expected):
    assert select_auth_method(params) == expected


@pytest.mark.parametrize("params, expected", [
    (dict(), ["No credentials", "access_token (or B2C_ACCESS_TOKEN)", "client_secret (or AZURE_CLIENT_SECRET)",
              "federated_token_file (or AZURE_FEDERATED_TOKEN_FILE)",
              "client_certificate_path (or AZURE_CLIENT_CERTIFICATE_PATH)", "managed_identity=true"]),
    (dict(managed_identity=False), ["No credentials"]),
    (dict(auth_method="access_token"), ["access_token (or B2C_ACCESS_TOKEN)"]),
    (dict(BASE, auth_method="client_secret"), ["client_secret (or AZURE_CLIENT_SECRET)"]),
    (dict(BASE, auth_method="client_certificate", client_secret=SECRET),
     ["client_certificate_path (or AZURE_CLIENT_CERTIFICATE_PATH)"]),
    (dict(auth_method="managed_identity", managed_identity=False), ["contradicts managed_identity=false"]),
    (dict(client_secret=SECRET), ["tenant_id (or AZURE_TENANT_ID)", "client_id (or AZURE_CLIENT_ID)"]),
    (dict(client_secret=SECRET, tenant_id="t"), ["client_id (or AZURE_CLIENT_ID)"]),
    (dict(client_certificate_path="/c.pem", client_id="c"), ["tenant_id (or AZURE_TENANT_ID)"]),
    (dict(BASE, auth_method="workload_identity"), ["federated_token_file (or AZURE_FEDERATED_TOKEN_FILE)"]),
    (dict(federated_token_file="/t"), ["tenant_id (or AZURE_TENANT_ID)", "client_id (or AZURE_CLIENT_ID)"]),
    (dict(BASE, federated_token_file="/nonexistent/token"), ["federated_token_file (or AZURE_FEDERATED_TOKEN_FILE)",
                                                             "cannot read"]),
    (dict(access_token="two words"), ["bare bearer token"]),
])
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
    assert cert.fingerprint == "cert:" + cert.thumbprint and "PRIVATE" not in repr(cert)


def test_rotated_secret_changes_the_fingerprint():
    one = ClientSecretCredential(tenant_id="t", client_id="c", secret="one")
    two = ClientSecretCredential(tenant_id="t", client_id="c", secret="two")
    assert one.fingerprint != two.fingerprint


def test_missing_msal_is_reported_before_anything_else(monkeypatch):
    real_find_spec = credentials.importlib.util.find_spec
    monkeypatch.setattr(credentials.importlib.util, "find_spec",
                        lambda name: None if name == "msal" else real_find_spec(name))
    with pytest.raises(MissingLibraryError) as err:
        load_credential(dict(BASE, client_secret=SECRET))
    assert err.value.library == "msal" and "client_secret" in str(err.value)
    assert load_credential(dict(access_token="tok")).token == "tok"  # no msal needed


# ----------------------------------------------------------------------------- the certificate PEM
def _write_pem(tmp_path, password=None, key_type="rsa", mismatch=False, include_key=True, include_cert=True):
    key = ec_key() if key_type == "ec" else rsa_key()
    cert = self_signed(key=rsa_key() if mismatch else key, days_valid=30)[1]
    encryption = (serialization.BestAvailableEncryption(password.encode()) if password
                  else serialization.NoEncryption())
    data = b""
    if include_cert:
        data += cert.public_bytes(serialization.Encoding.PEM)
    if include_key:
        data += key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
    path = tmp_path / "cert.pem"
    path.write_bytes(data)
    return str(path), cert, data


def test_load_certificate_plain(tmp_path):
    path, cert, _data = _write_pem(tmp_path)
    private_key_pem, thumbprint = load_certificate(path)
    assert thumbprint == hashlib.sha1(cert.public_bytes(serialization.Encoding.DER)).hexdigest()
    assert private_key_pem.startswith("-----BEGIN PRIVATE KEY-----")


def test_load_certificate_encrypted(tmp_path):
    path = _write_pem(tmp_path, password=CERT_PASSWORD)[0]
    assert load_certificate(path, CERT_PASSWORD)[1]
    with pytest.raises(KeyMaterialError) as err:
        load_certificate(path)
    assert "client_certificate_password (or AZURE_CLIENT_CERTIFICATE_PASSWORD)" in str(err.value)
    with pytest.raises(KeyMaterialError) as err:
        load_certificate(path, "wrong-password")
    assert "could not decrypt" in str(err.value) and "wrong-password" not in str(err.value)


def test_load_certificate_password_for_plain_key_is_tolerated(tmp_path):
    path = _write_pem(tmp_path)[0]
    assert load_certificate(path, "unneeded")[1]


@pytest.mark.parametrize("kwargs, expected", [
    (dict(include_key=False), "no PEM private key"),
    (dict(include_cert=False), "no PEM certificate"),
    (dict(mismatch=True), "matches its private key"),
    (dict(key_type="ec"), "not an RSA key"),
])
def test_load_certificate_problems(tmp_path, kwargs, expected):
    path, _cert, data = _write_pem(tmp_path, **kwargs)
    with pytest.raises(KeyMaterialError) as err:
        load_certificate(path)
    text = str(err.value) + repr(err.value)
    assert expected in text and "client_certificate_path (or AZURE_CLIENT_CERTIFICATE_PATH)" in text
    assert "BEGIN" not in text and data[40:80].decode(errors="ignore") not in text


def test_load_certificate_garbage_and_missing(tmp_path):
    bad = tmp_path / "bad.pem"
    bad.write_text("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n-----BEGIN CERTIFICATE-----\nAA\n-----END CERTIFICATE-----\n")
    with pytest.raises(KeyMaterialError) as err:
        load_certificate(str(bad))
    assert "cannot be parsed" in str(err.value)
    with pytest.raises(KeyMaterialError) as err:
        load_certificate(str(tmp_path / "missing.pem"))
    assert "cannot read" in str(err.value)


# ----------------------------------------------------------------------------- the certificate as PKCS#12
@pytest.mark.parametrize("name", ["client.pfx", "client.p12", "client.pem", "client"])
def test_load_certificate_pkcs12_is_told_by_content(tmp_path, name):
    key, cert = self_signed(days_valid=30)
    path = tmp_path / name
    path.write_bytes(pfx(key, cert, CERT_PASSWORD))
    private_key_pem, thumbprint = load_certificate(str(path), CERT_PASSWORD)
    assert thumbprint == hashlib.sha1(cert.public_bytes(serialization.Encoding.DER)).hexdigest()
    assert private_key_pem.startswith("-----BEGIN PRIVATE KEY-----")


@pytest.mark.parametrize("password", [None, ""])
def test_load_certificate_pkcs12_without_password(tmp_path, password):
    key, cert = self_signed(days_valid=30)
    path = tmp_path / "client.pfx"
    path.write_bytes(pfx(key, cert, password))
    assert load_certificate(str(path), password)[1]


def test_load_certificate_pkcs12_legacy_encryption(tmp_path):
    key, cert = self_signed(days_valid=30)
    path = tmp_path / "client.pfx"
    path.write_bytes(pfx(key, cert, CERT_PASSWORD, legacy=True))
    assert load_certificate(str(path), CERT_PASSWORD)[1]


@pytest.mark.parametrize("password, expected", [
    ("wrong-password", "check client_certificate_password (or AZURE_CLIENT_CERTIFICATE_PASSWORD)"),
    (None, "it is encrypted (set client_certificate_password (or AZURE_CLIENT_CERTIFICATE_PASSWORD)) or damaged"),
])
def test_load_certificate_pkcs12_password_problems(tmp_path, password, expected):
    key, cert = self_signed(days_valid=30)
    path = tmp_path / "client.pfx"
    path.write_bytes(pfx(key, cert, CERT_PASSWORD))
    with pytest.raises(KeyMaterialError) as err:
        load_certificate(str(path), password)
    assert expected in str(err.value) and CERT_PASSWORD not in str(err.value)


@pytest.mark.parametrize("make, expected", [
    (lambda key, cert: pfx(None, cert, None), "holds no private key"),
    (lambda key, cert: pkcs12.serialize_key_and_certificates(b"x", key, None, [self_signed(days_valid=30)[1]],
                                                             serialization.NoEncryption()), "matches its private key"),
    (lambda key, cert: pfx(ec_key(), None, None), "not an RSA key"),
])
def test_load_certificate_pkcs12_content_problems(tmp_path, make, expected):
    key, cert = self_signed(days_valid=30)
    path = tmp_path / "client.pfx"
    path.write_bytes(make(key, cert))
    with pytest.raises(KeyMaterialError) as err:
        load_certificate(str(path))
    assert expected in str(err.value)


def test_load_certificate_neither_pem_nor_pkcs12(tmp_path):
    path = tmp_path / "client.pfx"
    path.write_bytes(b"not a certificate")
    with pytest.raises(KeyMaterialError) as err:
        load_certificate(str(path))
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
