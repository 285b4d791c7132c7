# -*- coding: utf-8 -*-
# Copyright: b2c.trustframework contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's module_utils, compiled once per user instead of on every task.

A task runs its module from the AnsiballZ zip Ansible sends, and Python compiles
every module it imports from a zip anew (zipimport keeps no byte-code), which was
a tenth of a converged task's CPU. With :func:`cache_compiled_code` called first,
each of this folder's modules is compiled once and kept, marshalled, in a private
per-user folder (``$XDG_CACHE_HOME/b2c.trustframework/code/<Python>/``). An entry
is used only when it was compiled by this interpreter from these very bytes
(their SHA-256 is in it) and when the folder and the file pass the token cache's
trust rule; anything else is compiled from the zip as before.
PYTHONDONTWRITEBYTECODE stops writing, as it does for Python's own caches.
"""

from __future__ import annotations

import _imp
import hashlib
import importlib.util
import marshal
import os
import sys
import zipimport

from ansible_collections.b2c.trustframework.plugins.module_utils.private_file import (
    private_dir,
    read_private,
    replace_private,
    user_cache_dir,
)

PACKAGE = __name__.rpartition(".")[0]
ENTRY_LIMIT = 4 * 1024 * 1024  # bytes; a module of this folder compiles to a few dozen KiB


def cache_compiled_code():
    """Serve this folder's modules from the code cache, when this task runs them from a zip.

    Call it before importing them; elsewhere (tests, the controller) files have
    Python's own byte-code cache and nothing changes.
    """
    if not isinstance(__spec__.loader, zipimport.zipimporter) or not hasattr(_imp, "_fix_co_filename") or _installed():
        return
    folder = os.path.join(user_cache_dir(), "code", sys.implementation.cache_tag or "unknown")
    if not os.path.isabs(folder):  # no home folder to expand ~ in: never a folder relative to where the task runs
        return
    try:
        if private_dir(folder):
            return
    except OSError:
        return
    sys.meta_path.insert(0, CachedZipFinder(folder))


def _installed():
    return any(isinstance(finder, CachedZipFinder) for finder in sys.meta_path)


class CachedZipFinder:
    """Finds this folder's modules in the task's zip and hands each to a :class:`CachedZipLoader`.

    It builds the module's spec itself: zipimport's own finder compiles the
    module just to tell its file name (``zipimporter.get_filename``), and would
    compile it a second time to run it (https://github.com/python/cpython/issues/141276).
    """

    def __init__(self, folder, package=PACKAGE):
        self.folder = folder
        self.prefix = package + "."
        self.zip_loaders = {}  # one per folder of the zip, as Python keeps one per sys.path entry

    def find_spec(self, fullname, path=None, target=None):
        if not fullname.startswith(self.prefix) or not path:
            return None
        origin = os.path.join(path[0], fullname.rpartition(".")[2] + ".py")
        try:
            zip_loader = self.zip_loaders.get(path[0])
            if zip_loader is None:
                zip_loader = self.zip_loaders[path[0]] = zipimport.zipimporter(path[0])
            source = zip_loader.get_data(origin)
        except (OSError, zipimport.ZipImportError):
            return None  # not a module of the zip: Python's own finders decide
        loader = CachedZipLoader(zip_loader, source, os.path.join(self.folder, fullname))
        return importlib.util.spec_from_file_location(fullname, origin, loader=loader, submodule_search_locations=None)


class CachedZipLoader:
    """Runs a module from its cached code, compiling (and caching) its source when there is none."""

    def __init__(self, zip_loader, source, entry_path):
        self.zip_loader = zip_loader
        self.source = source
        self.entry_path = entry_path

    def __getattr__(self, name):  # get_source (tracebacks), get_data, is_package: the zip's own answers
        return getattr(self.zip_loader, name)

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        exec(self.code(module.__spec__.origin), module.__dict__)  # pylint: disable=exec-used

    def code(self, origin):
        stamp = importlib.util.MAGIC_NUMBER + hashlib.sha256(self.source).digest()
        code = self._cached(stamp)
        if code is None:
            code = compile(self.source, origin, "exec", dont_inherit=True)
            self._store(stamp, code)
        else:
            _imp._fix_co_filename(code, origin)  # this task's zip path, as importlib does for a .pyc
        return code

    def _cached(self, stamp):
        try:
            entry = read_private(self.entry_path, ENTRY_LIMIT)
        except OSError:
            return None
        if entry is None or not entry.startswith(stamp):
            return None
        try:
            return marshal.loads(entry[len(stamp) :])
        except (EOFError, ValueError, TypeError):
            return None

    def _store(self, stamp, code):
        if sys.dont_write_bytecode:
            return
        try:
            replace_private(self.entry_path, stamp + marshal.dumps(code))
        except OSError:
            pass  # a full disk or a read-only home: the next task compiles again
