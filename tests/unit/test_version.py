"""galaxy.yml holds the collection version: every other file that names it must agree."""

from __future__ import annotations

import os
import re

import yaml

from ansible_collections.b2c.trustframework.plugins.module_utils.version import COLLECTION_VERSION

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NOT_SOURCES = {".git", ".venv", "build", "tests/output", "bench/out", ".demo", "changelogs"}
TEXT_SUFFIXES = (".md", ".rst", ".txt", ".yml", ".yaml", ".py", ".cfg", "Makefile")
TARBALL_NAME = re.compile(r"b2c-trustframework-(\d+\.\d+\.\d+[^/\s'\"]*?)\.tar\.gz")


def galaxy_version():
    with open(os.path.join(REPO_ROOT, "galaxy.yml"), encoding="utf-8") as handle:
        return str(yaml.safe_load(handle)["version"])


def source_files():
    for root, dirs, files in os.walk(REPO_ROOT):
        dirs[:] = [d for d in dirs if os.path.relpath(os.path.join(root, d), REPO_ROOT) not in NOT_SOURCES]
        for name in files:
            if name.endswith(TEXT_SUFFIXES):
                yield os.path.join(root, name)


def test_user_agent_version_is_galaxy_version():
    assert COLLECTION_VERSION == galaxy_version()


def test_execution_environment_installs_the_built_tarball():
    with open(os.path.join(REPO_ROOT, "tests", "ee", "execution-environment.yml"), encoding="utf-8") as handle:
        ee = yaml.safe_load(handle)
    tarball = "b2c-trustframework-%s.tar.gz" % galaxy_version()
    assert [os.path.basename(item["src"]) for item in ee["additional_build_files"]] == [tarball]
    assert [os.path.basename(item["name"]) for item in ee["dependencies"]["galaxy"]["collections"]] == [tarball]


def test_no_file_names_another_version_of_the_tarball():
    stale = {}
    for path in source_files():
        with open(path, encoding="utf-8", errors="replace") as handle:
            named = set(TARBALL_NAME.findall(handle.read())) - {galaxy_version()}
        if named:
            stale[os.path.relpath(path, REPO_ROOT)] = sorted(named)
    assert not stale, "galaxy.yml says %s; these files name other versions: %s" % (galaxy_version(), stale)
