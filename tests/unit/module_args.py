"""Feed module arguments to AnsibleModule in unit tests, on every ansible-core the collection supports.

ansible-core 2.19 added ``ansible.module_utils.testing.patch_module_args`` and changed how a module
reads its arguments (a serialisation profile beside ``_ANSIBLE_ARGS``); older cores only read
``_ANSIBLE_ARGS``. Tests import ``patch_module_args`` from here, so the difference lives in one place.
"""

from __future__ import annotations

import contextlib
import json
from unittest import mock

from ansible.module_utils import basic

try:
    from ansible.module_utils.testing import patch_module_args as _core_patch_module_args
except ImportError:  # ansible-core < 2.19
    _core_patch_module_args = None


@contextlib.contextmanager
def _legacy_patch_module_args(args):
    encoded = json.dumps({"ANSIBLE_MODULE_ARGS": args}).encode()
    with mock.patch.object(basic, "_ANSIBLE_ARGS", encoded):
        yield


def patch_module_args(args=None):
    """Context manager: AnsibleModule instances created inside it receive ``args``."""
    if _core_patch_module_args is not None:
        return _core_patch_module_args(args)
    return _legacy_patch_module_args(dict(args or {}))
