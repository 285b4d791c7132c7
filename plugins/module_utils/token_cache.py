# -*- coding: utf-8 -*-
# Copyright: b2c.trustframework contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The token cache file: where it is, when it is trusted, and a still-valid token read from it.

Every Ansible task is a new process; persisting msal's token cache and its
http cache (discovery answers) lets the tasks of a play share one token
instead of each asking the login service again. Reading a token needs
neither msal, nor the lock, nor a write: a task whose token is cached stops
here. The lock, what is saved and how is token_cache_store.py's, imported
only for a login.
"""

from __future__ import annotations

import hashlib
import json
import os
import time

from ansible_collections.b2c.trustframework.plugins.module_utils.errors import ValidationError
from ansible_collections.b2c.trustframework.plugins.module_utils.private_file import untrusted_reason, user_cache_dir

CACHE_FORMAT_VERSION = 1
# Tokens closer than this to expiry (or past msal's refresh_on) are left to msal to renew.
TOKEN_EXPIRY_MARGIN = 300


def default_token_cache_path():
    """``msal_token_cache.json`` in the user's cache folder (private_file.user_cache_dir)."""
    return os.path.join(user_cache_dir(), "msal_token_cache.json")


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
        raise ValidationError(
            "token_cache_path (or B2C_TOKEN_CACHE_PATH): %r is a directory; give a file path, "
            "or an empty string to disable the cache." % path
        )
    return path


def empty_cache():
    return {"version": CACHE_FORMAT_VERSION, "sections": {}}


class TokenCacheFile:
    """One JSON file (mode 0600) holding msal token caches and http caches, one section per credential.

    Sections are keyed by a hash of the authority URL (with port), client id
    and credential fingerprint, so two emulators on different ports, or a
    rotated secret, never share entries. Problems with the file become
    ``warnings``, never failures.
    """

    def __init__(self, path, authority_host=None):
        self.path = path
        self.authority_host = authority_host
        self.warnings = []

    def _warn(self, message):
        if message not in self.warnings:
            self.warnings.append(message)

    def _distrust(self, path, reason):
        self._warn(
            "token_cache_path: %s is %s; the token cache is not used (make it private to this user, "
            "or set token_cache_path to a private path)." % (path, reason)
        )

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

    def load(self):
        """Whole file content as a dict (empty on a missing or unreadable file)."""
        try:
            with open(self.path, "r", encoding="utf-8") as handle:
                reason = untrusted_reason(os.fstat(handle.fileno())) or self._untrusted()
                if reason:
                    self._distrust(self.path, reason)
                    return empty_cache()
                data = json.load(handle)
        except (OSError, ValueError):
            return empty_cache()
        if (
            not isinstance(data, dict)
            or data.get("version") != CACHE_FORMAT_VERSION
            or not isinstance(data.get("sections"), dict)
        ):
            return empty_cache()
        return data

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
