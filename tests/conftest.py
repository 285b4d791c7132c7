"""Shared pytest setup: make the collection importable under its FQCN."""

import importlib
import os
import sys

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLLECTIONS_ROOT = os.path.join(REPO_ROOT, "build", "collections")
COLLECTION_LINK = os.path.join(COLLECTIONS_ROOT, "ansible_collections", "b2c", "trustframework")


def _link_collection():
    """Expose the repository as ansible_collections.b2c.trustframework (what `make` does too)."""
    if not os.path.lexists(COLLECTION_LINK):
        os.makedirs(os.path.dirname(COLLECTION_LINK), exist_ok=True)
        os.symlink(REPO_ROOT, COLLECTION_LINK)
    if COLLECTIONS_ROOT not in sys.path:
        sys.path.insert(0, COLLECTIONS_ROOT)
    sys.path_importer_cache.pop(COLLECTIONS_ROOT, None)
    importlib.invalidate_caches()


_link_collection()
