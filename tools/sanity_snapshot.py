"""Mirror the collection's files into a real directory tree for ansible-test.

ansible-test rejects symlinked directories (its `symlinks` sanity test) and
needs a git work tree to list files.  This copies every tracked or
untracked-but-not-ignored file into build/sanity/ansible_collections/b2c/
trustframework, keeps that copy in sync between runs (so ansible-test's
tests/output caches survive) and indexes it in a throwaway git repository.
Prints the path of the copy.
"""

import filecmp
import os
import shutil
import subprocess
import sys


def list_collection_files(repo_root):
    listing = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=repo_root,
        check=True,
        capture_output=True,
    ).stdout.decode()
    return {path for path in listing.split("\0") if path and os.path.isfile(os.path.join(repo_root, path))}


def sync_tree(repo_root, target, files):
    for path in sorted(files):
        source, copy = os.path.join(repo_root, path), os.path.join(target, path)
        if not os.path.exists(copy) or not filecmp.cmp(source, copy, shallow=False):
            os.makedirs(os.path.dirname(copy), exist_ok=True)
            shutil.copy2(source, copy)
    for directory, subdirs, names in os.walk(target):
        relative_dir = os.path.relpath(directory, target)
        if relative_dir.split(os.sep)[0] == ".git" or relative_dir.startswith(os.path.join("tests", "output")):
            subdirs[:] = []
            continue
        for name in names:
            if os.path.normpath(os.path.join(relative_dir, name)) not in files:
                os.unlink(os.path.join(directory, name))


def index_tree(target):
    if not os.path.isdir(os.path.join(target, ".git")):
        subprocess.run(["git", "init", "-q"], cwd=target, check=True)
    subprocess.run(["git", "add", "-A", "."], cwd=target, check=True)


def main():
    repo_root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".")
    target = os.path.join(repo_root, "build", "sanity", "ansible_collections", "b2c", "trustframework")
    os.makedirs(target, exist_ok=True)
    files = list_collection_files(repo_root)
    sync_tree(repo_root, target, files)
    index_tree(target)
    print(target)


if __name__ == "__main__":
    main()
