# -*- coding: utf-8 -*-
# Copyright: b2c.trustframework contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Files private to the current user: where they live, when one is trusted, reading and replacing one
safely, locking one across processes.

Shared by the token cache (token_cache.py, token_cache_store.py), the task lock
(task_lock.py) and the code cache (code_cache.py): one folder, the same trust
rule (as ssh applies to its files), the same O_NOFOLLOW open with mode 0600,
the same fcntl lock wait (a deadline in seconds, one poll interval), and who
holds a lock, written into its file.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import tempfile
import time

try:
    import fcntl
except ImportError:  # pragma: no cover - non-POSIX controller
    fcntl = None

HAS_FCNTL = fcntl is not None
POLL_INTERVAL = 0.05  # seconds between two tries of a lock another process holds


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


def open_private(path):
    """``(fd, None)`` for ``path`` opened read-write (created 0600, never through a symlink), or
    ``(None, reason)`` when the file is not ours. OSError passes through."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    reason = untrusted_reason(os.fstat(fd))
    if reason:
        os.close(fd)
        return None, reason
    return fd, None


def read_private(path, limit):
    """The bytes of ``path``, or None when the file is not ours or holds more than ``limit`` bytes.
    Never through a symlink. OSError passes through."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    with os.fdopen(fd, "rb") as handle:
        if untrusted_reason(os.fstat(fd)):
            return None
        data = handle.read(limit + 1)
    return data if len(data) <= limit else None


def replace_private(path, data):
    """Write ``data`` to a new 0600 file beside ``path``, then rename it over ``path``: a reader sees the
    old content or the new, whole. OSError passes through (no temporary file left behind)."""
    directory = os.path.dirname(path) or "."
    fd, temporary = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def lock_exclusively(fd, wait, sleep=time.sleep):
    """True once ``fd`` holds an exclusive fcntl lock (released when it is closed); False after ``wait`` seconds."""
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            sleep(POLL_INTERVAL)


def record_holder(fd, now=None):
    """Write into the locked file ``fd`` who holds it (pid, host, since when), for :func:`lock_holder`."""
    holder = {"pid": os.getpid(), "host": socket.gethostname(), "since": int(time.time() if now is None else now)}
    os.ftruncate(fd, 0)
    os.pwrite(fd, json.dumps(holder).encode("utf-8"), 0)


def lock_holder(fd):
    """``{"pid", "host", "since"}`` as the holder of the lock on ``fd`` wrote them, or None (unknown, or being written)."""
    try:
        holder = json.loads(os.pread(fd, 4096, 0).decode("utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(holder, dict):
        return None
    pid, host, since = holder.get("pid"), holder.get("host"), holder.get("since")
    if not (isinstance(pid, int) and isinstance(host, str) and isinstance(since, (int, float))):
        return None
    return {"pid": pid, "host": host[:255], "since": since}
