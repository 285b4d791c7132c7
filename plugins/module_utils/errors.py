# -*- coding: utf-8 -*-
# Copyright: b2c.trustframework contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Exceptions of the collection and the table of hints shown to users.

Nothing in here imports httpx or msal. Every message is built from fields we
control: never from request bodies, headers, tokens or secrets.
"""

from __future__ import annotations

import itertools
import re

# Maximum length of text copied from a server answer into a message.
_MAX_SERVER_TEXT = 300
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]+")
_BEARER = re.compile(r"(?i)bearer\s+[A-Za-z0-9._~+/=-]+")
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*")

# B2C error codes the client acts on (reference section 7.2).
KEYSET_MISSING_CODES = ("AADB2C90073", "AADB2C95052")
CREATE_CONFLICT_CODES = ("AADB2C95028", "AADB2C95038")
# Throttling that may come without a 429: retried like one.
THROTTLING_CODES = ("AADB2C95043", "AADB2C90244", "AADB2C90229")
# Several writes to the same object at once: nothing written, but an add is re-read before it is resent.
CONCURRENT_WRITE_CODES = ("AADB2C95053",)


def exception_chain(exc):
    """``exc`` and the exceptions that caused it (``__cause__`` / ``__context__``), outermost first."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


# Values of the task's secret options (no_log), masked in every text taken from a server.
_SECRETS = set()
# A secret is masked whole, and so is any run of at least this many of its characters:
# a server that echoes part of a request body must not print part of a secret.
SECRET_FRAGMENT = 8
SECRET_MASK = "********"


def register_secrets(values):
    """Remember the task's secret values (AnsibleModule.no_log_values); B2CModule calls this once."""
    _SECRETS.update(str(value) for value in values if value is not None and len(str(value)) >= 4)


def _secret_spans(text):
    """``(start, end)`` of every secret, or run of SECRET_FRAGMENT characters of one, in ``text``."""
    spans = []
    for secret in _SECRETS:
        if len(secret) < SECRET_FRAGMENT:
            start = text.find(secret)
            while start >= 0:
                spans.append((start, start + len(secret)))
                start = text.find(secret, start + 1)
            continue
        fragments = set(secret[i:i + SECRET_FRAGMENT] for i in range(len(secret) - SECRET_FRAGMENT + 1))
        spans.extend((i, i + SECRET_FRAGMENT) for i in range(len(text) - SECRET_FRAGMENT + 1)
                     if text[i:i + SECRET_FRAGMENT] in fragments)
    return spans


def mask_secrets(text):
    """``text`` with every registered secret, and every long piece of one, replaced by SECRET_MASK."""
    if not _SECRETS or not text:
        return text
    covered = [False] * len(text)
    for start, stop in _secret_spans(text):
        covered[start:stop] = [True] * (stop - start)
    pieces = []
    for is_secret, group in itertools.groupby(zip(text, covered), key=lambda pair: pair[1]):
        pieces.append(SECRET_MASK if is_secret else "".join(char for char, _covered in group))
    return "".join(pieces)


def sanitize_text(text, limit=_MAX_SERVER_TEXT):
    """Make server-provided text safe for a one-line message.

    Masks the task's secrets (before anything is cut, so no cut piece of a
    secret survives), collapses control characters and line breaks, removes
    anything that looks like a bearer token or a JWT, and truncates to
    ``limit`` characters.
    """
    if text is None:
        return None
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    text = mask_secrets(str(text))
    text = _BEARER.sub("Bearer [redacted]", text)
    text = _JWT.sub("[redacted-jwt]", text)
    text = _CONTROL_CHARS.sub(" ", text).strip()
    if len(text) > limit:
        text = text[: limit - 3].rstrip() + "..."
    return text


def first_line(text):
    """First non-empty line of ``text`` (msal error descriptions carry trace ids below)."""
    if not text:
        return text
    for line in str(text).splitlines():
        if line.strip():
            return line.strip()
    return ""


class B2CError(Exception):
    """Base class of every error raised by the collection's module_utils.

    ``hint`` is optional advice; :func:`hint_for` returns it (or looks one up).
    """

    def __init__(self, message, hint=None):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self):
        return self.message

    def __repr__(self):
        return "%s(%r)" % (type(self).__name__, self.message)


class ValidationError(B2CError):
    """Bad local input, detected before any request is sent.

    The message names the option (and environment variable) to set.
    """


class KeyMaterialError(ValidationError):
    """A PEM, certificate, PKCS#12 or JWK input could not be used.

    Messages name the option and the problem, never the key material.
    """


class AuthError(B2CError):
    """Acquiring or using a token failed.

    ``code``: AADSTS code such as ``AADSTS7000215`` (or an msal error such as
    ``invalid_client``) or None. ``status``: HTTP status when known.
    ``transport``: ``tls``, ``timeout``, ``connect`` or ``protocol`` when the
    login endpoint could not be reached.
    """

    def __init__(self, message, code=None, status=None, hint=None, transport=None, correlation_id=None):
        super().__init__(message, hint=hint)
        self.code = code
        self.status = status
        self.transport = transport
        self.correlation_id = correlation_id


