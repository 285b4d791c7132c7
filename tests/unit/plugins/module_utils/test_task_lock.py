"""task_lock.py: one writer per resource on a controller, a bounded wait, a lock nobody else can hold for us."""

import base64
import hashlib
import json
import os
import socket
import stat

import pytest

from ansible_collections.b2c.trustframework.plugins.module_utils.task_lock import (
    LockTimeout,
    lock_path,
    resource_lock,
    tenant_named_by,
)

ROOT = "https://graph.microsoft.com"


def test_lock_path_per_cloud_tenant_and_keyset_next_to_the_token_cache(tmp_path, monkeypatch):
    cache = str(tmp_path / "c" / "tokens.json")
    path = lock_path(cache, ROOT, "t1", "keyset", "B2C_1A_Sig")
    assert os.path.dirname(path) == str(tmp_path / "c" / "locks")
    assert path == lock_path(cache, ROOT + "/", "T1", "keyset", "b2c_1a_sig"), "names compare case-insensitively"
    assert (
        len(
            {
                path,
                lock_path(cache, ROOT, "t2", "keyset", "B2C_1A_Sig"),
                lock_path(cache, "https://graph.microsoft.us", "t1", "keyset", "B2C_1A_Sig"),
                lock_path(cache, ROOT, "t1", "keyset", "B2C_1A_Enc"),
            }
        )
        == 4
    )
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert lock_path(None, ROOT, "t1", "keyset", "X").startswith(
        str(tmp_path / "xdg" / "b2c.trustframework" / "locks") + os.sep
    )


def test_a_keyset_lock_keeps_the_file_of_release_1_0_and_other_kinds_get_their_own(tmp_path):
    """A keyset task of 1.0 and one of today lock the same file; a policy of the same name locks another one."""
    cache = str(tmp_path / "tokens.json")
    identity_1_0 = "https://graph.microsoft.com\nt1\nb2c_1a_sig"
    name_1_0 = hashlib.sha256(identity_1_0.encode("utf-8")).hexdigest()[:32] + ".lock"
    assert lock_path(cache, ROOT, "t1", "keyset", "B2C_1A_Sig") == str(tmp_path / "locks" / name_1_0)
    assert lock_path(cache, ROOT, "t1", "policy", "B2C_1A_Sig") != lock_path(cache, ROOT, "t1", "keyset", "B2C_1A_Sig")


def _jwt(claims):
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return "eyJhbGciOiJub25lIn0.%s.c2ln" % payload


def test_the_lock_names_the_tenant_the_token_names_and_one_spelling_of_the_graph_root(tmp_path):
    """contoso.onmicrosoft.com and its GUID, or https://HOST:443/ and https://host, are one lock."""
    cache = str(tmp_path / "tokens.json")
    guid = "0d6f0c44-5a5e-4b1c-9c55-3f1e5b7d2a10"
    assert tenant_named_by(_jwt({"tid": guid.upper(), "aud": "x"})) == guid
    for token in ("opaque-token", _jwt({"aud": "x"}), _jwt({"tid": "not a guid"}), "a.!!!.c", _jwt(["tid"]), None):
        assert tenant_named_by(token) is None, token
    spellings = {
        lock_path(cache, root, guid, "keyset", "B2C_1A_Sig")
        for root in ("https://graph.microsoft.com", "https://GRAPH.microsoft.com:443/", "HTTPS://graph.microsoft.com/")
    }
    assert spellings == {lock_path(cache, ROOT, guid, "keyset", "B2C_1A_Sig")}
    assert lock_path(cache, ROOT + ":8443", guid, "keyset", "B2C_1A_Sig") not in spellings


def test_lock_is_private_and_exclusive_with_a_bounded_wait(tmp_path):
    path = str(tmp_path / "locks" / "k.lock")
    warnings = []
    sleeps = []
    with resource_lock(path, "keyset", "B2C_1A_X", warnings) as locked:
        assert locked is True
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        assert stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode) == 0o700
        with pytest.raises(LockTimeout) as err:
            with resource_lock(path, "keyset", "B2C_1A_X", warnings, wait=0, sleep=sleeps.append):
                pytest.fail("a second writer got the lock")  # pragma: no cover
    assert "waited 0 s for another task on this controller that is writing to keyset B2C_1A_X" in str(err.value)
    assert path in str(err.value) and err.value.hint
    assert "process %d on %s, holding it since 20" % (os.getpid(), socket.gethostname()) in str(err.value)
    assert "or stop process %d on %s if it hangs" % (os.getpid(), socket.gethostname()) in err.value.hint
    assert "remove the lock file" not in err.value.hint and "Leave the lock file in place" in err.value.hint
    assert warnings == []
    with resource_lock(path, "keyset", "B2C_1A_X", warnings, wait=0) as locked:  # released on exit
        assert locked is True


def test_lock_in_a_folder_others_can_write_is_not_used(tmp_path):
    folder = tmp_path / "locks"
    folder.mkdir()
    os.chmod(folder, 0o777)
    warnings = []
    with resource_lock(str(folder / "k.lock"), "keyset", "B2C_1A_X", warnings) as locked:
        assert locked is False
    assert len(warnings) == 1 and "writable by group or others" in warnings[0] and "B2C_1A_X" in warnings[0]
    assert not (folder / "k.lock").exists()


def test_unusable_lock_location_warns_and_goes_on(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    warnings = []
    with resource_lock(str(blocker / "locks" / "k.lock"), "keyset", "B2C_1A_X", warnings) as locked:
        assert locked is False
    assert warnings and "not serialised" in warnings[0]


@pytest.mark.parametrize("content", [b"", b"[1]", b'{"pid": "1", "host": "h", "since": 0}', b"\xff\xfe", b"{"])
def test_a_holder_that_wrote_nothing_usable_is_unknown_and_never_a_crash(tmp_path, content):
    path = tmp_path / "locks" / "k.lock"
    path.parent.mkdir(mode=0o700)
    fd = os.open(str(path), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, content)
        with pytest.raises(LockTimeout) as err:
            with resource_lock(str(path), "keyset", "B2C_1A_X", [], wait=0):
                pytest.fail("a second writer got the lock")  # pragma: no cover
    finally:
        os.close(fd)
    assert "a process that has not said which" in str(err.value) and "stop that ansible-playbook run" in err.value.hint
