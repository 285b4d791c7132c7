# -*- coding: utf-8 -*-
# Copyright: b2c.trustframework contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test-only callback: writes every task result, with its start and end time, to a JSON file."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: result_recorder
type: aggregate
short_description: Record task results with timestamps for the reliability suites
description:
  - Writes one JSON list to the file named by the environment variable E(RELIABILITY_RESULTS_FILE) at the end of the run.
  - Each entry has the task name, the host, the outcome, the task start and result times (epoch seconds) and the
    result as the callback saw it (after no_log censoring).
requirements:
  - enabled through ANSIBLE_CALLBACKS_ENABLED
"""

import json
import os
import time

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "result_recorder"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._entries = []
        self._task_started = {}

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._task_started[task._uuid] = time.time()

    def v2_playbook_on_handler_task_start(self, task):
        self._task_started[task._uuid] = time.time()

    def _record(self, result, outcome):
        task = result._task
        self._entries.append(
            {
                "task": task.get_name(),
                "host": result._host.get_name(),
                "outcome": outcome,
                "start": self._task_started.get(task._uuid),
                "end": time.time(),
                "result": result._result,
            }
        )

    def v2_runner_on_ok(self, result):
        self._record(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, "failed")

    def v2_runner_on_skipped(self, result):
        self._record(result, "skipped")

    def v2_runner_on_unreachable(self, result):
        self._record(result, "unreachable")

    def v2_playbook_on_stats(self, stats):
        path = os.environ.get("RELIABILITY_RESULTS_FILE")
        if path:
            with open(path, "w", encoding="utf-8") as handle:
                json.dump(self._entries, handle, default=str)
