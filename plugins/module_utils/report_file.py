# -*- coding: utf-8 -*-
# Copyright: b2c.trustframework contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Writing a report file in a folder others may write to (such as /tmp): never through a link, never over another user's file.

The new content goes into a temporary file created in the target's folder
(``tempfile.mkstemp``: O_CREAT | O_EXCL | O_NOFOLLOW, mode 0600), gets its mode,
and is renamed over the target; rename replaces a name, so even a link planted
after the check is replaced, not followed. A target that is a link, not a regular
file, or owned by another user is refused before anything is written (the
current file is read the same way, O_NOFOLLOW, to tell whether anything changes).
In a sticky folder the kernel itself refuses to rename over another user's file,
except for root: that is why the owner is checked first.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile

from ansible_collections.b2c.trustframework.plugins.module_utils.errors import ValidationError

READ_LIMIT = 1024 * 1024  # bytes of the current file read, at least, to compare it with the new content


class UnsafeReportFileError(ValidationError):
    """The report file cannot be written without following a link or replacing another user's file."""


def _refuse(path, problem):
    raise UnsafeReportFileError(
        "Cannot write the report file %s: %s. Remove it, or choose another path." % (path, problem)
    )


def checked_target(path):
    """The ``os.lstat`` of the regular file of ours at ``path``, or None when there is none.

    Raises UnsafeReportFileError for a link, a file that is not regular, or another user's file.
    """
    try:
        found = os.lstat(path)
    except FileNotFoundError:
        return None
    if stat.S_ISLNK(found.st_mode):
        _refuse(path, "it is a symbolic link (to %s), which is never followed" % os.readlink(path))
    if not stat.S_ISREG(found.st_mode):
        _refuse(path, "it is not a regular file")
    if found.st_uid != os.geteuid():
        _refuse(path, "it belongs to uid %d, not to the current user (uid %d)" % (found.st_uid, os.geteuid()))
    return found


def current_file(path, limit=READ_LIMIT):
    """``(bytes, mode)`` of the report file now at ``path`` (at most ``limit`` + 1 bytes), or None when there is none.

    Raises UnsafeReportFileError as checked_target does.
    """
    found = checked_target(path)
    if found is None:
        return None
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    try:
        opened = os.fstat(fd)
        if (opened.st_dev, opened.st_ino) != (found.st_dev, found.st_ino):
            _refuse(path, "it was replaced while being read")
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, limit + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks), stat.S_IMODE(opened.st_mode)
    finally:
        os.close(fd)


def replace_file(path, data, mode):
    """Write ``data`` (bytes) to ``path`` with ``mode``: a new file renamed over the target, which is checked first."""
    folder, name = os.path.split(path)
    checked_target(path)
    fd, temporary = tempfile.mkstemp(prefix=".%s." % name, suffix=".tmp", dir=folder or ".")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fchmod(handle.fileno(), mode)
            os.fsync(handle.fileno())
        os.rename(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
