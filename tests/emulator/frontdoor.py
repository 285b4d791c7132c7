"""Pure-ASGI layer in front of the routes: request ids, latency, faults and the request log.

It sits outside Starlette so a fault can answer, delay or drop a request before any
route runs, and so it can hold back a real response (apply_then_fail) and send
something else instead.
"""

from __future__ import annotations

import asyncio
import collections
import hashlib
import itertools
import json
import re
import time
import uuid
from urllib.parse import parse_qsl, urlencode

from starlette.responses import JSONResponse

from .clock import Clock
from .errors import B2C_MESSAGES, CLOCK_SCOPE_KEY, graph_error_response, oauth_error_body
from .faults import Fault, FaultBook, ReplicationLag

TRANSPORT_EXTENSION = "emulator.transport"
LOG_LIMIT = 10000  # oldest entries fall off, so long benchmark runs don't grow memory without bound
SENSITIVE_QUERY_NAMES = {
    "client_secret",
    "client_assertion",
    "password",
    "access_token",
    "code",
    "k",
    "key",
    "refresh_token",
    "assertion",
}
ODATA_KEY_SEGMENT = re.compile(r"/(keySets|policies)\('([^'/]*)'\)", re.IGNORECASE)
COLLECTIONS = {"keysets": "keySets", "policies": "policies"}
# The OData function form every generated SDK sends; Graph accepts it (msgraph-beta-sdk-python).
ODATA_FUNCTION_CALL = re.compile(r"/getActiveKey\(\)$")
# Policy uploads are logged by size and hash only: the request log never holds a policy.
POLICY_PATH = re.compile(r"^/beta/trustFramework/policies(/|$|\()", re.IGNORECASE)


def classify(path: str) -> str:
    if path.startswith("/_emulator/"):
        return "control"
    if path.startswith(("/beta/", "/v1.0/")):
        return "graph"
    if path.startswith("/_msi/"):
        return "msi"
    if "/.well-known/" in path or "/discovery/" in path:
        return "discovery"
    if "/oauth2/" in path:
        return "token"
    return "other"


def redact_query(query_string: bytes) -> str:
    pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
    return urlencode([(name, "REDACTED" if name.lower() in SENSITIVE_QUERY_NAMES else value) for name, value in pairs])


def graph_path(path: str) -> str:
    """The path the routes see: OData key segments `keySets('x')` as `keySets/x`, `getActiveKey()` as `getActiveKey`."""
    keyed = ODATA_KEY_SEGMENT.sub(lambda match: f"/{COLLECTIONS[match.group(1).lower()]}/{match.group(2)}", path)
    return ODATA_FUNCTION_CALL.sub("/getActiveKey", keyed)


class BodyDigest:
    """Size and SHA-256 of a request body as the app reads it; the bytes themselves are not kept."""

    def __init__(self):
        self.size = 0
        self._hash = hashlib.sha256()

    def watch(self, receive):
        async def receive_and_count():
            message = await receive()
            if message["type"] == "http.request":
                chunk = message.get("body", b"")
                self.size += len(chunk)
                self._hash.update(chunk)
            return message

        return receive_and_count

    def summary(self) -> dict | None:
        return {"size": self.size, "sha256": self._hash.hexdigest()} if self.size else None


class RequestLog:
    """What the emulator was asked, without headers or bodies (so no token, secret or password can leak)."""

    def __init__(self, clock: Clock):
        self._clock = clock
        self._entries: collections.deque = collections.deque(maxlen=LOG_LIMIT)
        self._seq = itertools.count(1)

    def record(self, **fields) -> None:
        now = self._clock.now_datetime()  # the clients' time when theirs is shifted the same way
        self._entries.append({"seq": next(self._seq), "time": now.isoformat(timespec="milliseconds"), **fields})

    def entries(self, kind: str | None = None) -> list[dict]:
        return [entry for entry in self._entries if kind is None or entry["kind"] == kind]

    def clear(self) -> None:
        self._entries.clear()


