# -*- coding: utf-8 -*-
# Copyright: b2c.trustframework contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""b2c_report_file: write a report file on the controller, never through a link nor over another user's file."""

from __future__ import annotations

import os

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_bytes, to_text
from ansible.plugins.action import ActionBase

from ansible_collections.b2c.trustframework.plugins.module_utils.report_file import (
    READ_LIMIT,
    UnsafeReportFileError,
    current_file,
    replace_file,
)

ARGUMENT_SPEC = {
    "path": {"type": "path", "required": True},
    "content": {"type": "str", "required": True},
    "mode": {"type": "raw", "default": "0644"},
}


def file_mode(value):
    """The permission bits ``value`` (octal text such as "0644", or the integer YAML reads from 0644) stands for."""
    try:
        mode = value if isinstance(value, int) and not isinstance(value, bool) else int(str(value), 8)
    except ValueError:
        mode = -1
    if not 0 <= mode <= 0o777:
        raise AnsibleActionFail(
            "mode must be octal permission bits between 0000 and 0777, such as '0644'; got %r" % (value,)
        )
    return mode


def report_path(path):
    """``path`` made absolute against the directory ansible-playbook was started from; it must name a file."""
    if not os.path.basename(path) or os.path.basename(path) in (".", ".."):
        raise AnsibleActionFail("path must name a file, not a folder; got %r" % (path,))
    return os.path.join(os.getcwd(), path)


class ActionModule(ActionBase):
    """Runs on the controller only: the connection is never used."""

    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        _validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        path, mode = report_path(args["path"]), file_mode(args["mode"])
        data = to_bytes(args["content"], errors="surrogate_or_strict")
        try:
            current = current_file(path, limit=max(len(data), READ_LIMIT))
            changed = current != (data, mode)
            if changed and not self._task.check_mode:
                replace_file(path, data, mode)
        except UnsafeReportFileError as error:
            raise AnsibleActionFail(error.message) from None
        except OSError as error:
            raise AnsibleActionFail("Cannot write the report file %s: %s." % (path, error.strerror or error)) from None
        result.update(changed=changed, path=path, mode="%04o" % mode)
        if changed and self._task.diff:
            result["diff"] = self._diff(path, current, data)
        return result

    @staticmethod
    def _diff(path, current, data):
        before = "" if current is None else current[0]
        if len(before) > READ_LIMIT or len(data) > READ_LIMIT:
            return {
                "before_header": path,
                "after_header": path,
                "before": "(not shown: larger than %d bytes)\n" % READ_LIMIT,
                "after": "(not shown)\n",
            }
        return {
            "before_header": path,
            "after_header": path,
            "before": to_text(before, errors="surrogate_or_replace"),
            "after": to_text(data, errors="surrogate_or_replace"),
        }
