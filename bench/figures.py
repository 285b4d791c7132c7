"""The numbers: timed samples turned into per-case figures (median and spread, nothing fancier),
ratios between cases, and the verdict on each target."""

import statistics

KEY_TO_URI_LIMIT = 1.0
TOKEN_REQUESTS_PER_RUN_LIMIT = 1
GRAPH_REQUESTS_PER_KEY_TASK_LIMIT = 2
GRAPH_REQUESTS_PER_INFO_TASK_LIMIT = 1  # b2c_keyset_info name=X: the keyset read answers active_key too
SCALE_OUT_LIMIT = 1.5
SITE_PUT_LIMIT = 0  # a converged site.yml uploads nothing
IMPORT_LIMIT_S = 0.150


def summarize(values):
    """Median, min, max and interquartile range (IQR needs at least two values)."""
    values = sorted(values)
    summary = {"median": statistics.median(values), "min": values[0], "max": values[-1], "n": len(values)}
    if len(values) >= 2:
        q1, _q2, q3 = statistics.quantiles(values, n=4, method="inclusive")
        summary.update(q1=q1, q3=q3)
    return summary


def slope(small_size, small_walls, large_size, large_walls):
    """Seconds per extra task between two play sizes: the per-task cost without the fixed startup."""
    if large_size <= small_size:
        return None
    return (statistics.median(large_walls) - statistics.median(small_walls)) / (large_size - small_size)


def ratio(value, reference):
    if value is None or not reference:
        return None
    return value / reference


def _per_run(samples, kind):
    return [sample.requests.get(kind, 0) for sample in samples]


def summarize_graph_calls(samples):
    """Per Graph call kind ("GET policies/{id}/$value"), its count per run over the samples, most frequent first."""
    kinds = {kind for sample in samples for kind in sample.graph_calls}
    per_kind = {kind: summarize([sample.graph_calls.get(kind, 0) for sample in samples]) for kind in kinds}
    return dict(sorted(per_kind.items(), key=lambda item: (-item[1]["median"], item[0])))


def policy_request_figures(case, samples):
    """What one converged site.yml run asks of the policies API, against its goal: one list, then one GET of
    each policy's XML ($value), no upload."""
    policy_calls = [
        {kind: count for kind, count in sample.graph_calls.items() if kind.split(" ")[1].startswith("policies")}
        for sample in samples
    ]
    return {
        "policies": case.policies,
        "goal_per_run": 1 + case.policies,
        "policy_requests_per_run": summarize([sum(calls.values()) for calls in policy_calls]),
        "puts_per_run": summarize(
            [sum(n for kind, n in sample.graph_calls.items() if kind.startswith("PUT ")) for sample in samples]
        ),
        "keyset_requests_per_run": summarize(
            [sum(n for kind, n in sample.graph_calls.items() if " keySets" in kind) for sample in samples]
        ),
        "graph_requests_per_run": summarize([sample.requests.get("graph", 0) for sample in samples]),
        "graph_requests_by_call": summarize_graph_calls(samples),
    }


def summarize_case(case, outcome):
    """Figures of one case from its samples at the main size (the largest) and, if timed, a smaller one."""
    figures = {
        "key": case.key,
        "label": case.label,
        "hosts": case.forks,
        "forks": case.forks,
        "error": outcome["error"],
    }
    by_size = outcome["samples"]
    if not by_size:
        return figures
    main_size = max(by_size)
    main = by_size[main_size]
    figures.update(
        tasks_per_host=main_size,
        task_runs_per_play=main[0].module_runs,
        repetitions=len(main),
        wall_s=summarize([sample.wall_s for sample in main]),
        wall_per_task_s=summarize([sample.wall_s / sample.module_runs for sample in main]),
        cpu_per_task_s=summarize([sample.cpu_s / sample.module_runs for sample in main]),
        graph_requests_per_task=summarize([sample.requests.get("graph", 0) / sample.module_runs for sample in main]),
        token_requests_per_run=summarize(_per_run(main, "token")),
        discovery_requests_per_run=summarize(_per_run(main, "discovery")),
        slope_per_task_s=None,
    )
    smaller = [size for size in by_size if size < main_size]
    if smaller:
        small_size = max(smaller)
        figures["slope_per_task_s"] = slope(
            small_size, [s.wall_s for s in by_size[small_size]], main_size, [s.wall_s for s in main]
        )
        figures["slope_sizes"] = [small_size, main_size]
    if case.policies:
        figures["site"] = policy_request_figures(case, main)
    return figures


def add_ratios(figures_by_key):
    """Each case's per-task wall (and slope) relative to the uri task and to the ping floor."""
    for reference in ("uri", "ping"):
        base = figures_by_key.get(reference, {})
        base_wall = base.get("wall_per_task_s", {}).get("median")
        base_slope = base.get("slope_per_task_s")
        base_cpu = base.get("cpu_per_task_s", {}).get("median")
        for figures in figures_by_key.values():
            if "wall_per_task_s" not in figures:
                continue
            figures[f"wall_ratio_to_{reference}"] = ratio(figures["wall_per_task_s"]["median"], base_wall)
            figures[f"slope_ratio_to_{reference}"] = ratio(figures.get("slope_per_task_s"), base_slope)
            figures[f"cpu_ratio_to_{reference}"] = ratio(figures["cpu_per_task_s"]["median"], base_cpu)


def estimate_startup(figures_by_key):
    """Ansible's fixed cost per ansible-playbook run: the ping play's wall minus N × its per-task slope."""
    ping = figures_by_key.get("ping", {})
    if ping.get("slope_per_task_s") is None:
        return None
    return ping["wall_s"]["median"] - ping["task_runs_per_play"] * ping["slope_per_task_s"]


