"""Login service routes: OpenID discovery, the client-credentials token endpoint (secret, certificate and
federated client assertions), managed identity."""

from __future__ import annotations

import base64
import binascii
import hmac
from urllib.parse import parse_qsl, unquote, urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from .errors import oauth_error_response
from .settings import MANAGED_IDENTITY_APP_ID, READ_WRITE_ROLES
from .tokens import AssertionRejected, is_federated_assertion, verify_client_assertion

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
RESERVED_SCOPES = {"openid", "profile", "offline_access", "email"}


def services(request: Request):
    return request.app.state.services


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def issuer(request: Request) -> str:
    return f"{base_url(request)}/{services(request).settings.tenant_guid}/v2.0"


def unknown_tenant(request: Request, tenant: str) -> JSONResponse:
    return oauth_error_response(
        request,
        400,
        "invalid_request",
        90002,
        f"Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.",
    )


# -- discovery -------------------------------------------------------------------------------------


async def openid_configuration(request: Request) -> JSONResponse:
    """What msal reads while constructing a client app (authorization_endpoint, token_endpoint, issuer)."""
    tenant = request.path_params["tenant"]
    if not services(request).settings.is_our_tenant(tenant):
        return unknown_tenant(request, tenant)
    root = f"{base_url(request)}/{tenant}"
    return JSONResponse(
        {
            "issuer": issuer(request),
            "authorization_endpoint": f"{root}/oauth2/v2.0/authorize",
            "token_endpoint": f"{root}/oauth2/v2.0/token",
            "device_authorization_endpoint": f"{root}/oauth2/v2.0/devicecode",
            "end_session_endpoint": f"{root}/oauth2/v2.0/logout",
            "jwks_uri": f"{root}/discovery/v2.0/keys",
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nbf", "tid", "appid", "roles"],
            "request_uri_parameter_supported": False,
            "tenant_region_scope": "EU",
            "cloud_instance_name": "emulator.local",
            "cloud_graph_host_name": "graph.windows.net",
            "msgraph_host": "graph.microsoft.com",
        }
    )


async def signing_keys(request: Request) -> JSONResponse:
    tenant = request.path_params["tenant"]
    if not services(request).settings.is_our_tenant(tenant):
        return unknown_tenant(request, tenant)
    return JSONResponse(services(request).tokens.jwks())


# -- token endpoint ------------------------------------------------------------------------------------


async def token(request: Request) -> JSONResponse:
    svc = services(request)
    tenant = request.path_params["tenant"]
    if not svc.settings.is_our_tenant(tenant):
        return unknown_tenant(request, tenant)
    # Form bodies are parsed here with the standard library: python-multipart is not a dependency.
    form = dict(parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True))
    basic_id, basic_secret = _basic_credentials(request)
    client_id = form.get("client_id") or basic_id
    if form.get("grant_type") != "client_credentials":
        return oauth_error_response(
            request,
            400,
            "unsupported_grant_type",
            70003,
            "The app requested an unsupported grant type; only 'client_credentials' is available.",
        )
    if not client_id:
        return oauth_error_response(
            request,
            400,
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'client_id'.",
        )
    client = svc.settings.clients.get(client_id)
    if client is None:
        return oauth_error_response(
            request,
            400,
            "unauthorized_client",
            700016,
            f"Application with identifier '{client_id}' was not found in the directory '{svc.settings.tenant}'. "
            "This can happen if the application has not been installed by the administrator of the tenant.",
        )
    resource = _resource_from_scope(form.get("scope", ""))
    if resource is None:
        return oauth_error_response(
            request,
            400,
            "invalid_scope",
            1002012,
            f"The provided value for scope {form.get('scope', '')!r} is not valid. Client credential flows must have a "
            "scope value with /.default suffixed to the resource identifier (application ID URI).",
        )
    failure = _check_client_credential(request, form, client, basic_secret)
    if failure is not None:
        return failure
    lifetime = svc.settings.token_lifetime
    access_token, _exp = svc.tokens.mint(
        issuer=issuer(request), app_id=client.client_id, roles=client.roles, audience=resource, lifetime=lifetime
    )
    return JSONResponse(
        {"token_type": "Bearer", "expires_in": lifetime, "ext_expires_in": lifetime, "access_token": access_token}
    )


