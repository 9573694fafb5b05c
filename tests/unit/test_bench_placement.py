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
