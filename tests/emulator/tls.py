"""The emulator's own CA and server certificate, kept in the state dir so restarts keep ca.pem."""

from __future__ import annotations

import os

CA_FILE = "ca.pem"
SERVER_CERT_FILE = "server-cert.pem"
SERVER_KEY_FILE = "server-key.pem"


def _write(path: str, data: bytes, mode: int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def ensure_server_tls(state_dir: str) -> tuple[str, str, str]:
    """Paths of (ca.pem, server certificate chain, server key); created by trustme on first start only."""
    ca_path, cert_path, key_path = (
        os.path.join(state_dir, name) for name in (CA_FILE, SERVER_CERT_FILE, SERVER_KEY_FILE)
    )
    if not all(os.path.exists(path) for path in (ca_path, cert_path, key_path)):
        import trustme  # imported only when needed: a restart then starts faster

        ca = trustme.CA(organization_name="b2c.trustframework emulator")
        leaf = ca.issue_cert("127.0.0.1", "localhost", "::1")
        _write(key_path, leaf.private_key_pem.bytes(), 0o600)
        _write(cert_path, b"".join(blob.bytes() for blob in leaf.cert_chain_pems), 0o644)
        _write(ca_path, ca.cert_pem.bytes(), 0o644)  # written last: its presence means the set is complete
    return ca_path, cert_path, key_path
