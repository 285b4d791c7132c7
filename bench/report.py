"""Write bench/out/results.json, results.md and chart.png."""

import json
import os
import textwrap

import matplotlib

from bench import phases
from bench.figures import KEY_TO_URI_LIMIT

matplotlib.use("Agg")  # files only; no display on build machines
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)

TRUST_TEXT = {
    "system": "the emulator's CA in the system bundle (SSL_CERT_FILE), no ca_path, as against Graph",
    "ca-path": "ca_path (uri trusts only that CA; the modules add it to the system store)",
}


def write_json(path, document):
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(document, handle, indent=2, default=str)
        handle.write("\n")


def _ms(seconds):
    return "–" if seconds is None else f"{seconds * 1000:.0f}"


def _ratio(value):
    return "–" if value is None else f"{value:.2f}×"


def _count(summary, digits=1):
    if not summary:
        return "–"
    if summary["min"] == summary["max"]:
        return f"{summary['median']:.{digits}f}".rstrip("0").rstrip(".")
    return f"{summary['median']:.{digits}f} ({summary['min']:g}–{summary['max']:g})"


def case_rows(cases):
    header = (
        "| case | task runs / play | wall per task, ms: median (min–max) | slope per task, ms "
        "| net of start-up per task, ms | CPU per task, ms | × uri | × ping | Graph req / task "
        "| token req / run | discovery req / run |\n"
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    )
    rows = [header]
    for case in cases:
        if "wall_per_task_s" not in case:
            rows.append(f"| {case['label']} | – | failed: {case['error'] or 'no data'} | | | | | | | | |")
            continue
        wall = case["wall_per_task_s"]
        rows.append(
            f"| {case['label']} | {case['task_runs_per_play']} "
            f"| {_ms(wall['median'])} ({_ms(wall['min'])}–{_ms(wall['max'])}) "
            f"| {_ms(case.get('slope_per_task_s'))} | {_ms(case.get('net_per_task_s'))} "
            f"| {_ms(case['cpu_per_task_s']['median'])} "
            f"| {_ratio(case.get('wall_ratio_to_uri'))} "
            f"| {_ratio(case.get('wall_ratio_to_ping'))} | {_count(case['graph_requests_per_task'], 2)} "
            f"| {_count(case['token_requests_per_run'])} | {_count(case['discovery_requests_per_run'])} |"
        )
    return "\n".join(rows)


def _measured_text(target):
    value = target["measured"]
    if value is None:
        return "not measured"
    if "import" in target["target"]:
        return f"{value * 1000:.0f} ms"
    if "×" in target["limit"]:
        return f"{value:.2f}×"
    return f"{value:g}"


def target_rows(targets):
    rows = ["| target | limit | measured | status | note |", "|---|---|---:|---|---|"]
    for target in targets:
        if target["met"] is None:
            status = "not measured"
        else:
            status = "met" if target["met"] else "**missed**"
            if target.get("of_limit") is not None:
                status += f" ({target['of_limit']:.0%} of limit)"
        rows.append(
            f"| {target['target']} | {target['limit']} | {_measured_text(target)} | {status} | {target['detail']} |"
        )
    return "\n".join(rows)


def import_rows(imports):
    if not imports:
        return "Import time not measured."
    lines = [
        f"Cold import of `{imports['module']}`: **{imports['import_s'] * 1000:.0f} ms** "
        f"(median of {imports['runs']} fresh interpreters, {imports['with_import_s'] * 1000:.0f} ms, minus a bare "
        f"interpreter, {imports['bare_interpreter_s'] * 1000:.0f} ms); CPU time {imports['import_cpu_s'] * 1000:.0f} ms.",
        "",
        "Where it goes (`python -X importtime`, self time per top-level package):",
        "",
        "| package | self time, ms |",
        "|---|---:|",
    ]
    lines += [f"| {item['package']} | {item['self_ms']:.1f} |" for item in imports.get("by_package", [])]
    lines += ["", "Who imports what (cumulative ms, branches of 5 ms or more):", "", "```"]
    lines += [
        f"{'  ' * item['depth']}{item['name']}  {item['cumulative_ms']:.1f}" for item in imports.get("heavy_chain", [])
    ]
    lines.append("```")
    return "\n".join(lines)


