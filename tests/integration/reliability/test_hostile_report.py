"""playbooks/report.yml facing a hostile neighbour and a hostile service.

- In a shared sticky folder (as /tmp is), another user plants a link, or a file of their own, at the report
  path: the report refuses to write, and nothing outside the folder changes.
- The service returns a kid and a keyset id that hold ``|``, a line break and a bidirectional override: the
  table in the console and in report.md keeps one row per keyset, every character shown escaped.
"""

import json
import os
import pwd
import re
import stat
import time

import pytest

from tests.integration.playbook_runner import REPO_ROOT, playbook_environment, run_playbook
from tests.integration.reliability.hostile_front import HostileFront
from tests.integration.reliability.support import graph

REPORT = os.path.join(REPO_ROOT, "playbooks", "report.yml")
DAY = 86400
FORGED_ROW = "| B2C_1A_ForgedKeyset | forged-kid | RSA/sig | 2099-12-31T00:00:00Z | 9999 | - | - | - |"
HOSTILE_KID = "k1 | 2099-12-31T00:00:00Z | 9999 | - | - | - |\n" + FORGED_ROW + "\u202e"
HOSTILE_ID = "B2C_1A_Evil|id\r\n" + FORGED_ROW + "\u2066"
# A cell boundary in Markdown: a | that no backslash escapes.
CELL_BOUNDARY = re.compile(r"(?<!\\)(?:\\\\)*\|")

pytestmark = pytest.mark.integration


def another_user():
    """(uid, gid) of an unprivileged account other than the current user: nobody's, else 65534."""
    try:
        account = pwd.getpwnam("nobody")
        return account.pw_uid, account.pw_gid
    except KeyError:
        return 65534, 65534


def planted_by_another_user(path):
    """Give ``path`` (a link or a file) to another user, as if they had planted it; needs root."""
    if os.geteuid() != 0:
        pytest.skip("giving a planted file to another user needs root (os.lchown); run the suite as root to cover it")
    os.lchown(path, *another_user())


def sticky_shared_folder(tmp_path):
    folder = tmp_path / "shared"
    folder.mkdir()
    os.chmod(folder, 0o1777)
    return folder


def report(emulator, tmp_path, report_file, env=None):
    return run_playbook(
        emulator,
        tmp_path,
        REPORT,
        "-e",
        "report_file=%s" % report_file,
        env=playbook_environment(emulator, tmp_path, **(env or {})),
    )


def test_a_link_planted_in_a_sticky_folder_is_refused(emulator_clean, tmp_path):
    shared = sticky_shared_folder(tmp_path)
    outside = tmp_path / "outside.conf"
    outside.write_text("precious\n")
    os.chmod(outside, 0o600)
    link = shared / "report.md"
    link.symlink_to(outside)
    planted_by_another_user(link)

    run = report(emulator_clean, tmp_path, link)
    assert run.returncode != 0
    assert "Cannot write the report file %s: it is a symbolic link" % link in run.stdout, run.stdout[-4000:]
    assert outside.read_text() == "precious\n" and stat.S_IMODE(os.stat(outside).st_mode) == 0o600
    assert os.path.islink(link) and os.listdir(shared) == ["report.md"], "nothing written, no temporary file left"

    link.unlink()  # the same run writes the report once the link is gone
    again = report(emulator_clean, tmp_path, link)
    assert "Cannot write the report file" not in again.stdout, again.stdout[-4000:]
    assert not os.path.islink(link) and "| keyset | active kid |" in link.read_text()
    assert os.stat(link).st_uid == os.geteuid() and stat.S_IMODE(os.stat(link).st_mode) == 0o644


def test_a_file_another_user_owns_at_the_report_path_is_left_alone(emulator_clean, tmp_path):
    shared = sticky_shared_folder(tmp_path)
    theirs = shared / "report.json"
    theirs.write_text("their own report\n")
    planted_by_another_user(theirs)

    run = report(emulator_clean, tmp_path, theirs)
    assert run.returncode != 0
    assert re.search(
        r"Cannot write the report file %s: it belongs to uid %d, not to the current user"
        % (re.escape(str(theirs)), another_user()[0]),
        run.stdout,
    ), run.stdout[-4000:]
    assert theirs.read_text() == "their own report\n" and os.stat(theirs).st_uid == another_user()[0]


# -- ids and kids the service returns ---------------------------------------------------------------------------------
def seed_starter_pack(emulator):
    now = int(time.time())
    with graph(emulator) as client:
        for name, use in (("TokenSigningKeyContainer", "sig"), ("TokenEncryptionKeyContainer", "enc")):
            client.post("/beta/trustFramework/keySets", json={"id": name}).raise_for_status()
            client.post(
                "/beta/trustFramework/keySets/B2C_1A_%s/generateKey" % name,
                json={"use": use, "kty": "RSA", "nbf": now - DAY, "exp": now + 365 * DAY},
            ).raise_for_status()


def hostile_listing(request, forward):
    """The keyset listing with a hostile kid in the signing keyset, and one more keyset with a hostile id."""
    listing = forward().json()
    signing = next(item for item in listing["value"] if item["id"] == "B2C_1A_TokenSigningKeyContainer")
    signing["keys"] = [dict(key, kid=HOSTILE_KID) for key in signing["keys"]]
    listing["value"].append(dict(signing, id=HOSTILE_ID))
    return 200, listing


def table_rows(lines):
    """The rows of the keyset table (the first table of the report), header and separator left out."""
    rows = []
    for line in lines[2:]:
        if not line.startswith("|"):
            break
        rows.append(line)
    return rows


def test_a_hostile_kid_or_keyset_id_forges_no_row(emulator_clean, tmp_path):
    seed_starter_pack(emulator_clean)
    report_md = tmp_path / "report.md"
    with HostileFront(emulator_clean, [("GET", r"/trustFramework/keySets(\?|$)", hostile_listing)]) as front:
        run = report(emulator_clean, tmp_path, report_md, env=front.env())
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]

    shown = json.loads(re.search(r'"msg": (\[.*?\n {4}\])', run.stdout, re.DOTALL).group(1))
    for where, lines in (("console", shown), ("report.md", report_md.read_text().splitlines())):
        rows, columns = table_rows(lines), len(CELL_BOUNDARY.findall(lines[0]))
        assert len(rows) == 3, "%s: one row per keyset, no forged one:\n%s" % (where, "\n".join(lines))
        assert [len(CELL_BOUNDARY.findall(row)) for row in rows] == [columns] * 3, "%s: the header's cells:\n%s" % (
            where,
            rows,
        )
        assert not any(line.startswith("| B2C_1A_ForgedKeyset") for line in lines), where
        assert not re.search("[\u202e\u2066\r]", "\n".join(lines)), where + ": no raw bidi or control character"
        signing = next(row for row in rows if row.startswith("| B2C_1A_TokenSigningKeyContainer |"))
        assert "| k1 \\| 2099-12-31T00:00:00Z \\| 9999 \\| - \\| - \\| - \\|\\n\\| B2C_1A_ForgedKeyset \\|" in signing
        assert signing.split(" | ")[1].endswith("\\u202e"), signing
        assert any(row.startswith("| B2C_1A_Evil\\|id\\r\\n\\| B2C_1A_ForgedKeyset \\|") for row in rows), rows
