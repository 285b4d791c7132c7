"""Run one kept AnsiballZ module file and say where its time went: python phase_probe.py OUT.json AnsiballZ_x.py

Runs with the modules' interpreter, so it uses the standard library only. Time is
charged to the innermost phase running (wall and CPU): an import, the TLS set-up,
an HTTP request, Ansible's own argument handling, or else the module itself. An
import is charged to its package, and what a third-party package imports to that
package (httpx pulls in httpcore, h11, anyio ...); the collection's files are
charged one by one. The interpreter's own start-up and exit are what the parent
measures around this script minus the span reported here.
"""

import builtins
import json
import sys
import time

COLLECTION_PREFIX = "ansible_collections.b2c.trustframework."
WRAPPER = "ansiballz"
MODULE = "module"
COLLECTION_IMPORT = "import collection: "
# Packages charged to the one a task asked for: httpx builds its transport (httpcore) on first use.
FAMILIES = {
    "httpcore": "httpx",
    "h11": "httpx",
    "h2": "httpx",
    "anyio": "httpx",
    "sniffio": "httpx",
    "idna": "httpx",
    "jwt": "msal",
    "requests": "msal",
    "urllib3": "msal",
    "charset_normalizer": "msal",
    "cffi": "cryptography",
}
COMPILE = " [compile]"  # suffix: the part of an import spent compiling source from the zip
TLS_CONTEXT, TLS_SYSTEM_STORE, TLS_CA_BUNDLE = "tls: SSL context", "tls: system CA store", "tls: CA bundle"


class Phases:
    """A stack of phases; every switch charges the time since the last switch to the phase on top."""

    def __init__(self):
        self.stack = [WRAPPER]
        self.totals = {}
        self.started_wall = self.last_wall = time.perf_counter()
        self.started_cpu = self.last_cpu = time.process_time()

    def _charge(self):
        wall, cpu = time.perf_counter(), time.process_time()
        entry = self.totals.setdefault(self.stack[-1], {"wall_s": 0.0, "cpu_s": 0.0, "calls": 0})
        entry["wall_s"] += wall - self.last_wall
        entry["cpu_s"] += cpu - self.last_cpu
        self.last_wall, self.last_cpu = wall, cpu

    def enter(self, name):
        self._charge()
        self.stack.append(name)
        self.totals.setdefault(name, {"wall_s": 0.0, "cpu_s": 0.0, "calls": 0})["calls"] += 1

    def leave(self):
        self._charge()
        self.stack.pop()

    def timed(self, name, function):
        def wrapper(*args, **kwargs):
            self.enter(name)
            try:
                return function(*args, **kwargs)
            finally:
                self.leave()

        return wrapper

    def finish(self):
        self._charge()
        return {
            "wall_s": self.last_wall - self.started_wall,
            "cpu_s": self.last_cpu - self.started_cpu,
            "phases": self.totals,
        }


PHASES = Phases()
CA_LOADS = []  # what each load_verify_locations call loaded (file names only)
SYSTEM_STORE_LOADS = []


def import_group(name, parent):
    """The phase an import of `name` is charged to, given the phase that imports it."""
    top = name.split(".")[0]
    if name.startswith(COLLECTION_PREFIX + "plugins.module_utils."):
        return COLLECTION_IMPORT + name.rsplit(".", 1)[-1] + ".py"
    if top == "ansible_collections":
        return COLLECTION_IMPORT + "(package __init__ files)"
    if top == "ansible":
        return "import ansible"
    if parent.startswith("import ") and not parent.startswith(COLLECTION_IMPORT):
        return parent  # what httpx imports is httpx's cost, what ansible imports is ansible's
    if parent == WRAPPER:
        return WRAPPER
    return "import stdlib: " + top if top in sys.stdlib_module_names else "import " + FAMILIES.get(top, top)


