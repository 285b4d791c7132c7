"""Microsoft Graph beta `trustFramework/keySets` routes."""

from __future__ import annotations

import base64
import binascii
import datetime
import json
import re

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .errors import GraphError
from .keys import (
    KEY_STATUSES,
    active_key,
    generate_oct_jwk,
    generate_rsa_jwk,
    jwk_from_certificate_upload,
    jwk_from_client,
    jwk_from_pkcs12_upload,
    new_kid,
    normalize_kty,
    normalize_use,
    public_view,
    refuse_mixing,
    validity_window,
)
from .settings import POLICY_READ_ROLE, POLICY_READ_WRITE_ROLE, READ_ROLE, READ_WRITE_ROLE
from .tokens import TokenRejected

PREFIX = "B2C_1A_"
KEYSET_ID_PATTERN = re.compile(r"[A-Za-z0-9_.\-]{1,128}")
MAX_TOP = 999
BASE = "/beta/trustFramework/keySets"


def services(request: Request):
    return request.app.state.services


# -- cross-cutting checks --------------------------------------------------------------------

KEYSET_ROLES = (READ_ROLE, READ_WRITE_ROLE)
POLICY_ROLES = (POLICY_READ_ROLE, POLICY_READ_WRITE_ROLE)


def authorize(request: Request, write: bool, roles: tuple[str, str] = KEYSET_ROLES) -> dict:
    """Bearer token check on every Graph call; writes need the resource's write role (``roles`` = read, write)."""
    header = request.headers.get("authorization", "")
    scheme, dummy_sep, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise GraphError(
            401,
            "InvalidAuthenticationToken",
            "Access token is empty.",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
    try:
        claims = services(request).tokens.verify(token.strip())
    except TokenRejected as exc:
        raise GraphError(
            401, "InvalidAuthenticationToken", str(exc), headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}
        ) from exc
    granted = set(claims.get("roles") or [])
    read_role, write_role = roles
    needed = {write_role} if write else {read_role, write_role}
    if not granted & needed:
        raise GraphError(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
    return claims


async def read_json_object(request: Request, allowed: set[str] | None = None) -> dict:
    raw = await request.body()
    if not raw.strip():
        raise GraphError(400, "BadRequest", "A request body is required.")
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise GraphError(400, "BadRequest", f"Unable to read JSON request payload: {exc}.") from exc
    if not isinstance(body, dict):
        raise GraphError(400, "BadRequest", "The request body must be a JSON object.")
    if "@odata.type" in body:
        # What the live service does (msgraph-beta-sdk-dotnet#67).
        raise GraphError(400, "AADB2C", "The 'keySet' field is invalid in request: '@odata.type' must not be sent.")
    unknown = set(body) - allowed if allowed is not None else set()
    if unknown:
        raise GraphError(
            400,
            "invalidRequest",
            f"Unknown parameter(s) in the request body: {', '.join(sorted(unknown))}. "
            f"Allowed: {', '.join(sorted(allowed))}.",
        )
    return body


def tenant(request: Request) -> str:
    return services(request).settings.tenant


def find_keyset(request: Request, keyset_id: str) -> dict:
    """The keyset, or the service's "missing" answer. Under a replication-lag fault a fresh keyset is invisible to GETs.

    Real service: a missing keyset is HTTP 400 + AADB2C90073, not 404 (mrochon/IEFPolicies
    IefPolicies.psm1 treats 400 as missing; ahauter/terraform-provider-azure-b2c-ief resource_policy_key.go
    matches AADB2C90073; MicrosoftDocs/azure-docs #98013). Every keyset endpoint answers the same (an inference
    in 7.1), and so does a keyset another replica does not know yet (7.1, the IEFPolicies 30 s wait).
    """
    keyset = services(request).store.find(keyset_id)
    hidden = request.method == "GET" and services(request).lag.is_hidden(keyset_id)
    if keyset is None or hidden:
        raise GraphError.b2c("AADB2C90073", keyset=keyset_id, tenant=tenant(request))
    return keyset


def keyset_body(request: Request, keyset: dict, entity: bool = True) -> dict:
    body = {"id": keyset["id"], "keys": [public_view(key) for key in keyset["keys"]]}
    if entity:
        body = {"@odata.context": f"{base_url(request)}/beta/$metadata#trustFramework/keySets/$entity", **body}
    return body


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def with_prefix(name: str) -> str:
    """The service stores names as B2C_1A_<name>; a name that already has the prefix (any case) is kept as sent."""
    return name if name.upper().startswith(PREFIX) else PREFIX + name


def validated_keys(request: Request, keyset_id: str, raw_keys) -> list[dict]:
    if not isinstance(raw_keys, list):
        raise GraphError(400, "invalidRequest", "'keys' must be a list of JWK objects.")
    keys = [jwk_from_client(raw) for raw in raw_keys]
    refuse_mixing([], keys)
    for key in keys:
        if key.get("exp") is not None:
            _refuse_past_expiry(request, keyset_id, key["exp"])
    return keys


# -- collection ------------------------------------------------------------------------------------


async def list_keysets(request: Request) -> JSONResponse:
    authorize(request, write=False)
    svc = services(request)
    visible = [keyset for keyset in svc.store.all() if not svc.lag.is_hidden(keyset["id"])]
    return JSONResponse(list_page(request, visible, BASE, lambda keyset: keyset_body(request, keyset, entity=False)))


def list_page(request: Request, items: list, path: str, view) -> dict:
    """One page of a collection: `$top` items (else --page-size) from `$skiptoken`, `@odata.nextLink` when more."""
    top = _query_int(request, "$top", default=services(request).settings.page_size, low=1, high=MAX_TOP)
    offset = _decode_skiptoken(request.query_params.get("$skiptoken"))
    body = {
        "@odata.context": f"{base_url(request)}/beta/$metadata#{path.removeprefix('/beta/')}",
        "value": [view(item) for item in items[offset : offset + top]],
    }
    if offset + top < len(items):
        skiptoken = base64.urlsafe_b64encode(f"offset:{offset + top}".encode()).decode().rstrip("=")
        body["@odata.nextLink"] = f"{base_url(request)}{path}?$top={top}&$skiptoken={skiptoken}"
    return body


def _query_int(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise GraphError(
            400, "BadRequest", f"Invalid value for {name}: '{raw}'. Expected an integer from {low} to {high}."
        )
    return int(raw)


def _decode_skiptoken(token: str | None) -> int:
    if not token:
        return 0
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        if text.startswith("offset:"):
            return int(text[len("offset:") :])
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise GraphError(400, "BadRequest", "The $skiptoken is invalid; follow @odata.nextLink exactly as returned.")


async def create_keyset(request: Request) -> JSONResponse:
    authorize(request, write=True)
    # `usage` is tolerated and dropped: real tenants answer 201 to the create that
    # ahauter/terraform-provider-azure-b2c-ief (resource_policy_key.go) sends with it.
    body = await read_json_object(request, allowed={"id", "keys", "usage"})
    name = body.get("id")
    if not isinstance(name, str) or not KEYSET_ID_PATTERN.fullmatch(name):
        raise GraphError(
            400, "invalidRequest", "'id' is required: 1-128 characters from letters, digits, '_', '-' and '.'."
        )
    keyset_id = with_prefix(name)
    keys = validated_keys(request, keyset_id, body.get("keys") or [])
    svc = services(request)
    if svc.store.find(keyset_id) is not None:
        # Real service: 95028 "already exists" (IEFPolicies IefPolicies.psm1 branches on it; B2C error-code
        # reference). The status is not published; B2C refusals are 400 (B2C error-code reference), never 409 here.
        raise GraphError.b2c("AADB2C95028", keyset=keyset_id)
    keyset = svc.store.create(keyset_id, keys)
    return JSONResponse(
        keyset_body(request, keyset),
        status_code=201,
        headers={"Location": f"/trustFramework/keySets('{keyset['id']}')"},
    )


# -- one keyset --------------------------------------------------------------------------------------


async def get_keyset(request: Request) -> JSONResponse:
    authorize(request, write=False)
    return JSONResponse(keyset_body(request, find_keyset(request, request.path_params["keyset_id"])))


async def replace_keyset(request: Request) -> JSONResponse:
    authorize(request, write=True)
    keyset = find_keyset(request, request.path_params["keyset_id"])
    body = await read_json_object(request, allowed={"id", "keys"})
    if "keys" not in body:
        raise GraphError(400, "invalidRequest", "'keys' is required: PUT replaces the whole list of keys.")
    if body.get("id") is not None and str(body["id"]).lower() not in (
        keyset["id"].lower(),
        keyset["id"].lower()[len(PREFIX) :],
    ):
        raise GraphError(400, "invalidRequest", f"The 'id' in the body does not match the keyset '{keyset['id']}'.")
    services(request).store.replace_keys(keyset, validated_keys(request, keyset["id"], body["keys"]))
    return JSONResponse(keyset_body(request, keyset))


async def delete_keyset(request: Request) -> Response:
    authorize(request, write=True)
    services(request).store.delete(find_keyset(request, request.path_params["keyset_id"]))
    return Response(status_code=204)


# -- actions that add a key ---------------------------------------------------------------------------


async def generate_key(request: Request) -> JSONResponse:
    authorize(request, write=True)
    keyset = find_keyset(request, request.path_params["keyset_id"])
    body = await read_json_object(request, allowed={"use", "kty", "nbf", "exp"})
    use, kty = normalize_use(body.get("use")), normalize_kty(body.get("kty"))
    nbf, exp = _window_of_new_key(request, keyset, body)
    _refuse_addition(keyset, {"kty": kty, "use": use})
    material = await run_in_threadpool(generate_rsa_jwk) if kty == "RSA" else generate_oct_jwk()
    keyset = find_keyset(request, keyset["id"])  # it may have gone while the key was being generated
    return _add_key(request, keyset, {**material, "use": use, "nbf": nbf, "exp": exp})


async def upload_secret(request: Request) -> JSONResponse:
    authorize(request, write=True)
    keyset = find_keyset(request, request.path_params["keyset_id"])
    body = await read_json_object(request, allowed={"use", "k", "nbf", "exp"})
    use = normalize_use(body.get("use"))
    if not isinstance(body.get("k"), str) or not body["k"]:
        # Real service: 90253 "The trustframework keyset parameter '{0}' is missing" (B2C error-code reference).
        # k is the plain secret here (an app's client secret may hold '~' and '.'), so it is not base64url-checked.
        raise GraphError.b2c("AADB2C90253", name="k")
    nbf, exp = _window_of_new_key(request, keyset, body)
    key = {"kty": "OCT", "use": use, "nbf": nbf, "exp": exp}
    _refuse_addition(keyset, key)
    # The secret itself is not kept: it can never be read back, and the emulator never uses it.
    return _add_key(request, keyset, key)


async def upload_certificate(request: Request) -> JSONResponse:
    authorize(request, write=True)
    keyset = find_keyset(request, request.path_params["keyset_id"])
    body = await read_json_object(request, allowed={"key"})
    jwk = jwk_from_certificate_upload(body.get("key"), keyset["id"], tenant(request))
    _refuse_addition(keyset, jwk)
    return _add_key(request, keyset, jwk)


async def upload_pkcs12(request: Request) -> JSONResponse:
    authorize(request, write=True)
    keyset = find_keyset(request, request.path_params["keyset_id"])
    body = await read_json_object(request, allowed={"key", "password"})
    jwk = await run_in_threadpool(jwk_from_pkcs12_upload, body.get("key"), body.get("password"))
    keyset = find_keyset(request, keyset["id"])
    _refuse_addition(keyset, jwk)
    return _add_key(request, keyset, jwk)


def _window_of_new_key(request: Request, keyset: dict, body: dict) -> tuple[int, int]:
    nbf, exp = validity_window(body, services(request).clock.now())
    _refuse_past_expiry(request, keyset["id"], exp)
    return nbf, exp


def _refuse_past_expiry(request: Request, keyset_id: str, exp: int) -> None:
    """Real service: 90214 "The expiry date ... is in the past" ("You can't generate expired keys";
    B2C error-code reference). The code names the key container, not an endpoint, so no
    evidence says create/PUT payloads escape it: the emulator refuses them too rather than be more
    forgiving than the service. Tests that need an expired key add a live one and move the clock on."""
    if exp <= services(request).clock.now():
        passed = datetime.datetime.fromtimestamp(exp, datetime.timezone.utc).strftime("%m/%d/%Y %H:%M:%S")
        raise GraphError.b2c("AADB2C90214", tenant=tenant(request), keyset=keyset_id, date=passed)


def _refuse_addition(keyset: dict, key: dict) -> None:
    """What the service refuses about adding this key to this keyset: mixing, or the same certificate again."""
    refuse_mixing(keyset["keys"], [key])
    if key.get("x5t") and any(existing.get("x5t") == key["x5t"] for existing in keyset["keys"]):
        # Real service: 90180 "The presented key ... already exists" for the same certificate twice
        # (B2C error-code reference).
        raise GraphError.b2c("AADB2C90180", kid=key["x5t"], kty=key["kty"])


def _add_key(request: Request, keyset: dict, material: dict) -> JSONResponse:
    key = {"kid": new_kid(), **material, "status": "enabled"}
    stored = services(request).store.add_key(keyset, key)
    return JSONResponse(public_view(stored))


# -- reading keys ----------------------------------------------------------------------------------------


async def get_active_key(request: Request) -> JSONResponse:
    authorize(request, write=False)
    keyset = find_keyset(request, request.path_params["keyset_id"])
    key = active_key(keyset["keys"], now=services(request).clock.now())
    if key is None:
        # The real answer for "nothing active" is not documented (the getActiveKey page names no error: expect some 4xx). The
        # emulator answers like a B2C refusal, 400 + AADB2C90220 ("exists but does not contain a valid
        # certificate ... expired or ... active in the future"), so a client that only knows 404 fails here too.
        raise GraphError.b2c("AADB2C90220", tenant=tenant(request), keyset=keyset["id"])
    return JSONResponse(public_view(key))


def _find_key(request: Request) -> tuple[dict, dict]:
    keyset = find_keyset(request, request.path_params["keyset_id"])
    key = services(request).store.find_key(keyset, request.path_params["kid"])
    if key is None:
        # A missing kid in an existing keyset: nothing public shows the real answer; Graph's generic 404 is kept.
        raise GraphError(
            404, "itemNotFound", f"Key '{request.path_params['kid']}' was not found in key set '{keyset['id']}'."
        )
    return keyset, key


async def get_key_v2(request: Request) -> JSONResponse:
    authorize(request, write=True)  # the docs list only ReadWrite.All, even for this read
    _keyset, key = _find_key(request)
    return JSONResponse({"status": "enabled", **public_view(key)})


async def patch_key_v2(request: Request) -> Response:
    authorize(request, write=True)
    _keyset, key = _find_key(request)
    body = await read_json_object(request)
    others = set(body) - {"status"}
    if others:
        raise GraphError(400, "invalidRequest", f"Only 'status' can be updated; not: {', '.join(sorted(others))}.")
    if body.get("status") not in KEY_STATUSES:
        raise GraphError(400, "invalidRequest", "'status' is required and must be 'enabled' or 'disabled'.")
    services(request).store.set_status(key, body["status"])
    return Response(status_code=204)


ROUTES = [
    Route(BASE, list_keysets, methods=["GET"]),
    Route(BASE, create_keyset, methods=["POST"]),
    Route(BASE + "/{keyset_id}", get_keyset, methods=["GET"]),
    Route(BASE + "/{keyset_id}", replace_keyset, methods=["PUT"]),
    Route(BASE + "/{keyset_id}", delete_keyset, methods=["DELETE"]),
    Route(BASE + "/{keyset_id}/generateKey", generate_key, methods=["POST"]),
    Route(BASE + "/{keyset_id}/uploadSecret", upload_secret, methods=["POST"]),
    Route(BASE + "/{keyset_id}/uploadCertificate", upload_certificate, methods=["POST"]),
    Route(BASE + "/{keyset_id}/uploadPkcs12", upload_pkcs12, methods=["POST"]),
    # GET only: the docs once said POST, which real tenants refuse (microsoft-graph-docs #6219, #8930).
    Route(BASE + "/{keyset_id}/getActiveKey", get_active_key, methods=["GET"]),
    Route(BASE + "/{keyset_id}/keys_v2/{kid}", get_key_v2, methods=["GET"]),
    Route(BASE + "/{keyset_id}/keys_v2/{kid}", patch_key_v2, methods=["PATCH"]),
]
