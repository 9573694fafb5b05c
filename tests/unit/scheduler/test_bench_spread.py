"""The spread benchmark runs, prints its JSON figure, and its plan keeps every PodCliqueSet's skew <= 1."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[3] / "bench" / "bench_spread.py"


def test_small_spread_bench_prints_the_figure_and_keeps_the_skew() -> None:
    out = subprocess.run(
        [sys.executable, str(BENCH), "--nodes", "80", "--gangs", "40", "--pods", "300", "--repeat", "1"],
        check=True, capture_output=True, text=True, timeout=60,
    ).stdout
    figure = json.loads(out)
    assert (figure["pods"], figure["gangs"], figure["nodes"], figure["podcliquesets"]) == (300, 40, 80, 10)
    assert figure["pods_per_second"] > 0 and figure["bound"] > 0
    assert figure["max_skew_seen"] <= 1
