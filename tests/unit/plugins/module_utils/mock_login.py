"""A mock login service (OpenID discovery, token endpoint, managed identity endpoint) for httpx.MockTransport."""

import httpx

from ansible_collections.b2c.trustframework.plugins.module_utils.connection_settings import ConnectionSettings
from ansible_collections.b2c.trustframework.plugins.module_utils.token_providers import build_token_provider

TENANT = "t.onmicrosoft.com"
SECRET = "Sup3r-S3cret-Value"
SECRET_PARAMS = dict(tenant_id=TENANT, client_id="cid", client_secret=SECRET)


def secret_params(tmp_path, **extra):
    """Client-secret options with a token cache under ``tmp_path``, updated with ``extra``."""
    params = dict(SECRET_PARAMS, token_cache_path=str(tmp_path / "cache" / "tokens.json"), timeout=5.0)
    params.update(extra)
    return params


class Login:
    """Answers like the login service; records (method, path, body) of every request."""

    def __init__(self, host="https://login.example.test:8443", tenant=TENANT, error=None):
        self.host = host
        self.tenant = tenant
        self.error = error
        self.requests = []
        self.issued = 0

    def __call__(self, request):
        self.requests.append((request.method, request.url.path, request.content.decode()))
        base = "%s/%s" % (self.host, self.tenant)
        if request.url.path.endswith("/.well-known/openid-configuration"):
            if self.tenant not in request.url.path:
                return httpx.Response(
                    400,
                    json={
                        "error": "invalid_tenant",
                        "error_codes": [90002],
                        "error_description": "AADSTS90002: Tenant 'x' not found.\r\nTrace ID: 1",
                    },
                )
            return httpx.Response(
                200,
                json={
                    "authorization_endpoint": base + "/oauth2/v2.0/authorize",
                    "token_endpoint": base + "/oauth2/v2.0/token",
                    "issuer": base + "/v2.0",
                },
            )
        if request.url.path.endswith("/oauth2/v2.0/token"):
            if self.error:
                return httpx.Response(401, json=self.error)
            self.issued += 1
            return httpx.Response(
                200, json={"access_token": "at-%d" % self.issued, "token_type": "Bearer", "expires_in": 3600}
            )
        if request.url.path == "/metadata/identity/oauth2/token":
            self.issued += 1
            return httpx.Response(
                200,
                json={
                    "access_token": "mi-%d" % self.issued,
                    "expires_in": "3600",
                    "resource": request.url.params.get("resource"),
                    "token_type": "Bearer",
                },
            )
        return httpx.Response(404)

    @property
    def posts(self):
        return [r for r in self.requests if r[0] == "POST"]


def token_provider(
    handler, params, graph="https://graph.example.test", authority_host="https://login.example.test:8443"
):
    """The token provider a task with ``params`` builds, its HTTP answered by ``handler``."""
    settings = ConnectionSettings.from_params(
        dict(params, graph_endpoint=graph, authority_host=getattr(handler, "host", authority_host))
    )
    return build_token_provider(settings, httpx.Client(transport=httpx.MockTransport(handler)))
