# -*- coding: utf-8 -*-
# Copyright: b2c.trustframework contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One process at a time: a private lock file opened safely, the fcntl lock wait, and who holds it.

Shared by the token cache around a login (token_cache_store.py) and the task
lock (task_lock.py): the same O_NOFOLLOW open with mode 0600 and trust rule
(private_file.py), the same wait (a deadline in seconds, one poll interval),
and who holds a lock, written into its file.
"""

from __future__ import annotations

import json
import os
import socket
import time

from ansible_collections.b2c.trustframework.plugins.module_utils.private_file import untrusted_reason

try:
    import fcntl
except ImportError:  # pragma: no cover - non-POSIX controller
    fcntl = None

HAS_FCNTL = fcntl is not None
POLL_INTERVAL = 0.05  # seconds between two tries of a lock another process holds


def open_private(path):
    """``(fd, None)`` for ``path`` opened read-write (created 0600, never through a symlink), or
    ``(None, reason)`` when the file is not ours. OSError passes through."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    reason = untrusted_reason(os.fstat(fd))
    if reason:
        os.close(fd)
        return None, reason
    return fd, None


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
