"""Table tests of the pure placement with spread (docs/spread.md): skew counted as Kubernetes does
(count in a domain minus the minimum over eligible domains), pods already bound counted, cordoned and
NotReady nodes excluded from the eligible domains, minDomains, ScheduleAnyway, and spread composed with
pack (PCSG replicas over racks inside a packed block) and over pods (a PodClique's pods over hosts)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from grove.scheduler.gangs import GangSpec, GroupConfigSpec, GroupSpec, Pack, Spread
from grove.scheduler.placement import Plan, plan_placement
from grove.scheduler.snapshot import Snapshot, build_snapshot
from grove.scheduler.spread import peers_of_gangs

from .builders import keys, pod, pods
from .checks import plan_violations

ZONE, BLOCK, RACK, HOST = "topology.kubernetes.io/zone", "example.com/block", "example.com/rack", "kubernetes.io/hostname"
LEVELS = (ZONE, BLOCK, RACK, HOST)


def node(name: str, zone: str, *, block: str = "b0", rack: str = "r0", memory: str = "1Gi",
         cordoned: bool = False, ready: bool = True) -> dict[str, Any]:
    labels = {ZONE: zone, BLOCK: f"{zone}-{block}", RACK: f"{zone}-{block}-{rack}", HOST: name}
    return {
        "metadata": {"name": name, "labels": labels},
        "spec": {"unschedulable": True} if cordoned else {},
        "status": {
            "allocatable": {"cpu": "8", "memory": memory, "pods": "110"},
            "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
        },
    }


def zones(*names: str, per_zone: int = 2, **kwargs: Any) -> list[dict[str, Any]]:
    return [node(f"{z}-n{i}", z, **kwargs) for z in names for i in range(per_zone)]


def replica(name: str, size: int = 2, *, rule: Spread | None = None, pack: Pack | None = None,
            **pod_kwargs: Any) -> tuple[GangSpec, list[dict[str, Any]]]:
    """One PodCliqueSet replica (a gang of ``size`` pods) spreading with ``rule`` (default: zones)."""
    manifests = pods(name, size, e2e=False, **pod_kwargs)
    spread = (rule or Spread(ZONE, group="default/serving"),)
    return GangSpec(f"default/{name}", (GroupSpec(f"{name}-w", keys(manifests), size),), pack, spread=spread), manifests


def plan_of(nodes: list[dict[str, Any]], *replicas: tuple[GangSpec, list[dict[str, Any]]],
            bound: list[dict[str, Any]] = ()) -> tuple[Snapshot, Plan, list[GangSpec]]:  # type: ignore[assignment]
    gangs = [g for g, _ in replicas]
    snap = build_snapshot(nodes, [p for _, ms in replicas for p in ms] + list(bound), LEVELS)
    plan = plan_placement(snap, gangs)
    assert plan_violations(snap, gangs, plan) == []
    return snap, plan, gangs


def zone_of(snap: Snapshot, plan: Plan, gang: GangSpec) -> str:
    placed = {snap.node_named(n).labels[ZONE] for p, n in plan.bindings if any(p in g.pods for g in gang.groups)}
    assert len(placed) == 1, placed
    return placed.pop()


def test_three_replicas_over_three_zones_land_one_per_zone() -> None:
    snap, plan, gangs = plan_of(zones("a", "b", "c"), *(replica(f"serving-{i}") for i in range(3)))
    assert sorted(zone_of(snap, plan, g) for g in gangs) == ["a", "b", "c"]


def test_a_fourth_replica_with_max_skew_1_goes_to_any_zone() -> None:
    snap, plan, gangs = plan_of(zones("a", "b", "c"), *(replica(f"serving-{i}") for i in range(4)))
    assert all(o.status == "Scheduled" for o in plan.gangs.values())
    assert sorted(Counter(zone_of(snap, plan, g) for g in gangs).values()) == [1, 1, 2]


def test_pods_already_bound_count_and_skew_is_measured_against_the_global_minimum() -> None:
    # replicas 0 and 1 already run in zone a (maxSkew 1): zone a would reach 3 - 0 = 3, so b and c only
    running = [p for i in (0, 1) for p in pods(f"serving-{i}", 2, e2e=False, node=f"a-n{i}")]
    others = {f"serving-{i}": replica(f"serving-{i}") for i in range(2)}
    new = [replica("serving-2"), replica("serving-3")]
    nodes = zones("a", "b", "c")
    snap = build_snapshot(nodes, running + [p for _, ms in new for p in ms], LEVELS)
    gangs = [g for g, _ in new]
    peers = peers_of_gangs([*(g for g, _ in others.values()), *gangs])  # the binder: every PodGang
    plan = plan_placement(snap, gangs, peers)
    assert sorted(zone_of(snap, plan, g) for g in gangs) == ["b", "c"]


def test_a_full_zone_still_counts_so_do_not_schedule_keeps_the_third_replica_pending() -> None:
    # zone c is eligible (Ready, schedulable) but has no room: a and b hold one each, c none, so the
    # minimum is 0 and a or b would have skew 2 > 1. Kubernetes leaves the pod Pending, and so do we.
    nodes = zones("a", "b") + zones("c", memory="10Mi")
    _, plan, _ = plan_of(nodes, *(replica(f"serving-{i}") for i in range(3)))
    assert plan.gangs["default/serving-2"].status == "Unschedulable"
    message = plan.unschedulable["default/serving-2-0"]
    assert "spread: replica 2 of serving over 3 zones: skew would be 2 > maxSkew 1" in message, message


def test_cordoned_and_not_ready_nodes_leave_their_zone_out_of_the_minimum() -> None:
    # zone c: cordoned; zone d: NotReady. Only a and b are eligible, so the third replica may go to a or b.
    nodes = zones("a", "b") + zones("c", cordoned=True) + zones("d", ready=False)
    snap, plan, gangs = plan_of(nodes, *(replica(f"serving-{i}") for i in range(3)))
    assert all(o.status == "Scheduled" for o in plan.gangs.values())
    assert sorted(Counter(zone_of(snap, plan, g) for g in gangs).values()) == [1, 2]


def test_min_domains_above_the_eligible_count_makes_the_minimum_zero() -> None:
    rule = Spread(ZONE, group="default/serving", min_domains=3)
    _, plan, gangs = plan_of(zones("a", "b"), *(replica(f"serving-{i}", rule=rule) for i in range(3)))
    assert [plan.gangs[g.name].status for g in gangs] == ["Scheduled", "Scheduled", "Unschedulable"]
    message = plan.unschedulable["default/serving-2-0"]
    assert "spread: replica 2 of serving over 2 zones: skew would be 2 > maxSkew 1" in message
    assert "minDomains 3 > 2 eligible" in message


def test_min_domains_met_changes_nothing() -> None:
    rule = Spread(ZONE, group="default/serving", min_domains=2)
    _, plan, _ = plan_of(zones("a", "b"), *(replica(f"serving-{i}", rule=rule) for i in range(3)))
    assert all(o.status == "Scheduled" for o in plan.gangs.values())


@pytest.mark.parametrize("max_skew", [1, 2, 3])
def test_max_skew_bounds_how_far_one_zone_may_run_ahead(max_skew: int) -> None:
    # zone b cannot take anything: every replica goes to a while a - 0 <= maxSkew
    nodes = zones("a", per_zone=4) + zones("b", memory="10Mi")
    rule = Spread(ZONE, max_skew, group="default/serving")
    _, plan, _ = plan_of(nodes, *(replica(f"serving-{i}", rule=rule) for i in range(5)))
    # the first replica may go to a (1 - 0 <= maxSkew) ... until a holds maxSkew replicas
    assert sum(o.status == "Scheduled" for o in plan.gangs.values()) == max_skew


def test_schedule_anyway_places_everything_and_reports_the_skew() -> None:
    rule = Spread(ZONE, hard=False, group="default/serving")
    nodes = zones("a", "b") + zones("c", memory="10Mi")
    snap, plan, gangs = plan_of(nodes, *(replica(f"serving-{i}", rule=rule) for i in range(3)))
    assert all(o.status == "Scheduled" for o in plan.gangs.values())
    assert sorted(zone_of(snap, plan, g) for g in gangs[:2]) == ["a", "b"]
    assert plan.gangs["default/serving-2"].message == (
        "spread: replica 2 of serving placed with skew 2 > maxSkew 1 over 3 zones (ScheduleAnyway)"
    )


def test_schedule_anyway_prefers_the_least_loaded_zone() -> None:
    rule = Spread(ZONE, hard=False, group="default/serving")
    snap, plan, gangs = plan_of(zones("a", "b", "c"), *(replica(f"serving-{i}", rule=rule) for i in range(3)))
    assert sorted(zone_of(snap, plan, g) for g in gangs) == ["a", "b", "c"]
    assert all(o.message == "" for o in plan.gangs.values())


def test_a_replica_packed_in_a_block_spreads_over_blocks() -> None:
    nodes = [node(f"{z}-{b}-n{i}", z, block=b) for z in ("a",) for b in ("b0", "b1", "b2") for i in range(2)]
    rule = Spread(BLOCK, group="default/serving")
    snap, plan, gangs = plan_of(nodes, *(replica(f"serving-{i}", rule=rule, pack=Pack(BLOCK)) for i in range(3)))
    blocks = [{snap.node_named(n).labels[BLOCK] for p, n in plan.bindings if p.startswith(f"default/{g.name[8:]}-")}
              for g in gangs]
    assert all(len(b) == 1 for b in blocks) and len(set.union(*blocks)) == 3


def test_pcsg_replicas_spread_over_racks_inside_one_packed_block() -> None:
    # one PCS replica packed in a block; its 3 PCSG replicas (group configs) spread over racks
    nodes = [node(f"{b}-{r}-n{i}", "a", block=b, rack=r) for b in ("b0", "b1") for r in ("r0", "r1", "r2")
             for i in range(2)]
    members = [pods(f"sg-{j}", 2, e2e=False) for j in range(3)]
    groups = tuple(GroupSpec(f"sg-{j}-w", keys(ms), 2) for j, ms in enumerate(members))
    rule = Spread(RACK, group="default/serving-0-sg")
    configs = tuple(GroupConfigSpec(f"sg-{j}", (f"sg-{j}-w",), None, (rule,)) for j in range(3))
    gang = GangSpec("default/serving-0", groups, Pack(BLOCK), configs)
    snap = build_snapshot(nodes, [p for ms in members for p in ms], LEVELS)
    plan = plan_placement(snap, [gang])
    assert plan_violations(snap, [gang], plan) == []
    where = {p: snap.node_named(n).labels for p, n in plan.bindings}
    assert len({labels[BLOCK] for labels in where.values()}) == 1
    racks = [{where[k][RACK] for k in keys(ms)} for ms in members]
    assert all(len(r) == 1 for r in racks) and len(set.union(*racks)) == 3


def test_pods_of_a_podclique_spread_over_hosts() -> None:
    nodes = zones("a", per_zone=4)
    frontend = pods("fe", 4, e2e=False, memory="10Mi")
    gang = GangSpec("default/serving-0", (GroupSpec("fe", keys(frontend), 4, None, (Spread(HOST),)),))
    snap = build_snapshot(nodes, frontend, LEVELS)
    plan = plan_placement(snap, [gang])
    assert len({n for _, n in plan.bindings}) == 4  # best-fit alone would stack all four on one node


def test_pod_spread_counts_pods_already_running_and_fails_in_numbers() -> None:
    nodes = [node("a-n0", "a"), node("a-n1", "a", memory="5Mi")]  # a-n1 has no room for a 10Mi pod
    running = [pod("fe-0", e2e=False, memory="10Mi", node="a-n0")]
    frontend = running + pods("fe-new", 1, e2e=False, memory="10Mi")
    gang = GangSpec("default/serving-0", (GroupSpec("fe", keys(frontend), 2, None, (Spread(HOST),)),))
    snap = build_snapshot(nodes, frontend, LEVELS)
    plan = plan_placement(snap, [gang])
    # fe-0 runs on a-n0, a-n1 is empty (the minimum is 0): a second pod on a-n0 would make skew 2 > 1
    assert plan.gangs["default/serving-0"].status == "Unschedulable"
    assert "spread: pod fe-new-0 of PodGroup fe over 2 hostnames: skew would be 2 > maxSkew 1" in (
        plan.unschedulable["default/fe-new-0"])
    fine = GangSpec("default/serving-0", (GroupSpec("fe", keys(frontend), 2),))
    assert plan_placement(snap, [fine]).gangs["default/serving-0"].status == "Scheduled"  # pack-free, it fits


def test_same_input_same_placement() -> None:
    def once() -> tuple[tuple[str, str], ...]:
        _, plan, _ = plan_of(zones("c", "a", "b"), *(replica(f"serving-{i}") for i in range(5)))
        return plan.bindings

    assert once() == once()


def test_schedule_anyway_falls_back_when_no_single_zone_can_hold_the_replica() -> None:
    nodes = zones("a", "b", memory="200Mi")  # 2 x 200Mi per zone: two 80Mi pods per node, 4 per zone
    soft = Spread(ZONE, hard=False, group="default/serving")
    hard = Spread(ZONE, group="default/serving")
    _, plan, _ = plan_of(nodes, replica("serving-0", 6, rule=soft))
    assert plan.gangs["default/serving-0"].status == "Scheduled" and len(plan.bindings) == 6
    _, plan, _ = plan_of(nodes, replica("serving-0", 6, rule=hard))
    assert plan.gangs["default/serving-0"].status == "Unschedulable"


def test_a_preferred_host_pack_does_not_make_pod_spread_over_hosts_trivial() -> None:
    nodes = zones("a", per_zone=3)
    frontend = pods("fe", 3, e2e=False, memory="10Mi")
    gang = GangSpec("default/serving-0", (GroupSpec("fe", keys(frontend), 3, Pack(None, HOST), (Spread(HOST),)),))
    snap = build_snapshot(nodes, frontend, LEVELS)
    plan = plan_placement(snap, [gang])
    assert len({n for _, n in plan.bindings}) == 3  # the preference for one host gives way to the spread


def test_a_preferred_rack_for_the_replica_does_not_squeeze_its_pcsg_spread_into_one_rack() -> None:
    nodes = [node(f"{r}-n{i}", "a", rack=r) for r in ("r0", "r1") for i in range(2)]
    members = [pods(f"sg-{j}", 1, e2e=False) for j in range(2)]
    groups = tuple(GroupSpec(f"sg-{j}-w", keys(ms), 1) for j, ms in enumerate(members))
    rule = Spread(RACK, group="default/serving-0-sg")
    configs = tuple(GroupConfigSpec(f"sg-{j}", (f"sg-{j}-w",), None, (rule,)) for j in range(2))
    gang = GangSpec("default/serving-0", groups, Pack(None, RACK), configs)
    snap = build_snapshot(nodes, [p for ms in members for p in ms], LEVELS)
    plan = plan_placement(snap, [gang])
    assert len({snap.node_named(n).labels[RACK] for _, n in plan.bindings}) == 2
