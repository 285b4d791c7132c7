# -*- coding: utf-8 -*-
# Copyright: b2c.trustframework contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The token cache file: where it is, its cross-process lock, 0600/0700 creation, what it stores.

Every Ansible task is a new process; persisting msal's token cache and its
http cache (discovery answers) lets the tasks of a play share one token
instead of each asking the login service again. Nothing here imports msal:
a still-valid token is read straight from the file.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import json
import os
import tempfile
import time
from urllib.parse import urlsplit

from ansible_collections.b2c.trustframework.plugins.module_utils.errors import ValidationError
from ansible_collections.b2c.trustframework.plugins.module_utils.private_file import (
    HAS_FCNTL,
    lock_exclusively,
    open_private,
    private_dir,
    untrusted_reason,
)

CACHE_FORMAT_VERSION = 1
LOCK_TIMEOUT = 60.0
# Tokens closer than this to expiry (or past msal's refresh_on) are left to msal to renew.
TOKEN_EXPIRY_MARGIN = 300
# The URLs of a cached discovery answer that msal sends requests (and the client secret) to.
AUTHORITY_URL_FIELDS = ("token_endpoint", "authorization_endpoint", "device_authorization_endpoint",
                        "end_session_endpoint", "tenant_discovery_endpoint")
# msal's key of its own index in the http cache mapping (individual_cache._ExpiringMapping).
HTTP_CACHE_INDEX = "_index_"


def default_token_cache_path():
    """``$XDG_CACHE_HOME/b2c.trustframework/msal_token_cache.json`` (``~/.cache`` when unset)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "b2c.trustframework", "msal_token_cache.json")


def resolve_token_cache_path(value):
    """The cache file for the ``token_cache_path`` option: None → default path; empty string → None (disabled).

    Raises ValidationError when the path is a directory.
    """
    if value is None:
        return default_token_cache_path()
    value = str(value)
    if value.strip() == "":
        return None
    path = os.path.abspath(os.path.expanduser(value))
    if os.path.isdir(path):
        raise ValidationError("token_cache_path (or B2C_TOKEN_CACHE_PATH): %r is a directory; give a file path, "
                              "or an empty string to disable the cache." % path)
    return path


def _is_error_answer(value):
    return hasattr(value, "status_code") and not 200 <= int(value.status_code) < 300


def without_error_answers(mapping):
    """msal's http cache without its throttling and error-replay entries (429/5xx/400 answers).

    msal replays such an answer instead of sending the request (up to an hour
    for a Retry-After); persisted, it would fail later runs, without a request,
    with an old correlation id. Within one run msal still throttles as it wants.
    """
    dropped = set(key for key, value in mapping.items() if _is_error_answer(value))
    kept = dict((key, value) for key, value in mapping.items() if key not in dropped)
    index = kept.get(HTTP_CACHE_INDEX)
    if dropped and isinstance(index, (list, tuple)) and len(index) == 2 and isinstance(index[1], dict):
        sequence, timestamps = index
        kept[HTTP_CACHE_INDEX] = ([entry for entry in sequence if entry[-1] not in dropped],
                                  dict((key, value) for key, value in timestamps.items() if key not in dropped))
    return kept


def _same_host(url, host_url):
    one, other = urlsplit(url), urlsplit(host_url)
    return (one.scheme.lower(), one.netloc.lower()) == (other.scheme.lower(), other.netloc.lower())


def foreign_authority_urls(value, authority_host):
    """The URLs of a cached discovery answer that leave ``authority_host`` (a poisoned cache), or []."""
    try:
        document = json.loads(getattr(value, "text", None) or "")
    except (TypeError, ValueError):
        return []
    if not isinstance(document, dict):
        return []
    urls = [document.get(field) for field in AUTHORITY_URL_FIELDS]
    return [url for url in urls if isinstance(url, str) and not _same_host(url, authority_host)]


def http_cache_to_json(mapping):
    """msal's http cache mapping as JSON-safe data (responses become ``__response__`` triples)."""
    out = {}
    for key, value in without_error_answers(mapping).items():
        if not isinstance(key, str):
            continue
        if hasattr(value, "status_code") and hasattr(value, "text"):
            out[key] = {"__response__": [value.status_code, value.text, dict(getattr(value, "headers", {}) or {})]}
        else:
            try:
                json.dumps(value)
            except (TypeError, ValueError):
                continue
            out[key] = {"__value__": value}
    return out


