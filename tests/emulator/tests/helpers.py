"""Helpers shared by the emulator's own tests (certificates, msal HTTP adapter, assertions)."""

from __future__ import annotations

import base64
import functools

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from tests.support import certs

PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "k"}


@functools.lru_cache(maxsize=None)
def rsa_key(index: int = 0):
    """RSA keys are slow to make; tests share a few."""
    return certs.rsa_key()


def make_certificate(key=None, days: int = 365, common_name: str = "test"):
    return certs.self_signed(common_name, days_valid=days, key=key or rsa_key())


def client_certificate(emu):
    """(PEM of key + certificate, certificate) of the credential the emulator registered for its client."""
    with open(emu.client_cert_path, "rb") as handle:
        pem = handle.read()
    return pem, x509.load_pem_x509_certificate(pem[pem.index(b"-----BEGIN CERTIFICATE-----") :])


def certificate_b64(cert, encoding=serialization.Encoding.DER) -> str:
    return base64.b64encode(cert.public_bytes(encoding)).decode()


PKCS12_PROTECTIONS = certs.PKCS12_PROTECTIONS


def pkcs12_b64(key, cert, password: bytes, protection: str = "3des") -> str:
    return certs.b64(certs.pfx(key, cert, password.decode(), friendly_name=b"test", protection=protection))


def ec_certificate():
    return make_certificate(certs.ec_key())


def assert_no_private_members(value) -> None:
    """Walk any JSON value: no private JWK member may appear anywhere."""
    if isinstance(value, dict):
        assert not PRIVATE_MEMBERS & set(value), f"private member in {value}"
        for item in value.values():
            assert_no_private_members(item)
    elif isinstance(value, list):
        for item in value:
            assert_no_private_members(item)


def graph_error_code(response: httpx.Response) -> str:
    """error.code, after checking the body shape: B2C codes also carry innerError.correlationId."""
    body = response.json()
    inner = body["error"]["innerError"]
    assert set(inner) >= {"request-id", "client-request-id", "date"}
    code = body["error"]["code"]
    assert ("correlationId" in inner) == code.upper().startswith("AADB2C"), inner
    return code


def b2c_refusal(response: httpx.Response, status: int = 400) -> str:
    """The B2C code of a refusal with the given status (400 unless noted: tests/emulator/README.md, Real-service behaviour)."""
    assert response.status_code == status, (response.status_code, response.text)
    return graph_error_code(response)


class MsalHttpClient:
    """msal's http_client contract over httpx: drops None values and decodes bytes (the client assertion)."""

    def __init__(self, ssl_context):
        self._client = httpx.Client(verify=ssl_context, timeout=30)

    @staticmethod
    def _clean(mapping):
        if not isinstance(mapping, dict):
            return mapping
        return {
            key: value.decode() if isinstance(value, bytes) else value
            for key, value in mapping.items()
            if value is not None
        }

    def get(self, url, params=None, headers=None, **_kwargs):
        return self._client.get(url, params=self._clean(params), headers=self._clean(headers))

    def post(self, url, params=None, data=None, headers=None, **_kwargs):
        return self._client.post(url, params=self._clean(params), data=self._clean(data), headers=self._clean(headers))

    def close(self):
        self._client.close()
