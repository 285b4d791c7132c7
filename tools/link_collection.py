"""Expose the repository as ansible_collections/b2c/trustframework under build/collections.

ansible-test resolves the working directory, so a single symlink to the
repository would not do: the collection path is a real directory whose
entries are symlinks to the repository's top-level entries (including .git,
which ansible-test uses to list files).  Idempotent; safe to run every time.
"""

import os
import sys

SKIPPED_ENTRIES = {"build", ".venv", ".pytest_cache", ".demo"}


def link_collection(repo_root):
    """Create or refresh the linked tree and return its collections root."""
    collections_root = os.path.join(repo_root, "build", "collections")
    collection_dir = os.path.join(collections_root, "ansible_collections", "b2c", "trustframework")
    if os.path.islink(collection_dir):
        os.unlink(collection_dir)
    os.makedirs(collection_dir, exist_ok=True)
    for entry in os.listdir(repo_root):
        if entry in SKIPPED_ENTRIES:
            continue
        link = os.path.join(collection_dir, entry)
        if not os.path.lexists(link):
            os.symlink(os.path.join(repo_root, entry), link)
    for entry in os.listdir(collection_dir):
        link = os.path.join(collection_dir, entry)
        if os.path.islink(link) and not os.path.exists(link):
            os.unlink(link)
    return collections_root


if __name__ == "__main__":
    print(link_collection(os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".")))
