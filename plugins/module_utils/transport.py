# -*- coding: utf-8 -*-
# Copyright: b2c.trustframework contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The HTTP transport shared by Graph and login: one httpx client per task, its TLS context, and what a
transport failure was (TLS, connect, timeout, protocol).

validate_certs and ca_path apply to both Graph and login because msal sends its
requests through this client too (login_http.py); environment variables such as
REQUESTS_CA_BUNDLE or CURL_CA_BUNDLE are never consulted.
"""

from __future__ import annotations

import functools
import sys
import traceback

from ansible_collections.b2c.trustframework.plugins.module_utils.errors import ValidationError, exception_chain
from ansible_collections.b2c.trustframework.plugins.module_utils.redaction import sanitize_text
from ansible_collections.b2c.trustframework.plugins.module_utils.version import COLLECTION_VERSION


def _import_httpx():
    """httpx, without the command-line client its ``__init__`` imports (``httpx._main``).

    That client loads click, rich and pygments whenever they are installed (httpx[cli], or ansible-lint in
    the same environment): ~35 ms of every task for a tool a module never runs
    (https://github.com/encode/httpx/discussions/3523, https://github.com/encode/httpx/pull/3547). Marked
    absent, it takes httpx's own path for a missing command-line client.
    """
    blocked = "httpx._main" not in sys.modules
    if blocked:
        sys.modules["httpx._main"] = None
    try:
        import httpx  # pylint: disable=import-outside-toplevel
    finally:
        if blocked and sys.modules.get("httpx._main", False) is None:
            del sys.modules["httpx._main"]
    return httpx


try:
    httpx = _import_httpx()
except ImportError:
    httpx = None
    HAS_HTTPX = False
    HTTPX_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_HTTPX = True
    HTTPX_IMPORT_ERROR = None

USER_AGENT = "b2c.trustframework/%s" % COLLECTION_VERSION
DEFAULT_TIMEOUT = 30.0  # seconds per request: the timeout option's default


@functools.lru_cache(maxsize=None)
def build_ssl_context(verify=True):
    """SSL context for ``verify``: True (the system store), False, or a CA bundle path added to it.

    Built once per task and value: ConnectionSettings checks ca_path with it before any request, and the
    httpx client then uses the same context, so the bundle is read once. certifi's bundle is loaded only
    when the system store is empty (minimal containers): loading both costs every task ~13 ms for no
    extra trust on ordinary hosts. Raises ValidationError for a ca_path that is not a PEM CA bundle.
    """
    import ssl  # pylint: disable=import-outside-toplevel

    if verify is False:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        return ctx
    ctx = ssl.create_default_context()
    if not ctx.cert_store_stats()["x509_ca"]:
        _load_certifi(ctx)
    if isinstance(verify, str) and verify:
        try:
            ctx.load_verify_locations(cafile=verify)
        except (ssl.SSLError, ValueError, OSError):
            raise ValidationError("ca_path (or B2C_CA_PATH): %r is not a valid PEM CA bundle." % verify) from None
    return ctx


def _load_certifi(ctx):
    import ssl  # pylint: disable=import-outside-toplevel

    try:
        import certifi  # pylint: disable=import-outside-toplevel

        ctx.load_verify_locations(cafile=certifi.where())
    except (ImportError, OSError, ssl.SSLError):
        pass


def build_http_client(verify=True, timeout=DEFAULT_TIMEOUT):
    """One httpx.Client for login and Graph, so TLS settings apply to both.

    ``verify``: True, False or the path of an extra CA bundle (PEM).
    Proxies from HTTPS_PROXY/NO_PROXY are honoured; redirects are not followed.
    """
    return httpx.Client(
        verify=build_ssl_context(verify),
        timeout=httpx.Timeout(timeout),
        follow_redirects=False,
        headers={"User-Agent": USER_AGENT},
    )


def is_tls_verify_error(exc):
    """True when ``exc`` (or its cause) is a certificate verification failure."""
    for item in exception_chain(exc):
        name = type(item).__name__
        if name == "SSLCertVerificationError" or "CERTIFICATE_VERIFY_FAILED" in str(item):
            return True
    return False


def classify_transport_error(exc):
    """Return (kind, sent) for an httpx transport exception.

    kind: ``tls``, ``connect``, ``timeout``, ``protocol`` or ``other``.
    sent: False when the request provably did not leave (connect phase),
    True when it may have reached the server.
    """
    if is_tls_verify_error(exc):
        return "tls", False
    if isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)):
        return ("timeout" if isinstance(exc, httpx.TimeoutException) else "connect"), False
    if isinstance(exc, httpx.TimeoutException):
        return "timeout", True
    if isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError, httpx.ProtocolError)):
        return "protocol", True
    if isinstance(exc, httpx.NetworkError):
        return "protocol", True
    return "other", False


# Transport failures worth sending the request again for (a TLS failure or anything else is final).
RETRIED_TRANSPORT_FAILURES = ("connect", "timeout", "protocol")


def transport_reason(exc, kind):
    text = sanitize_text(str(exc), 200) or type(exc).__name__
    # What to do about it is the hint's job (hints.hint_for), so the reason states only what happened.
    if kind == "tls":
        return "TLS certificate verification failed (%s)" % text
    return "%s (%s)" % (type(exc).__name__, text)
