"""Start the emulator for tests and benchmarks.

pytest: fixtures `emulator` (one process per session, so one per pytest-xdist worker) and
`emulator_clean` (the same process, reset before the test). Without pytest: ``with EmulatorProcess() as emu: ...``.
"""

from __future__ import annotations

import os
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import threading

import httpx
import pytest

from tests.support.certs import pem, private_key_pem, self_signed

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
READY_TIMEOUT = 20.0
CLIENT_CERT_FILE = "client-cert.pem"
DAY = 24 * 3600


def write_client_certificate(path: str, common_name: str = "emulator-client") -> None:
    """A self-signed certificate + unencrypted RSA key in one PEM (0600): a certificate credential."""
    key, cert = self_signed(common_name)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(private_key_pem(key) + pem(cert).encode("ascii"))


class EmulatorProcess:
    """One emulator subprocess plus helpers for its control API."""

    def __init__(
        self,
        state_dir: str | None = None,
        extra_args=(),
        *,
        port: int = 0,
        tenant: str = "emulator.onmicrosoft.com",
        client_id: str = "emulator-client",
        client_secret: str = "emulator-secret",
        read_only_client_id: str = "emulator-reader",
        read_only_client_secret: str = "emulator-reader-secret",
        identity_header: str = "emulator-identity-header",
        ready_timeout: float = READY_TIMEOUT,
        federated_subject: str = "repo:b2c/trustframework:environment:emulator",
    ):
        self._own_state_dir = state_dir is None
        self.state_dir = state_dir or tempfile.mkdtemp(prefix="b2c-emulator-")
        self.extra_args = list(extra_args)
        self.port = port
        self.tenant = tenant
        self.client_id = client_id
        self.client_secret = client_secret
        self.read_only_client_id = read_only_client_id
        self.read_only_client_secret = read_only_client_secret
        self.identity_header = identity_header
        self.federated_subject = federated_subject
        self.ready_timeout = ready_timeout
        self.ca_path = os.path.join(self.state_dir, "ca.pem")
        self.client_cert_path = os.path.join(self.state_dir, CLIENT_CERT_FILE)
        self.stderr_path = os.path.join(self.state_dir, "emulator.stderr.log")
        self.url: str | None = None
        self.process: subprocess.Popen | None = None
        self._http: httpx.Client | None = None
        self._info: dict | None = None

    # -- lifecycle ------------------------------------------------------------------------------
    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "tests.emulator",
            "--port",
            str(self.port),
            "--state-dir",
            self.state_dir,
            "--tenant",
            self.tenant,
            "--client-id",
            self.client_id,
            "--client-secret",
            self.client_secret,
            "--client-cert",
            self.client_cert_path,
            "--read-only-client",
            f"{self.read_only_client_id}:{self.read_only_client_secret}",
            "--identity-header",
            self.identity_header,
            "--federated-subject",
            self.federated_subject,
            *self.extra_args,
        ]

    def start(self) -> "EmulatorProcess":
        os.makedirs(self.state_dir, exist_ok=True)
        if not os.path.exists(self.client_cert_path):
            write_client_certificate(self.client_cert_path, self.client_id)
        with open(self.stderr_path, "ab") as stderr:
            # stderr goes to a file so a chatty emulator can never block on a full pipe.
            self.process = subprocess.Popen(self.command(), cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=stderr)
        self.url = self._wait_for_ready()
        self._http = httpx.Client(base_url=self.url, verify=self.ssl_context(), timeout=30)
        return self

    def _wait_for_ready(self) -> str:
        line: list[bytes] = []
        reader = threading.Thread(target=lambda: line.append(self.process.stdout.readline()), daemon=True)
        reader.start()
        reader.join(self.ready_timeout)
        text = line[0].decode().strip() if line else ""
        if not text.startswith("READY "):
            self.stop()
            raise RuntimeError(
                f"emulator did not become ready within {self.ready_timeout} s "
                f"(stdout: {text!r}); stderr:\n{self._stderr_text()}"
            )
        return text.split(" ", 1)[1]

    def _stderr_text(self) -> str:
        try:
            with open(self.stderr_path, encoding="utf-8", errors="replace") as handle:
                return handle.read()[-5000:]
        except OSError:
            return "(no stderr)"

    def stop(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process is not None and self.process.stdout:
            self.process.stdout.close()
        self.process = None

    def restart(self) -> None:
        """Stop and start again on the same state dir (and the same port, if it was fixed)."""
        self.stop()
        self.start()

    def cleanup(self) -> None:
        self.stop()
        if self._own_state_dir:
            shutil.rmtree(self.state_dir, ignore_errors=True)

    def __enter__(self) -> "EmulatorProcess":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.cleanup()

    # -- facts about the running instance -----------------------------------------------------
    def ssl_context(self) -> ssl.SSLContext:
        """Trusts exactly the emulator's CA (an explicit context: no CA environment variable can override it)."""
        return ssl.create_default_context(cafile=self.ca_path)

    @property
    def tenant_guid(self) -> str:
        return self.info()["tenant_id"]

    @property
    def graph_url(self) -> str:
        return f"{self.url}/beta"

    def info(self) -> dict:
        if self._info is None:
            self._info = self._control("GET", "/_emulator/info").json()
        return self._info

    def env(self) -> dict:
        """Environment for ansible-playbook runs against this emulator (client-secret credential)."""
        return {
            "AZURE_TENANT_ID": self.tenant,
            "AZURE_CLIENT_ID": self.client_id,
            "AZURE_CLIENT_SECRET": self.client_secret,
            "B2C_GRAPH_ENDPOINT": self.url,
            "AZURE_AUTHORITY_HOST": self.url,
            "B2C_CA_PATH": self.ca_path,
        }

    def workload_identity_env(self, token_file: str) -> dict:
        """Environment for a workload identity run: the federated token in ``token_file``, no secret."""
        env = dict(self.env(), AZURE_FEDERATED_TOKEN_FILE=token_file)
        del env["AZURE_CLIENT_SECRET"]
        return env

    # -- control API -------------------------------------------------------------------------------
    def _control(self, method: str, path: str, **kwargs) -> httpx.Response:
        if self._http is None:
            raise RuntimeError("the emulator is not running")
        response = self._http.request(method, path, **kwargs)
        response.raise_for_status()
        return response

    def requests(self, kind: str | None = None) -> list[dict]:
        return self._control("GET", "/_emulator/requests", params={"kind": kind} if kind else None).json()

    def clear_requests(self) -> None:
        self._control("DELETE", "/_emulator/requests")

    def add_fault(self, **fault) -> dict:
        return self._control("POST", "/_emulator/faults", json=fault).json()[0]

    def faults(self) -> list[dict]:
        return self._control("GET", "/_emulator/faults").json()

    def clear_faults(self) -> None:
        self._control("DELETE", "/_emulator/faults")

    def reset(self) -> None:
        self._control("POST", "/_emulator/reset")

    def clock(self) -> dict:
        """The emulator's time: {"now": epoch seconds, "now_iso", "offset_seconds"}."""
        return self._control("GET", "/_emulator/clock").json()

    def shift_clock(self, days: int = 0, seconds: int = 0) -> dict:
        """Set the emulator's time to real time + days + seconds (0 = real time again); returns clock()."""
        return self._control("POST", "/_emulator/clock", json={"offset_seconds": days * DAY + seconds}).json()

    def advance_clock(self, days: int = 0, seconds: int = 0) -> dict:
        """Move the emulator's time on from where it is (negative = back); returns clock()."""
        return self._control("POST", "/_emulator/clock", json={"advance_seconds": days * DAY + seconds}).json()

    def policy_format(self) -> bool:
        """True when GET policies/{id}/$value answers a reformatted copy of the policy."""
        return self._control("GET", "/_emulator/policy_format").json()["reformat"]

    def set_policy_format(self, reformat: bool) -> None:
        self._control("POST", "/_emulator/policy_format", json={"reformat": reformat})

    @property
    def reformats_policies_at_start(self) -> bool:
        return "--reformat-policies" in self.extra_args

    def mint_federated_token(self, subject: str | None = None, **extra) -> str:
        """An OIDC token of the emulator's federated issuer (default: the subject --client-id trusts).

        ``extra``: audience, issuer (an untrusted one), lifetime (seconds; negative = expired).
        """
        body = {"subject": subject or self.federated_subject, **extra}
        return self._control("POST", "/_emulator/federated_token", json=body).json()["token"]

    def write_federated_token(self, path: str, **kwargs) -> str:
        """Write a fresh federated token to ``path`` (0600), as a pipeline does; returns ``path``."""
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(self.mint_federated_token(**kwargs))
        return path

    def mint_token(self, lifetime: int = 3600, read_only: bool = False, **extra) -> str:
        body = {"lifetime": lifetime, "read_only": read_only, "client_id": self.client_id, **extra}
        return self._control("POST", "/_emulator/token", json=body).json()["access_token"]


@pytest.fixture(scope="session")
def emulator():
    with EmulatorProcess() as emu:
        yield emu


@pytest.fixture
def emulator_clean(emulator):
    emulator.reset()
    yield emulator
    if emulator.process is not None:
        emulator.shift_clock(0)  # a moved clock must not leak into tests that use the shared emulator as it is
        emulator.set_policy_format(emulator.reformats_policies_at_start)  # nor a switched policy format