class GraphError(B2CError):
    """A Microsoft Graph request failed.

    Attributes: ``status`` (int, None for transport failures), ``code``,
    ``inner_codes``, ``graph_message``, ``request_id``, ``client_request_id``,
    ``date``, ``method``, ``path`` (no query string), ``may_have_been_applied``
    (a POST failed after it may have reached the service: re-read state before
    retrying), ``retries`` (how many retries were made), ``transport``
    (``tls``, ``timeout``, ``connect``, ``protocol`` or None) and ``reason``
    (short text for transport failures).
    """

    # pylint: disable-next=too-many-arguments
    def __init__(self, status=None, code=None, inner_codes=None, graph_message=None, request_id=None,
                 client_request_id=None, date=None, method=None, path=None, may_have_been_applied=False,
                 retries=0, transport=None, reason=None, hint=None, correlation_id=None):
        self.status = status
        self.correlation_id = correlation_id
        self.code = code
        self.inner_codes = list(inner_codes or [])
        self.graph_message = sanitize_text(graph_message)
        self.request_id = request_id
        self.client_request_id = client_request_id
        self.date = date
        self.method = method
        self.path = path
        self.may_have_been_applied = bool(may_have_been_applied)
        self.retries = retries
        self.transport = transport
        self.reason = sanitize_text(reason)
        super().__init__(self._format(), hint=hint)

    @property
    def codes(self):
        """The error code and the nested inner codes, outermost first."""
        return [c for c in [self.code] + self.inner_codes if c]

    def mark_may_have_been_applied(self):
        """The request may have reached the service (an ambiguous failure of a POST)."""
        self.may_have_been_applied = True
        self.message = self._format()
        self.args = (self.message,)

    def has_code(self, *codes):
        """True when the error code, an inner code or the message carries one of ``codes`` (any case)."""
        wanted = [code.lower() for code in codes]
        carried = [code.lower() for code in self.codes]
        message = (self.graph_message or "").lower()
        return any(code in carried or code in message for code in wanted)

    def _format(self):
        if self.status is None:
            head = "request failed: %s" % (self.reason or "transport error")
        else:
            head = "HTTP %s" % self.status
            codes = self.codes
            if codes:
                head += " " + "/".join(codes)
            if self.graph_message:
                head += ": " + self.graph_message
            elif self.reason:
                head += ": " + self.reason
        where = []
        if self.method and self.path:
            where.append("%s %s" % (self.method, self.path))
        if self.request_id:
            where.append("request-id %s" % self.request_id)
        if self.correlation_id:
            where.append("correlationId %s" % self.correlation_id)
        if self.client_request_id:
            where.append("client-request-id %s" % self.client_request_id)
        if self.date:
            where.append("date %s" % self.date)
        if self.retries:
            where.append("after %d retries" % self.retries)
        msg = head
        if where:
            msg += " [" + ", ".join(where) + "]"
        if self.may_have_been_applied:
            msg += ". The request may have reached the service; re-read the current state before retrying."
        return msg


def keyset_missing(error):
    """True when a Graph error says the keyset does not exist.

    The real service answers a missing keyset with HTTP 400 + AADB2C90073, not
    404 (reference section 7.1); 404 is still taken to mean the same. Any other
    400 is a real error.
    """
    if not isinstance(error, GraphError) or error.status is None:
        return False
    return error.status == 404 or (400 <= error.status < 500 and error.has_code(*KEYSET_MISSING_CODES))


_PERMISSION_HINT = (
    "The app needs the TrustFrameworkKeySet.ReadWrite.All application permission with admin consent "
    "(delegated callers also need the B2C IEF Keyset Administrator role)."
)

# Graph/B2C error codes (error.code or any innerError.code) -> hint.
_CODE_HINTS = {
    "authorization_requestdenied": _PERMISSION_HINT,
    "accessdenied": _PERMISSION_HINT,
    "aadb2c95028": "A keyset with this name already exists: read it instead of creating it.",
    "aadb2c95032": ("A keyset holds only RSA keys or only oct (secret) keys: "
                    "put keys of the other family into a separate keyset."),
    "aadb2c95042": "A keyset holds only sig keys or only enc keys: put keys of the other use into a separate keyset.",
    "aadb2c90073": ("The keyset does not exist: check the name (the service stores it with the B2C_1A_ prefix, "
                    "which the modules add when missing) and that a keyset created a moment ago has had time to replicate."),
    "aadb2c95052": "The keyset does not exist yet: create it first (b2c.trustframework.b2c_keyset or create_keyset: true).",
    "aadb2c90213": ("The service refused the PKCS#12 password. It also says so for a bundle encrypted with AES (PBES2), "
                    "even with the right password: check pkcs12_password, and keep pkcs12_reencode: true (the default) "
                    "or re-export with 'openssl pkcs12 -export -keypbe PBE-SHA1-3DES -certpbe PBE-SHA1-3DES -macalg SHA1'."),
    "aadb2c90180": "The certificate is already in the keyset: without force, the module finds it by its x5t and adds nothing.",
    "aadb2c90214": "The key's exp is in the past: give a later exp or valid_days.",
    "aadb2c95053": "Another write to this keyset was in progress: run again; the module re-reads the keyset first.",
    "aadb2c90063": ("B2C reported an internal error; it is often transient: run again (the module re-reads the keyset "
                    "before adding, so no key is added twice)."),
}

