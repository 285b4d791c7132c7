# -*- coding: utf-8 -*-
# Copyright: b2c.trustframework contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The token cache file as a login uses it: its cross-process lock, what it keeps of msal's caches, the 0600 write.

Imported only when a token has to be asked for (msal_login.py): a task whose
token is in the file reads it through token_cache.py alone.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from urllib.parse import urlsplit

from ansible_collections.b2c.trustframework.plugins.module_utils.login_http import MsalResponse
from ansible_collections.b2c.trustframework.plugins.module_utils.private_file import (
    private_dir,
    remove_stale_temporaries,
    replace_private,
)
from ansible_collections.b2c.trustframework.plugins.module_utils.private_lock import (
    HAS_FCNTL,
    lock_exclusively,
    open_private,
)
from ansible_collections.b2c.trustframework.plugins.module_utils.token_cache import TokenCacheFile

LOCK_TIMEOUT = 60.0
# The URLs of a cached discovery answer that msal sends requests (and the client secret) to.
AUTHORITY_URL_FIELDS = (
    "token_endpoint",
    "authorization_endpoint",
    "device_authorization_endpoint",
    "end_session_endpoint",
    "tenant_discovery_endpoint",
)
# msal's key of its own index in the http cache mapping (individual_cache._ExpiringMapping).
HTTP_CACHE_INDEX = "_index_"


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
        kept[HTTP_CACHE_INDEX] = (
            [entry for entry in sequence if entry[-1] not in dropped],
            dict((key, value) for key, value in timestamps.items() if key not in dropped),
        )
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
            mapping[key] = MsalResponse(status, text, headers)
        elif "__value__" in item:
            mapping[key] = item["__value__"]
    return mapping


class TokenCacheStore(TokenCacheFile):
    """The cache file locked and written: an exclusive fcntl lock on ``<path>.lock`` is held for the whole
    load → acquire → save cycle, so parallel forks acquire one token."""

    def __init__(self, path, lock_timeout=LOCK_TIMEOUT, authority_host=None, warnings=None):
        super().__init__(path, authority_host=authority_host)
        self.lock_path = path + ".lock"
        self.lock_timeout = lock_timeout
        if warnings is not None:
            self.warnings = warnings

    @classmethod
    def of(cls, cache_file):
        """The store of a TokenCacheFile: same file and authority host, warnings added to the same list."""
        return cls(cache_file.path, authority_host=cache_file.authority_host, warnings=cache_file.warnings)

    @contextlib.contextmanager
    def locked(self):
        """Hold the cross-process lock; yields True when locked, False when the cache cannot be used."""
        fd = self._open_lock_file()
        if fd is None:
            yield False
            return
        try:
            if HAS_FCNTL and not lock_exclusively(fd, self.lock_timeout):
                self._warn(
                    "Timed out waiting for the token cache lock %s; continuing without the cache." % self.lock_path
                )
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
            self._warn(
                "Token cache %s is not usable (%s); continuing without it."
                % (self.path, exc.strerror or type(exc).__name__)
            )
            return None
        if reason:
            self._distrust(self.lock_path, reason)
        return fd

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
                self._warn(
                    "token_cache_path: the token cache %s holds a discovery answer that points outside %s "
                    "(%s); it was ignored. Someone may have written to the cache file."
                    % (self.path, self.authority_host, ", ".join(sorted(set(foreign))))
                )
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
        remove_stale_temporaries(self.path)  # they hold tokens; saves happen under the lock
        replace_private(self.path, json.dumps(data, separators=(",", ":")).encode("utf-8"))