def add_net_of_startup(figures_by_key, startup_s):
    """Per-task wall without the fixed start-up: fairer when plays differ in task count (scale-out: K vs M×K)."""
    for figures in figures_by_key.values():
        if startup_s is not None and "wall_s" in figures:
            figures["net_per_task_s"] = (figures["wall_s"]["median"] - startup_s) / figures["task_runs_per_play"]


def _target(name, limit_text, measured, limit, detail):
    """Every target is an upper bound; "of_limit" says how close (1.0 = exactly at the limit; None for a
    limit of 0)."""
    if measured is None:
        return {"target": name, "limit": limit_text, "measured": None, "met": None, "detail": "not measured"}
    met = measured < limit if limit_text.startswith("<") else measured <= limit
    return {
        "target": name,
        "limit": limit_text,
        "measured": measured,
        "met": met,
        "of_limit": measured / limit if limit else None,
        "detail": detail,
    }


def _times(value):
    return "n/a" if value is None else "%.2f×" % value


def _median(figures, field):
    value = figures.get(field)
    return value.get("median") if isinstance(value, dict) else None


def site_targets(site):
    """No upload on a converged site.yml, and the policy part's requests at their goal (1 list + N GETs)."""
    site = site or {}
    goal = site.get("goal_per_run")
    return [
        _target(
            "PUT requests per converged site.yml run",
            f"= {SITE_PUT_LIMIT}",
            site.get("puts_per_run", {}).get("max"),
            SITE_PUT_LIMIT,
            "max over repetitions",
        ),
        _target(
            "policy requests per converged site.yml run",
            f"≤ 1 list + {site.get('policies', 'N')} GETs" + (f" = {goal}" if goal else ""),
            site.get("policy_requests_per_run", {}).get("max"),
            goal,
            "max over repetitions; keyset requests besides: %g" % site.get("keyset_requests_per_run", {}).get("max", 0),
        ),
    ]


def evaluate_targets(figures_by_key, scale_key, import_figures):
    key_warm = figures_by_key.get("key_warm", {})
    info = figures_by_key.get("info", {})
    scale_1 = figures_by_key.get("scale_1", {})
    scale_m = figures_by_key.get(scale_key, {})
    token_cases = [
        f for f in figures_by_key.values() if f["key"] not in ("ping", "uri") and "token_requests_per_run" in f
    ]
    worst_tokens = max((f["token_requests_per_run"]["max"] for f in token_cases), default=None)
    worst_token_case = max(token_cases, key=lambda f: f["token_requests_per_run"]["max"], default={}).get("key")
    scale_ratio = ratio(_median(scale_m, "wall_per_task_s"), _median(scale_1, "wall_per_task_s"))
    scale_net_ratio = ratio(scale_m.get("net_per_task_s"), scale_1.get("net_per_task_s"))
    slope_ratio = key_warm.get("slope_ratio_to_uri")
    cpu_ratio = key_warm.get("cpu_ratio_to_uri")
    return [
        _target(
            "converged b2c_keyset_key vs uri GET (wall per task)",
            f"≤ {KEY_TO_URI_LIMIT}×",
            key_warm.get("wall_ratio_to_uri"),
            KEY_TO_URI_LIMIT,
            "per-task slope %s, CPU per task %s" % (_times(slope_ratio), _times(cpu_ratio)),
        ),
        _target(
            "token requests per run per credential",
            f"≤ {TOKEN_REQUESTS_PER_RUN_LIMIT}",
            worst_tokens,
            TOKEN_REQUESTS_PER_RUN_LIMIT,
            f"worst case: {worst_token_case}",
        ),
        _target(
            "Graph requests per converged key task",
            f"≤ {GRAPH_REQUESTS_PER_KEY_TASK_LIMIT}",
            key_warm.get("graph_requests_per_task", {}).get("max"),
            GRAPH_REQUESTS_PER_KEY_TASK_LIMIT,
            "max over repetitions",
        ),
        _target(
            "Graph requests per b2c_keyset_info name=X task",
            f"≤ {GRAPH_REQUESTS_PER_INFO_TASK_LIMIT}",
            info.get("graph_requests_per_task", {}).get("max"),
            GRAPH_REQUESTS_PER_INFO_TASK_LIMIT,
            "max over repetitions",
        ),
        _target(
            f"scale-out {scale_m.get('hosts', '?')} tenants vs 1 (wall per host-task)",
            f"≤ {SCALE_OUT_LIMIT}×",
            scale_ratio,
            SCALE_OUT_LIMIT,
            "forks = tenants; net of start-up %s" % _times(scale_net_ratio),
        ),
        _target(
            "module_utils cold import",
            f"< {IMPORT_LIMIT_S * 1000:.0f} ms",
            import_figures.get("import_s") if import_figures else None,
            IMPORT_LIMIT_S,
            "CPU time %.0f ms" % (import_figures["import_cpu_s"] * 1000) if import_figures else "",
        ),
        *site_targets(figures_by_key.get("site", {}).get("site")),
    ]


def summarize_run(cases, outcomes, scale_key, import_figures):
    """Everything the report shows: (case figures in case order, targets, Ansible's start-up estimate)."""
    figures_by_key = {case.key: summarize_case(case, outcomes[case.key]) for case in cases}
    add_ratios(figures_by_key)
    startup_s = estimate_startup(figures_by_key)
    add_net_of_startup(figures_by_key, startup_s)
    return list(figures_by_key.values()), evaluate_targets(figures_by_key, scale_key, import_figures), startup_s
