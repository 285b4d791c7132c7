"""code_cache.py: the collection's module_utils, run from a zip as AnsiballZ does, compiled once per user.

The finder's rules are tested in this process on a package of its own, imported from
a zip; two cases run a fresh interpreter on a zip laid out like a task's payload, where
code_cache.py itself comes from the zip. A planted entry (a valid stamp, other code)
shows when the cache is what served a module.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import json
import marshal
import os
import subprocess
import sys
import zipfile

import pytest

from ansible_collections.b2c.trustframework.plugins.module_utils import code_cache, private_file

SOURCE = b"VALUE = 'compiled from the zip'\n\ndef where():\n    return where.__code__.co_filename\n"
CACHED = "served from the cache"


def stamp(source):
    return importlib.util.MAGIC_NUMBER + hashlib.sha256(source).digest()


def plant(folder, name, source=SOURCE):
    """An entry with the stamp of ``source`` holding other code: whoever runs it was served by the cache."""
    code = compile("VALUE = %r\n\ndef where():\n    return where.__code__.co_filename\n" % CACHED, "planted", "exec")
    entry = folder / name
    entry.write_bytes(stamp(source) + marshal.dumps(code))
    entry.chmod(0o600)
    return entry


class ProbePackage:
    """``b2c_cache_probe.sample`` imported from a zip through a CachedZipFinder writing to ``folder``."""

    PACKAGE = "b2c_cache_probe"
    NAME = PACKAGE + ".sample"

    def __init__(self, tmp_path):
        self.tmp_path = tmp_path
        self.folder = tmp_path / "code"
        assert private_file.private_dir(str(self.folder)) is None
        self.entry = self.folder / self.NAME
        self.zips = 0

    def load(self, source=SOURCE):
        """Import the sample from a new zip (a task's zip has a new path every time)."""
        self.zips += 1
        zip_path = str(self.tmp_path / ("payload-%d.zip" % self.zips))
        with zipfile.ZipFile(zip_path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(self.PACKAGE + "/__init__.py", b"")
            archive.writestr(self.PACKAGE + "/sample.py", source)
        finder = code_cache.CachedZipFinder(str(self.folder), package=self.PACKAGE)
        sys.path.insert(0, zip_path)
        sys.meta_path.insert(0, finder)
        try:
            module = importlib.import_module(self.NAME)
        finally:
            sys.meta_path.remove(finder)
            sys.path.remove(zip_path)
            for name in (self.NAME, self.PACKAGE):
                sys.modules.pop(name, None)
        module.zip_path = zip_path
        return module


@pytest.fixture
def probe(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "dont_write_bytecode", False)  # PYTHONDONTWRITEBYTECODE is set on some build machines
    return ProbePackage(tmp_path)


def test_a_module_is_compiled_once_into_a_private_entry_then_served_from_it(probe):
    first = probe.load()
    assert first.VALUE == "compiled from the zip"
    assert probe.entry.stat().st_mode & 0o777 == 0o600
    assert probe.entry.read_bytes().startswith(stamp(SOURCE))

    plant(probe.folder, probe.NAME)
    second = probe.load()
    assert second.VALUE == CACHED
    assert type(second.__loader__).__name__ == "CachedZipLoader"
    assert "def where" in second.__loader__.get_source(probe.NAME), "tracebacks still show the source lines"


def test_served_code_names_this_tasks_zip_as_a_fresh_compile_would(probe):
    plant(probe.folder, probe.NAME)
    served = probe.load()
    expected = os.path.join(served.zip_path, probe.PACKAGE, "sample.py")
    assert served.VALUE == CACHED
    assert served.__file__ == served.where() == expected


def test_changed_source_is_compiled_again_and_replaces_the_entry(probe):
    plant(probe.folder, probe.NAME)
    changed = SOURCE.replace(b"compiled from the zip", b"the new release")
    assert probe.load(changed).VALUE == "the new release"
    assert probe.entry.read_bytes().startswith(stamp(changed))


def test_an_entry_others_can_write_or_a_symlink_is_not_trusted(probe, tmp_path):
    plant(probe.folder, probe.NAME).chmod(0o666)
    assert probe.load().VALUE == "compiled from the zip"

    planted_elsewhere = plant(tmp_path, "elsewhere")
    probe.entry.unlink()
    os.symlink(planted_elsewhere, probe.entry)
    assert probe.load().VALUE == "compiled from the zip"


@pytest.mark.parametrize("damage", ["truncated", "not marshal data", "oversized"])
def test_a_damaged_entry_is_compiled_again(probe, monkeypatch, damage):
    entry = plant(probe.folder, probe.NAME)
    if damage == "truncated":
        entry.write_bytes(entry.read_bytes()[:-7])
    elif damage == "not marshal data":
        entry.write_bytes(stamp(SOURCE) + b"\xff" * 64)
    else:
        monkeypatch.setattr(code_cache, "ENTRY_LIMIT", 16)
    assert probe.load().VALUE == "compiled from the zip"


def test_pythondontwritebytecode_stops_writing(probe, monkeypatch):
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    assert probe.load().VALUE == "compiled from the zip"
    assert not probe.entry.exists()


def test_an_entry_that_cannot_be_written_only_costs_the_compile(probe, monkeypatch):
    def full_disk(path, data):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(code_cache, "replace_private", full_disk)
    assert probe.load().VALUE == "compiled from the zip"
    assert not probe.entry.exists()


def test_modules_of_other_packages_and_missing_ones_are_left_to_python(probe):
    finder = code_cache.CachedZipFinder(str(probe.folder), package=probe.PACKAGE)
    assert finder.find_spec("json", None) is None
    assert finder.find_spec(probe.PACKAGE + ".absent", [str(probe.tmp_path / "no.zip" / probe.PACKAGE)]) is None


def test_outside_a_zip_nothing_changes():
    meta_path = list(sys.meta_path)
    code_cache.cache_compiled_code()
    assert sys.meta_path == meta_path, "files on disk have Python's own byte-code cache"


# -- code_cache.py itself run from a task's zip ---------------------------------------------------------------------
PACKAGE = "ansible_collections.b2c.trustframework.plugins.module_utils"
SAMPLE = PACKAGE + ".sample"
RUN = """
import json, sys
sys.path.insert(0, sys.argv[1])
from ansible_collections.b2c.trustframework.plugins.module_utils.code_cache import cache_compiled_code
cache_compiled_code()
cache_compiled_code()
from ansible_collections.b2c.trustframework.plugins.module_utils import sample
print(json.dumps({"value": sample.VALUE, "finders": sum(type(f).__name__ == "CachedZipFinder" for f in sys.meta_path)}))
"""


def task_payload(tmp_path, name):
    """A zip laid out as AnsiballZ lays out a task's module_utils (package inits empty)."""
    path = tmp_path / name
    folder = PACKAGE.replace(".", "/")
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        parts = PACKAGE.split(".")
        for depth in range(1, len(parts) + 1):
            archive.writestr("/".join(parts[:depth]) + "/__init__.py", b"")
        for module in (code_cache, private_file):
            with open(module.__file__, "rb") as handle:
                archive.writestr(folder + "/" + os.path.basename(module.__file__), handle.read())
        archive.writestr(folder + "/sample.py", SOURCE)
    return str(path)


def run_task(tmp_path, zip_path, **env):
    environment = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
    environment["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    environment.update(env)
    command = [sys.executable, "-c", RUN, zip_path]
    completed = subprocess.run(command, env=environment, cwd=tmp_path, capture_output=True, text=True, check=True)
    return json.loads(completed.stdout)


def test_a_task_from_its_zip_fills_the_cache_and_the_next_task_is_served(tmp_path):
    folder = tmp_path / "cache" / "b2c.trustframework" / "code" / sys.implementation.cache_tag
    first = run_task(tmp_path, task_payload(tmp_path, "first.zip"))
    assert first == {"value": "compiled from the zip", "finders": 1}
    assert folder.stat().st_mode & 0o777 == 0o700
    assert (folder / SAMPLE).stat().st_mode & 0o777 == 0o600
    assert sorted(os.listdir(folder)) == [SAMPLE], "the cache's own two files load before it"

    plant(folder, SAMPLE)
    assert run_task(tmp_path, task_payload(tmp_path, "second.zip"))["value"] == CACHED

    folder.chmod(0o777)
    assert run_task(tmp_path, task_payload(tmp_path, "third.zip"))["value"] == "compiled from the zip", (
        "a folder others can write is neither read nor written"
    )


def test_a_relative_xdg_cache_home_is_ignored_as_the_xdg_specification_says(tmp_path):
    served = run_task(tmp_path, task_payload(tmp_path, "p.zip"), XDG_CACHE_HOME="relative", HOME=str(tmp_path / "home"))
    assert served["value"] == "compiled from the zip"
    assert not (tmp_path / "relative").exists(), "a cache folder below where the task runs"
    assert (
        tmp_path / "home" / ".cache" / "b2c.trustframework" / "code" / sys.implementation.cache_tag / SAMPLE
    ).exists()
