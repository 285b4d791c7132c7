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
import hashlib
import json
import os
import tempfile
import time

from ansible_collections.b2c.trustframework.plugins.module_utils.errors import ValidationError
from ansible_collections.b2c.trustframework.plugins.module_utils.login_http import MsalResponse

CACHE_FORMAT_VERSION = 1
LOCK_TIMEOUT = 60.0
# Tokens closer than this to expiry (or past msal's refresh_on) are left to msal to renew.
TOKEN_EXPIRY_MARGIN = 300


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


def http_cache_to_json(mapping):
    """msal's http cache mapping as JSON-safe data (responses become ``__response__`` triples)."""
    out = {}
    for key, value in mapping.items():
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


class TokenCacheFile:
    """One JSON file (mode 0600) holding msal token caches and http caches, one section per credential.

    Sections are keyed by a hash of the authority URL (with port), client id
    and credential fingerprint, so two emulators on different ports, or a
    rotated secret, never share entries. Access is serialised across
    processes with an exclusive fcntl lock on ``<path>.lock`` held for the
    whole load → acquire → save cycle, so parallel forks acquire one token.
    Problems with the file become ``warnings``, never failures.
    """

    def __init__(self, path, lock_timeout=LOCK_TIMEOUT):
        self.path = path
        self.lock_path = path + ".lock"
        self.lock_timeout = lock_timeout
        self.warnings = []

    @staticmethod
    def section_key(*parts):
        return hashlib.sha256("\n".join(str(p) for p in parts).encode("utf-8")).hexdigest()[:40]

    def _ensure_dir(self):
        directory = os.path.dirname(self.path)
        if directory and not os.path.isdir(directory):
            os.makedirs(directory, mode=0o700, exist_ok=True)
            os.chmod(directory, 0o700)

    @contextlib.contextmanager
    def locked(self):
        """Hold the cross-process lock; yields True when locked, False when the cache cannot be used."""
        try:
            import fcntl  # pylint: disable=import-outside-toplevel
        except ImportError:  # pragma: no cover - non-POSIX controller
            fcntl = None
        try:
            self._ensure_dir()
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            self.warnings.append("Token cache %s is not usable (%s); continuing without it." % (
                self.path, exc.strerror or type(exc).__name__))
            yield False
            return
        try:
            if fcntl is not None:
                deadline = time.monotonic() + self.lock_timeout
                while True:
                    try:
                        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                        break
                    except OSError:
                        if time.monotonic() >= deadline:
                            self.warnings.append("Timed out waiting for the token cache lock %s; continuing without the cache." % self.lock_path)
                            yield False
                            return
                        time.sleep(0.05)
            yield True
        finally:
            os.close(fd)  # closing releases the lock

    def load(self):
        """Whole file content as a dict (empty on a missing or unreadable file)."""
        try:
            with open(self.path, "r", encoding="utf-8") as handle:
                data = json.load(handle)
        except (OSError, ValueError):
            return {"version": CACHE_FORMAT_VERSION, "sections": {}}
        if not isinstance(data, dict) or data.get("version") != CACHE_FORMAT_VERSION or not isinstance(data.get("sections"), dict):
            return {"version": CACHE_FORMAT_VERSION, "sections": {}}
        return data

    def load_section(self, key):
        """(serialized msal token cache or None, http_cache mapping)."""
        section = self.load()["sections"].get(key) or {}
        token_cache = section.get("token_cache")
        return (token_cache if isinstance(token_cache, str) else None), _http_cache_from_json(section.get("http_cache"))

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
            self.warnings.append("Could not write the token cache %s (%s)." % (self.path, exc.strerror or type(exc).__name__))

    def _write(self, data):
        self._ensure_dir()
        directory = os.path.dirname(self.path) or "."
        fd, tmp = tempfile.mkstemp(prefix=".msal_token_cache.", suffix=".tmp", dir=directory)  # created 0600
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle, separators=(",", ":"))
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    def cached_access_token(self, section_key, target=None, now=None):
        """A valid access token from the section's msal cache (read without importing msal), or None.

        Only used when exactly the expected scope/resource is cached, the token
        expires in more than TOKEN_EXPIRY_MARGIN seconds and msal's refresh_on has
        not passed; anything unexpected falls back to msal.
        """
        try:
            serialized = self.load_section(section_key)[0]
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
