"""A hostile server on 127.0.0.1 in front of an emulator: it forwards every request, except those a rule answers.

It serves the emulator's own certificate (so the emulator's ca.pem trusts it) and
rewrites the emulator's address in forwarded answers to its own, so discovery
sends msal back through it. A rule is ``(method, path regex, answer)``;
``answer(request, forward)`` gets the request (method, path, headers, body) and
a function that forwards it to the emulator and returns the httpx response; it
returns ``(status, json-able body or RawJson)`` to send, or None to pass the emulator's
answer on unchanged. Point the modules at it with :meth:`HostileFront.env`.
"""

from __future__ import annotations

import dataclasses
import http.server
import json
import os
import re
import ssl
import threading

import httpx

HOP_BY_HOP = {"connection", "content-length", "transfer-encoding", "content-encoding", "host", "keep-alive"}


@dataclasses.dataclass
class Request:
    method: str
    path: str
    headers: dict
    body: bytes

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")


def echo_form_body(request, forward):
    """A login endpoint that quotes the token request (a form body with the client secret) in its error."""
    return 400, {"error": "invalid_request", "error_description": "AADSTS900144: cannot read " + request.text}


def echo_json_body(request, forward):
    """A Graph endpoint that quotes the JSON body (an uploaded secret, a PKCS#12 password) in its error."""
    return 400, {"error": {"code": "badRequest", "message": "Invalid request body: " + request.text}}


class RawJson(str):
    """A body sent as it is written (JSON that Python would not write, such as 1e400)."""


class HostileFront:
    def __init__(self, emulator, rules=()):
        self.emulator = emulator
        self.rules = [(method, re.compile(pattern), answer) for method, pattern, answer in rules]
        self.seen = []
        self._client = httpx.Client(base_url=emulator.url, verify=emulator.ssl_context(), timeout=30)
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(
            os.path.join(emulator.state_dir, "server-cert.pem"), os.path.join(emulator.state_dir, "server-key.pem")
        )
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self.url = "https://127.0.0.1:%d" % self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self._server.shutdown()
        self._server.server_close()
        self._client.close()

    def env(self):
        """Environment overrides that send login and Graph through this server."""
        return {"AZURE_AUTHORITY_HOST": self.url, "B2C_GRAPH_ENDPOINT": self.url}

    def _answer(self, request):
        def forward():
            headers = dict((name, value) for name, value in request.headers.items() if name.lower() not in HOP_BY_HOP)
            return self._client.request(request.method, request.path, headers=headers, content=request.body)

        for method, pattern, answer in self.rules:
            if method == request.method and pattern.search(request.path):
                answered = answer(request, forward)
                if answered is not None:
                    status, body = answered
                    text = body if isinstance(body, RawJson) else json.dumps(body)
                    return status, {"Content-Type": "application/json"}, text.encode("utf-8")
        response = forward()
        headers = dict((name, value) for name, value in response.headers.items() if name.lower() not in HOP_BY_HOP)
        return response.status_code, headers, response.content.replace(self.emulator.url.encode(), self.url.encode())

    def _handler(self):
        front = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self):
                length = int(self.headers.get("Content-Length") or 0)
                request = Request(self.command, self.path, dict(self.headers.items()), self.rfile.read(length))
                front.seen.append(request)
                status, headers, body = front._answer(request)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

            def log_message(self, *args):
                pass

        return Handler
