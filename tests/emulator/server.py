"""uvicorn plumbing: a protocol that lets the app drop a connection, and a server that announces READY."""

from __future__ import annotations

import sys

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from .frontdoor import TRANSPORT_EXTENSION


class DroppableH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, with each request's scope carrying the connection's transport.

    uvicorn turns an exception or a missing response into a 500, but a "drop" fault must
    close the TCP connection with no response at all; with the transport in the scope the
    front door can call transport.abort().
    """

    def connection_made(self, transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        app = self.app

        async def app_with_transport(scope, receive, send):
            scope.setdefault("extensions", {})[TRANSPORT_EXTENSION] = transport
            await app(scope, receive, send)

        self.app = app_with_transport

    def shutdown(self) -> None:
        """On SIGTERM, cut idle keep-alive connections at once.

        A graceful TLS close waits for the client's close_notify, which an idle client
        never sends, so uvicorn would wait for it (up to the 30 s SSL shutdown timeout).
        """
        idle = self.cycle is None or self.cycle.response_complete
        super().shutdown()
        if idle:
            self.transport.abort()


class AnnouncingServer(uvicorn.Server):
    """Prints exactly one `READY <url>` line on stdout once the socket is serving."""

    def __init__(self, config: uvicorn.Config, url: str):
        super().__init__(config)
        self.url = url

    async def startup(self, sockets=None) -> None:
        await super().startup(sockets=sockets)
        if self.started:
            sys.stdout.write(f"READY {self.url}\n")
            sys.stdout.flush()
