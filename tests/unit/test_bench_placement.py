"""The placement benchmark runs and prints its comparable JSON figure."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "bench_placement.py"


def test_small_bench_prints_the_figure_as_json() -> None:
    out = subprocess.run(
        [sys.executable, str(BENCH), "--nodes", "60", "--gangs", "40", "--pods", "300"],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    figure = json.loads(out)
    assert {"pods", "gangs", "nodes", "seconds", "pods_per_second"} <= figure.keys()
    assert (figure["pods"], figure["gangs"], figure["nodes"]) == (300, 40, 60)
    assert figure["seconds"] > 0 and figure["pods_per_second"] > 0
    assert figure["bound"] + figure["unschedulable"] <= 300 and figure["bound"] > 0


def test_bench_workload_plan_is_valid() -> None:
    """The figure counts real work: the bench's plan passes the independent referee."""
    import importlib.util

    from grove.scheduler.placement import plan_placement
    from grove.scheduler.snapshot import build_snapshot
    from tests.unit.scheduler.checks import plan_violations

    spec = importlib.util.spec_from_file_location("bench_placement", BENCH)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    manifests, gangs = bench.make_workload(150, 1500)
    snapshot = build_snapshot(bench.make_nodes(150), manifests, bench.LEVELS)
    plan = plan_placement(snapshot, gangs)
    assert plan_violations(snapshot, gangs, plan) == []
    assert len(plan.bindings) > 1000
    assert any(g.pack is not None and g.pack.required for g in gangs)
