"""Where one task's time goes: the converged key task next to the uri task, phase by phase.

Each case's play is run once with ANSIBLE_KEEP_REMOTE_FILES=1, which leaves the
AnsiballZ file Ansible ran (module, arguments and module_utils in one script).
That file is then run again and again by phase_probe.py, in the case's
environment and with the modules' interpreter, exactly as Ansible runs it
(``python AnsiballZ_x.py``), cases interleaved. The probe charges every moment
to one phase; the interpreter's start-up and exit are the process's wall (and
CPU) minus the span the probe saw.
"""

import glob
import json
import os
import resource
import statistics
import subprocess
import time

from bench.runner import PlaybookFailed

PROBE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "phase_probe.py")
STARTUP = "interpreter start-up and exit"
COLLECTION_IMPORT = "import collection: "
STDLIB_IMPORT = "import stdlib: "
COMPILE = " [compile]"  # phase_probe.py: the compile part of an import from the zip
# Phases in the order a task meets them, with what each one is (phase_probe.py names them).
PHASE_LABELS = {
    STARTUP: "python starts (site, encodings) and exits",
    "ansiballz": "AnsiballZ wrapper: payload decoded, written as a zip, removed at the end",
    "import ansible": "ansible's module_utils, compiled from the zip on every task",
    "import httpx": "httpx and what it pulls in (httpcore, h11, anyio, idna)",
    "import msal": "msal (a login only)",
    "import cryptography": "cryptography (certificate or PKCS#12 input only)",
    COLLECTION_IMPORT: "the collection's module_utils, from its code cache (code_cache.py and private_file.py, which "
    "load it, compiled from the zip)",
    STDLIB_IMPORT: "standard library modules the module's code imports itself (ansible's are in its row)",
    "compile module file": "the module file, compiled from the zip",
    "ansible arguments": "AnsibleModule(): argument spec, parameters, no_log values",
    "tls: SSL context": "ssl.create_default_context() and the store checks",
    "tls: system CA store": "the system CA store loaded (load_default_certs)",
    "tls: CA bundle": "ca_path loaded (load_verify_locations)",
    "request": "HTTP requests (connect, TLS handshake, emulator latency, response)",
    "ansible exit_json": "result JSON written by exit_json",
    "module": "the module's own logic (everything not listed above)",
}
# What the floor leaves out beyond uri's figure for the same phase (the collection's imports: all of them).
OWN_PHASES = (
    "tls: SSL context",
    "tls: system CA store",
    "tls: CA bundle",
    "module",
    "compile module file",
    "module [compile]",
    "compile module file [compile]",
)
CASES = ("uri", "key_warm")


def keep_module_file(runner, case):
    """Run the case's one-task play with ANSIBLE_KEEP_REMOTE_FILES=1; return the AnsiballZ file it left."""
    kept_dir = os.path.join(runner.work_dir, "kept", case.key)
    os.makedirs(kept_dir, exist_ok=True)
    runner.run(case, 1, ANSIBLE_KEEP_REMOTE_FILES="1", ANSIBLE_REMOTE_TMP=kept_dir)
    found = sorted(glob.glob(os.path.join(kept_dir, "*", "AnsiballZ_*.py")), key=os.path.getmtime)
    if not found:
        raise PlaybookFailed(f"{case.key}: no AnsiballZ file kept in {kept_dir}")
    return found[-1]


def _children_usage():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def probe_once(runner, case, module_file, out_path):
    """One probed module run: the probe's figures plus the process's wall, CPU and the requests it made."""
    runner.emulator.clear_requests()
    cpu_before = _children_usage()
    started = time.perf_counter()
    completed = subprocess.run(
        [runner.module_python, PROBE, out_path, module_file],
        env=runner.environment(case),
        cwd=os.path.dirname(module_file),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    wall, cpu = time.perf_counter() - started, _children_usage() - cpu_before
    result = json.loads(completed.stdout or "{}") if completed.stdout.strip().startswith("{") else {}
    if completed.returncode != 0 or result.get("failed") or result.get("changed"):
        raise PlaybookFailed(
            f"{case.key}: probed module run failed or changed (rc={completed.returncode}): "
            f"{result.get('msg') or completed.stderr[-500:]}"
        )
    with open(out_path, encoding="utf-8") as handle:
        figures = json.load(handle)
    figures["process_wall_s"], figures["process_cpu_s"] = wall, cpu
    figures["graph_requests"] = sum(1 for entry in runner.emulator.requests() if entry["kind"] == "graph")
    return figures


def _summary(values):
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values)}


