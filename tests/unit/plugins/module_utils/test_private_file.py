"""private_file.py: the trust rule, reading and replacing a private file, the per-user cache folder."""

from __future__ import annotations

import os
import stat

import pytest

from ansible_collections.b2c.trustframework.plugins.module_utils.private_file import (
    read_private,
    replace_private,
    untrusted_reason,
    user_cache_dir,
)


def _stat(uid, mode):
    return os.stat_result((stat.S_IFREG | mode, 0, 0, 1, uid, 0, 0, 0, 0, 0))


def test_trust_rule_owner_and_mode(monkeypatch):
    monkeypatch.setattr(os, "getuid", lambda: 1000)
    assert untrusted_reason(_stat(1000, 0o600)) is None
    assert untrusted_reason(_stat(0, 0o755)) is None, "root-owned folders are trusted, as ssh does"
    assert untrusted_reason(_stat(4242, 0o600)) == "owned by uid 4242, not by the current user (uid 1000)"
    assert untrusted_reason(_stat(1000, 0o620)) == "writable by group or others (mode 620)"
    assert untrusted_reason(_stat(1000, 0o602)) == "writable by group or others (mode 602)"


def test_read_private_reads_our_files_only_and_within_the_limit(tmp_path):
    path = tmp_path / "entry"
    path.write_bytes(b"12345")
    path.chmod(0o600)
    assert read_private(str(path), 5) == b"12345"
    assert read_private(str(path), 4) is None, "longer than the limit"
    path.chmod(0o622)
    assert read_private(str(path), 5) is None, "others could have written it"
    os.symlink(path, tmp_path / "link")
    with pytest.raises(OSError):
        read_private(str(tmp_path / "link"), 5)


def test_replace_private_swaps_the_whole_file_and_leaves_no_temporary_file(tmp_path, monkeypatch):
    path = tmp_path / "entry"
    path.write_bytes(b"old")
    replace_private(str(path), b"new")
    assert path.read_bytes() == b"new" and stat.S_IMODE(os.stat(path).st_mode) == 0o600

    def interrupted(source, target):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(OSError):
        replace_private(str(path), b"newer")
    assert path.read_bytes() == b"new" and os.listdir(tmp_path) == ["entry"]


@pytest.mark.parametrize(
    "xdg_cache_home, expected",
    [
        ("/srv/cache", "/srv/cache/b2c.trustframework"),
        ("", "/home/me/.cache/b2c.trustframework"),
        ("relative/cache", "/home/me/.cache/b2c.trustframework"),
    ],
)
def test_the_user_cache_folder_follows_xdg_and_ignores_a_relative_path(monkeypatch, xdg_cache_home, expected):
    monkeypatch.setenv("HOME", "/home/me")
    monkeypatch.setenv("XDG_CACHE_HOME", xdg_cache_home)
    assert user_cache_dir() == expected
