# -*- coding: utf-8 -*-
# Copyright: b2c.trustframework contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The exceptions of the collection (all B2CError) and the B2C error codes the client acts on.

Nothing in here imports httpx or msal. Every message is built from fields we
control: never from request bodies, headers, tokens or secrets (see redaction.py).
"""

from __future__ import annotations

from ansible_collections.b2c.trustframework.plugins.module_utils.redaction import sanitize_text

# B2C error codes the client acts on (the B2C error-code reference, MicrosoftDocs/azure-docs error-codes.md).
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


class B2CError(Exception):
    """Base class of every error raised by the collection's module_utils.

    ``hint`` is optional advice; hints.hint_for returns it (or looks one up).
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


class UnexpectedAnswer(B2CError):
    """An answer of Graph that does not have the shape its request returns (keyset_answers.py)."""

    def __init__(self, message):
        super().__init__(
            message,
            hint="Check that graph_endpoint is Microsoft Graph and that no proxy in between "
            "rewrites its answers; nothing was changed on the strength of this answer.",
        )


class MissingLibraryError(ValidationError):
    """A Python library the task needs is not installed (``library`` names it; ``needed_for`` says what for)."""

    def __init__(self, library, needed_for):
        super().__init__("%s needs the Python library %s." % (needed_for, library))
        self.library = library


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
    def __init__(
        self,
        status=None,
        code=None,
        inner_codes=None,
        graph_message=None,
        request_id=None,
        client_request_id=None,
        date=None,
        method=None,
        path=None,
        may_have_been_applied=False,
        retries=0,
        transport=None,
        reason=None,
        hint=None,
        correlation_id=None,
    ):
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
        self._reformat()

    def show_whole_message(self, message):
        """Carry ``message``, the service's whole text (secrets already masked), instead of the line cut to size."""
        self.graph_message = message
        self._reformat()

    def _reformat(self):
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
    404 (mrochon/IEFPolicies and ahauter/terraform-provider-azure-b2c-ief read a
    400 as missing); 404 is still taken to mean the same. Any other 400 is a real
    error.
    """
    if not isinstance(error, GraphError) or error.status is None:
        return False
    return error.status == 404 or (400 <= error.status < 500 and error.has_code(*KEYSET_MISSING_CODES))
