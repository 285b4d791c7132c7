"""Cold import time of the collection's shared module code, in fresh interpreters.

Every Ansible task starts a new Python process that imports the module_utils
again, so this cost is paid once per task, not once per play.
"""

import os
import re
import resource
import statistics
import subprocess
import sys
import time

from bench import COLLECTIONS_PATH, REPO_ROOT

PYTHON = sys.executable
MODULE_UTILS_PACKAGE = "ansible_collections.b2c.trustframework.plugins.module_utils"
# module.py builds the client every module uses: every task imports it.
MODULE_TO_MEASURE = "module"
IMPORTTIME_LINE = re.compile(r"^import time:\s+(\d+)\s+\|\s+(\d+)\s+\|(\s*)(\S+)$")


def module_to_measure():
    """The dotted name of the module to import, or None when the collection no longer has it."""
    if os.path.exists(os.path.join(REPO_ROOT, "plugins", "module_utils", MODULE_TO_MEASURE + ".py")):
        return f"{MODULE_UTILS_PACKAGE}.{MODULE_TO_MEASURE}"
    return None


def _import_env():
    env = dict(os.environ, PYTHONPATH=COLLECTIONS_PATH)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # byte-code caches exist in a real install too
    return env


def _time_interpreter(code, env):
    """(wall, CPU) seconds of one fresh interpreter running `code`."""
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([PYTHON, "-c", code], env=env, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    return wall, cpu


def cold_import_seconds(module, runs):
    """Median wall of `python -c "import module"` minus that of a bare `python -c pass`, both interleaved.

    The CPU-time difference is kept too: it barely moves when other work
    shares the machine, so it tells a loaded machine from a slow import.
    """
    env = _import_env()
    _time_interpreter(f"import {module}", env)  # writes the byte-code caches; not counted
    bare, loaded = [], []
    for _run in range(runs):
        bare.append(_time_interpreter("pass", env))
        loaded.append(_time_interpreter(f"import {module}", env))
    bare_wall, bare_cpu = (statistics.median(values) for values in zip(*bare))
    loaded_wall, loaded_cpu = (statistics.median(values) for values in zip(*loaded))
    return {
        "module": module,
        "runs": runs,
        "bare_interpreter_s": bare_wall,
        "with_import_s": loaded_wall,
        "import_s": loaded_wall - bare_wall,
        "import_cpu_s": loaded_cpu - bare_cpu,
    }


def _importtime_tree(module):
    """The import tree of `module` from `python -X importtime`: nodes {name, self_us, cumulative_us, children}.

    importtime prints children before their parent, one indent level deeper,
    so each line adopts the lines of the level below printed since.
    """
    completed = subprocess.run(
        [PYTHON, "-X", "importtime", "-c", f"import {module}"],
        env=_import_env(),
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    waiting = {}  # depth -> nodes not yet adopted by a parent
    for line in completed.stderr.splitlines():
        match = IMPORTTIME_LINE.match(line)
        if not match:
            continue
        self_us, cumulative_us, indent, name = match.groups()
        depth = (len(indent) - 1) // 2
        node = {
            "name": name,
            "self_us": int(self_us),
            "cumulative_us": int(cumulative_us),
            "children": waiting.pop(depth + 1, []),
        }
        if depth == 0 and name == module:
            return node
        waiting.setdefault(depth, []).append(node)
    raise RuntimeError(f"python -X importtime did not report {module}")


def _walk(node, depth=0):
    yield depth, node
    for child in node["children"]:
        yield from _walk(child, depth + 1)


def import_costs_by_package(tree, limit=12):
    """Self time summed per top-level package: these add up (cumulative times overlap)."""
    by_package = {}
    for _depth, node in _walk(tree):
        root = node["name"].split(".")[0]
        if node["name"].startswith(MODULE_UTILS_PACKAGE):
            root = "b2c.trustframework module_utils"
        by_package[root] = by_package.get(root, 0) + node["self_us"]
    ranked = sorted(by_package.items(), key=lambda item: item[1], reverse=True)[:limit]
    return [{"package": name, "self_ms": round(us / 1000, 1)} for name, us in ranked]


def heavy_import_chain(tree, min_ms=5.0, max_depth=4):
    """The branches of the import tree that cost at least `min_ms` (cumulative): who pulls in what."""
    return [
        {"depth": depth, "name": node["name"], "cumulative_ms": round(node["cumulative_us"] / 1000, 1)}
        for depth, node in _walk(tree)
        if depth <= max_depth and node["cumulative_us"] >= min_ms * 1000
    ]


def measure_imports(runs, log=print):
    """Cold import time and where it goes, or None when there is nothing to measure."""
    module = module_to_measure()
    if module is None:
        return None
    log(f"import time of {module} ({runs} fresh interpreters)")
    figures = cold_import_seconds(module, runs)
    tree = _importtime_tree(module)
    figures.update(by_package=import_costs_by_package(tree), heavy_chain=heavy_import_chain(tree))
    return figures