class FrontDoor:
    def __init__(
        self, app, *, faults: FaultBook, lag: ReplicationLag, log: RequestLog, clock: Clock, latency_ms: int = 0
    ):
        self.app = app
        self.faults = faults
        self.lag = lag
        self.log = log
        self.clock = clock
        self.latency_ms = latency_ms

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = str(uuid.uuid4())
        client_request_id = _header(scope, b"client-request-id") or request_id
        original_path = scope["path"]
        scope = dict(scope, path=graph_path(original_path))
        scope["emulator.ids"] = (request_id, client_request_id)
        scope[CLOCK_SCOPE_KEY] = self.clock
        send = _with_id_headers(send, request_id, client_request_id)
        kind = classify(original_path)
        if kind == "control":
            await self.app(scope, receive, send)  # the control API is never logged, delayed or faulted
            return

        outcome = {"status": None, "fault": None}
        body = BodyDigest() if POLICY_PATH.match(original_path) else None
        started = time.perf_counter()
        try:
            await self._serve(
                scope,
                body.watch(receive) if body else receive,
                _status_recorder(send, outcome),
                kind,
                original_path,
                outcome,
            )
        finally:
            self.log.record(
                method=scope["method"],
                path=original_path,
                query=redact_query(scope["query_string"]),
                status=outcome["status"],
                client_request_id=client_request_id if client_request_id != request_id else None,
                kind=kind,
                fault=outcome["fault"],
                duration_ms=round((time.perf_counter() - started) * 1000, 1),
                body=body.summary() if body else None,
            )

    async def _serve(self, scope, receive, send, kind, path, outcome):
        if self.latency_ms:
            await asyncio.sleep(self.latency_ms / 1000)
        fault = self.faults.take(scope["method"], path)
        if fault is None:
            await self.app(scope, receive, send)
            return
        outcome["fault"] = fault.describe()
        if fault.delay_ms:
            await asyncio.sleep(fault.delay_ms / 1000)
        if fault.drop:
            await drop_connection(scope, receive)
        elif fault.apply_then_fail or fault.replication_lag_ms:
            await self._perform_then_adjust(scope, receive, send, kind, fault)
        elif fault.status:
            await fault_response(scope, kind, fault)(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def _perform_then_adjust(self, scope, receive, send, kind, fault: Fault):
        """Run the request for real; then open a replication-lag window and/or swap in the failure."""
        messages = []

        async def capture(message):
            messages.append(message)

        await self.app(scope, receive, capture)
        status = next(message["status"] for message in messages if message["type"] == "http.response.start")
        if fault.replication_lag_ms and scope["method"] == "POST" and status == 201:
            created_id = _created_keyset_id(messages)
            if created_id:
                self.lag.hide(created_id, fault.replication_lag_ms)
        if fault.apply_then_fail:
            await fault_response(scope, kind, fault)(scope, receive, send)
            return
        for message in messages:
            await send(message)


def fault_response(scope, kind: str, fault: Fault):
    status = fault.failure_status
    headers = {"Retry-After": fault.retry_after} if fault.retry_after else None
    message = _fault_message(scope, fault, status)
    if kind in ("token", "discovery"):
        body = oauth_error_body(scope, fault.code or "temporarily_unavailable", 50000 + status, message)
        return JSONResponse(body, status_code=status, headers=headers)
    if kind == "msi":
        return JSONResponse({"statusCode": status, "message": message}, status_code=status, headers=headers)
    return graph_error_response(scope, status, fault.code, message, headers=headers)


def _fault_message(scope, fault: Fault, status: int) -> str:
    """The fault's own message, else the service's words for an injected B2C code (throttling, concurrent
    writes, internal error), else a note naming the fault."""
    if fault.message is not None:
        return fault.message
    template = B2C_MESSAGES.get(fault.code or "")
    if template and "{" not in template:
        return template
    return f"Injected fault: HTTP {status} for {scope['method']} {scope['path']}."


async def drop_connection(scope, receive) -> None:
    """Close the TCP connection with no response at all.

    uvicorn answers 500 when an app raises or returns without responding, so instead the
    server's protocol class (see server.py) puts the connection's transport in the scope and
    we abort it. Then we wait until uvicorn has noticed the disconnect, so it does not try
    to send its own 500 on a dead connection.
    """
    transport = scope.get("extensions", {}).get(TRANSPORT_EXTENSION)
    if transport is None:
        raise RuntimeError("drop faults need the emulator's uvicorn protocol (tests.emulator.server)")
    transport.abort()
    while (await receive())["type"] != "http.disconnect":
        pass


def _created_keyset_id(messages: list) -> str | None:
    body = b"".join(message.get("body", b"") for message in messages if message["type"] == "http.response.body")
    try:
        return json.loads(body).get("id")
    except (ValueError, AttributeError):
        return None


def _header(scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return None


def _with_id_headers(send, request_id: str, client_request_id: str):
    async def send_with_ids(message):
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", []))
            names = {key.lower() for key, dummy_value in headers}
            if b"request-id" not in names:
                headers.append((b"request-id", request_id.encode()))
            if b"client-request-id" not in names:
                headers.append((b"client-request-id", client_request_id.encode("latin-1")))
            message = dict(message, headers=headers)
        await send(message)

    return send_with_ids


def _status_recorder(send, outcome: dict):
    async def recording_send(message):
        if message["type"] == "http.response.start":
            outcome["status"] = message["status"]
        await send(message)

    return recording_send
