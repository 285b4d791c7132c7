"""Records every wait the collection's retry loop makes, in each Python process of a playbook run.

On PYTHONPATH with RETRY_WAIT_LOG naming a file, Python imports this at start-up. It wraps
time.sleep before any module is imported, so the loop's ``sleep`` default is the wrapper: a call
made from module_utils/retry.py appends ``{"seconds", "start", "pid"}`` to the file as a JSON
line, then sleeps as asked. A test reads the waits the client chose instead of timing them.
"""

import json
import os
import sys
import time

RETRY_MODULE = ".plugins.module_utils.retry"


def _recording(sleep, log_path):
    def recording_sleep(seconds):
        if sys._getframe(1).f_globals.get("__name__", "").endswith(RETRY_MODULE):
            entry = {"seconds": seconds, "start": time.time(), "pid": os.getpid()}
            with open(log_path, "a", encoding="utf-8") as handle:
                handle.write(json.dumps(entry) + "\n")
        sleep(seconds)

    return recording_sleep


if os.environ.get("RETRY_WAIT_LOG"):
    time.sleep = _recording(time.sleep, os.environ["RETRY_WAIT_LOG"])