def _msal_response(status, text, headers):
    # pylint: disable-next=import-outside-toplevel
    from ansible_collections.b2c.trustframework.plugins.module_utils.login_http import MsalResponse

    return MsalResponse(status, text, headers)


def _http_cache_from_json(data):
    mapping = {}
    if not isinstance(data, dict):
        return mapping
    for key, item in data.items():
        if not isinstance(item, dict):
            continue
        if "__response__" in item:
            try:
                status, text, headers = item["__response__"]
            except (TypeError, ValueError):
                continue
            mapping[key] = _msal_response(status, text, headers)
        elif "__value__" in item:
            mapping[key] = item["__value__"]
    return mapping


class TokenCacheFile:
    """One JSON file (mode 0600) holding msal token caches and http caches, one section per credential.

    Sections are keyed by a hash of the authority URL (with port), client id
    and credential fingerprint, so two emulators on different ports, or a
    rotated secret, never share entries. Access is serialised across
    processes with an exclusive fcntl lock on ``<path>.lock`` held for the
    whole load → acquire → save cycle, so parallel forks acquire one token.
    Problems with the file become ``warnings``, never failures.
    """

    def __init__(self, path, lock_timeout=LOCK_TIMEOUT, authority_host=None):
        self.path = path
        self.lock_path = path + ".lock"
        self.lock_timeout = lock_timeout
        self.authority_host = authority_host
        self.warnings = []

    def _warn(self, message):
        if message not in self.warnings:
            self.warnings.append(message)

    def _distrust(self, path, reason):
        self._warn("token_cache_path: %s is %s; the token cache is not used (make it private to this user, "
                   "or set token_cache_path to a private path)." % (path, reason))

    def _untrusted(self):
        """Why the cache folder or an existing cache file cannot be trusted (a warning is added), or None."""
        for path in (os.path.dirname(self.path) or ".", self.path):
            try:
                reason = untrusted_reason(os.stat(path))
            except FileNotFoundError:
                continue
            except OSError as exc:
                reason = exc.strerror or type(exc).__name__
            if reason:
                self._distrust(path, reason)
                return reason
        return None

    @staticmethod
    def section_key(*parts):
        return hashlib.sha256("\n".join(str(p) for p in parts).encode("utf-8")).hexdigest()[:40]

    @contextlib.contextmanager
    def locked(self):
        """Hold the cross-process lock; yields True when locked, False when the cache cannot be used."""
        fd = self._open_lock_file()
        if fd is None:
            yield False
            return
        try:
            if HAS_FCNTL and not lock_exclusively(fd, self.lock_timeout):
                self._warn("Timed out waiting for the token cache lock %s; continuing without the cache." % self.lock_path)
                yield False
                return
            yield True
        finally:
            os.close(fd)  # closing releases the lock

    def _open_lock_file(self):
        """The lock file's descriptor, or None (with a warning) when the cache cannot be used or trusted."""
        try:
            private_dir(os.path.dirname(self.path))
            if self._untrusted():
                return None
            fd, reason = open_private(self.lock_path)
        except OSError as exc:
            self._warn("Token cache %s is not usable (%s); continuing without it." % (
                self.path, exc.strerror or type(exc).__name__))
            return None
        if reason:
            self._distrust(self.lock_path, reason)
        return fd

    def load(self):
        """Whole file content as a dict (empty on a missing or unreadable file)."""
        try:
            with open(self.path, "r", encoding="utf-8") as handle:
                reason = untrusted_reason(os.fstat(handle.fileno())) or self._untrusted()
                if reason:
                    self._distrust(self.path, reason)
                    return {"version": CACHE_FORMAT_VERSION, "sections": {}}
                data = json.load(handle)
        except (OSError, ValueError):
            return {"version": CACHE_FORMAT_VERSION, "sections": {}}
        if not isinstance(data, dict) or data.get("version") != CACHE_FORMAT_VERSION or not isinstance(data.get("sections"), dict):
            return {"version": CACHE_FORMAT_VERSION, "sections": {}}
        return data

    def load_section(self, key):
        """(serialized msal token cache or None, http_cache mapping).

        Error answers are left out (see without_error_answers), and so is a
        discovery answer that sends msal to another host than the authority.
        """
        section = self.load()["sections"].get(key) or {}
        token_cache = section.get("token_cache")
        http_cache = without_error_answers(_http_cache_from_json(section.get("http_cache")))
        return (token_cache if isinstance(token_cache, str) else None), self._on_authority_host(http_cache)

    def _on_authority_host(self, http_cache):
        if not self.authority_host:
            return http_cache
        kept = {}
        for key, value in http_cache.items():
            foreign = foreign_authority_urls(value, self.authority_host)
            if foreign:
                self._warn("token_cache_path: the token cache %s holds a discovery answer that points outside %s "
                           "(%s); it was ignored. Someone may have written to the cache file." % (
                               self.path, self.authority_host, ", ".join(sorted(set(foreign)))))
                continue
            kept[key] = value
        return kept

    def save_section(self, key, token_cache_text, http_cache):
        """Write one section atomically (temporary file, 0600, rename); a write failure becomes a warning."""
        data = self.load()
        data["sections"][key] = {
            "token_cache": token_cache_text,
            "http_cache": http_cache_to_json(http_cache),
            "updated": int(time.time()),
        }
        try:
            self._write(data)
        except OSError as exc:
            self._warn("Could not write the token cache %s (%s)." % (self.path, exc.strerror or type(exc).__name__))

    def _write(self, data):
        private_dir(os.path.dirname(self.path))
        directory = os.path.dirname(self.path) or "."
        prefix = "." + os.path.basename(self.path) + "."
        self._remove_stale_temporary_files(directory, prefix)
        fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=directory)  # created 0600
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle, separators=(",", ":"))
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    @staticmethod
    def _remove_stale_temporary_files(directory, prefix):
        """Temporary files of saves that were killed (kill -9) hold tokens: remove them.

        Saves happen under the lock, so no other process is writing one now.
        """
        for stale in glob.glob(os.path.join(glob.escape(directory), glob.escape(prefix) + "*.tmp")):
            with contextlib.suppress(OSError):
                os.unlink(stale)

    def cached_access_token(self, section_key, target=None, now=None):
        """A valid access token from the section's msal cache (read without importing msal), or None.

        Only used when exactly the expected scope/resource is cached, the token
        expires in more than TOKEN_EXPIRY_MARGIN seconds and msal's refresh_on has
        not passed; anything unexpected falls back to msal.
        """
        try:
            serialized = (self.load()["sections"].get(section_key) or {}).get("token_cache")  # no http cache needed
            if not serialized:
                return None
            entries = json.loads(serialized).get("AccessToken") or {}
            now = time.time() if now is None else now
            best = None
            for entry in entries.values():
                secret = entry.get("secret")
                expires_on = int(entry.get("expires_on", 0))
                refresh_on = int(entry.get("refresh_on", expires_on))
                if not secret or expires_on - TOKEN_EXPIRY_MARGIN <= now or refresh_on <= now:
                    continue
                if target is not None and (entry.get("target") or "").lower() != target.lower():
                    continue
                if entry.get("token_type", "Bearer").lower() != "bearer":
                    continue
                if best is None or expires_on > best[0]:
                    best = (expires_on, secret)
            return best[1] if best else None
        except Exception:  # pylint: disable=broad-except
            return None
