"""Gang placement: all-or-nothing, minReplicas, packs, coupling, determinism (scenarios.md §2.1 shapes)."""

from __future__ import annotations

from collections import Counter

from grove.scheduler.gangs import Coupling, GroupConfigSpec, Pack
from grove.scheduler.placement import plan_placement
from grove.scheduler.snapshot import Snapshot

from .builders import (
    BLOCK_LABEL,
    HOSTNAME_LABEL,
    RACK_LABEL,
    ZONE_LABEL,
    e2e_nodes,
    gang,
    group,
    pod,
    pods,
    snapshot,
)


def _label(snap: Snapshot, node: str, key: str) -> str:
    return snap.node_named(node).labels[key]


def test_gang_of_ten_on_nine_free_nodes_binds_nothing_and_says_why() -> None:
    cluster = e2e_nodes(30, cordon=range(9, 30))
    workers = pods("w", 10)
    plan = plan_placement(snapshot(cluster, workers), [gang("g", group("w", workers))])
    assert plan.bindings == ()
    assert set(plan.unschedulable) == {f"default/w-{i}" for i in range(10)}
    message = plan.unschedulable["default/w-0"]
    assert message == (
        "0/30 nodes are available: 9 Insufficient memory, 21 node(s) were unschedulable; gang needs 10 pods, 9 fit"
    )
    assert plan.gangs["default/g"].status == "Unschedulable"


def test_gang_of_ten_on_ten_nodes_binds_every_pod_on_a_distinct_node() -> None:
    cluster = e2e_nodes(30, cordon=range(10, 30))
    workers = pods("w", 10)
    plan = plan_placement(snapshot(cluster, workers), [gang("g", group("w", workers))])
    assert len(plan.bindings) == 10 and not plan.unschedulable
    assert len({node for _, node in plan.bindings}) == 10
    assert {node for _, node in plan.bindings} == {f"kwok-node-{i}" for i in range(10)}
    assert plan.gangs["default/g"].status == "Scheduled"


def test_pods_beyond_min_replicas_are_best_effort() -> None:
    cluster = e2e_nodes(30, cordon=range(5, 30))
    workers = pods("w", 8)
    plan = plan_placement(snapshot(cluster, workers), [gang("g", group("w", workers, min_replicas=3))])
    assert len(plan.bindings) == 5
    assert len(plan.unschedulable) == 3
    bound = {p for p, _ in plan.bindings}
    assert {"default/w-0", "default/w-1", "default/w-2"} <= bound  # the required ones are the first by name
    assert "no room for this extra pod" in next(iter(plan.unschedulable.values()))
    outcome = plan.gangs["default/g"]
    assert (outcome.status, outcome.required, outcome.placed) == ("Scheduled", 3, 5)


def test_min_replicas_unmet_across_groups_places_nothing() -> None:
    cluster = e2e_nodes(30, cordon=range(4, 30))
    a, b = pods("a", 2), pods("b", 3)
    plan = plan_placement(snapshot(cluster, a + b), [gang("g", group("a", a), group("b", b, min_replicas=3))])
    assert plan.bindings == ()
    assert "gang needs 5 pods, 4 fit" in plan.unschedulable["default/a-0"]


def test_earlier_gangs_capacity_is_accounted() -> None:
    cluster = e2e_nodes(30, cordon=range(6, 30))
    first, second = pods("x", 4), pods("y", 4)
    plan = plan_placement(
        snapshot(cluster, first + second),
        [gang("first", group("x", first)), gang("second", group("y", second))],
    )
    assert plan.gangs["default/first"].status == "Scheduled"
    assert plan.gangs["default/second"].status == "Unschedulable"
    assert "gang needs 4 pods, 2 fit" in plan.unschedulable["default/y-0"]


def test_already_bound_pods_count_toward_min_replicas() -> None:
    cluster = e2e_nodes(30, cordon=range(3, 30))
    old = [pod("w-0", node="kwok-node-0"), pod("w-1", node="kwok-node-1")]
    new = [pod("w-2")]
    plan = plan_placement(snapshot(cluster, old + new), [gang("g", group("w", old + new))])
    assert plan.bindings == (("default/w-2", "kwok-node-2"),)


