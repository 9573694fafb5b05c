"""The referee used by the property tests does catch broken plans."""

from __future__ import annotations

from grove.scheduler.gangs import Pack
from grove.scheduler.placement import Plan

from .builders import RACK_LABEL, e2e_nodes, gang, group, pods, snapshot
from .checks import plan_violations


def test_referee_flags_capacity_minimum_and_pack_violations() -> None:
    workers = pods("w", 3)
    snap = snapshot(e2e_nodes(30), workers)
    gangs = [gang("g", group("w", workers, pack=Pack(required=RACK_LABEL)))]
    bad = Plan((("default/w-0", "kwok-node-0"), ("default/w-1", "kwok-node-0")), {})
    problems = plan_violations(snap, gangs, bad)
    assert "kwok-node-0 over memory: 167772160 > 157286400" in problems
    assert "g/w bound 2 < minReplicas 3" in " ".join(problems)
    split = Plan(
        (("default/w-0", "kwok-node-0"), ("default/w-1", "kwok-node-7"), ("default/w-2", "kwok-node-1")), {}
    )
    assert any("spans kubernetes.io/rack" in p for p in plan_violations(snap, gangs, split))