def site_rows(cases):
    """The Graph requests of one converged site.yml run, by method and path kind, against the policy goal."""
    site_case = next((case for case in cases if "site" in case), None)
    if site_case is None:
        return "Not measured (the site case was not run)."
    site = site_case["site"]
    lines = [
        f"`playbooks/site.yml` on a converged tenant: the `policy_keys` role (the starter pack's keysets), then "
        f"`deploy_policies.yml` over {site['policies']} policies (the sample set plus one relying party rendered "
        "from it, bench/scenarios.py). Goal for the policy part: one list and one GET of each policy's XML, "
        f"{site['goal_per_run']} requests, no PUT; the keys part reads the keysets. Per policy: "
        f"**{_ms(site_case['wall_per_task_s']['median'])} ms** wall, "
        f"{_ratio(site_case.get('wall_ratio_to_uri'))} the uri task's wall per task.",
        "",
        "| Graph request (method, path kind) | per run |",
        "|---|---:|",
    ]
    lines += [f"| `{kind}` | {_count(summary)} |" for kind, summary in site["graph_requests_by_call"].items()]
    lines += [
        f"| **policy requests** (goal {site['goal_per_run']}) | **{_count(site['policy_requests_per_run'])}** |",
        f"| **keyset requests** | **{_count(site['keyset_requests_per_run'])}** |",
        f"| **all Graph requests** | **{_count(site['graph_requests_per_run'])}** |",
    ]
    return "\n".join(lines)


def _phase_cells(figures):
    wall, cpu, _calls = figures
    return f"{wall * 1000:.1f} | {cpu * 1000:.1f}"


def phase_rows(breakdown_document):
    """The phase table of the uri and converged key tasks, the CA loads and the floor httpx leaves."""
    breakdown = (breakdown_document or {}).get("cases")
    if not breakdown:
        return "Phase breakdown not measured (it needs the uri and key_warm cases)."
    keys = list(breakdown)
    lines = [
        f"One task's module process, phase by phase: the AnsiballZ file each case's play left "
        f"(ANSIBLE_KEEP_REMOTE_FILES=1) run {breakdown_document['runs']} times by `bench/phase_probe.py`, "
        "cases interleaved, as Ansible runs it; medians in ms. Every moment is charged to the innermost phase "
        "running; an import to its package (what a package imports is its own cost).",
        "",
        "| phase | what it is | " + " | ".join(f"{key} wall | {key} CPU" for key in keys) + " |",
        "|---|---|" + "---:|---:|" * len(keys),
    ]
    for name, label, figures in phases.breakdown_rows(breakdown):
        lines.append(f"| {name} | {label} | " + " | ".join(_phase_cells(figures[key]) for key in keys) + " |")
    totals = [(breakdown[key]["process_wall_s"]["median"], breakdown[key]["process_cpu_s"]["median"]) for key in keys]
    lines.append(
        "| **whole process** | | "
        + " | ".join(f"**{wall * 1000:.1f}** | **{cpu * 1000:.1f}**" for wall, cpu in totals)
        + " |"
    )
    lines.append("")
    for key in keys:
        case = breakdown[key]
        lines.append(
            f"- {key}: {case['graph_requests']['median']:g} Graph request(s); CA bundle loads: "
            f"{', '.join(case['ca_loads']) or 'none'}; system CA store loads: {case['system_store_loads']}."
        )
    floor_cpu, floor_ratio = breakdown_document.get("floor_cpu_s"), breakdown_document.get("floor_cpu_ratio_to_uri")
    if floor_cpu is not None:
        lines += [
            "",
            "Floor: without the collection's own imports, and without the standard library imports, TLS "
            "set-up, module file and logic beyond what uri pays for them, the converged key task would cost "
            f"**{floor_cpu * 1000:.0f} ms CPU, {floor_ratio:.2f}× uri**: Python, Ansible and httpx in "
            "place of ansible.module_utils.urls.",
        ]
    return "\n".join(lines)


def write_markdown(path, document):
    setup = document["setup"]
    text = "\n".join(
        [
            "# b2c.trustframework benchmark",
            "",
            f"`{setup['command']}` — {setup['date']}, {setup['cpus']} CPUs, Python {setup['python']}, "
            f"ansible-core {setup['ansible_core']}; emulator latency {setup['latency_ms']} ms per request; "
            f"trust: {TRUST_TEXT.get(setup.get('trust'), setup.get('trust'))}; "
            f"{setup['tasks']} tasks per play; {setup['repeat']} repetitions; scale-out {setup['tenants']} tenants × "
            f"{setup['keysets_per_tenant']} keysets; total {setup['total_s']:.0f} s; 1-minute load average "
            f"{setup['load_average_1min']['start']:.1f} at start, {setup['load_average_1min']['end']:.1f} at end "
            f"(above {setup['cpus']} means other work competed for the CPUs and wall times are inflated).",
            "",
            "Wall per task = ansible-playbook wall time ÷ task runs (includes Ansible's fixed start-up). "
            f"Slope per task = extra wall per extra task between plays of {setup['tasks'] // 2} and {setup['tasks']} "
            "tasks (start-up cancels out). Net of start-up = (wall − Ansible's fixed start-up, "
            f"{_ms(setup.get('ansible_startup_s'))} ms, estimated from the ping plays) ÷ task runs. "
            "× uri and × ping compare wall per task. Request counts come from the emulator's request log, "
            "cleared before each run. Ranges are min–max over the repetitions.",
            "",
            "## Cases",
            "",
            case_rows(document["cases"]),
            "",
            "## Converged site.yml",
            "",
            site_rows(document["cases"]),
            "",
            "## Targets",
            "",
            target_rows(document["targets"]),
            "",
            "## Import time",
            "",
            import_rows(document["imports"]),
            "",
            "## Where a converged task's time goes",
            "",
            phase_rows(document.get("phases")),
            "",
        ]
    )
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)


