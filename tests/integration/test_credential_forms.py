"""Credentials as pipelines and AAP provide them: workload identity federation (a federated token file) and a
PKCS#12 client certificate, against the emulator's login service."""

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from tests.integration.reliability.support import local_play, module_task, run_plays

PFX_PASSWORD = "pfx-pass-123"
NO_CACHE = {"token_cache_path": ""}

pytestmark = pytest.mark.integration


def _pkcs12_of(pem_path, target):
    """The emulator's registered client certificate (PEM key + certificate) as a password-protected .pfx."""
    with open(pem_path, "rb") as handle:
        data = handle.read()
    key = serialization.load_pem_private_key(data, password=None)
    cert = x509.load_pem_x509_certificate(data)
    target.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"client", key, cert, None, serialization.BestAvailableEncryption(PFX_PASSWORD.encode())
        )
    )
    return str(target)


@pytest.fixture(scope="module")
def forms_run(emulator, tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("credential-forms")
    emulator.reset()
    trusted = emulator.write_federated_token(str(tmp_path / "trusted.jwt"))
    renewed = emulator.write_federated_token(str(tmp_path / "renewed.jwt"))
    other_subject = emulator.write_federated_token(
        str(tmp_path / "other-subject.jwt"), subject="repo:someone/else:ref:x"
    )
    other_issuer = emulator.write_federated_token(
        str(tmp_path / "other-issuer.jwt"), issuer="https://token.actions.githubusercontent.com"
    )
    pfx = _pkcs12_of(emulator.client_cert_path, tmp_path / "client.pfx")
    tasks = [
        module_task("workload identity", "b2c_keyset_info", {"federated_token_file": trusted}),
        module_task("workload identity, renewed token file", "b2c_keyset_info", {"federated_token_file": renewed}),
        module_task(
            "untrusted subject",
            "b2c_keyset_info",
            dict(NO_CACHE, federated_token_file=other_subject),
            ignore_errors=True,
        ),
        module_task(
            "untrusted issuer", "b2c_keyset_info", dict(NO_CACHE, federated_token_file=other_issuer), ignore_errors=True
        ),
        module_task(
            "pkcs12 certificate",
            "b2c_keyset_info",
            dict(NO_CACHE, client_certificate_path=pfx, client_certificate_password=PFX_PASSWORD),
        ),
        module_task(
            "pkcs12 wrong password",
            "b2c_keyset_info",
            dict(NO_CACHE, client_certificate_path=pfx, client_certificate_password="wrong"),
            ignore_errors=True,
        ),
    ]
    # No secret anywhere: auth_method=auto must pick the federated token file or the certificate.
    run = run_plays(emulator, tmp_path, [local_play(tasks, name="Credential forms")], env={"AZURE_CLIENT_SECRET": ""})
    yield run, emulator.requests()


def _token_requests(run, log, task):
    return [item for item in run.requests_during(log, task) if item["kind"] == "token"]


@pytest.mark.parametrize("task", ["workload identity", "pkcs12 certificate"])
def test_the_credential_logs_in_without_a_secret(forms_run, task):
    run, log = forms_run
    assert not run.failed(task), run.output[-4000:]
    assert len(_token_requests(run, log, task)) == 1


def test_a_renewed_token_file_reuses_the_cached_access_token(forms_run):
    run, log = forms_run
    assert not run.failed("workload identity, renewed token file"), run.output[-4000:]
    assert _token_requests(run, log, "workload identity, renewed token file") == []


@pytest.mark.parametrize("task, code", [("untrusted subject", "AADSTS700213"), ("untrusted issuer", "AADSTS700211")])
def test_an_untrusted_federated_token_is_refused_with_the_service_code(forms_run, task, code):
    run, _log = forms_run
    assert run.failed(task)
    message = run.result(task)["msg"]
    assert code in message and "eyJ" not in message
    assert "federated" in message  # the hint names what to fix


def test_a_wrong_pkcs12_password_fails_before_any_request(forms_run):
    run, log = forms_run
    assert run.failed("pkcs12 wrong password")
    assert (
        "client_certificate_password (or AZURE_CLIENT_CERTIFICATE_PASSWORD)"
        in run.result("pkcs12 wrong password")["msg"]
    )
    assert run.requests_during(log, "pkcs12 wrong password") == []
    assert PFX_PASSWORD not in run.output
