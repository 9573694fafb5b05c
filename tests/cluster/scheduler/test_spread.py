"""Topology spread on the embedded cluster (docs/spread.md): PodCliqueSets with
``topologyConstraint.spreadConstraints`` go through admission, the operator translates them into the
PodGangs, and the built-in gang scheduler places the replicas. Three zones of two nodes (zone/block/rack/
host levels of the ``grove-topology`` binding), stage-fast kubelet, virtual time."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from grove.api import constants as c
from grove.api.models.config import TopologyAwareScheduling, embedded_cluster_config
from grove.devcluster.nodes import BLOCK_LABEL, HOSTNAME_LABEL, RACK_LABEL, ZONE_LABEL
from grove.kube.errors import ApiError, NotFound
from grove.sim.simulation import SimOptions, Simulation
from tests.builders import ctb, pcs
from tests.cluster.helpers import STAGE_FAST, StartSim, live_pods, settle

Obj = dict[str, Any]
NAME = "serving"
W_POD = {"containers": [{"name": "w", "image": "busybox", "resources": {"requests": {"memory": "100Mi"}}}]}


def node(name: str, zone: str, *, block: str = "b0", rack: str = "r0", memory: str = "1Gi") -> Obj:
    labels = {ZONE_LABEL: zone, BLOCK_LABEL: f"{zone}-{block}", RACK_LABEL: f"{zone}-{block}-{rack}",
              HOSTNAME_LABEL: name}
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": labels},
            "status": {"capacity": {"cpu": "8", "memory": memory, "pods": "110"},
                       "allocatable": {"cpu": "8", "memory": memory, "pods": "110"},
                       "conditions": [{"type": "Ready", "status": "True"}]}}


def three_zones(**kwargs: Any) -> list[Obj]:
    return [node(f"{z}-n{i}", z, **kwargs) for z in ("a", "b", "c") for i in range(2)]


def spread(domain: str = "zone", **fields: Any) -> dict[str, Any]:
    return {"domain": domain, **fields}


def serving(replicas: int = 3, *rules: dict[str, Any], pack: str | None = None, delay: str = "10s") -> Obj:
    tc: dict[str, Any] = {"topologyName": "grove-topology", "spreadConstraints": list(rules) or [spread()]}
    if pack:
        tc["pack"] = {"required": pack}
    body = (pcs(NAME).replicas(replicas).clique("w", 2, pod_spec=W_POD).termination_delay(delay)
            .set("spec.template.topologyConstraint", tc).build())
    body["metadata"]["namespace"] = "default"
    return body


async def start(start_sim: StartSim, nodes: list[Obj], **config: Any) -> Simulation:
    cfg = embedded_cluster_config()
    if config.get("tas") is False:
        cfg = cfg.model_copy(update={"topology_aware_scheduling": TopologyAwareScheduling(enabled=False)})
    sim = await start_sim(SimOptions(kubelet=STAGE_FAST, objects=(ctb(), *nodes), config=cfg))
    await settle(sim)
    return sim


async def zone_by_replica(sim: Simulation) -> dict[int, set[str]]:
    nodes = {n["metadata"]["name"]: n for n in (await sim.client.list("v1", "Node")).items}
    out: dict[int, set[str]] = {}
    for p in await live_pods(sim, NAME):
        index = int(p["metadata"]["labels"][c.LABEL_PCS_REPLICA_INDEX])
        where = p["spec"].get("nodeName")
        out.setdefault(index, set()).add(nodes[where]["metadata"]["labels"][ZONE_LABEL] if where else "<pending>")
    return out


def one_zone_each(zones: dict[int, set[str]]) -> dict[int, str]:
    assert all(len(z) == 1 for z in zones.values()), zones
    return {i: next(iter(z)) for i, z in zones.items()}


async def test_three_replicas_land_one_per_zone_and_a_fourth_goes_to_any_zone(start_sim: StartSim) -> None:
    sim = await start(start_sim, three_zones())
    await sim.client.create(serving(3))
    await settle(sim)
    placed = one_zone_each(await zone_by_replica(sim))
    assert sorted(placed.values()) == ["a", "b", "c"]
    gang = await sim.client.get(c.SCHEDULER_API_VERSION, c.KIND_PODGANG, f"{NAME}-0", "default")
    assert gang["spec"]["topologyConstraint"]["spreadConstraints"] == [
        {"topologyKey": ZONE_LABEL, "maxSkew": 1, "whenUnsatisfiable": "DoNotSchedule", "spreadGroup": NAME}]
    await sim.client.patch(c.API_VERSION, c.KIND_PCS, NAME, {"spec": {"replicas": 4}}, namespace="default")
    await settle(sim)
    placed = one_zone_each(await zone_by_replica(sim))
    assert "<pending>" not in placed.values()
    assert sorted(Counter(placed.values()).values()) == [1, 1, 2]


async def test_two_ready_zones_and_min_domains_3_keep_the_third_replica_pending(start_sim: StartSim) -> None:
    sim = await start(start_sim, three_zones())
    for name in ("c-n0", "c-n1"):
        await sim.kubelet.fail_node(name)
    await settle(sim)
    await sim.client.create(serving(3, spread(minDomains=3)))
    await settle(sim)
    placed = await zone_by_replica(sim)
    assert sorted(z for i in (0, 1) for z in placed[i]) == ["a", "b"]
    assert placed[2] == {"<pending>"}
    pending = [p for p in await live_pods(sim, NAME) if not p["spec"].get("nodeName")]
    messages = {e["message"] for e in sim.events() if e.get("reason") == "Unschedulable"
                and e["involvedObject"]["name"] in {p["metadata"]["name"] for p in pending}}
    assert any("spread: replica 2 of serving over 2 zones: skew would be 2 > maxSkew 1 (minDomains 3 > 2 eligible"
               in m for m in messages), messages


async def test_after_a_zone_fails_the_rebuilt_replica_lands_where_the_skew_holds(start_sim: StartSim) -> None:
    sim = await start(start_sim, three_zones())
    await sim.client.create(serving(3))
    await settle(sim)
    placed = one_zone_each(await zone_by_replica(sim))
    lost = next(i for i, z in placed.items() if z == "c")
    before = {p["metadata"]["uid"] for p in await live_pods(sim, NAME)}
    for name in ("c-n0", "c-n1"):
        await sim.kubelet.fail_node(name)
    await sim.advance(400)  # breach, terminationDelay 10 s, gang termination, eviction after 300 s
    await settle(sim)
    after = one_zone_each(await zone_by_replica(sim))
    rebuilt = {p["metadata"]["uid"] for p in await live_pods(sim, NAME)
               if int(p["metadata"]["labels"][c.LABEL_PCS_REPLICA_INDEX]) == lost}
    assert rebuilt and not rebuilt & before, "the lost replica was rebuilt with new pods"
    assert after[lost] in {"a", "b"}
    assert {i: z for i, z in after.items() if i != lost} == {i: z for i, z in placed.items() if i != lost}
    counts = Counter(after.values())
    assert max(counts["a"], counts["b"]) - min(counts["a"], counts["b"]) <= 1  # eligible zones: a and b


async def test_schedule_anyway_places_everything_and_reports_the_skew(start_sim: StartSim) -> None:
    nodes = [*three_zones()[:4], node("c-n0", "c", memory="50Mi"), node("c-n1", "c", memory="50Mi")]
    sim = await start(start_sim, nodes)
    await sim.client.create(serving(3, spread(whenUnsatisfiable="ScheduleAnyway")))
    await settle(sim)
    placed = one_zone_each(await zone_by_replica(sim))
    assert "<pending>" not in placed.values() and "c" not in placed.values()
    notes = [e["message"] for e in sim.events() if e.get("reason") == "Scheduled" and "spread:" in e["message"]]
    assert notes and all("placed with skew 2 > maxSkew 1 over 3 zones (ScheduleAnyway)" in m for m in notes), notes


async def test_pcsg_replicas_spread_over_racks_inside_one_packed_block(start_sim: StartSim) -> None:
    nodes = [node(f"{b}-{r}", "a", block=b, rack=r) for b in ("b0", "b1") for r in ("r0", "r1", "r2")]
    sim = await start(start_sim, nodes)
    body = (pcs(NAME).replicas(1).clique("p", 2, pod_spec=W_POD)
            .group("sg", ["p"], replicas=3, min_available=1,
                   topology={"spreadConstraints": [spread("rack")]})
            .topology("block").build())
    body["metadata"]["namespace"] = "default"
    await sim.client.create(body)
    await settle(sim)
    labels = {n["metadata"]["name"]: n["metadata"]["labels"] for n in (await sim.client.list("v1", "Node")).items}
    pods = await live_pods(sim, NAME)
    assert len(pods) == 6 and all(p["spec"].get("nodeName") for p in pods)
    assert len({labels[p["spec"]["nodeName"]][BLOCK_LABEL] for p in pods}) == 1
    racks: dict[str, set[str]] = {}
    for p in pods:
        racks.setdefault(p["metadata"]["labels"][c.LABEL_PODCLIQUE], set()).add(labels[p["spec"]["nodeName"]][RACK_LABEL])
    assert len(racks) == 3 and all(len(r) == 1 for r in racks.values())
    assert len(set.union(*racks.values())) == 3, racks


async def test_podclique_pods_spread_over_hosts(start_sim: StartSim) -> None:
    sim = await start(start_sim, [node(f"a-n{i}", "a") for i in range(4)])
    body = (pcs(NAME).replicas(1).clique("fe", 4, pod_spec=W_POD, topology={
        "topologyName": "grove-topology", "spreadConstraints": [spread("host")]}).build())
    body["metadata"]["namespace"] = "default"
    await sim.client.create(body)
    await settle(sim)
    hosts = [p["spec"].get("nodeName") for p in await live_pods(sim, NAME)]
    assert len(hosts) == 4 and None not in hosts and len(set(hosts)) == 4, hosts


BAD = [
    ("domain not in the binding", serving(3, spread("galaxy")),
     "spec.template.topologyConstraint.spreadConstraints[0].domain: Unsupported value: \"galaxy\""),
    ("maxSkew 0", serving(3, spread(maxSkew=0)), "spec.template.topologyConstraint.spreadConstraints[0].maxSkew"),
    ("spread finer than the replica's pack", serving(3, spread("rack"), pack="block"),
     "spec.template.topologyConstraint.spreadConstraints[0].domain: Invalid value: \"rack\": must not be narrower "
     "than spec.template.topologyConstraint.pack.required ('block')"),
]


@pytest.mark.parametrize(("case", "body", "says"), BAD, ids=[b[0] for b in BAD])
async def test_bad_spread_is_rejected_with_path_and_rule_and_nothing_is_stored(
        start_sim: StartSim, case: str, body: Obj, says: str) -> None:
    sim = await start(start_sim, three_zones())
    with pytest.raises(ApiError) as err:
        await sim.client.create(body)
    assert says in str(err.value), f"{case}: {err.value}"
    with pytest.raises(NotFound):
        await sim.client.get(c.API_VERSION, c.KIND_PCS, NAME, "default")


async def test_spread_without_topology_aware_scheduling_is_rejected(start_sim: StartSim) -> None:
    sim = await start(start_sim, three_zones(), tas=False)
    with pytest.raises(ApiError) as err:
        await sim.client.create(serving(3))
    assert "spec.template.topologyConstraint: Forbidden: topology-aware scheduling is disabled" in str(err.value)
    with pytest.raises(NotFound):
        await sim.client.get(c.API_VERSION, c.KIND_PCS, NAME, "default")


async def test_sim_tree_shows_each_replicas_zone(start_sim: StartSim) -> None:
    from grove.sim.render import render_tree

    sim = await start(start_sim, three_zones())
    await sim.client.create(serving(3))
    await settle(sim)
    tree = render_tree(sim.objects())
    lines = sorted(line.strip(" │├└─") for line in tree.splitlines() if "replica " in line)
    assert [line.split(" zone=")[0] for line in lines] == ["replica 0", "replica 1", "replica 2"], tree
    assert sorted(line.split(" zone=")[1] for line in lines) == ["a", "b", "c"], tree


async def test_kai_backend_reports_once_on_the_pcs_that_it_cannot_express_spread(start_sim: StartSim) -> None:
    sim = await start(start_sim, three_zones())
    body = serving(3)
    body["metadata"]["labels"] = {"kai.scheduler/queue": "q"}
    body["spec"]["template"]["cliques"][0]["spec"]["podSpec"]["schedulerName"] = "kai-scheduler"
    await sim.client.create(body)
    await settle(sim)
    warnings = [e for e in sim.events() if e.get("reason") == "SpreadNotSupportedByBackend"]
    assert len(warnings) == 1, warnings
    assert warnings[0]["involvedObject"]["kind"] == c.KIND_PCS and warnings[0]["type"] == "Warning"
    assert "kai-scheduler PodGroups cannot express topology spread (kubernetes.io/zone maxSkew 1)" in (
        warnings[0]["message"])
    podgroup = await sim.client.get("scheduling.run.ai/v2alpha2", "PodGroup", f"{NAME}-0", "default")
    assert "spread" not in repr(podgroup["spec"]).lower()  # nothing pretends KAI enforces it


async def test_scaled_pcsg_replicas_stay_in_their_spread_replicas_zone(start_sim: StartSim) -> None:
    sim = await start(start_sim, three_zones())
    body = (pcs(NAME).replicas(3).clique("p", 1, pod_spec=W_POD).group("sg", ["p"], replicas=2, min_available=1)
            .set("spec.template.topologyConstraint", {"topologyName": "grove-topology",
                                                      "spreadConstraints": [spread()]}).build())
    body["metadata"]["namespace"] = "default"
    await sim.client.create(body)
    await settle(sim)
    placed = one_zone_each(await zone_by_replica(sim))  # base and scaled gang of each replica: one zone
    assert sorted(placed.values()) == ["a", "b", "c"]
    assert len(await live_pods(sim, NAME)) == 6
