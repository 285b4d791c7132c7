"""python -m bench [--latency-ms 50] [--repeat 5] [--tasks 20] [--tenants 10] [--keysets 3] [--out DIR]"""

import argparse
import datetime
import os
import platform
import shlex
import shutil
import sys
import time

from bench import COLLECTIONS_PATH, REPO_ROOT, figures, imports, phases, report
from bench.runner import CaseRunner, PlaybookFailed, running_emulator, runtime_python
from bench.scenarios import all_cases

DEFAULT_OUT_DIR = os.path.join(REPO_ROOT, "bench", "out")


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="python -m bench", description="The b2c.trustframework benchmark against the local emulator."
    )
    parser.add_argument("--latency-ms", type=int, default=50, help="emulator latency per request (default 50)")
    parser.add_argument("--repeat", type=int, default=5, help="timed repetitions per case (default 5)")
    parser.add_argument("--tasks", type=int, default=20, help="tasks per play, N (default 20)")
    parser.add_argument("--tenants", type=int, default=10, help="scale-out tenant hosts, M >= 2 (default 10)")
    parser.add_argument("--keysets", type=int, default=3, help="keysets per tenant host, K (default 3)")
    parser.add_argument("--import-runs", type=int, default=10, help="fresh interpreters for the import time")
    parser.add_argument(
        "--trust",
        choices=("system", "ca-path"),
        default="system",
        help="how tasks trust the emulator: its CA added to the system bundle (SSL_CERT_FILE), as "
        "Graph's CA is in the system store; or ca_path / B2C_CA_PATH (default system)",
    )
    parser.add_argument(
        "--phase-runs",
        type=int,
        default=10,
        help="probed runs of the uri and converged key tasks for the phase breakdown (default 10)",
    )
    parser.add_argument(
        "--module-python", help="interpreter for the modules (default: a venv with only requirements.txt)"
    )
    parser.add_argument("--cases", help="comma-separated subset of case keys, e.g. ping,uri (default: all)")
    parser.add_argument(
        "--out", default=DEFAULT_OUT_DIR, help="where the results and the work/ folder go (default bench/out)"
    )
    args = parser.parse_args(argv)
    if (
        args.tenants < 2
        or args.tasks < 1
        or args.repeat < 1
        or args.keysets < 1
        or args.import_runs < 1
        or args.phase_runs < 1
    ):
        parser.error("need --tenants >= 2 and --tasks, --repeat, --keysets, --import-runs, --phase-runs >= 1")
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
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "ansible_core": ansible_core_version,
        "latency_ms": args.latency_ms,
        "trust": args.trust,
        "repeat": args.repeat,
        "tasks": args.tasks,
        "tenants": args.tenants,
        "keysets_per_tenant": args.keysets,
        "total_s": total_s,
        # Other work on the machine inflates wall times (not CPU times): the 1-minute load says how much there was.
        "load_average_1min": {"start": load_before, "end": os.getloadavg()[0]},
    }


def log(line):
    print(line, flush=True)


def run_cases(args, cases, work_dir):
    """Everything that needs the emulator; it is stopped whatever happens in here."""
    shutil.rmtree(work_dir, ignore_errors=True)
    os.makedirs(work_dir)
    with running_emulator(os.path.join(work_dir, "emulator"), args.latency_ms) as emulator:
        log(f"emulator at {emulator.url}, {args.latency_ms} ms latency per request")
        runner = CaseRunner(
            emulator, work_dir, args.keysets, args.module_python or runtime_python(), log=log, trust=args.trust
        )
        runner.prepare(cases)
        outcomes = runner.measure(cases, args.tasks, args.repeat)
        return outcomes, phases.measure_phases(runner, cases, args.phase_runs, log=log)


def main(argv=None):
    """Run the benchmark and write its results; returns the results document."""
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    if not os.path.isdir(os.path.join(COLLECTIONS_PATH, "ansible_collections", "b2c", "trustframework")):
        sys.exit("the collection is not linked: run `make link` (or `make bench`) first")
    started = time.perf_counter()
    load_before = os.getloadavg()[0]
    cases = select_cases(all_cases(args.tenants), args.cases)
    try:
        outcomes, breakdown = run_cases(args, cases, os.path.join(args.out, "work"))
    except PlaybookFailed as exc:
        sys.exit(f"benchmark preparation failed: {exc}")
    import_figures = imports.measure_imports(args.import_runs, log=log)
    case_figures, targets, startup_s = figures.summarize_run(cases, outcomes, f"scale_{args.tenants}", import_figures)
    floor_cpu_s, floor_ratio = phases.floor(breakdown)
    document = {
        "setup": dict(setup_facts(args, argv, time.perf_counter() - started, load_before), ansible_startup_s=startup_s),
        "cases": case_figures,
        "targets": targets,
        "imports": import_figures,
        "phases": {
            "runs": args.phase_runs,
            "cases": breakdown,
            "floor_cpu_s": floor_cpu_s,
            "floor_cpu_ratio_to_uri": floor_ratio,
        },
    }
    report.write_all(args.out, document)
    with open(os.path.join(args.out, "results.md"), encoding="utf-8") as handle:
        log("\n" + handle.read())
    log(f"written: {args.out}/results.json, results.md, chart.png")
    return document


if __name__ == "__main__":
    main()
