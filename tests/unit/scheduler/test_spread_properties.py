"""Hypothesis properties of plan_placement with required spread (docs/spread.md).

For random clusters (three zones, cordoned and NotReady nodes, replicas already running) and
PodCliqueSet replicas (gangs) with a DoNotSchedule zone spread, optional minDomains and a finer pack:
- every scheduled replica lies in one zone, and when it was placed (in plan order) its zone's count + 1
  minus the minimum over eligible zones (0 if fewer than minDomains) was <= maxSkew -- an independent
  replay of Kubernetes' rule, so no placement ever exceeds maxSkew;
- replicas whose pods also spread over hosts (maxSkew 1): replayed pod by pod, over the hosts of the
  replica's zone (and of its required rack/host pack) that are Ready and schedulable;
- gang minimums hold and no node goes over capacity (the shared referee);
- the same input, in any node order, gives the same placement.
"""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from grove.scheduler.gangs import GangSpec, GroupSpec, Pack, Spread
from grove.scheduler.placement import plan_placement
from grove.scheduler.snapshot import Snapshot, build_snapshot
from grove.scheduler.spread import peers_of_gangs

from .checks import plan_violations

LEVELS = ("zone", "rack", "host")
GROUP = "t/serving"


@st.composite
def clusters(draw: st.DrawFn) -> list[dict[str, Any]]:
    out = []
    for i in range(draw(st.integers(1, 12))):
        labels = {"zone": f"z{draw(st.integers(0, 2))}", "rack": f"r{draw(st.integers(0, 3))}", "host": f"n{i}"}
        out.append({
            "metadata": {"name": f"n{i}", "labels": labels},
            "spec": {"unschedulable": draw(st.integers(0, 6)) == 0},
            "status": {
                "allocatable": {"cpu": str(draw(st.integers(1, 4))), "memory": "64Mi", "pods": "10"},
                "conditions": [{"type": "Ready", "status": "False" if draw(st.integers(0, 8)) == 0 else "True"}],
            },
        })
    return out


@st.composite
def workloads(draw: st.DrawFn, nodes: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[GangSpec],
                                                                       list[GangSpec], Spread]:
    rule = Spread("zone", draw(st.integers(1, 2)), True, draw(st.sampled_from([None, 2, 3, 4])), GROUP)
    manifests: list[dict[str, Any]] = []

    def replica(name: str, node: str | None) -> GangSpec:
        count = draw(st.integers(1, 3))
        keys = []
        for i in range(count):
            spec: dict[str, Any] = {"containers": [{"resources": {"requests": {
                "cpu": f"{draw(st.sampled_from([250, 500, 1000]))}m", "memory": "1Mi"}}}]}
            if node:
                spec["nodeName"] = node
            manifests.append({"metadata": {"name": f"{name}-{i}", "namespace": "t"}, "spec": spec})
            keys.append(f"t/{name}-{i}")
        pack = draw(st.sampled_from([None, Pack("rack"), Pack("host"), Pack(None, "host")]))
        pod_spread = (Spread("host"),) if node is None and draw(st.booleans()) else ()
        group = GroupSpec(f"{name}-w", tuple(keys), count, None, pod_spread)
        return GangSpec(f"t/{name}", (group,), pack, spread=(rule,))

    names = [n["metadata"]["name"] for n in nodes]
    running = [replica(f"old{k}", draw(st.sampled_from(names))) for k in range(draw(st.integers(0, 3)))]
    new = [replica(f"r{k}", None) for k in range(draw(st.integers(1, 5)))]
    return manifests, running, new, rule


def zone_of(snap: Snapshot, node: int) -> str:
    return snap.nodes[node].labels["zone"]


def replay_violations(snap: Snapshot, running: list[GangSpec], new: list[GangSpec], rule: Spread,
                      bindings: dict[str, int]) -> list[str]:
    eligible = sorted({zone_of(snap, n.index) for n in snap.nodes if n.ready and not n.unschedulable})
    counts: Counter[str] = Counter()
    for gang in running:
        zones = Counter(zone_of(snap, snap.bound[p]) for g in gang.groups for p in g.pods)
        counts[max(zones, key=lambda z: (zones[z], z))] += 1
    problems = []
    for gang in new:
        placed = {zone_of(snap, bindings[p]) for g in gang.groups for p in g.pods if p in bindings}
        if not placed:
            continue
        if len(placed) > 1:
            problems.append(f"{gang.name} spans zones {sorted(placed)}")
            continue
        zone = placed.pop()
        if zone not in eligible:
            problems.append(f"{gang.name} in ineligible zone {zone}")
        few = rule.min_domains is not None and len(eligible) < rule.min_domains
        minimum = 0 if few or not eligible else min(counts[z] for z in eligible)
        if counts[zone] + 1 - minimum > rule.max_skew:
            problems.append(f"{gang.name} in {zone}: {counts[zone]} + 1 - {minimum} > maxSkew {rule.max_skew}")
        counts[zone] += 1
        problems += _pod_spread_problems(snap, gang, zone, bindings)
    return problems


def _pod_spread_problems(snap: Snapshot, gang: GangSpec, zone: str, bindings: dict[str, int]) -> list[str]:
    (group,) = gang.groups
    if not group.spread:
        return []
    placed = [bindings[p] for p in group.pods if p in bindings]
    scope = [n for n in snap.nodes if n.labels["zone"] == zone and n.ready and not n.unschedulable]
    if gang.pack is not None and gang.pack.required:
        key = gang.pack.required
        scope = [n for n in scope if n.labels[key] == snap.nodes[placed[0]].labels[key]]
    hosts: Counter[str] = Counter({n.name: 0 for n in scope})
    problems = []
    for node in placed:  # plan order
        name = snap.nodes[node].name
        if hosts[name] + 1 - min(hosts.values()) > 1:
            problems.append(f"{gang.name}: pod on {name} makes host skew {hosts[name] + 1 - min(hosts.values())}")
        hosts[name] += 1
    return problems


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_required_spread_is_never_exceeded_and_placement_is_deterministic(data: st.DataObject) -> None:
    nodes = data.draw(clusters())
    manifests, running, new, rule = data.draw(workloads(nodes))
    snap = build_snapshot(nodes, manifests, LEVELS)
    peers = peers_of_gangs([*running, *new])
    plan = plan_placement(snap, new, peers)
    assert plan_violations(snap, new, plan) == []
    bindings = {p: snap.node_named(n).index for p, n in plan.bindings}  # insertion = decision order
    assert replay_violations(snap, running, new, rule, bindings) == []
    for gang in new:
        placed = sum(1 for g in gang.groups for p in g.pods if p in bindings)
        assert placed in (0, sum(g.min_replicas for g in gang.groups)), "all or nothing"
    shuffled = list(nodes)
    random.Random(data.draw(st.integers(0, 1000))).shuffle(shuffled)
    again = plan_placement(build_snapshot(shuffled, manifests, LEVELS), new, peers)
    assert again.bindings == plan.bindings
    assert plan_placement(snap, new, peers).bindings == plan.bindings
