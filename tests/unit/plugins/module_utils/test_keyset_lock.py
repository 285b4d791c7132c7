"""keyset_lock.py: one writer per keyset on a controller, a bounded wait, a lock nobody else can hold for us."""

import os
import stat

import pytest

from ansible_collections.b2c.trustframework.plugins.module_utils.keyset_lock import (
    KeysetLockTimeout,
    keyset_lock,
    lock_path,
)

ROOT = "https://graph.microsoft.com"


def test_lock_path_per_cloud_tenant_and_keyset_next_to_the_token_cache(tmp_path, monkeypatch):
    cache = str(tmp_path / "c" / "tokens.json")
    path = lock_path(cache, ROOT, "t1", "B2C_1A_Sig")
    assert os.path.dirname(path) == str(tmp_path / "c" / "locks")
    assert path == lock_path(cache, ROOT + "/", "T1", "b2c_1a_sig"), "names compare case-insensitively"
    assert len({path, lock_path(cache, ROOT, "t2", "B2C_1A_Sig"), lock_path(cache, "https://graph.microsoft.us", "t1",
                                                                            "B2C_1A_Sig"),
                lock_path(cache, ROOT, "t1", "B2C_1A_Enc")}) == 4
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert lock_path(None, ROOT, "t1", "X").startswith(str(tmp_path / "xdg" / "b2c.trustframework" / "locks") + os.sep)


def test_lock_is_private_and_exclusive_with_a_bounded_wait(tmp_path):
    path = str(tmp_path / "locks" / "k.lock")
    warnings = []
    sleeps = []
    with keyset_lock(path, "B2C_1A_X", warnings) as locked:
        assert locked is True
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        assert stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode) == 0o700
        with pytest.raises(KeysetLockTimeout) as err:
            with keyset_lock(path, "B2C_1A_X", warnings, wait=0, sleep=sleeps.append):
                pytest.fail("a second writer got the lock")  # pragma: no cover
    assert "waited 0 s for another task on this controller that is writing to keyset B2C_1A_X" in str(err.value)
    assert path in str(err.value) and err.value.hint
    assert warnings == []
    with keyset_lock(path, "B2C_1A_X", warnings, wait=0) as locked:  # released on exit
        assert locked is True


def test_lock_in_a_folder_others_can_write_is_not_used(tmp_path):
    folder = tmp_path / "locks"
    folder.mkdir()
    os.chmod(folder, 0o777)
    warnings = []
    with keyset_lock(str(folder / "k.lock"), "B2C_1A_X", warnings) as locked:
        assert locked is False
    assert len(warnings) == 1 and "writable by group or others" in warnings[0] and "B2C_1A_X" in warnings[0]
    assert not (folder / "k.lock").exists()


def test_unusable_lock_location_warns_and_goes_on(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    warnings = []
    with keyset_lock(str(blocker / "locks" / "k.lock"), "B2C_1A_X", warnings) as locked:
        assert locked is False
    assert warnings and "not serialised" in warnings[0]
