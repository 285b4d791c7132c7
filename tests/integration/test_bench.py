"""`make bench` on a tiny configuration, so the benchmark cannot rot: it must run end to end and write
every part of its report. Structure only: the numbers themselves depend on the machine."""

import json
import sys

import pytest

from bench.__main__ import main as run_bench
from bench.phases import COLLECTION_IMPORT, STARTUP

pytestmark = pytest.mark.integration

# One case of each kind: a reference task given a token, a module task with a warm and with a cold token cache,
# the converged site.yml over five policies, a tenant play. The phase breakdown compares the first two.
CASES = ("uri", "key_warm", "key_cold", "site", "scale_1")
SITE_TARGETS = ("PUT requests per converged site.yml run", "policy requests per converged site.yml run")
PER_TASK_FIGURES = ("wall_per_task_s", "cpu_per_task_s", "graph_requests_per_task", "token_requests_per_run")


@pytest.fixture(scope="module")
def bench_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    document = run_bench(
        [
            "--latency-ms",
            "0",
            "--repeat",
            "1",
            "--tasks",
            "1",
            "--tenants",
            "2",
            "--keysets",
            "1",
            "--import-runs",
            "1",
            "--phase-runs",
            "1",
            "--module-python",
            sys.executable,
            "--cases",
            ",".join(CASES),
            "--out",
            str(out),
        ]
    )
    return document, out


def test_every_case_has_its_figures(bench_run):
    document, _out = bench_run
    cases = {case["key"]: case for case in document["cases"]}
    assert list(cases) == list(CASES)
    for key, case in cases.items():
        assert case["error"] is None, "%s: %s" % (key, case["error"])
        for figure in PER_TASK_FIGURES:
            assert {"median", "min", "max", "n"} <= set(case[figure]), (key, figure)
    assert cases["key_cold"]["token_requests_per_run"]["median"] >= 1  # a cold cache means a login
    assert all(cases[key]["graph_requests_per_task"]["median"] >= 1 for key in CASES)


def test_setup_targets_and_imports_are_reported(bench_run):
    document, _out = bench_run
    assert {"command", "ansible_core", "latency_ms", "repeat", "tasks", "tenants", "total_s"} <= set(document["setup"])
    assert len(document["targets"]) == 8
    for target in document["targets"]:
        assert {"target", "limit", "measured", "met", "detail"} <= set(target)
    scale_out = next(target for target in document["targets"] if target["target"].startswith("scale-out"))
    assert scale_out["met"] is None  # its case (scale_2) was not selected
    assert document["imports"]["module"].endswith(".module_utils.module")
    assert document["imports"]["by_package"]


def test_the_site_case_breaks_its_graph_requests_down_against_the_policy_goal(bench_run):
    document, out = bench_run
    site_case = next(case for case in document["cases"] if case["key"] == "site")
    site = site_case["site"]
    assert site["policies"] == site_case["task_runs_per_play"] == 5  # figures per policy
    assert site["goal_per_run"] == 1 + site["policies"]
    for figure in ("policy_requests_per_run", "puts_per_run", "keyset_requests_per_run", "graph_requests_per_run"):
        assert {"median", "min", "max", "n"} <= set(site[figure]), figure
    assert "GET policies" in site["graph_requests_by_call"]  # method and path kind, ids left out
    assert all(" " in kind and "B2C_1A_" not in kind for kind in site["graph_requests_by_call"])
    targets = {target["target"]: target for target in document["targets"]}
    assert all(targets[name]["met"] is not None for name in SITE_TARGETS)
    markdown = (out / "results.md").read_text()
    assert "## Converged site.yml" in markdown and "| `GET policies` |" in markdown
    assert len(list((out / "work" / "policies").glob("*.xml"))) == 5


def test_report_files_are_written(bench_run):
    document, out = bench_run
    assert [case["key"] for case in json.loads((out / "results.json").read_text())["cases"]] == list(CASES)
    markdown = (out / "results.md").read_text()
    for heading in ("## Cases", "## Targets", "## Import time", "## Where a converged task's time goes"):
        assert heading in markdown
    for case in document["cases"]:
        assert "| %s |" % case["label"] in markdown
    assert (out / "chart.png").read_bytes().startswith(b"\x89PNG")
    assert (out / "work" / "uri-1.yml").exists()  # the plays stay for a rerun by hand


def test_phase_breakdown_of_the_uri_and_converged_key_tasks(bench_run):
    document, out = bench_run
    breakdown = document["phases"]["cases"]
    assert list(breakdown) == ["uri", "key_warm"]
    for key, case in breakdown.items():
        assert {"median", "min", "max", "n"} <= set(case["process_cpu_s"]), key
        assert {STARTUP, "ansiballz", "import ansible", "request", "module"} <= set(case["phases"]), key
        assert case["phases"]["request"]["calls"] >= 1, key
        assert case["graph_requests"]["median"] >= 1, key
    key_phases = breakdown["key_warm"]["phases"]
    assert "import httpx" in key_phases
    assert COLLECTION_IMPORT + "module.py" in key_phases  # B2CModule: every task imports it
    for case in breakdown.values():  # the emulator's CA is trusted through the system store (--trust system)
        assert case["system_store_loads"] >= 1 and any(name.startswith("tls: ") for name in case["phases"])
    assert document["phases"]["floor_cpu_s"] is not None
    markdown = (out / "results.md").read_text()
    assert "| import collection (all) |" in markdown and "Floor:" in markdown
