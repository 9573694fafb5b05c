"""The pure work collection of a pass: ordering, coupling, waiting pods, minimum-only trimming."""

from __future__ import annotations

from grove.api import constants as c
from grove.devcluster.nodes import kwok_nodes
from grove.scheduler.snapshot import build_snapshot
from grove.scheduler.work import collect_work, has_extras, minimum_only

from .support import make_pod, make_podgang

NAMES = frozenset({c.SCHEDULER_KAI, c.SCHEDULER_DEFAULT})


def _ts(obj: dict, ts: str) -> dict:
    obj["metadata"]["creationTimestamp"] = ts
    return obj


def test_base_gangs_and_singletons_before_scaled_then_time_then_name() -> None:
    gangs = [
        _ts(make_podgang("w-0-sg-0", {"s": (["s0"], 1)}), "2026-01-01T00:00:00Z"),
        _ts(make_podgang("w-0", {"b": (["b0"], 1)}, required="kubernetes.io/rack"), "2026-01-01T00:00:05Z"),
        _ts(make_podgang("a-0", {"a": (["a0"], 1)}), "2026-01-01T00:00:05Z"),
    ]
    pods = [make_pod("s0", gang="w-0-sg-0", base="w-0"), make_pod("b0", gang="w-0"), make_pod("a0", gang="a-0"),
            _ts(make_pod("d0", scheduler=c.SCHEDULER_DEFAULT), "2026-01-01T00:00:01Z"),
            make_pod("other", scheduler="volcano")]
    work = collect_work(pods, gangs, NAMES)
    assert [w.gang.name for w in work] == ["pod:default/d0", "default/a-0", "default/w-0", "default/w-0-sg-0"]
    scaled = work[-1]
    assert scaled.scaled and scaled.base == "default/w-0"
    assert scaled.gang.same_domain_as is not None
    assert (scaled.gang.same_domain_as.gang, scaled.gang.same_domain_as.key) == ("default/w-0",
                                                                                 "kubernetes.io/rack")


def test_gangs_without_schedulable_referenced_pods_are_left_out_but_coupled_bases_stay() -> None:
    gangs = [make_podgang("w-0", {"b": (["b0"], 1)}, required="kubernetes.io/rack"),
             make_podgang("w-0-sg-0", {"s": (["s0"], 1)}), make_podgang("x-0", {"x": (["x0"], 1)})]
    bound = make_pod("b0", gang="w-0")
    bound["spec"]["nodeName"] = "kwok-node-0"
    pods = [bound, make_pod("s0", gang="w-0-sg-0", base="w-0"), make_pod("x0", gang="x-0", gated=True),
            make_pod("y0", gang="missing")]
    names = [w.gang.name for w in collect_work(pods, gangs, NAMES)]
    assert names == ["default/w-0", "default/w-0-sg-0"]  # x-0 gated, y0's gang missing: both wait


def test_minimum_only_keeps_bound_plus_the_first_needed_pending() -> None:
    pods = [make_pod(f"p{i}", gang="g") for i in range(4)]
    pods[3]["spec"]["nodeName"] = "kwok-node-0"
    snap = build_snapshot(kwok_nodes(3), pods)
    (item,) = collect_work(pods, [make_podgang("g", {"a": ([f"p{i}" for i in range(4)], 2)})], NAMES)
    trimmed = minimum_only(item.gang, snap)
    assert trimmed.groups[0].pods == ("default/p3", "default/p0")
    assert has_extras(item.gang, snap) and not has_extras(trimmed, snap)
