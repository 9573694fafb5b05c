"""The PodGang controller on the embedded cluster (spec §5.4, §10.2): with the KAI and Volcano PodGroup
CRDs installed, every kai-scheduler PodGang of an upstream e2e manifest gets its ``scheduling.run.ai``
PodGroup (queue, minMember, subGroups, topology), a second pass writes nothing, deleting the PodCliqueSet
garbage-collects the PodGroups; without the CRD the gang gets one Warning and the workload still runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from grove.api import constants as c
from grove.controllers.podgang.backends import KAI_API_VERSION, VOLCANO_API_VERSION
from grove.controllers.podgang.reconciler import NAME, REASON_KIND_NOT_SERVED
from grove.devcluster.nodes import kwok_nodes
from grove.runtime.handlers import Request
from grove.sim.simulation import SimOptions, Simulation
from tests.builders import pcs, third_party_crd
from tests.cluster.helpers import NS, STAGE_FAST, StartSim, listed, live_pods, settle
from tests.upstream import UPSTREAM

Obj = dict[str, Any]
E2E_DIR = UPSTREAM / "e2e"
DATA = Path(__file__).resolve().parents[2] / "data"


CRDS = (third_party_crd("scheduling.run.ai", "PodGroup", "v2alpha2"),
        third_party_crd("scheduling.volcano.sh", "PodGroup", "v1beta1"))


def e2e_docs(name: str) -> list[Obj]:
    docs = [d for d in yaml.safe_load_all((E2E_DIR / name).read_text()) if d]
    for doc in docs:
        doc.setdefault("metadata", {}).setdefault("namespace", NS)
    return docs


def data_docs(name: str) -> list[Obj]:
    return [d for d in yaml.safe_load_all((DATA / name).read_text()) if d]


async def start(start_sim: StartSim, *, crds: bool = True, extra: tuple[Obj, ...] = ()) -> Simulation:
    objects = (*(CRDS if crds else ()), *extra, *kwok_nodes(12))
    return await start_sim(SimOptions(kubelet=STAGE_FAST, objects=objects, serve_scheduler_kinds=crds))


async def apply(sim: Simulation, docs: list[Obj]) -> None:
    for doc in docs:
        await sim.client.create(doc)
    await settle(sim)


async def kai_podgroups(sim: Simulation) -> dict[str, Obj]:
    items = (await sim.client.list(KAI_API_VERSION, "PodGroup", NS)).items
    return {o["metadata"]["name"]: o for o in items}


async def podgangs(sim: Simulation, part_of: str) -> dict[str, Obj]:
    return {g["metadata"]["name"]: g for g in await listed(sim, c.SCHEDULER_API_VERSION, c.KIND_PODGANG,
                                                            part_of=part_of)}


async def test_workload1_gets_one_kai_podgroup_per_podgang(start_sim: StartSim) -> None:
    sim = await start(start_sim)
    await apply(sim, e2e_docs("workload1.yaml"))
    gangs = await podgangs(sim, "workload1")
    groups = await kai_podgroups(sim)
    assert gangs and sorted(groups) == sorted(gangs)
    for name, gang in gangs.items():
        pg = groups[name]
        spec = gang["spec"]
        assert gang["metadata"]["annotations"][c.KAI_SKIP_PODGROUPER] == "true"
        assert pg["spec"]["queue"] == "test"
        assert pg["spec"]["minMember"] == sum(g["minReplicas"] for g in spec["podgroups"])
        assert pg["spec"]["subGroups"] == [{"name": g["name"], "minMember": g["minReplicas"]}
                                           for g in spec["podgroups"]]
        assert "topologyConstraint" not in pg["spec"]
        (ref,) = pg["metadata"]["ownerReferences"]
        assert (ref["kind"], ref["name"], ref["uid"], ref["controller"]) == (
            c.KIND_PODGANG, name, gang["metadata"]["uid"], True)
        assert pg["metadata"]["labels"][c.LABEL_SCHEDULER_NAME] == c.SCHEDULER_KAI
        assert pg["metadata"]["labels"][c.LABEL_PART_OF] == "workload1"
    assert groups["workload1-0"]["spec"]["minMember"] == 10  # pc-a 2 + 2 x (pc-b 1 + pc-c 3)
    assert len(await live_pods(sim, "workload1")) == 10, "the embedded scheduler still places every pod"


async def test_a_second_reconcile_writes_nothing(start_sim: StartSim) -> None:
    sim = await start(start_sim)
    await apply(sim, e2e_docs("workload1.yaml"))
    before = {n: o["metadata"]["resourceVersion"] for n, o in (await kai_podgroups(sim)).items()}
    gang_rvs = {n: o["metadata"]["resourceVersion"] for n, o in (await podgangs(sim, "workload1")).items()}
    ctrl = sim.manager.controllers[NAME]
    runs = ctrl.reconciles_total
    rv = sim.cluster.resource_version
    for name in before:
        ctrl.queue.add(Request(NS, name))
    await settle(sim)
    assert ctrl.reconciles_total == runs + len(before)
    assert ctrl.errors_total == 0
    assert sim.cluster.resource_version == rv, "no write at all"
    assert {n: o["metadata"]["resourceVersion"] for n, o in (await kai_podgroups(sim)).items()} == before
    assert {n: o["metadata"]["resourceVersion"] for n, o in (await podgangs(sim, "workload1")).items()} == gang_rvs


async def test_pcsg_scale_out_adds_a_podgroup_and_pcs_deletion_removes_all(start_sim: StartSim) -> None:
    sim = await start(start_sim)
    await apply(sim, e2e_docs("workload1.yaml"))
    count = len(await kai_podgroups(sim))
    await sim.client.patch(c.API_VERSION, c.KIND_PCSG, "workload1-0-sg-x", {"spec": {"replicas": 3}}, namespace=NS)
    await settle(sim)
    groups = await kai_podgroups(sim)
    assert len(groups) == count + 1
    assert sorted(groups) == sorted(await podgangs(sim, "workload1"))
    await sim.client.delete(c.API_VERSION, c.KIND_PCS, "workload1", NS)
    await settle(sim)
    assert await podgangs(sim, "workload1") == {}
    assert await kai_podgroups(sim) == {}


async def test_tas_hierarchy_carries_topology_constraints(start_sim: StartSim) -> None:
    sim = await start(start_sim, extra=tuple(data_docs("e2e-topology.yaml")))
    await apply(sim, e2e_docs("tas-hierarchy.yaml"))
    gangs = await podgangs(sim, "tas-hierarchy")
    groups = await kai_podgroups(sim)
    assert sorted(groups) == sorted(gangs) == ["tas-hierarchy-0"]
    spec = groups["tas-hierarchy-0"]["spec"]
    topo = "grove-topology"
    assert spec["topologyConstraint"] == {"topology": topo, "requiredTopologyLevel": "kubernetes.io/block"}
    subs = {s["name"]: s for s in spec["subGroups"]}
    for j in (0, 1):
        cfg = subs[f"tas-hierarchy-0-inference-group-{j}"]
        assert cfg == {"name": f"tas-hierarchy-0-inference-group-{j}", "minSubGroup": 2,
                       "topologyConstraint": {"topology": topo, "requiredTopologyLevel": "kubernetes.io/rack"}}
        for member in ("prefill", "decode"):
            sub = subs[f"tas-hierarchy-0-inference-group-{j}-{member}"]
            assert sub["parent"] == cfg["name"]
            assert sub["topologyConstraint"] == {"topology": topo,
                                                 "requiredTopologyLevel": "kubernetes.io/hostname"}
    assert [s["name"] for s in spec["subGroups"]][:2] == [f"tas-hierarchy-0-inference-group-{j}" for j in (0, 1)]
    assert spec["minMember"] == 8 == sum(s.get("minMember", 0) for s in spec["subGroups"])
    assert spec["queue"] == "test"


async def test_volcano_podgang_gets_a_volcano_podgroup(start_sim: StartSim) -> None:
    queue = {"apiVersion": "scheduling.volcano.sh/v1beta1", "kind": "Queue", "metadata": {"name": "research"},
             "spec": {}, "status": {"state": "Open"}}
    sim = await start(start_sim)  # serves Volcano Queues (grove.sim.scheduler_kinds)
    await sim.apply([queue])
    body = (pcs("vc", NS).annotate(c.VOLCANO_QUEUE_ANNOTATION, "research")
            .clique("w", 2, min_available=2, scheduler=c.SCHEDULER_VOLCANO).build())
    await apply(sim, [body])
    items = (await sim.client.list(VOLCANO_API_VERSION, "PodGroup", NS)).items
    (pg,) = items
    assert pg["metadata"]["name"] == "vc-0"
    assert pg["spec"]["minMember"] == 2 and pg["spec"]["queue"] == "research"
    assert pg["spec"]["subGroupPolicy"] == [{"name": "vc-0-w", "labelSelector": {"matchLabels": {
        c.LABEL_PODCLIQUE: "vc-0-w"}}, "matchLabelKeys": [c.LABEL_PODCLIQUE], "subGroupSize": 2, "minSubGroups": 1}]
    assert pg["metadata"]["ownerReferences"][0]["name"] == "vc-0"


async def test_without_the_crd_one_warning_and_the_workload_still_runs(start_sim: StartSim) -> None:
    sim = await start(start_sim, crds=False)
    await apply(sim, e2e_docs("workload1.yaml"))
    gangs = await podgangs(sim, "workload1")
    assert gangs
    ctrl = sim.manager.controllers[NAME]
    assert ctrl.errors_total == 0
    assert not sim.clock.next_deadline() or sim.clock.next_deadline() > sim.clock.now() + 60  # type: ignore[operator]
    warnings = [e for e in sim.events() if e.get("reason") == REASON_KIND_NOT_SERVED]
    assert sorted(e["involvedObject"]["name"] for e in warnings) == sorted(gangs), "one Warning per PodGang"
    assert all(e["type"] == "Warning" and e.get("count", 1) == 1 for e in warnings)
    assert all(e["involvedObject"]["kind"] == c.KIND_PODGANG for e in warnings)
    assert len(await live_pods(sim, "workload1")) == 10
    (pcs_obj,) = await listed(sim, c.API_VERSION, c.KIND_PCS, selector=None)
    assert pcs_obj["status"]["availableReplicas"] == 1
    # pods churn the gangs' podReferences (generation changes): still no second Warning
    await sim.client.patch(c.API_VERSION, c.KIND_PCSG, "workload1-0-sg-x", {"spec": {"replicas": 3}}, namespace=NS)
    await settle(sim)
    warnings = [e for e in sim.events() if e.get("reason") == REASON_KIND_NOT_SERVED]
    assert len(warnings) == len(gangs) + 1 and all(e.get("count", 1) == 1 for e in warnings)


@pytest.mark.parametrize("scheduler", [c.SCHEDULER_GROVE, c.SCHEDULER_DEFAULT])
async def test_schedulers_without_sync_get_no_podgroup(start_sim: StartSim, scheduler: str) -> None:
    sim = await start(start_sim)
    body = pcs("plain", NS).clique("w", 1, scheduler=scheduler).build()
    await apply(sim, [body])
    assert await podgangs(sim, "plain")
    assert await kai_podgroups(sim) == {}
    assert (await sim.client.list(VOLCANO_API_VERSION, "PodGroup", NS)).items == []
    assert not any(e["involvedObject"].get("kind") == c.KIND_PODGANG and e["type"] == "Warning"
                   for e in sim.events())
