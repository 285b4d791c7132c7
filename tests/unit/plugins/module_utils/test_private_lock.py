"""private_lock.py: the 0600 O_NOFOLLOW lock file, in a 0700 folder, and the lock wait shared by the token cache
and the task lock."""

from __future__ import annotations

import os
import stat

from ansible_collections.b2c.trustframework.plugins.module_utils.private_file import private_dir
from ansible_collections.b2c.trustframework.plugins.module_utils.private_lock import (
    POLL_INTERVAL,
    lock_exclusively,
    open_private,
)


def test_a_private_folder_and_file_are_created_0700_and_0600(tmp_path):
    folder = tmp_path / "new" / "locks"
    assert private_dir(str(folder)) is None
    fd, reason = open_private(str(folder / "x.lock"))
    os.close(fd)
    assert reason is None
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700 and stat.S_IMODE(os.stat(folder / "x.lock").st_mode) == 0o600


def test_a_symlink_is_never_followed(tmp_path):
    (tmp_path / "target").write_text("")
    os.symlink(tmp_path / "target", tmp_path / "link.lock")
    try:
        open_private(str(tmp_path / "link.lock"))
    except OSError as exc:
        assert exc.errno is not None
    else:
        raise AssertionError("a symlinked lock file was opened")


def test_a_held_lock_is_polled_until_the_wait_is_over(tmp_path):
    holder = open_private(str(tmp_path / "x.lock"))[0]
    waiter = open_private(str(tmp_path / "x.lock"))[0]
    sleeps = []
    try:
        assert lock_exclusively(holder, 0) is True
        assert lock_exclusively(waiter, 0, sleep=sleeps.append) is False
        assert all(pause == POLL_INTERVAL for pause in sleeps)
    finally:
        os.close(holder)
    assert lock_exclusively(waiter, 0) is True
    os.close(waiter)
