"""Shared pytest setup: make the collection importable under its FQCN."""

import importlib
import os
import sys

from tools.link_collection import link_collection

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _expose_collection():
    collections_root = link_collection(REPO_ROOT)
    if collections_root not in sys.path:
        sys.path.insert(0, collections_root)
    sys.path_importer_cache.pop(collections_root, None)
    importlib.invalidate_caches()


_expose_collection()

# Fixtures `emulator` (session) and `emulator_clean` (reset per test) for every test under tests/.
pytest_plugins = ["tests.emulator.pytest_plugin"]
