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


# The B2C keyset error codes the emulator answers with, and their messages as the B2C
# error-code reference words them (MicrosoftDocs/azure-docs articles/active-directory-b2c/
# error-codes.md, older revision: later ones dropped these rows). `{name}` fields are filled in.
B2C_MESSAGES = {
    "AADB2C90063": "The B2C service has an internal error.",
    "AADB2C90073": "KeyContainer with 'id': '{keyset}' cannot be found in the directory '{tenant}'",
    "AADB2C90179": "The presented X509 certificate '{name}' in tenant '{tenant}' is not a valid X.509 certificate: '{reason}'",
    "AADB2C90180": "The presented key '{kid}' of type '{kty}' already exists.",
    "AADB2C90213": "The certificate password provided in request is incorrect.",
    "AADB2C90214": "The expiry date for the key container in tenant '{tenant}' with storageReferenceId '{keyset}' "
    "is in the past. Passed date :'{date}'.",
    "AADB2C90215": "The uploaded key is badly formatted. Reason: '{reason}'.",
    "AADB2C90220": "The key container in tenant '{tenant}' with storage identifier '{keyset}' exists but does not "
    "contain a valid certificate. The certificate might be expired or your certificate might become "
    "active in the future (nbf).",
    "AADB2C90229": "Your request is throttled temporarily. Please retry after the time specified in the additional "
    "information of the error message.",
    "AADB2C90244": "There are too many requests at this moment. Please wait for some time and try again.",
    "AADB2C90253": "The trustframework keyset parameter '{name}' is missing",
    "AADB2C95028": "Can't create trustframework key set with name '{keyset}' because it already exists.",
    "AADB2C95029": "The trustframework keyset parameter K is not base64 URL encoded.",
    "AADB2C95030": "Missing kty parameter for the trustframework key.",
    "AADB2C95031": "Bad kty parameter '{kty}' for the trustframework key. Must be RSA or oct.",
    "AADB2C95032": "One can't mix RSA and Oct types in one key set.",
    "AADB2C95033": "Bad use parameter '{use}' for the trustframework key.",
    "AADB2C95037": "The presented TrustFrameworkKey entity is missing kty.",
    "AADB2C95039": "The presented TrustFrameworkKey RSA entity is missing or the modulus or exponent.",
    "AADB2C95042": "One can't mix signature and encryption usage in one key set.",
    "AADB2C95043": "There are too many requests at this moment. Please wait for some time and try again.",
    "AADB2C95052": "The trustframework key set with id '{keyset}' in tenant '{tenant}' is not created. "
    "Please use 'Create api' to create the key set first.",
    "AADB2C95053": "Multiple concurrent writes to the same object detected. Please perform update operations on "
    "the same object sequentially.",
    "AADB2C95059": "One of the keys in the payload has 'kid' which is not empty.",
}


def b2c_message(code: str, **fields) -> str:
    return B2C_MESSAGES[code].format(**fields)


def is_b2c_code(code: str | None) -> bool:
    return bool(code) and code.upper().startswith("AADB2C")


class GraphError(Exception):
    """Raised by Graph handlers; turned into a Graph error body by the app."""

    def __init__(self, status: int, code: str, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}

    @classmethod
    def b2c(cls, code: str, **fields) -> "GraphError":
        """A B2C refusal: the code goes straight into error.code (mrochon/IEFPolicies #58); 400 unless noted."""
        return cls(400, code, b2c_message(code, **fields))


CLOCK_SCOPE_KEY = "emulator.clock"


def request_time(scope: dict) -> datetime.datetime:
    """Now in the emulator's (possibly shifted) time; the front door puts its clock in every request's scope."""
    clock = scope.get(CLOCK_SCOPE_KEY)
    return clock.now_datetime() if clock is not None else datetime.datetime.now(datetime.timezone.utc)


def request_ids(scope: dict) -> tuple[str, str]:
    """The (request-id, client-request-id) pair the front door assigned to this request."""
    ids = scope.get("emulator.ids")
    if ids:
        return ids
    fresh = str(uuid.uuid4())
    return fresh, fresh


def graph_error_body(scope: dict, code: str, message: str) -> dict:
    request_id, client_request_id = request_ids(scope)
    inner = {
        "request-id": request_id,
        "client-request-id": client_request_id,
        "date": request_time(scope).strftime("%Y-%m-%dT%H:%M:%S"),
    }
    if is_b2c_code(code):
        # Real service: B2C errors carry B2C's own correlationId inside innerError, next to Graph's
        # request-id (README.md, Real-service behaviour); support tickets ask for it.
        inner["correlationId"] = str(uuid.uuid4())
    return {"error": {"code": code, "message": message, "innerError": inner}}


def graph_error_response(
    scope: dict, status: int, code: str | None, message: str, headers: dict | None = None
) -> JSONResponse:
    code = code or DEFAULT_GRAPH_CODES.get(status, "generalException")
    return JSONResponse(graph_error_body(scope, code, message), status_code=status, headers=headers)


def oauth_error_body(scope: dict, error: str, aadsts: int, description: str) -> dict:
    """An Entra ID token-endpoint error: the AADSTS code leads the description, ids trail it."""
    trace_id, correlation_id = request_ids(scope)
    timestamp = request_time(scope).strftime("%Y-%m-%d %H:%M:%SZ")
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
