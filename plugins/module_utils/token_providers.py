# -*- coding: utf-8 -*-
# Copyright: b2c.trustframework contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Token providers: where the bearer token for Graph comes from.

A provider has ``get_token()`` and ``invalidate()`` (after Graph answered 401).
``access_token`` needs no call; the other credentials (client secret, client
certificate, federated token of workload identity, managed identity) get their token from
the persisted cache (token_cache) or else from msal, through the collection's own
HTTP adapter (login_http). The login (msal_login: msal, the lock, the cache
written) is imported only when a token is really requested and the cache has none.
"""

from __future__ import annotations

from ansible_collections.b2c.trustframework.plugins.module_utils.clouds import KNOWN_AUTHORITY_HOSTS
from ansible_collections.b2c.trustframework.plugins.module_utils.errors import AuthError
from ansible_collections.b2c.trustframework.plugins.module_utils.token_cache import TokenCacheFile
from ansible_collections.b2c.trustframework.plugins.module_utils.version import COLLECTION_VERSION


class StaticTokenProvider:
    """access_token pass-through: no msal call. After a 401 the token is known to be bad."""

    def __init__(self, token):
        self._token = token
        self._rejected = False
        self.warnings = []

    def get_token(self):
        if self._rejected:
            raise AuthError(
                "Microsoft Graph rejected the supplied access token (HTTP 401): it has expired or was issued for another "
                "cloud or resource.",
                status=401,
                hint="Supply a fresh token in access_token (or B2C_ACCESS_TOKEN) whose audience is the Graph root in use.",
            )
        return self._token

    def invalidate(self):
        self._rejected = True

    def __repr__(self):
        return "StaticTokenProvider(token=<redacted>)"


class MsalTokenProvider:
    """Tokens from msal (client secret, client certificate, workload identity or managed identity), with a persisted cache.

    ``build_app(msal, token_cache, http_cache)`` makes the msal application and
    ``acquire(app)`` asks it for a token (msal_login.py calls them).
    """

    # pylint: disable-next=too-many-arguments
    def __init__(self, kind, build_app, acquire, cache_file, section_key, description, target=None, http_adapter=None):
        self.kind = kind
        self.http_adapter = http_adapter
        self.target = target
        self.build_app = build_app
        self.acquire = acquire
        self.cache_file = cache_file
        self.section_key = section_key
        self.description = description
        self.force_refresh = False
        self._token = None

    @property
    def warnings(self):
        return self.cache_file.warnings if self.cache_file is not None else []

    def __repr__(self):
        return "MsalTokenProvider(kind=%r)" % self.kind

    def get_token(self):
        if self._token is None:
            fast = self.cache_file is not None and not self.force_refresh
            # Fast path: a still-valid token in the cache file needs neither msal, nor the lock, nor a write.
            token = self.cache_file.cached_access_token(self.section_key, self.target) if fast else None
            if token is None:
                # pylint: disable-next=import-outside-toplevel
                from ansible_collections.b2c.trustframework.plugins.module_utils.msal_login import log_in

                token = log_in(self, look_again=fast)
            self._token = token
        return self._token

    def invalidate(self):
        """Forget the current token; the next get_token() asks the identity platform for a new one."""
        self._token = None
        self.force_refresh = True


class _LoginHttp:
    """The HTTP adapter msal logs in through (login_http.MsalHttpClient), built when msal first needs it:
    a task whose token is in the cache file imports neither msal nor the adapter."""

    def __init__(self, http_client, timeout, max_retries):
        self._arguments = (http_client, timeout, max_retries)
        self._client = None

    def client(self):
        if self._client is None:
            # pylint: disable-next=import-outside-toplevel
            from ansible_collections.b2c.trustframework.plugins.module_utils.login_http import MsalHttpClient

            http_client, timeout, max_retries = self._arguments
            self._client = MsalHttpClient(http_client, timeout=timeout, max_retries=max_retries)
        return self._client

    @property
    def advice(self):
        return self._client.advice if self._client is not None else None


def build_token_provider(settings, http_client):
    """Token provider for ``settings`` (a ConnectionSettings): its credential, endpoints, cache, retries.

    ``http_client`` is the shared httpx.Client; msal never builds its own
    requests session, so TLS settings apply to login too.
    """
    credential = settings.credential  # its ``method`` says which (credentials.py imports only that method's file)
    if credential.method == "access_token":
        return StaticTokenProvider(credential.token)
    adapter = _LoginHttp(http_client, settings.timeout, settings.max_retries)
    cache_file = (
        TokenCacheFile(settings.token_cache_path, authority_host=settings.endpoints.authority_host)
        if settings.token_cache_path
        else None
    )
    if credential.method == "managed_identity":
        return _managed_identity_provider(credential, settings.endpoints, adapter, cache_file)
    return _confidential_client_provider(credential, settings.endpoints, adapter, cache_file)


def _managed_identity_provider(credential, endpoints, adapter, cache_file):
    resource = endpoints.graph_root

    def build_mi(msal, token_cache, http_cache):
        identity = (
            msal.UserAssignedManagedIdentity(client_id=credential.client_id)
            if credential.client_id
            else msal.SystemAssignedManagedIdentity()
        )
        return msal.ManagedIdentityClient(
            identity, http_client=adapter.client(), token_cache=token_cache, http_cache=http_cache
        )

    key = TokenCacheFile.section_key("mi", credential.client_id or "system", resource)
    return MsalTokenProvider(
        credential.method,
        build_mi,
        lambda app: app.acquire_token_for_client(resource=resource),
        cache_file,
        key,
        "Getting a managed identity token",
        target=resource,
        http_adapter=adapter,
    )


def _confidential_client_provider(credential, endpoints, adapter, cache_file):
    """Client secret, client certificate or federated token (the credential's ``client_credential``) through msal's
    ConfidentialClientApplication."""
    authority = "%s/%s" % (endpoints.authority_host.rstrip("/"), credential.tenant_id)
    client_credential = credential.client_credential
    # msal asks Microsoft's public instance discovery about hosts it does not know (an emulator, a proxy).
    custom_authority = endpoints.authority_host.rstrip("/") not in KNOWN_AUTHORITY_HOSTS
    scopes = [endpoints.scope]

    def build_cca(msal, token_cache, http_cache):
        kwargs = {}
        if custom_authority:
            kwargs["instance_discovery"] = False
        return msal.ConfidentialClientApplication(
            credential.client_id,
            client_credential=client_credential,
            authority=authority,
            token_cache=token_cache,
            http_cache=http_cache,
            http_client=adapter.client(),
            app_name="b2c.trustframework",
            app_version=COLLECTION_VERSION,
            **kwargs,
        )

    key = TokenCacheFile.section_key("cca", authority, credential.client_id, credential.fingerprint, endpoints.scope)
    return MsalTokenProvider(
        credential.method,
        build_cca,
        lambda app: app.acquire_token_for_client(scopes=scopes),
        cache_file,
        key,
        "Getting a token for client %s from %s" % (credential.client_id, authority),
        target=endpoints.scope,
        http_adapter=adapter,
    )
