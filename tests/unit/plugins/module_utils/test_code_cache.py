"""code_cache.py: the collection's module_utils, run from a zip as AnsiballZ does, compiled once per user.

Each case runs a fresh interpreter on a zip laid out like a task's payload, so the
imports are real zip imports; a planted entry (valid stamp, other code) shows when
the cache is what served a module.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import marshal
import os
import subprocess
import sys
import zipfile

from ansible_collections.b2c.trustframework.plugins.module_utils import code_cache, private_file

PACKAGE = "ansible_collections.b2c.trustframework.plugins.module_utils"
SAMPLE = PACKAGE + ".sample"
SAMPLE_SOURCE = b"VALUE = 'compiled from the zip'\n\ndef where():\n    return where.__code__.co_filename\n"
RUN = """
import json, sys
sys.path.insert(0, sys.argv[1])
from ansible_collections.b2c.trustframework.plugins.module_utils.code_cache import cache_compiled_code
cache_compiled_code()
from ansible_collections.b2c.trustframework.plugins.module_utils import sample
print(json.dumps({"value": sample.VALUE, "file": sample.__file__, "where": sample.where(),
                  "loader": type(sample.__loader__).__name__}))
"""


def payload(tmp_path, name="payload.zip", source=SAMPLE_SOURCE):
    """A zip laid out as AnsiballZ lays out a task's module_utils (package inits empty)."""
    path = tmp_path / name
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        parts = PACKAGE.split(".")
        for depth in range(1, len(parts) + 1):
            archive.writestr("/".join(parts[:depth]) + "/__init__.py", b"")
        for module in (code_cache, private_file):
            with open(module.__file__, "rb") as handle:
                archive.writestr(PACKAGE.replace(".", "/") + "/" + os.path.basename(module.__file__), handle.read())
        archive.writestr(PACKAGE.replace(".", "/") + "/sample.py", source)
    return str(path)


def run(tmp_path, zip_path, **env):
    environment = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
    environment["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    environment.update(env)
    completed = subprocess.run(
        [sys.executable, "-c", RUN, zip_path], env=environment, cwd=tmp_path, capture_output=True, text=True, check=True
    )
    return json.loads(completed.stdout)


def cache_folder(tmp_path):
    return tmp_path / "cache" / "b2c.trustframework" / "code" / sys.implementation.cache_tag


def stamp(source):
    return importlib.util.MAGIC_NUMBER + hashlib.sha256(source).digest()


def plant(tmp_path, source=SAMPLE_SOURCE, value="served from the cache"):
    """An entry with the stamp of ``source`` holding other code: whoever runs it was served by the cache."""
    folder = cache_folder(tmp_path)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    code = compile("VALUE = %r\n\ndef where():\n    return where.__code__.co_filename\n" % value, "planted", "exec")
    entry = folder / SAMPLE
    entry.write_bytes(stamp(source) + marshal.dumps(code))
    entry.chmod(0o600)
    return entry


def test_a_module_is_compiled_once_then_served_from_the_private_cache(tmp_path):
    first = run(tmp_path, payload(tmp_path, "first.zip"))
    assert first["value"] == "compiled from the zip"
    entry = cache_folder(tmp_path) / SAMPLE
    assert entry.stat().st_mode & 0o777 == 0o600
    assert cache_folder(tmp_path).stat().st_mode & 0o777 == 0o700
    assert not (cache_folder(tmp_path) / (PACKAGE + ".private_file")).exists(), "the cache's own helpers load first"

    plant(tmp_path)
    second = run(tmp_path, payload(tmp_path, "second.zip"))
    assert second["value"] == "served from the cache"
    assert second["loader"] == "CachedZipLoader"


def test_served_code_names_this_tasks_zip_as_a_fresh_compile_would(tmp_path):
    plant(tmp_path)
    zip_path = payload(tmp_path, "this-task.zip")
    served = run(tmp_path, zip_path)
    assert served["value"] == "served from the cache"
    expected = os.path.join(zip_path, *PACKAGE.split("."), "sample.py")
    assert served["file"] == served["where"] == expected


def test_changed_source_is_compiled_again_and_replaces_the_entry(tmp_path):
    entry = plant(tmp_path)
    changed = SAMPLE_SOURCE.replace(b"compiled from the zip", b"the new release")
    assert run(tmp_path, payload(tmp_path, source=changed))["value"] == "the new release"
    assert entry.read_bytes().startswith(stamp(changed))


def test_a_folder_others_can_write_is_never_read_nor_written(tmp_path):
    entry = plant(tmp_path)
    cache_folder(tmp_path).chmod(0o777)
    planted = entry.read_bytes()
    assert run(tmp_path, payload(tmp_path))["value"] == "compiled from the zip"
    assert entry.read_bytes() == planted


def test_an_entry_others_can_write_or_a_symlink_is_not_trusted(tmp_path):
    entry = plant(tmp_path)
    entry.chmod(0o666)
    assert run(tmp_path, payload(tmp_path, "a.zip"))["value"] == "compiled from the zip"

    elsewhere = plant(tmp_path)
    moved = tmp_path / "elsewhere"
    os.replace(elsewhere, moved)
    os.symlink(moved, entry)
    assert run(tmp_path, payload(tmp_path, "b.zip"))["value"] == "compiled from the zip"


def test_a_damaged_entry_is_compiled_again(tmp_path):
    entry = plant(tmp_path)
    entry.write_bytes(entry.read_bytes()[:-7])
    assert run(tmp_path, payload(tmp_path))["value"] == "compiled from the zip"


def test_pythondontwritebytecode_stops_writing(tmp_path):
    run(tmp_path, payload(tmp_path), PYTHONDONTWRITEBYTECODE="1")
    assert not (cache_folder(tmp_path) / SAMPLE).exists()


def test_outside_a_zip_nothing_changes():
    meta_path = list(sys.meta_path)
    code_cache.cache_compiled_code()
    assert sys.meta_path == meta_path, "files on disk have Python's own byte-code cache"


def test_a_relative_xdg_cache_home_is_ignored_as_the_xdg_specification_says(tmp_path):
    served = run(tmp_path, payload(tmp_path), XDG_CACHE_HOME="relative", HOME=str(tmp_path / "home"))
    assert served["value"] == "compiled from the zip"
    assert not (tmp_path / "relative").exists(), "a cache folder below where the task runs"
    assert (
        tmp_path / "home" / ".cache" / "b2c.trustframework" / "code" / sys.implementation.cache_tag / SAMPLE
    ).exists()