def test_gated_or_missing_pods_leave_the_gang_waiting_without_events() -> None:
    cluster = e2e_nodes(30)
    workers = [*pods("w", 2), pod("w-2", gated=True)]
    plan = plan_placement(snapshot(cluster, workers), [gang("g", group("w", workers))])
    assert plan.bindings == () and plan.unschedulable == {}
    assert plan.gangs["default/g"].status == "Waiting"


def test_required_pack_at_host_level_puts_the_gang_on_one_host() -> None:
    cluster = e2e_nodes(30)
    workers = pods("w", 4, memory="30Mi")
    plan = plan_placement(
        snapshot(cluster, workers), [gang("g", group("w", workers), pack=Pack(required=HOSTNAME_LABEL))]
    )
    assert len(plan.bindings) == 4 and len({n for _, n in plan.bindings}) == 1


def test_required_pack_at_rack_level_holds_and_packs_best_fit() -> None:
    cluster = e2e_nodes(30)
    workers = pods("w", 2)
    snap = snapshot(cluster, workers)
    plan = plan_placement(snap, [gang("g", group("w", workers), pack=Pack(required=RACK_LABEL))])
    racks = {_label(snap, n, RACK_LABEL) for _, n in plan.bindings}
    assert racks == {"rack-4"}  # the smallest rack that fits (2 nodes) limits fragmentation


def test_required_pack_at_block_level_for_a_group_config() -> None:
    cluster = e2e_nodes(30)
    a, b = pods("a", 5), pods("b", 5)
    cfg = GroupConfigSpec("sg-0", ("a", "b"), Pack(required=BLOCK_LABEL))
    snap = snapshot(cluster, a + b)
    plan = plan_placement(snap, [gang("g", group("a", a), group("b", b), group_configs=(cfg,))])
    assert len(plan.bindings) == 10
    assert len({_label(snap, n, BLOCK_LABEL) for _, n in plan.bindings}) == 1


def test_unsatisfiable_required_pack_places_nothing_with_a_clear_reason() -> None:
    cluster = e2e_nodes(30)
    workers = pods("w", 8)  # one pod per node, racks hold at most 7 nodes
    plan = plan_placement(
        snapshot(cluster, workers), [gang("g", group("w", workers, pack=Pack(required=RACK_LABEL)))]
    )
    assert plan.bindings == ()
    message = plan.unschedulable["default/w-0"]
    assert message.startswith("0/30 nodes are available: 7 Insufficient memory, 23 node(s) didn't match")
    assert message.endswith(f"gang needs 8 pods, 7 fit (pack required: {RACK_LABEL})")


def test_preferred_pack_falls_back_to_broader_levels() -> None:
    cluster = e2e_nodes(30)
    workers = pods("w", 10)
    snap = snapshot(cluster, workers)
    plan = plan_placement(snap, [gang("g", group("w", workers), pack=Pack(preferred=RACK_LABEL))])
    assert len(plan.bindings) == 10
    assert len({_label(snap, n, BLOCK_LABEL) for _, n in plan.bindings}) == 1  # no rack fits: one block does


def test_preferred_pack_uses_the_preferred_level_when_it_fits() -> None:
    cluster = e2e_nodes(30)
    workers = pods("w", 6)
    snap = snapshot(cluster, workers)
    plan = plan_placement(
        snap, [gang("g", group("w", workers), pack=Pack(required=ZONE_LABEL, preferred=RACK_LABEL))]
    )
    assert len({_label(snap, n, RACK_LABEL) for _, n in plan.bindings}) == 1


def test_pcs_coupling_keeps_a_scaled_gang_in_the_base_gangs_domain() -> None:
    cluster = e2e_nodes(30)
    base, scaled = pods("base", 3), pods("scaled", 3)
    snap = snapshot(cluster, base + scaled)
    gangs = [
        gang("pcs-0", group("base", base), pack=Pack(required=RACK_LABEL)),
        gang("pcs-0-sg-0", group("scaled", scaled), same_domain_as=Coupling("default/pcs-0", RACK_LABEL)),
    ]
    plan = plan_placement(snap, gangs)
    assert len(plan.bindings) == 6
    assert len({_label(snap, n, RACK_LABEL) for _, n in plan.bindings}) == 1


