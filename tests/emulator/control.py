"""Control API under /_emulator/ (no auth; test harness only). Never logged, delayed or faulted."""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .faults import parse_fault
from .settings import FEDERATED_AUDIENCE, READ_ROLES, READ_WRITE_ROLES, tenant_guid_for


def services(request: Request):
    return request.app.state.services


def bad_request(message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=400)


async def _json_or_none(request: Request):
    raw = await request.body()
    if not raw.strip():
        return None
    return json.loads(raw)


async def info(request: Request) -> JSONResponse:
    svc = services(request)
    settings = svc.settings
    return JSONResponse(
        {
            "url": str(request.base_url).rstrip("/"),
            "tenant": settings.tenant,
            "tenant_id": settings.tenant_guid,
            "clients": [
                {"client_id": client.client_id, "read_only": client.read_only} for client in settings.clients.values()
            ],
            "page_size": settings.page_size,
            "latency_ms": settings.latency_ms,
            "token_lifetime": settings.token_lifetime,
            "federated_issuer": settings.federated_issuer,
            "reformat_policies": svc.policy_output.reformat,
        }
    )


async def mint_token(request: Request) -> JSONResponse:
    """A token straight from the signing key: for the access_token auth method and expiry tests.

    Body: {"client_id": optional, "lifetime": seconds (negative = already expired), "read_only": bool,
           "roles": optional list of app roles instead (e.g. only the keyset one, to see policies refuse it),
           "tenant": optional tenant name or GUID (a foreign one gives a token Graph rejects),
           "audience": optional (default https://graph.microsoft.com)}
    """
    try:
        body = await _json_or_none(request) or {}
    except ValueError:
        return bad_request("body must be JSON")
    svc = services(request)
    lifetime = body.get("lifetime", svc.settings.token_lifetime)
    if isinstance(lifetime, bool) or not isinstance(lifetime, int):
        return bad_request("'lifetime' must be an integer number of seconds")
    roles = body.get("roles", READ_ROLES if body.get("read_only") else READ_WRITE_ROLES)
    if not isinstance(roles, list) or not all(isinstance(role, str) for role in roles):
        return bad_request("'roles' must be a list of app role names")
    tenant = body.get("tenant")
    tenant_guid = tenant if tenant is None or _looks_like_guid(tenant) else tenant_guid_for(tenant)
    access_token, exp = svc.tokens.mint(
        issuer=f"{str(request.base_url).rstrip('/')}/{tenant_guid or svc.settings.tenant_guid}/v2.0",
        app_id=body.get("client_id") or next(iter(svc.settings.clients), "emulator-client"),
        roles=list(roles),
        audience=body.get("audience") or "https://graph.microsoft.com",
        lifetime=lifetime,
        tenant_guid=tenant_guid,
    )
    return JSONResponse(
        {"access_token": access_token, "token_type": "Bearer", "expires_in": lifetime, "expires_on": exp}
    )


async def mint_federated_token(request: Request) -> JSONResponse:
    """An OIDC token of the emulator's federated issuer: what a pipeline writes to AZURE_FEDERATED_TOKEN_FILE.

    Body: {"subject": optional (default: the first subject --client-id trusts), "audience": optional
           (default api://AzureADTokenExchange), "issuer": optional (another issuer, which no app trusts),
           "lifetime": seconds (default 600; negative = already expired)}
    """
    try:
        body = await _json_or_none(request) or {}
    except ValueError:
        return bad_request("body must be JSON")
    svc = services(request)
    lifetime = body.get("lifetime", 600)
    if isinstance(lifetime, bool) or not isinstance(lifetime, int):
        return bad_request("'lifetime' must be an integer number of seconds")
    trusted = [fic for client in svc.settings.clients.values() for fic in client.federated]
    subject = body.get("subject") or (trusted[0].subject if trusted else "unknown")
    token = svc.federated_issuer.mint(
        subject=subject,
        audience=body.get("audience") or FEDERATED_AUDIENCE,
        lifetime=lifetime,
        issuer=body.get("issuer"),
    )
    return JSONResponse(
        {"token": token, "issuer": body.get("issuer") or svc.federated_issuer.issuer, "subject": subject}
    )