def summarize_probes(probes):
    """Per phase: the median wall and CPU over the runs (a phase missing from a run counts 0)."""
    names = []
    for probe in probes:
        names += [name for name in probe["phases"] if name not in names]
    phases = {
        STARTUP: {
            "wall_s": _summary([p["process_wall_s"] - p["wall_s"] for p in probes]),
            "cpu_s": _summary([p["process_cpu_s"] - p["cpu_s"] for p in probes]),
            "calls": 1,
        }
    }
    for name in names:
        entries = [probe["phases"].get(name, {"wall_s": 0.0, "cpu_s": 0.0, "calls": 0}) for probe in probes]
        phases[name] = {
            "wall_s": _summary([e["wall_s"] for e in entries]),
            "cpu_s": _summary([e["cpu_s"] for e in entries]),
            "calls": statistics.median(e["calls"] for e in entries),
        }
    last = probes[-1]
    return {
        "runs": len(probes),
        "process_wall_s": _summary([p["process_wall_s"] for p in probes]),
        "process_cpu_s": _summary([p["process_cpu_s"] for p in probes]),
        "graph_requests": _summary([p["graph_requests"] for p in probes]),
        "ca_loads": last["ca_loads"],
        "system_store_loads": last["system_store_loads"],
        "phases": phases,
    }


def _median(phases, name, field):
    return phases[name][field]["median"] if name in phases else 0.0


def breakdown_rows(breakdown):
    """Rows for the report: (phase, what it is, {case key: (wall_s, cpu_s, calls)}), in PHASE_LABELS order.

    The collection's imports and the standard library's are a row each followed by a row per file or
    module; other packages' imports follow the collection's files."""
    keys = list(breakdown)
    names = []
    for key in keys:
        names += [name for name in breakdown[key]["phases"] if name not in names and not name.endswith(COMPILE)]

    def row(name, label, members, compile_only=False):
        members = [m + COMPILE for m in members] if compile_only else members + [m + COMPILE for m in members]
        figures = {
            key: (
                sum(_median(breakdown[key]["phases"], m, "wall_s") for m in members),
                sum(_median(breakdown[key]["phases"], m, "cpu_s") for m in members),
                sum(breakdown[key]["phases"].get(m, {}).get("calls", 0) for m in members),
            )
            for key in keys
        }
        return name, label, figures

    rows = []
    grouped = [name for name in names if name.startswith((COLLECTION_IMPORT, STDLIB_IMPORT))]
    others = [name for name in names if name not in PHASE_LABELS and name not in grouped]
    for name, label in PHASE_LABELS.items():
        if name in (COLLECTION_IMPORT, STDLIB_IMPORT):
            members = sorted(member for member in grouped if member.startswith(name))
            rows.append(row(name.rstrip(": ") + " (all)", label, members))
            if name == COLLECTION_IMPORT:
                rows.append(row("  of which compiling", "compile() of their source", members, compile_only=True))
            rows += [row("  " + member[len(name) :], "", [member]) for member in members]
            if name == COLLECTION_IMPORT:
                rows += [row(other, "", [other]) for other in others]
        elif name in names:
            rows.append(row(name, label, [name]))
            if name == "import ansible":
                rows.append(row("  of which compiling", "compile() of their source", [name], compile_only=True))
    return rows


def floor(breakdown, key="key_warm", reference="uri"):
    """CPU of the key task without the collection's imports, and without what its code costs beyond the
    reference's (standard library imports, TLS set-up, module file, logic): what is left is Python, Ansible
    and httpx. Returns (floor CPU s, ratio to the reference)."""
    if key not in breakdown or reference not in breakdown:
        return None, None
    mine, theirs = breakdown[key]["phases"], breakdown[reference]["phases"]
    own = sum(phase["cpu_s"]["median"] for name, phase in mine.items() if name.startswith(COLLECTION_IMPORT))
    beyond = [name for name in mine if name in OWN_PHASES or name.startswith(STDLIB_IMPORT)]
    own += sum(max(0.0, _median(mine, name, "cpu_s") - _median(theirs, name, "cpu_s")) for name in beyond)
    floor_cpu = breakdown[key]["process_cpu_s"]["median"] - own
    return floor_cpu, floor_cpu / breakdown[reference]["process_cpu_s"]["median"]


def measure_phases(runner, cases, runs, log=print):
    """{case key: summary} for the uri task and the converged key task, runs interleaved; {} when either is missing."""
    chosen = [case for case in cases if case.key in CASES]
    if len(chosen) < len(CASES):
        return {}
    module_files = {case.key: keep_module_file(runner, case) for case in chosen}
    log(f"phase breakdown: {runs} probed runs of each of {', '.join(module_files)}")
    probes = {case.key: [] for case in chosen}
    out_dir = os.path.join(runner.work_dir, "kept")
    for run in range(runs + 1):
        for case in chosen:
            figures = probe_once(runner, case, module_files[case.key], os.path.join(out_dir, f"probe-{case.key}.json"))
            if run:  # the first round only warms the caches
                probes[case.key].append(figures)
    return {key: dict(summarize_probes(values), module_file=module_files[key]) for key, values in probes.items()}
