# -*- coding: utf-8 -*-
# Copyright: b2c.trustframework contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One writer per resource on a controller: an exclusive lock file per (Graph root, tenant, kind, id).

Keys cannot be removed one by one, so two forks (or two ansible-playbook runs)
that both read "no key" and both add one leave a permanent duplicate. The task
runner takes this lock before it writes, reads the resource again, decides
again and writes; the next writer then sees the first one's change. The lock
only serialises processes of one user on one machine: two controllers can
still race.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import json
import os
import re
import time
from urllib.parse import urlsplit

from ansible_collections.b2c.trustframework.plugins.module_utils.dates import epoch_to_iso
from ansible_collections.b2c.trustframework.plugins.module_utils.errors import B2CError
from ansible_collections.b2c.trustframework.plugins.module_utils.private_file import private_dir
from ansible_collections.b2c.trustframework.plugins.module_utils.private_lock import (
    HAS_FCNTL,
    lock_exclusively,
    lock_holder,
    open_private,
    record_holder,
)
from ansible_collections.b2c.trustframework.plugins.module_utils.redaction import sanitize_text
from ansible_collections.b2c.trustframework.plugins.module_utils.token_cache import default_token_cache_path

LOCK_WAIT = 300.0  # seconds a writer waits for another writer of the same resource
# Keysets were the first kind locked; their lock file keeps the name it had then (an identity
# without the kind), so a task of an older release and one of this release still exclude each other.
UNNAMED_KIND = "keyset"
_GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def tenant_named_by(token):
    """The tenant id (``tid`` claim, lower-case) of a JWT access token, read without verifying it; or None.

    It is the one spelling of a tenant that tasks naming it by its domain and
    by its GUID share. The token came from our own login (or the user), and the
    claim only names a lock: nothing is trusted on the strength of it.
    """
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (AttributeError, IndexError, ValueError, binascii.Error):
        return None
    tenant = claims.get("tid") if isinstance(claims, dict) else None
    return tenant.lower() if isinstance(tenant, str) and _GUID.match(tenant.lower()) else None


def canonical_graph_root(graph_root):
    """``graph_root`` as scheme://host[:port], lower-case, without the default port or a trailing slash."""
    parts = urlsplit(graph_root.strip().rstrip("/").lower())
    netloc = parts.netloc[: -len(":443")] if parts.scheme == "https" and parts.netloc.endswith(":443") else parts.netloc
    return "%s://%s" % (parts.scheme, netloc)


def lock_path(token_cache_path, graph_root, tenant, kind, resource_id):
    """The lock file of one resource (``kind`` "keyset", "policy"...) of a tenant of a cloud.

    In ``locks`` next to the token cache; with the token cache disabled, next to
    where the default cache would be. Ids compare case-insensitively, and so do
    their locks; ``tenant`` is best the id the token names (tenant_named_by),
    so that a domain name and the GUID of one tenant share a lock.
    """
    folder = os.path.join(os.path.dirname(token_cache_path or default_token_cache_path()), "locks")
    parts = [canonical_graph_root(graph_root), (tenant or "").lower(), resource_id.lower()]
    if kind != UNNAMED_KIND:
        parts.insert(2, kind)
    identity = "\n".join(parts)
    return os.path.join(folder, hashlib.sha256(identity.encode("utf-8")).hexdigest()[:32] + ".lock")


class LockTimeout(B2CError):
    """Another writer of the same resource held the lock longer than the wait allows."""


def _timeout(what, path, wait, holder):
    """The LockTimeout naming the holder; a flock is released when its holder ends, not when its file is deleted."""
    if holder:
        who = "process %d on %s, holding it since %s" % (
            holder["pid"],
            sanitize_text(holder["host"], 100),
            epoch_to_iso(holder["since"]) or "an unknown time",
        )
        stop = "stop process %d on %s" % (holder["pid"], sanitize_text(holder["host"], 100))
    else:
        who, stop = "a process that has not said which", "stop that ansible-playbook run"
    return LockTimeout(
        "waited %d s for another task on this controller that is writing to %s: %s (lock file %s)"
        % (wait, what, who, path),
        hint="Wait until it has finished and run again, or %s if it hangs: the lock is released when the process "
        "ends. Leave the lock file in place: it is not released by deleting it, and a task started after the "
        "deletion would write at the same time as the holder." % stop,
    )


@contextlib.contextmanager
def resource_lock(path, kind, resource_id, warnings, wait=LOCK_WAIT, sleep=time.sleep):
    """Hold the exclusive lock file ``path`` for writes to the ``kind`` ``resource_id``.

    Raises LockTimeout after ``wait`` seconds. A lock that cannot be
    used (no fcntl, a folder or file that is not ours, an unwritable folder)
    adds to ``warnings`` and the write goes on unlocked, as it did before locks.
    """
    what = "%s %s" % (kind, resource_id)
    if not HAS_FCNTL:  # pragma: no cover - non-POSIX controller
        warnings.append("%s writes are not serialised on this platform (no fcntl)" % kind)
        yield False
        return
    try:
        reason = private_dir(os.path.dirname(path))
        fd, reason = (None, reason) if reason else open_private(path)
    except OSError as exc:
        reason, fd = exc.strerror or type(exc).__name__, None
    if reason:
        warnings.append(
            "The %s lock %s cannot be used (%s): writes to %s are not serialised with "
            "other forks on this controller." % (kind, path, reason, what)
        )
        yield False
        return
    try:
        if not lock_exclusively(fd, wait, sleep):
            raise _timeout(what, path, wait, lock_holder(fd))
        record_holder(fd)
        yield True
    finally:
        os.close(fd)  # closing releases the lock
