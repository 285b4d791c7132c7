"""Command line: python -m tests.emulator --port 8443 --state-dir DIR [options]."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import socket
import sys

from cryptography import x509

from .app import build_app, build_services
from .faults import parse_fault
from .server import AnnouncingServer, DroppableH11Protocol
from .settings import FEDERATED_ISSUER, FEDERATED_SUBJECT, ClientCredential, EmulatorSettings, FederatedCredential
from .tls import ensure_server_tls
from .tokens import register_certificate

PEM_CERTIFICATE = re.compile(rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.DOTALL)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.emulator",
        description="Local HTTPS emulator of the B2C login service and Graph keysets and policies.",
    )
    parser.add_argument("--port", type=int, default=8443, help="TCP port; 0 picks a free one (default 8443)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--state-dir", required=True, help="directory for ca.pem, keys and state.json")
    parser.add_argument("--tenant", default="emulator.onmicrosoft.com")
    parser.add_argument("--client-id", default="emulator-client")
    parser.add_argument("--client-secret", default="emulator-secret")
    parser.add_argument(
        "--client-cert",
        action="append",
        default=[],
        metavar="PEM",
        help="PEM file whose certificate is registered as a credential of --client-id (repeatable)",
    )
    parser.add_argument(
        "--read-only-client",
        action="append",
        default=[],
        metavar="ID:SECRET",
        help="a client whose tokens carry only TrustFrameworkKeySet.Read.All (repeatable)",
    )
    parser.add_argument(
        "--federated-issuer",
        default=FEDERATED_ISSUER,
        help="issuer of the OIDC tokens the emulator mints and --client-id trusts (workload identity)",
    )
    parser.add_argument(
        "--federated-subject",
        action="append",
        default=[],
        metavar="SUBJECT",
        help=f"a subject --client-id trusts from --federated-issuer (repeatable; default {FEDERATED_SUBJECT})",
    )
    parser.add_argument(
        "--identity-header",
        default="emulator-identity-header",
        help="X-IDENTITY-HEADER value the managed-identity endpoint expects",
    )
    parser.add_argument("--page-size", type=int, default=50, help="list page size without $top (default 50)")
    parser.add_argument("--latency-ms", type=int, default=0, help="added to every Graph/login request")
    parser.add_argument("--token-lifetime", type=int, default=3600, help="access token lifetime, seconds")
    parser.add_argument(
        "--reformat-policies",
        action="store_true",
        help="GET policies/{id}/$value answers the policy reformatted (no declaration, other "
        "indentation and attribute order) instead of the uploaded text",
    )
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="JSON",
        help="a fault (or JSON list of faults) active from the start; same schema as POST /_emulator/faults",
    )
    return parser.parse_args(argv)


def build_settings(args: argparse.Namespace) -> EmulatorSettings:
    main_client = ClientCredential(
        client_id=args.client_id,
        secret=args.client_secret or None,
        federated=[
            FederatedCredential(issuer=args.federated_issuer, subject=subject)
            for subject in args.federated_subject or [FEDERATED_SUBJECT]
        ],
    )
    for pem_path in args.client_cert:
        for cert in _certificates_in(pem_path):
            register_certificate(main_client, cert)
    clients = {main_client.client_id: main_client}
    for spec in args.read_only_client:
        client_id, sep, secret = spec.partition(":")
        if not sep or not client_id or not secret:
            raise SystemExit(f"--read-only-client expects ID:SECRET, got {spec!r}")
        clients[client_id] = ClientCredential(client_id=client_id, secret=secret, read_only=True)
    return EmulatorSettings(
        tenant=args.tenant,
        clients=clients,
        identity_header=args.identity_header,
        page_size=args.page_size,
        latency_ms=args.latency_ms,
        token_lifetime=args.token_lifetime,
        federated_issuer=args.federated_issuer,
        reformat_policies=args.reformat_policies,
    )


def _certificates_in(pem_path: str) -> list:
    with open(pem_path, "rb") as handle:
        blocks = PEM_CERTIFICATE.findall(handle.read())
    if not blocks:
        raise SystemExit(f"--client-cert {pem_path}: no PEM certificate found")
    return [x509.load_pem_x509_certificate(block) for block in blocks]


def _initial_faults(values: list[str]) -> list:
    faults = []
    for value in values:
        raw = json.loads(value)
        faults += [parse_fault(item) for item in (raw if isinstance(raw, list) else [raw])]
    return faults


def _bind(host: str, port: int) -> socket.socket:
    """Bind before starting uvicorn, so --port 0 gives a known port for the READY line.

    proto must be IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on accepted sockets
    whose proto says TCP, and without it every response stalls ~40 ms on Nagle + delayed ACK.
    """
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


def _exit_quietly(_signum, _frame):
    # uvicorn shuts down gracefully on SIGTERM/SIGINT, then re-raises the signal: end with status 0 then.
    raise SystemExit(0)


def main(argv=None) -> int:
    args = parse_args(argv)
    os.makedirs(args.state_dir, mode=0o700, exist_ok=True)
    settings = build_settings(args)
    services = build_services(settings, args.state_dir)
    try:
        services.faults.add(_initial_faults(args.fault))
    except ValueError as exc:
        raise SystemExit(f"--fault: {exc}") from exc
    _ca_path, cert_path, key_path = ensure_server_tls(args.state_dir)
    sock = _bind(args.host, args.port)
    host_in_url = f"[{args.host}]" if ":" in args.host else args.host
    url = f"https://{host_in_url}:{sock.getsockname()[1]}"
    config = uvicorn_config(build_app(services), cert_path, key_path)
    signal.signal(signal.SIGTERM, _exit_quietly)
    signal.signal(signal.SIGINT, _exit_quietly)
    asyncio.run(AnnouncingServer(config, url).serve(sockets=[sock]))
    return 0


def uvicorn_config(app, cert_path: str, key_path: str):
    import uvicorn

    return uvicorn.Config(
        app,
        http=DroppableH11Protocol,
        lifespan="off",
        ssl_certfile=cert_path,
        ssl_keyfile=key_path,
        log_level="warning",
        access_log=False,
        timeout_keep_alive=30,
        timeout_graceful_shutdown=3,
        server_header=False,
    )


if __name__ == "__main__":
    sys.exit(main())