def _looks_like_guid(value: str) -> bool:
    return len(value) == 36 and value.count("-") == 4


async def list_requests(request: Request) -> JSONResponse:
    return JSONResponse(services(request).log.entries(kind=request.query_params.get("kind")))


async def clear_requests(request: Request) -> Response:
    services(request).log.clear()
    return Response(status_code=204)


async def add_faults(request: Request) -> JSONResponse:
    try:
        raw = await _json_or_none(request)
        faults = [parse_fault(item) for item in (raw if isinstance(raw, list) else [raw])]
    except ValueError as exc:
        return bad_request(str(exc))
    added = services(request).faults.add(faults)
    return JSONResponse([fault.to_json() for fault in added], status_code=201)


async def list_faults(request: Request) -> JSONResponse:
    return JSONResponse(services(request).faults.list())


async def clear_faults(request: Request) -> Response:
    services(request).faults.clear()
    return Response(status_code=204)


async def get_clock(request: Request) -> JSONResponse:
    return JSONResponse(services(request).clock.to_json())


async def move_clock(request: Request) -> JSONResponse:
    """Body: {"offset_seconds": N} sets the offset from real time; {"advance_seconds": N} adds to it.

    N may be negative. The offset is saved in state.json, so it survives a restart.
    """
    try:
        body = await _json_or_none(request)
    except ValueError:
        return bad_request("body must be JSON")
    if not isinstance(body, dict) or len(body) != 1 or next(iter(body)) not in ("offset_seconds", "advance_seconds"):
        return bad_request('body must be {"offset_seconds": N} or {"advance_seconds": N}')
    ((name, seconds),) = body.items()
    if isinstance(seconds, bool) or not isinstance(seconds, int):
        return bad_request(f"'{name}' must be an integer number of seconds")
    svc = services(request)
    svc.store.set_clock_offset(seconds if name == "offset_seconds" else svc.clock.offset_seconds + seconds)
    return JSONResponse(svc.clock.to_json())


async def get_policy_format(request: Request) -> JSONResponse:
    return JSONResponse({"reformat": services(request).policy_output.reformat})


async def set_policy_format(request: Request) -> JSONResponse:
    """Body: {"reformat": true|false}: whether GET policies/{id}/$value answers a reformatted copy."""
    try:
        body = await _json_or_none(request)
    except ValueError:
        return bad_request("body must be JSON")
    if not isinstance(body, dict) or set(body) != {"reformat"} or not isinstance(body["reformat"], bool):
        return bad_request('body must be {"reformat": true} or {"reformat": false}')
    services(request).policy_output.reformat = body["reformat"]
    return JSONResponse({"reformat": body["reformat"]})


async def reset(request: Request) -> Response:
    """Back to an empty tenant at real time: keysets, policies, clock offset, faults, replication lag and log go,
    the policy format returns to the start-up choice; credentials and CA stay."""
    svc = services(request)
    svc.store.clear()
    svc.faults.clear()
    svc.lag.clear()
    svc.log.clear()
    svc.policy_output.reset()
    return Response(status_code=204)


ROUTES = [
    Route("/_emulator/info", info, methods=["GET"]),
    Route("/_emulator/token", mint_token, methods=["POST"]),
    Route("/_emulator/federated_token", mint_federated_token, methods=["POST"]),
    Route("/_emulator/requests", list_requests, methods=["GET"]),
    Route("/_emulator/requests", clear_requests, methods=["DELETE"]),
    Route("/_emulator/faults", add_faults, methods=["POST"]),
    Route("/_emulator/faults", list_faults, methods=["GET"]),
    Route("/_emulator/faults", clear_faults, methods=["DELETE"]),
    Route("/_emulator/clock", get_clock, methods=["GET"]),
    Route("/_emulator/clock", move_clock, methods=["POST"]),
    Route("/_emulator/policy_format", get_policy_format, methods=["GET"]),
    Route("/_emulator/policy_format", set_policy_format, methods=["POST"]),
    Route("/_emulator/reset", reset, methods=["POST"]),
]