def _basic_credentials(request: Request) -> tuple[str | None, str | None]:
    scheme, dummy_sep, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None, None
    try:
        user, dummy_sep, password = base64.b64decode(encoded).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None, None
    return unquote(user), unquote(password)


def _resource_from_scope(scope: str) -> str | None:
    """Client credentials need exactly one `<resource>/.default` scope (reserved OIDC scopes are ignored)."""
    scopes = [item for item in scope.split() if item not in RESERVED_SCOPES]
    if len(scopes) != 1 or not scopes[0].endswith("/.default"):
        return None
    return scopes[0][: -len("/.default")]


def _check_client_credential(request: Request, form: dict, client, basic_secret: str | None):
    if form.get("client_assertion"):
        if form.get("client_assertion_type") != JWT_BEARER:
            return oauth_error_response(
                request, 400, "invalid_request", 50027, f"client_assertion_type must be '{JWT_BEARER}'."
            )
        assertion = form["client_assertion"]
        try:
            if is_federated_assertion(assertion, client):
                services(request).federated_issuer.verify(assertion, client)
            else:
                verify_client_assertion(
                    assertion, client, _token_endpoint_urls(request), now=services(request).clock.now()
                )
        except AssertionRejected as exc:
            return oauth_error_response(request, exc.status, exc.error, exc.code, str(exc))
        return None
    secret = form.get("client_secret") or basic_secret
    if not secret:
        return oauth_error_response(
            request,
            401,
            "invalid_client",
            7000218,
            "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
        )
    if client.secret is None or not hmac.compare_digest(secret.encode(), client.secret.encode()):
        return oauth_error_response(
            request,
            401,
            "invalid_client",
            7000215,
            "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, "
            f"not the client secret ID, for a secret added to app '{client.client_id}'.",
        )
    return None


def _token_endpoint_urls(request: Request) -> list[str]:
    """Audiences a client assertion may carry: this token endpoint under either host name and tenant form."""
    settings = services(request).settings
    port = urlsplit(base_url(request)).port
    hosts = {request.headers.get("host", ""), f"127.0.0.1:{port}", f"localhost:{port}"}
    tenants = {request.path_params["tenant"], settings.tenant, settings.tenant_guid}
    return [f"{request.url.scheme}://{host}/{tenant}/oauth2/v2.0/token" for host in hosts for tenant in tenants]


# -- managed identity (App Service protocol, as msal's ManagedIdentityClient speaks it) ----------------


async def managed_identity_token(request: Request) -> JSONResponse:
    svc = services(request)
    if not hmac.compare_digest(
        request.headers.get("x-identity-header", "").encode(), svc.settings.identity_header.encode()
    ):
        return JSONResponse(
            {"statusCode": 401, "message": "The X-IDENTITY-HEADER header is missing or wrong."}, status_code=401
        )
    resource = request.query_params.get("resource")
    if not request.query_params.get("api-version") or not resource:
        return JSONResponse(
            {"statusCode": 400, "message": "The 'api-version' and 'resource' query parameters are required."},
            status_code=400,
        )
    # A user-assigned identity is chosen by client_id, object_id or mi_res_id; the default is the system identity.
    principal = (
        request.query_params.get("client_id")
        or request.query_params.get("object_id")
        or request.query_params.get("mi_res_id")
        or MANAGED_IDENTITY_APP_ID
    )
    access_token, exp = svc.tokens.mint(
        issuer=issuer(request),
        app_id=principal,
        roles=list(READ_WRITE_ROLES),
        audience=resource.removesuffix("/.default"),
        lifetime=svc.settings.token_lifetime,
    )
    return JSONResponse(
        {
            "access_token": access_token,
            "expires_on": str(exp),
            "resource": resource,
            "token_type": "Bearer",
            "client_id": principal,
        }
    )


ROUTES = [
    Route("/{tenant}/v2.0/.well-known/openid-configuration", openid_configuration, methods=["GET"]),
    Route("/{tenant}/.well-known/openid-configuration", openid_configuration, methods=["GET"]),
    Route("/{tenant}/discovery/v2.0/keys", signing_keys, methods=["GET"]),
    Route("/{tenant}/oauth2/v2.0/token", token, methods=["POST"]),
    Route("/_msi/token", managed_identity_token, methods=["GET"]),
]
