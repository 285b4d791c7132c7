"""Where the benchmark finds the collection and its tools, and writes its results."""

import os
import sys

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(REPO_ROOT, "bench", "out")
WORK_DIR = os.path.join(OUT_DIR, "work")
COLLECTIONS_PATH = os.path.join(REPO_ROOT, "build", "collections")

# `make bench` runs us with the venv's python: modules run with the same one,
# and ansible-playbook is its neighbour.
PYTHON = sys.executable
ANSIBLE_PLAYBOOK = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
