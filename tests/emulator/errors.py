"""Error bodies in the shapes the real services use (Graph JSON and OAuth2 JSON)."""

from __future__ import annotations

import datetime
import uuid

from starlette.requests import Request
from starlette.responses import JSONResponse

# Graph code used when a fault only gives a status.
DEFAULT_GRAPH_CODES = {
    400: "badRequest",
    401: "InvalidAuthenticationToken",
    403: "Authorization_RequestDenied",
    404: "itemNotFound",
    409: "conflict",
    429: "TooManyRequests",
    500: "generalException",
    502: "badGateway",
    503: "serviceNotAvailable",
    504: "gatewayTimeout",
}


class GraphError(Exception):
    """Raised by Graph handlers; turned into a Graph error body by the app."""

    def __init__(self, status: int, code: str, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def utc_now_iso() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")


def request_ids(scope: dict) -> tuple[str, str]:
    """The (request-id, client-request-id) pair the front door assigned to this request."""
    ids = scope.get("emulator.ids")
    if ids:
        return ids
    fresh = str(uuid.uuid4())
    return fresh, fresh


def graph_error_body(scope: dict, code: str, message: str) -> dict:
    request_id, client_request_id = request_ids(scope)
    return {
        "error": {
            "code": code,
            "message": message,
            "innerError": {
                "request-id": request_id,
                "client-request-id": client_request_id,
                "date": utc_now_iso(),
            },
        }
    }


def graph_error_response(scope: dict, status: int, code: str | None, message: str, headers: dict | None = None) -> JSONResponse:
    code = code or DEFAULT_GRAPH_CODES.get(status, "generalException")
    return JSONResponse(graph_error_body(scope, code, message), status_code=status, headers=headers)


def oauth_error_body(scope: dict, error: str, aadsts: int, description: str) -> dict:
    """An Entra ID token-endpoint error: the AADSTS code leads the description, ids trail it."""
    trace_id, correlation_id = request_ids(scope)
    timestamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%SZ")
    return {
        "error": error,
        "error_description": (
            f"AADSTS{aadsts}: {description}\r\nTrace ID: {trace_id}\r\n"
            f"Correlation ID: {correlation_id}\r\nTimestamp: {timestamp}"
        ),
        "error_codes": [aadsts],
        "timestamp": timestamp,
        "trace_id": trace_id,
        "correlation_id": correlation_id,
    }


def oauth_error_response(request: Request, status: int, error: str, aadsts: int, description: str) -> JSONResponse:
    return JSONResponse(oauth_error_body(request.scope, error, aadsts, description), status_code=status)
