"""Hypothesis properties of plan_placement on small random clusters and gangs."""

from __future__ import annotations

import random
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from grove.scheduler.gangs import Coupling, GangSpec, GroupConfigSpec, GroupSpec, Pack
from grove.scheduler.placement import plan_placement
from grove.scheduler.snapshot import build_snapshot

from .checks import plan_violations

LEVELS = ("zone", "rack", "host")
KEYS = st.sampled_from([None, *LEVELS])


@st.composite
def nodes(draw: st.DrawFn) -> list[dict[str, Any]]:
    count = draw(st.integers(1, 10))
    result = []
    for i in range(count):
        labels = {
            "zone": f"z{draw(st.integers(0, 1))}",
            "rack": f"r{draw(st.integers(0, 3))}",
            "host": f"n{i}",
        }
        if draw(st.integers(0, 9)) == 0:
            del labels["rack"]
        result.append(
            {
                "metadata": {"name": f"n{i}", "labels": labels},
                "spec": {"unschedulable": draw(st.integers(0, 7)) == 0},
                "status": {
                    "allocatable": {
                        "cpu": str(draw(st.integers(1, 4))),
                        "memory": f"{draw(st.integers(1, 4))}Mi",
                        "pods": str(draw(st.integers(1, 5))),
                        "nvidia.com/gpu": str(draw(st.integers(0, 2))),
                    },
                    "conditions": [{"type": "Ready", "status": "True"}],
                },
            }
        )
    return result


def pack(draw: st.DrawFn) -> Pack | None:
    required, preferred = draw(KEYS), draw(KEYS)
    return Pack(required, preferred) if required or preferred else None


@st.composite
def workloads(draw: st.DrawFn) -> tuple[list[dict[str, Any]], list[GangSpec]]:
    manifests: list[dict[str, Any]] = []
    gangs = []
    for g in range(draw(st.integers(1, 4))):
        groups = []
        for k in range(draw(st.integers(1, 3))):
            count = draw(st.integers(1, 4))
            names = [f"g{g}-{k}-{i}" for i in range(count)]
            for name in names:
                requests = {"cpu": f"{draw(st.sampled_from([250, 500, 1000, 1500]))}m", "memory": "1Mi"}
                if draw(st.booleans()):
                    requests["nvidia.com/gpu"] = "1"
                manifests.append(
                    {
                        "metadata": {"name": name, "namespace": "t"},
                        "spec": {"containers": [{"resources": {"requests": requests}}]},
                    }
                )
            groups.append(
                GroupSpec(
                    f"g{g}-{k}", tuple(f"t/{n}" for n in names), draw(st.integers(0, count)), pack(draw)
                )
            )
        configs = ()
        if len(groups) > 1 and draw(st.booleans()):
            configs = (GroupConfigSpec(f"g{g}-cfg", (groups[0].name, groups[1].name), pack(draw)),)
        coupling = Coupling("t/g0", draw(st.sampled_from(LEVELS))) if g and draw(st.booleans()) else None
        gangs.append(GangSpec(f"t/g{g}", tuple(groups), pack(draw), configs, coupling))
    return manifests, gangs


@settings(max_examples=150, deadline=None)
@given(nodes(), workloads())
def test_plans_respect_capacity_minimums_and_required_packs(
    cluster: list[dict[str, Any]], workload: tuple[list[dict[str, Any]], list[GangSpec]]
) -> None:
    manifests, gangs = workload
    snapshot = build_snapshot(cluster, manifests, LEVELS)
    plan = plan_placement(snapshot, gangs)
    assert plan_violations(snapshot, gangs, plan) == []
    bound = {p for p, _ in plan.bindings}
    for gang in gangs:
        pods = [p for g in gang.groups for p in g.pods]
        outcome = plan.gangs[gang.name]
        if outcome.status == "Unschedulable":
            assert not bound & set(pods) and all(p in plan.unschedulable for p in pods)
        if outcome.status == "Waiting":
            assert not bound & set(pods) and not set(plan.unschedulable) & set(pods)
            continue
        for p in pods:
            assert (p in bound) != (p in plan.unschedulable), p


@settings(max_examples=60, deadline=None)
@given(nodes(), workloads(), st.randoms(use_true_random=False))
def test_same_input_gives_the_same_plan_under_node_and_pod_permutation(
    cluster: list[dict[str, Any]], workload: tuple[list[dict[str, Any]], list[GangSpec]], rng: random.Random
) -> None:
    manifests, gangs = workload
    first = plan_placement(build_snapshot(cluster, manifests, LEVELS), gangs)
    shuffled_nodes, shuffled_pods = list(cluster), list(manifests)
    rng.shuffle(shuffled_nodes)
    rng.shuffle(shuffled_pods)
    assert plan_placement(build_snapshot(shuffled_nodes, shuffled_pods, LEVELS), gangs) == first
