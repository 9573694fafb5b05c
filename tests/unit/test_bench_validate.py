"""The validation benchmark runs and reports sane JSON (at 200 objects, to stay quick in CI).

The 1,000-object target (< 1 s) is a figure for bench/bench_validate.py on a quiet machine; here we
only check it stays within a generous bound so a 10x regression is caught without flaking."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "bench_validate.py"


def test_bench_validate_prints_json() -> None:
    out = subprocess.run([sys.executable, str(BENCH), "200"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    figures = json.loads(out.stdout)
    assert figures["objects"] == 200
    assert figures["seconds"] > 0
    assert abs(figures["per_object_ms"] - 1000 * figures["seconds"] / 200) < 0.01
    assert figures["seconds"] < 2.0, figures  # ~0.13 s measured; 15x headroom for a loaded CI box
