"""Assembles the ASGI application: routes, error handlers and the front door."""

from __future__ import annotations

import dataclasses
import os

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse

from . import control, graph, login, policies
from .clock import Clock
from .errors import GraphError, graph_error_response
from .faults import FaultBook, ReplicationLag
from .frontdoor import FrontDoor, RequestLog, classify
from .settings import EmulatorSettings
from .store import TenantStore
from .tokens import FederatedIssuer, TokenService
from .unrouted import not_found_answer, wrong_method_answer

STATE_FILE = "state.json"
SIGNING_KEY_FILE = "token-signing-key.pem"
FEDERATED_ISSUER_KEY_FILE = "federated-issuer-key.pem"


@dataclasses.dataclass
class Services:
    settings: EmulatorSettings
    clock: Clock
    store: TenantStore
    tokens: TokenService
    federated_issuer: FederatedIssuer
    faults: FaultBook
    lag: ReplicationLag
    log: RequestLog
    policy_output: policies.PolicyOutput


async def _graph_error(request: Request, exc: GraphError) -> JSONResponse:
    return graph_error_response(request.scope, exc.status, exc.code, exc.message, headers=exc.headers)


async def _http_error(request: Request, exc: HTTPException) -> JSONResponse:
    """Unknown paths and wrong methods: answered as Graph does on Graph paths, a plain JSON error elsewhere."""
    if classify(request.url.path) == "graph":
        path = request.url.path
        status, code, message = wrong_method_answer(path) if exc.status_code == 405 else not_found_answer(path)
        return graph_error_response(request.scope, status, code, message)
    return JSONResponse({"error": exc.detail}, status_code=exc.status_code)


def build_services(settings: EmulatorSettings, state_dir: str) -> Services:
    clock = Clock()
    return Services(
        settings=settings,
        clock=clock,
        store=TenantStore(os.path.join(state_dir, STATE_FILE), clock),  # loads the saved clock offset
        tokens=TokenService(os.path.join(state_dir, SIGNING_KEY_FILE), settings.tenant_guid, clock),
        federated_issuer=FederatedIssuer(
            os.path.join(state_dir, FEDERATED_ISSUER_KEY_FILE), settings.federated_issuer, clock
        ),
        faults=FaultBook(),
        lag=ReplicationLag(),
        log=RequestLog(clock),
        policy_output=policies.PolicyOutput(settings.reformat_policies),
    )


def build_app(services: Services) -> FrontDoor:
    app = Starlette(
        routes=control.ROUTES + graph.ROUTES + policies.ROUTES + login.ROUTES,
        exception_handlers={GraphError: _graph_error, HTTPException: _http_error},  # KeyMaterialError is a GraphError
    )
    app.state.services = services
    return FrontDoor(
        app,
        faults=services.faults,
        lag=services.lag,
        log=services.log,
        clock=services.clock,
        latency_ms=services.settings.latency_ms,
    )
