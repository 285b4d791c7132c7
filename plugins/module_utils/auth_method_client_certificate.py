# -*- coding: utf-8 -*-
# Copyright: b2c.trustframework contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""auth_method client_certificate: an app registration proved by a certificate, a PEM file (private key and
certificate) or a PKCS#12 bundle.

msal signs the client assertion itself: from the bundle (``private_key_pfx_path``) or from the PEM key and
certificate (``public_certificate``); either way with PS256 and the certificate's SHA-256 thumbprint
(``x5t#S256``), the form Microsoft Entra ID recommends over SHA-1 (msal's ``client_credential`` documentation;
the SHA-256 thumbprint of a PEM certificate needs msal 1.35). The file is read and checked by
client_certificate_file.py, imported only by a task that uses this method.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from ansible_collections.b2c.trustframework.plugins.module_utils.auth_method_base import (
    INPUT,
    AppCredential,
    AuthMethod,
)


@dataclass(frozen=True)
class ClientCertificateCredential(AppCredential):
    """``client_credential`` is msal's (it holds the key or the bundle's password: left out of repr())."""

    method: ClassVar[str] = "client_certificate"
    client_credential: dict = field(repr=False)
    sha256_thumbprint: str

    @property
    def fingerprint(self):
        return "cert:" + self.sha256_thumbprint


class ClientCertificate(AuthMethod):
    name = ClientCertificateCredential.method
    input = INPUT[name]
    needs_app = True

    def load(self, params):
        # pylint: disable-next=import-outside-toplevel
        from ansible_collections.b2c.trustframework.plugins.module_utils.client_certificate_file import (
            load_client_certificate,
        )

        client_credential, thumbprint = load_client_certificate(
            params[self.input], params.get("client_certificate_password")
        )
        return ClientCertificateCredential(
            client_credential=client_credential, sha256_thumbprint=thumbprint, **AppCredential.identity(params)
        )


METHOD = ClientCertificate()