def _patch_ssl(ssl):
    context = ssl.SSLContext

    def load_verify_locations(self, cafile=None, capath=None, cadata=None):
        CA_LOADS.append("cadata" if cadata is not None else (cafile or capath or "").rsplit("/", 1)[-1])
        return original_load(self, cafile, capath, cadata)

    def load_default_certs(self, *args, **kwargs):
        SYSTEM_STORE_LOADS.append(1)
        return original_default(self, *args, **kwargs)

    original_load, original_default = context.load_verify_locations, context.load_default_certs
    context.load_verify_locations = PHASES.timed(TLS_CA_BUNDLE, load_verify_locations)
    context.load_default_certs = PHASES.timed(TLS_SYSTEM_STORE, load_default_certs)
    context.set_default_verify_paths = PHASES.timed(TLS_SYSTEM_STORE, context.set_default_verify_paths)
    context.cert_store_stats = PHASES.timed(TLS_CONTEXT, context.cert_store_stats)
    ssl.create_default_context = PHASES.timed(TLS_CONTEXT, ssl.create_default_context)


def _patch_after_import(name, module):
    """Wrap what a phase is made of as soon as its module exists (before anyone took a reference)."""
    if name == "ssl":
        _patch_ssl(module)
    elif name == "httpx":
        module.Client.send = PHASES.timed("request", module.Client.send)
    elif name == "urllib.request":
        module.OpenerDirector.open = PHASES.timed("request", module.OpenerDirector.open)
    elif name == "runpy":  # the AnsiballZ loader runs the module file with runpy.run_module
        module._get_module_details = PHASES.timed("compile module file", module._get_module_details)
        module._run_module_code = PHASES.timed(MODULE, module._run_module_code)
    elif name == "ansible.module_utils.basic":
        module.AnsibleModule.__init__ = PHASES.timed("ansible arguments", module.AnsibleModule.__init__)
        module.AnsibleModule.exit_json = PHASES.timed("ansible exit_json", module.AnsibleModule.exit_json)
        module.AnsibleModule.fail_json = PHASES.timed("ansible exit_json", module.AnsibleModule.fail_json)


def _compile_phase(compile_source):
    """zipimport compiles every module of the zip from source (no byte-code cache in a zip); the collection's
    code cache compiles what it does not hold yet with compile()."""

    def timed_compile(*args, **kwargs):
        if PHASES.stack[-1].endswith(COMPILE):  # zipimport's compile calls compile()
            return compile_source(*args, **kwargs)
        PHASES.enter(PHASES.stack[-1] + COMPILE)
        try:
            return compile_source(*args, **kwargs)
        finally:
            PHASES.leave()

    return timed_compile


def install_import_hook():
    """CPython calls _frozen_importlib._find_and_load by name for every module not imported yet."""
    # zipimport is frozen: loaded with the interpreter, importing it here costs nothing.
    import zipimport  # pylint: disable=import-outside-toplevel

    zipimport._compile_source = _compile_phase(zipimport._compile_source)
    builtins.compile = _compile_phase(builtins.compile)
    bootstrap = sys.modules["_frozen_importlib"]
    find_and_load = bootstrap._find_and_load

    def timed_find_and_load(name, import_):
        PHASES.enter(import_group(name, PHASES.stack[-1]))
        try:
            module = find_and_load(name, import_)
        finally:
            PHASES.leave()
        _patch_after_import(name, module)
        return module

    bootstrap._find_and_load = timed_find_and_load


def main():
    out_path, module_path = sys.argv[1], sys.argv[2]
    del sys.path[0]  # this script's folder is not the module's business
    for name in ("ssl", "urllib.request", "runpy"):
        if name in sys.modules:  # imported by site already: too late to be charged, not too late to wrap
            _patch_after_import(name, sys.modules[name])
    install_import_hook()
    sys.argv = [module_path]  # as `python AnsiballZ_x.py` (no debug sub-command)
    exit_code = 0
    try:
        with open(module_path, "rb") as handle:
            wrapper = compile(handle.read(), module_path, "exec")
        exec(wrapper, {"__name__": "__main__", "__file__": module_path})  # pylint: disable=exec-used
    except SystemExit as exc:
        exit_code = exc.code or 0
    figures = PHASES.finish()
    figures.update(ca_loads=CA_LOADS, system_store_loads=len(SYSTEM_STORE_LOADS), exit_code=exit_code)
    with open(out_path, "w", encoding="utf-8") as handle:
        json.dump(figures, handle)
    sys.exit(exit_code)


if __name__ == "__main__":
    main()
