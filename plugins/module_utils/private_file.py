# -*- coding: utf-8 -*-
# Copyright: b2c.trustframework contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Files private to the current user: where they live, when one is trusted, reading and replacing one safely.

Shared by the token cache (token_cache.py, token_cache_store.py), the locks
(private_lock.py) and the code cache (code_cache.py): one folder, and the same
trust rule, as ssh applies to its files. The code cache loads this file before
it can serve any: it stays small.
"""

from __future__ import annotations

import contextlib
import os
import tempfile


def user_cache_dir():
    """``$XDG_CACHE_HOME/b2c.trustframework``; ``~/.cache`` when it is unset or relative, which the XDG Base
    Directory Specification says to ignore (https://specifications.freedesktop.org/basedir-spec/latest/)."""
    base = os.environ.get("XDG_CACHE_HOME") or ""
    if not os.path.isabs(base):
        base = os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "b2c.trustframework")


def untrusted_reason(stat_result):
    """Why a file or folder (its ``os.stat``) cannot be trusted, or None.

    As ssh does with its files: it must belong to the current user (or root)
    and not be writable by group or others, or someone else could steer what
    we read, such as the host the client secret is sent to.
    """
    if hasattr(os, "getuid") and stat_result.st_uid not in (os.getuid(), 0):
        return "owned by uid %d, not by the current user (uid %d)" % (stat_result.st_uid, os.getuid())
    if stat_result.st_mode & 0o022:
        return "writable by group or others (mode %03o)" % (stat_result.st_mode & 0o777)
    return None


def private_dir(directory):
    """Create ``directory`` 0700 when missing; return why it cannot be trusted, or None. OSError passes through."""
    if directory and not os.path.isdir(directory):
        os.makedirs(directory, mode=0o700, exist_ok=True)
        os.chmod(directory, 0o700)
    return untrusted_reason(os.stat(directory or "."))


def read_private(path, limit):
    """The bytes of ``path``, or None when the file is not ours or holds more than ``limit`` bytes.
    Never through a symlink. OSError passes through."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    with os.fdopen(fd, "rb") as handle:
        if untrusted_reason(os.fstat(fd)):
            return None
        data = handle.read(limit + 1)
    return data if len(data) <= limit else None


def _temporaries(path):
    """Where :func:`replace_private` writes ``path``'s temporary file, and how its name begins and ends."""
    return os.path.dirname(path) or ".", "." + os.path.basename(path) + ".", ".tmp"


def replace_private(path, data):
    """Write ``data`` to a new 0600 file beside ``path``, then rename it over ``path``: a reader sees the
    old content or the new, whole. OSError passes through (no temporary file left behind)."""
    directory, prefix, suffix = _temporaries(path)
    fd, temporary = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def remove_stale_temporaries(path):
    """Remove the temporary files of replacements of ``path`` that were killed (kill -9) before the rename.

    Only while no other process may be replacing ``path`` (under its lock): a live one's file is removed too.
    """
    directory, prefix, suffix = _temporaries(path)
    for name in os.listdir(directory):
        if name.startswith(prefix) and name.endswith(suffix):
            with contextlib.suppress(OSError):
                os.unlink(os.path.join(directory, name))
