"""The b2c_report_file action: options, check mode, changed, diff; the unsafe targets become task failures."""

from __future__ import annotations

import os
import stat
from unittest import mock

import pytest

try:  # ansible-core 2.19+: the switches that controller imports flip
    from ansible.module_utils import _internal
except ImportError:  # older ansible-core has no such switches to restore
    _internal = None

CONTROLLER_SWITCHES = ("is_controller", "get_controller_serialize_map", "import_controller_module")


@pytest.fixture(autouse=True)
def controller_code():
    """Importing controller code (the action, ansible.errors) switches ansible's module_utils into controller mode for
    the rest of the process: a module's warnings would go to the display instead of its result, and the module tests
    in the same process would miss them. The switches are put back after each test."""
    saved = dict((name, getattr(_internal, name)) for name in CONTROLLER_SWITCHES if hasattr(_internal, name))
    yield
    for name, value in saved.items():
        setattr(_internal, name, value)


def run_action(args, check_mode=False, diff=False):
    from ansible.playbook.task import Task

    from ansible_collections.b2c.trustframework.plugins.action.b2c_report_file import ActionModule

    task = Task()
    task.args = args
    task.check_mode = check_mode
    task.diff = diff
    action = ActionModule(
        task,
        connection=mock.MagicMock(),
        play_context=mock.MagicMock(),
        loader=None,
        templar=None,
        shared_loader_obj=None,
    )
    return action.run(task_vars={})


def action_failure():
    from ansible.errors import AnsibleActionFail

    return AnsibleActionFail


def test_check_mode_then_a_write_then_nothing_to_do(tmp_path):
    path = str(tmp_path / "report.md")
    preview = run_action({"path": path, "content": "| a |\n"}, check_mode=True, diff=True)
    assert preview["changed"] and not os.path.exists(path)
    assert preview["diff"] == {"before_header": path, "after_header": path, "before": "", "after": "| a |\n"}
    written = run_action({"path": path, "content": "| a |\n"})
    assert written["changed"] and written["path"] == path and written["mode"] == "0644"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o644
    assert run_action({"path": path, "content": "| a |\n"}, diff=True) == {
        "changed": False,
        "path": path,
        "mode": "0644",
    }
    assert run_action({"path": path, "content": "| a |\n", "mode": 0o600})["changed"], "a new mode is a change"


def test_a_relative_path_is_relative_to_the_directory_ansible_playbook_started_from(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert run_action({"path": "keys.md", "content": "x"})["path"] == str(tmp_path / "keys.md")
    assert (tmp_path / "keys.md").read_text() == "x"


def test_a_link_fails_the_task_with_what_to_do(tmp_path):
    (tmp_path / "report.md").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(
        action_failure(), match="is a symbolic link .*never followed. Remove it, or choose another path"
    ):
        run_action({"path": str(tmp_path / "report.md"), "content": "x"})


@pytest.mark.parametrize(
    "args, message",
    [
        ({"path": "/tmp/", "content": "x"}, "path must name a file, not a folder"),
        ({"path": "/tmp/x.md", "content": "x", "mode": "u=rw"}, "mode must be octal permission bits"),
        ({"path": "/tmp/x.md", "content": "x", "mode": "04755"}, "mode must be octal permission bits"),
        ({"content": "x"}, "path"),
    ],
)
def test_bad_options_fail_before_anything_is_written(args, message):
    with pytest.raises(action_failure(), match=message):
        run_action(args)


def test_a_missing_folder_says_so(tmp_path):
    with pytest.raises(action_failure(), match="Cannot write the report file .*: No such file or directory"):
        run_action({"path": str(tmp_path / "missing" / "report.md"), "content": "x"})