def _whiskers(summary, median):
    """Interquartile range around the median: min–max (in the table) is dominated by one disturbed run."""
    return median - summary.get("q1", summary["median"]) * 1000, summary.get("q3", summary["median"]) * 1000 - median


def write_chart(path, document):
    """Per case: wall per task (bar, IQR whiskers, ratio to uri), CPU per task (bar), per-task slope (diamond)."""
    cases = [case for case in document["cases"] if "wall_per_task_s" in case]
    labels = [textwrap.fill(case["label"], 22) for case in cases]
    walls = [case["wall_per_task_s"]["median"] * 1000 for case in cases]
    cpus = [case["cpu_per_task_s"]["median"] * 1000 for case in cases]
    whiskers = [_whiskers(case["wall_per_task_s"], wall) for case, wall in zip(cases, walls)]
    positions = list(range(len(cases)))
    width = 0.38

    figure, axes = plt.subplots(figsize=(13, 6.5), dpi=110)
    wall_colours = ["#7f7f7f" if case["key"] in ("ping", "uri") else "#1f77b4" for case in cases]
    axes.bar(
        [p - width / 2 for p in positions],
        walls,
        width,
        color=wall_colours,
        yerr=[[w[0] for w in whiskers], [w[1] for w in whiskers]],
        capsize=3,
        label="wall per task (median, IQR whiskers); grey = reference cases",
    )
    axes.bar(
        [p + width / 2 for p in positions],
        cpus,
        width,
        color="#ff7f0e",
        alpha=0.75,
        label="CPU per task (median, all processes)",
    )
    slopes = [
        (p - width / 2, case["slope_per_task_s"] * 1000)
        for p, case in zip(positions, cases)
        if case.get("slope_per_task_s")
    ]
    if slopes:
        axes.scatter(
            [x for x, _y in slopes],
            [y for _x, y in slopes],
            color="#d62728",
            marker="D",
            zorder=3,
            label=f"wall slope per task ({document['setup']['tasks'] // 2} → {document['setup']['tasks']} tasks)",
        )
    uri = next((case for case in cases if case["key"] == "uri"), None)
    if uri:
        axes.axhline(
            uri["wall_per_task_s"]["median"] * 1000 * KEY_TO_URI_LIMIT,
            color="#2ca02c",
            linestyle="--",
            linewidth=1,
            label=f"target for converged b2c_keyset_key: {KEY_TO_URI_LIMIT:g} × uri wall",
        )
    top = max(max(w + hi for w, (_lo, hi) in zip(walls, whiskers)), max(cpus))
    for position, case, wall, (_lo, high) in zip(positions, cases, walls, whiskers):
        ratio = case.get("wall_ratio_to_uri")
        text = f"{wall:.0f} ms" + (f"\n{ratio:.2f}× uri" if ratio else "")
        axes.text(
            position - width / 2,
            wall + high + top * 0.015,
            text,
            ha="center",
            va="bottom",
            fontsize=8.5,
            bbox={"facecolor": "white", "edgecolor": "none", "pad": 1},
        )
    setup = document["setup"]
    axes.set_title(
        f"b2c.trustframework: ms per task ({setup['latency_ms']} ms emulator latency per request, "
        f"{setup['tasks']} tasks per play, scale-out per host-task, {setup['repeat']} repetitions)",
        fontsize=10,
    )
    axes.set_ylabel("ms per task")
    axes.set_xticks(positions)
    axes.set_xticklabels(labels, fontsize=8.5)
    axes.set_ylim(0, top * 1.3)
    axes.legend(loc="upper left", fontsize=8)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def write_all(out_dir, document):
    os.makedirs(out_dir, exist_ok=True)
    write_json(os.path.join(out_dir, "results.json"), document)
    write_markdown(os.path.join(out_dir, "results.md"), document)
    if any("wall_per_task_s" in case for case in document["cases"]):
        write_chart(os.path.join(out_dir, "chart.png"), document)