def test_coupling_to_an_already_bound_base_gang_uses_its_domain() -> None:
    cluster = e2e_nodes(30)
    base = [pod("base-0", node="kwok-node-15")]  # rack-2
    scaled = pods("scaled", 3)
    snap = snapshot(cluster, base + scaled)
    gangs = [
        gang("pcs-0", group("base", base)),
        gang("pcs-0-sg-0", group("scaled", scaled), same_domain_as=Coupling("default/pcs-0", RACK_LABEL)),
    ]
    plan = plan_placement(snap, gangs)
    assert {_label(snap, n, RACK_LABEL) for _, n in plan.bindings} == {"rack-2"}


def test_coupled_gang_waits_while_its_base_gang_is_unplaced() -> None:
    cluster = e2e_nodes(30, cordon=range(2, 30))
    base, scaled = pods("base", 3), pods("scaled", 1)
    gangs = [
        gang("pcs-0", group("base", base)),
        gang("pcs-0-sg-0", group("scaled", scaled), same_domain_as=Coupling("default/pcs-0", RACK_LABEL)),
    ]
    plan = plan_placement(snapshot(cluster, base + scaled), gangs)
    assert plan.bindings == ()
    assert plan.gangs["default/pcs-0-sg-0"].status == "Waiting"


def test_same_input_same_plan_even_with_nodes_permuted() -> None:
    cluster = e2e_nodes(30)
    workers = pods("w", 12, memory="40Mi")
    gangs = [
        gang("g", group("w", workers[:6], pack=Pack(preferred=RACK_LABEL))),
        gang("h", group("v", workers[6:])),
    ]
    first = plan_placement(snapshot(cluster, workers), gangs)
    again = plan_placement(snapshot(list(reversed(cluster)), list(reversed(workers))), gangs)
    assert first == again


def test_gpu_requests_are_counted() -> None:
    from grove.devcluster.nodes import NodeShape

    cluster = e2e_nodes(4, shape=NodeShape(extra={"nvidia.com/gpu": "2"}))
    workers = pods("w", 9, memory="1Mi", gpu="1")
    plan = plan_placement(snapshot(cluster, workers), [gang("g", group("w", workers, min_replicas=8))])
    assert len(plan.bindings) == 8
    assert max(Counter(n for _, n in plan.bindings).values()) == 2
    assert "Insufficient nvidia.com/gpu" in plan.unschedulable["default/w-8"]


def test_tas_hierarchy_block_over_rack_over_host() -> None:
    """upstream e2e tas-hierarchy: PCS block, each PCSG replica a rack, each clique one host (40Mi pods)."""
    cluster = e2e_nodes(30)
    groups, configs, manifests = [], [], []
    for j in range(2):
        members = []
        for clique in ("prefill", "decode"):
            name = f"tas-hierarchy-0-inference-group-{j}-{clique}"
            replicas = pods(name, 2, memory="40Mi")
            manifests += replicas
            groups.append(group(name, replicas, pack=Pack(required=HOSTNAME_LABEL)))
            members.append(name)
        configs.append(
            GroupConfigSpec(f"tas-hierarchy-0-inference-group-{j}", tuple(members), Pack(required=RACK_LABEL))
        )
    snap = snapshot(cluster, manifests)
    gangs = [gang("tas-hierarchy-0", *groups, pack=Pack(required=BLOCK_LABEL), group_configs=tuple(configs))]
    plan = plan_placement(snap, gangs)
    where = dict(plan.bindings)
    assert len(where) == 8
    assert len({_label(snap, n, BLOCK_LABEL) for n in where.values()}) == 1
    for j in range(2):
        replica = [n for p, n in where.items() if f"inference-group-{j}-" in p]
        assert len({_label(snap, n, RACK_LABEL) for n in replica}) == 1
        for clique in ("prefill", "decode"):
            assert len({n for p, n in where.items() if f"group-{j}-{clique}" in p}) == 1
