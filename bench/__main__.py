"""python -m bench [--latency-ms 50] [--repeat 5] [--tasks 20] [--tenants 10] [--keysets 3]"""

import argparse
import datetime
import os
import platform
import shlex
import shutil
import sys
import time

from bench import imports, report, results
from bench.ansible_run import PlaybookFailed
from bench.cases import all_cases
from bench.emulator import running_emulator
from bench.measure import CaseRunner, measure
from bench.paths import COLLECTIONS_PATH, OUT_DIR, WORK_DIR
from bench.runtime import runtime_python


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m bench", description="The b2c.trustframework benchmark against the local emulator.")
    parser.add_argument("--latency-ms", type=int, default=50, help="emulator latency per request (default 50)")
    parser.add_argument("--repeat", type=int, default=5, help="timed repetitions per case (default 5)")
    parser.add_argument("--tasks", type=int, default=20, help="tasks per play, N (default 20)")
    parser.add_argument("--tenants", type=int, default=10, help="scale-out tenant hosts, M >= 2 (default 10)")
    parser.add_argument("--keysets", type=int, default=3, help="keysets per tenant host, K (default 3)")
    parser.add_argument("--import-runs", type=int, default=10, help="fresh interpreters for the import time")
    parser.add_argument("--module-python", help="interpreter for the modules (default: a venv with only requirements.txt)")
    parser.add_argument("--cases", help="comma-separated subset of case keys, e.g. ping,uri (default: all)")
    args = parser.parse_args(argv)
    if args.tenants < 2 or args.tasks < 1 or args.repeat < 1 or args.keysets < 1:
        parser.error("need --tenants >= 2 and --tasks, --repeat, --keysets >= 1")
    return args


def select_cases(cases, wanted):
    if not wanted:
        return cases
    keys = wanted.split(",")
    unknown = set(keys) - {case.key for case in cases}
    if unknown:
        sys.exit(f"unknown case(s) {', '.join(sorted(unknown))}; known: {', '.join(case.key for case in cases)}")
    return [case for case in cases if case.key in keys]


def setup_facts(args, argv, total_s, load_before):
    from ansible.release import __version__ as ansible_core_version

    return {
        "command": " ".join(["python -m bench", *map(shlex.quote, argv)]),
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "cpus": os.cpu_count(), "python": platform.python_version(), "ansible_core": ansible_core_version,
        "latency_ms": args.latency_ms, "repeat": args.repeat, "tasks": args.tasks,
        "tenants": args.tenants, "keysets_per_tenant": args.keysets, "total_s": total_s,
        # Other work on the machine inflates wall times (not CPU times): the 1-minute load says how much there was.
        "load_average_1min": {"start": load_before, "end": os.getloadavg()[0]},
    }


def run_cases(args, cases):
    """Everything that needs the emulator; it is stopped whatever happens in here."""
    shutil.rmtree(WORK_DIR, ignore_errors=True)
    os.makedirs(WORK_DIR)
    with running_emulator(os.path.join(WORK_DIR, "emulator"), args.latency_ms) as emulator:
        print(f"emulator at {emulator.url}, {args.latency_ms} ms latency per request", flush=True)
        runner = CaseRunner(emulator, WORK_DIR, args.keysets, args.module_python or runtime_python(),
                            log=lambda line: print(line, flush=True))
        runner.prepare(cases)
        return measure(runner, cases, args.tasks, args.repeat, log=lambda line: print(line, flush=True))


def measure_imports(runs):
    module = imports.module_to_measure()
    if module is None:
        return None
    print(f"import time of {module} ({runs} fresh interpreters)", flush=True)
    figures = imports.cold_import_seconds(module, runs)
    figures.update(imports.import_breakdown(module))
    return figures


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    if not os.path.isdir(os.path.join(COLLECTIONS_PATH, "ansible_collections", "b2c", "trustframework")):
        sys.exit("the collection is not linked: run `make link` (or `make bench`) first")
    started = time.perf_counter()
    load_before = os.getloadavg()[0]
    cases = select_cases(all_cases(args.tenants), args.cases)
    try:
        outcomes = run_cases(args, cases)
    except PlaybookFailed as exc:
        sys.exit(f"benchmark preparation failed: {exc}")
    import_figures = measure_imports(args.import_runs)

    figures_by_key = {case.key: results.summarize_case(case, outcomes[case.key]) for case in cases}
    results.add_ratios(figures_by_key)
    startup_s = results.estimate_startup(figures_by_key)
    results.add_net_of_startup(figures_by_key, startup_s)
    document = {
        "setup": dict(setup_facts(args, argv, time.perf_counter() - started, load_before), ansible_startup_s=startup_s),
        "cases": list(figures_by_key.values()),
        "targets": results.evaluate_targets(figures_by_key, f"scale_{args.tenants}", import_figures),
        "imports": import_figures,
    }
    report.write_all(OUT_DIR, document)
    with open(os.path.join(OUT_DIR, "results.md"), encoding="utf-8") as handle:
        print("\n" + handle.read())
    print(f"written: {OUT_DIR}/results.json, results.md, chart.png")


if __name__ == "__main__":
    main()
