"""The runtime GC bench at 1,000 pods: JSON shape, every pod seen, then every pod collected."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

BENCH = Path(__file__).resolve().parents[3] / "bench" / "bench_runtime_gc.py"


def load_bench():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("bench_runtime_gc", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bench_runtime_gc_at_1000_pods(capsys) -> None:  # type: ignore[no-untyped-def]
    bench = load_bench()
    assert bench.main(["--pods", "1000"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["pods"] == 1000
    assert set(result["seconds"]) == {"create", "observe", "gc", "total"}
    assert all(isinstance(v, float) and v >= 0 for v in result["seconds"].values())
    assert result["cached_after_create"] == 1000 and result["cached_by_owner_index"] == 1000
    assert result["left_after_gc"] == {"informer": 0, "store": 0}
    assert result["rss_mb_with_pods"] > 0 and isinstance(result["meets_targets"], bool)