# AADSTS codes (login errors) -> hint.
_AADSTS_HINTS = {
    "AADSTS7000215": "The client secret is wrong: check client_secret (or AZURE_CLIENT_SECRET); use the secret's value, not its id.",
    "AADSTS7000222": "The client secret has expired: create a new one and set client_secret (or AZURE_CLIENT_SECRET).",
    "AADSTS700016": ("The application was not found in the tenant: check client_id (or AZURE_CLIENT_ID), "
                     "tenant_id (or AZURE_TENANT_ID) and cloud."),
    "AADSTS90002": "The tenant was not found: check tenant_id (or AZURE_TENANT_ID) and cloud / authority_host.",
    "AADSTS900023": "The tenant id is not valid: check tenant_id (or AZURE_TENANT_ID).",
    "AADSTS900021": "The tenant id is not valid: check tenant_id (or AZURE_TENANT_ID).",
    "AADSTS700027": ("The client assertion was rejected: check that the certificate in client_certificate_path "
                     "is registered on the app and not expired."),
    "AADSTS700024": ("The client assertion is outside its validity window: check the clock of this machine; with "
                     "workload identity, let the pipeline write a fresh token to federated_token_file."),
    # Workload identity federation: the presented token matches no federated credential of the app.
    "AADSTS700211": ("No federated credential of the app trusts the issuer of the token in federated_token_file "
                     "(or AZURE_FEDERATED_TOKEN_FILE): add one with that issuer on the app registration in the tenant."),
    "AADSTS700213": ("No federated credential of the app trusts the subject of the token in federated_token_file: "
                     "compare the credential's subject with the one in the message (case-sensitive)."),
    "AADSTS70021": ("No federated credential of the app matches the token in federated_token_file: check its issuer, "
                    "subject and audience (api://AzureADTokenExchange)."),
    "AADSTS7000274": "The certificate credential is not valid: check client_certificate_path.",
    "AADSTS50049": "The authority is unknown: check cloud and authority_host.",
    "AADSTS500011": "The resource (Graph root) was not found in the tenant: check cloud / graph_endpoint.",
    "AADSTS53003": "Conditional Access blocked the sign-in: ask the tenant admin to exclude this app or location.",
}


def _transport_hint(transport):
    if transport == "tls":
        return ("TLS certificate verification failed: set ca_path (or B2C_CA_PATH) to a PEM bundle with the issuing CA, "
                "or validate_certs=false for a test endpoint only.")
    if transport == "timeout":
        return "The request timed out: raise timeout, or check the network path to the endpoint."
    if transport == "connect":
        return "Could not connect: check cloud / graph_endpoint / authority_host, proxies (HTTPS_PROXY) and the network."
    if transport == "protocol":
        return "The connection was dropped by the server or a proxy: try again later."
    return None


def hint_for(error):
    """Advice for ``error`` (a B2CError or any exception), or None.

    Explicit hints set on the exception win over the table.
    """
    if error is None:
        return None
    explicit = getattr(error, "hint", None)
    if explicit:
        return explicit
    if isinstance(error, GraphError):
        return _graph_hint(error)
    if isinstance(error, AuthError):
        if error.code and error.code.upper() in _AADSTS_HINTS:
            return _AADSTS_HINTS[error.code.upper()]
        if error.code and error.code.upper().startswith("AADSTS"):
            return "See https://login.microsoftonline.com/error?code=%s" % error.code[6:]
        if error.transport:
            return _transport_hint(error.transport)
        if error.status == 401:
            return "Check the credentials (tenant_id, client_id, client_secret / client_certificate_path) and cloud."
    return None


def _graph_hint(error):
    hints = []
    lowered = [c.lower() for c in error.codes]
    for code in lowered:
        if code in _CODE_HINTS and _CODE_HINTS[code] not in hints:
            hints.append(_CODE_HINTS[code])
    if not hints:
        status = error.status
        if status is None:
            transport = _transport_hint(error.transport)
            if transport:
                hints.append(transport)
        elif status == 401:
            hints.append("Graph rejected the token: check the credentials (tenant_id, client_id, secret or certificate), "
                         "that cloud / graph_endpoint / authority_host belong to the same cloud, "
                         "and that a supplied access_token has not expired.")
        elif status == 403:
            hints.append(_PERMISSION_HINT)
        elif status == 404:
            hints.append("Check the keyset name: the service stores keysets with the B2C_1A_ prefix "
                         "(the modules add it when missing), and that the key id (kid) exists.")
        elif status == 429 or error.has_code(*THROTTLING_CODES):
            hints.append("Microsoft Graph kept throttling the request after %d retries: lower the parallelism "
                         "(forks, throttle) or raise max_retries." % error.retries)
        elif status >= 500 and error.retries:
            hints.append("The service kept failing after %d retries: try again later or raise max_retries." % error.retries)
    return " ".join(hints) if hints else None
