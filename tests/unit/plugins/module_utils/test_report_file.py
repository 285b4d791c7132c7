"""report_file.py: the report written as a new file renamed over the target; a link or another user's file refused."""

from __future__ import annotations

import os
import stat

import pytest

from ansible_collections.b2c.trustframework.plugins.module_utils import report_file
from ansible_collections.b2c.trustframework.plugins.module_utils.report_file import (
    UnsafeReportFileError,
    current_file,
    replace_file,
)


def mode_of(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def test_a_new_file_gets_the_content_and_the_mode_whatever_the_umask(tmp_path):
    target = tmp_path / "report.md"
    old_umask = os.umask(0o077)
    try:
        replace_file(str(target), b"| a |\n", 0o644)
    finally:
        os.umask(old_umask)
    assert target.read_bytes() == b"| a |\n" and mode_of(target) == 0o644
    assert current_file(str(target)) == (b"| a |\n", 0o644)
    assert os.listdir(tmp_path) == ["report.md"], "no temporary file is left behind"


def test_a_file_of_ours_is_replaced_not_written_into(tmp_path):
    target, other_name = tmp_path / "report.md", tmp_path / "hard-link-to-the-old-report"
    target.write_bytes(b"old")
    os.link(target, other_name)
    replace_file(str(target), b"new", 0o600)
    assert target.read_bytes() == b"new" and mode_of(target) == 0o600
    assert other_name.read_bytes() == b"old", "the old file (and any other name it has) is left as it was"


def test_a_link_at_the_target_is_refused_and_nothing_is_written(tmp_path):
    outside = tmp_path / "outside"
    outside.write_bytes(b"keep me")
    os.chmod(outside, 0o600)
    link = tmp_path / "report.md"
    link.symlink_to(outside)
    for attempt in (lambda: replace_file(str(link), b"forged", 0o644), lambda: current_file(str(link))):
        with pytest.raises(
            UnsafeReportFileError, match="is a symbolic link .to %s., which is never followed" % outside
        ):
            attempt()
    assert outside.read_bytes() == b"keep me" and mode_of(outside) == 0o600
    assert os.path.islink(link) and sorted(os.listdir(tmp_path)) == ["outside", "report.md"]


def test_a_dangling_link_is_refused_too(tmp_path):
    link = tmp_path / "report.md"
    link.symlink_to(tmp_path / "would-be-created")
    with pytest.raises(UnsafeReportFileError, match="symbolic link"):
        replace_file(str(link), b"forged", 0o644)
    assert not (tmp_path / "would-be-created").exists()


def test_another_users_file_is_refused(tmp_path, monkeypatch):
    target = tmp_path / "report.md"
    target.write_bytes(b"theirs")
    monkeypatch.setattr(report_file.os, "geteuid", lambda: os.lstat(target).st_uid + 1)
    with pytest.raises(UnsafeReportFileError, match=r"belongs to uid \d+, not to the current user \(uid \d+\)"):
        replace_file(str(target), b"ours", 0o644)
    assert target.read_bytes() == b"theirs"


@pytest.mark.parametrize("kind", ["folder", "fifo"])
def test_what_is_not_a_regular_file_is_refused(tmp_path, kind):
    target = tmp_path / "report.md"
    if kind == "folder":
        os.mkdir(target)
    else:
        os.mkfifo(target)
    with pytest.raises(UnsafeReportFileError, match="not a regular file"):
        replace_file(str(target), b"x", 0o644)


def test_a_missing_file_reads_as_none_and_the_read_is_bounded(tmp_path):
    assert current_file(str(tmp_path / "none.md")) is None
    big = tmp_path / "big.md"
    big.write_bytes(b"x" * 100)
    assert current_file(str(big), limit=10)[0] == b"x" * 11, "one byte past the limit tells that it differs"


def test_a_failed_write_leaves_no_temporary_file(tmp_path, monkeypatch):
    def failing_rename(source, destination):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(report_file.os, "rename", failing_rename)
    with pytest.raises(OSError, match="No space left"):
        replace_file(str(tmp_path / "report.md"), b"x", 0o644)
    assert os.listdir(tmp_path) == []
