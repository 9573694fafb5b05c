"""The three scale levels through ``/scale`` (spec §7.5), with the quickstart/user-guide follow-ups of
scenarios.md §4, and cascade deletion through owner references."""

from __future__ import annotations

from grove.api import constants as c
from grove.sim.simulation import Simulation
from tests.cluster.controllers.test_samples import apply, counts
from tests.cluster.helpers import listed, live_pods, load_sample, names, settle


async def scale(sim: Simulation, kind: str, name: str, replicas: int) -> None:
    await sim.client.update_scale(c.API_VERSION, kind, name, replicas, "default")
    await settle(sim)


async def gang_names(sim: Simulation, pcs: str) -> list[str]:
    return await names(sim, c.SCHEDULER_API_VERSION, c.KIND_PODGANG, pcs)


async def test_simple1_quickstart_scale_steps(sim: Simulation) -> None:
    await apply(sim, "simple/simple1.yaml")
    await scale(sim, c.KIND_PCSG, "simple1-0-sga", 2)
    assert len(await live_pods(sim, "simple1")) == 13
    assert await gang_names(sim, "simple1") == ["simple1-0", "simple1-0-sga-0"]
    assert "simple1-0-sga-1-pcb" in await names(sim, c.API_VERSION, c.KIND_PCLQ, "simple1")
    scaled = [p for p in await live_pods(sim, "simple1")
              if p["metadata"]["labels"][c.LABEL_PODCLIQUE].startswith("simple1-0-sga-1-")]
    assert len(scaled) == 4
    assert {p["metadata"]["labels"][c.LABEL_PODGANG] for p in scaled} == {"simple1-0-sga-0"}
    assert all(not p["spec"].get("schedulingGates") for p in scaled), "scaled gang released after its base"

    # 18 = 2 x 9: the quickstart scales the PCSG back to 1 before scaling the PCS (13 + 9 would be 22)
    await scale(sim, c.KIND_PCSG, "simple1-0-sga", 1)
    assert len(await live_pods(sim, "simple1")) == 9
    await scale(sim, c.KIND_PCS, "simple1", 2)
    assert len(await live_pods(sim, "simple1")) == 18
    assert await gang_names(sim, "simple1") == ["simple1-0", "simple1-1"]
    assert await names(sim, "v1", "Service", "simple1") == ["simple1-0", "simple1-1"]
    (pcs,) = await listed(sim, c.API_VERSION, c.KIND_PCS)
    assert (pcs["status"]["replicas"], pcs["status"]["availableReplicas"]) == (2, 2)


async def test_single_node_aggregated_pclq_then_pcs_scale(sim: Simulation) -> None:
    name = await apply(sim, "user-guide/01_core-concepts/single-node-aggregated.yaml")
    await scale(sim, c.KIND_PCLQ, f"{name}-0-model-worker", 4)
    assert len(await live_pods(sim, name)) == 4
    await scale(sim, c.KIND_PCS, name, 3)
    pods = await live_pods(sim, name)
    assert len(pods) == 8
    per_pclq = {f"{name}-{i}-model-worker": 0 for i in range(3)}
    for p in pods:
        per_pclq[p["metadata"]["labels"][c.LABEL_PODCLIQUE]] += 1
    assert list(per_pclq.values()) == [4, 2, 2], "live replicas survive; new replicas use the template"
    (gang,) = [g for g in await listed(sim, c.SCHEDULER_API_VERSION, c.KIND_PODGANG, part_of=name)
               if g["metadata"]["name"] == f"{name}-0"]
    (group,) = gang["spec"]["podgroups"]
    assert (len(group["podReferences"]), group["minReplicas"]) == (4, 2)


async def test_multinode_aggregated_pcsg_then_member_scale(sim: Simulation) -> None:
    name = await apply(sim, "user-guide/01_core-concepts/multi-node-aggregated.yaml")
    await scale(sim, c.KIND_PCSG, f"{name}-0-model-instance", 3)
    assert len(await live_pods(sim, name)) == 12
    assert len(await listed(sim, c.API_VERSION, c.KIND_PCLQ, part_of=name)) == 6
    await scale(sim, c.KIND_PCLQ, f"{name}-0-model-instance-0-worker", 4)
    assert len(await live_pods(sim, name)) == 13
    # the PCSG controller must not reset the member's live replicas
    await settle(sim)
    assert len(await live_pods(sim, name)) == 13


async def test_scale_in_removes_highest_indices(sim: Simulation) -> None:
    name = await apply(sim, "user-guide/01_core-concepts/multi-node-aggregated.yaml")
    await scale(sim, c.KIND_PCSG, f"{name}-0-model-instance", 3)
    await scale(sim, c.KIND_PCSG, f"{name}-0-model-instance", 1)
    assert await names(sim, c.API_VERSION, c.KIND_PCLQ, name) == [
        f"{name}-0-model-instance-0-leader", f"{name}-0-model-instance-0-worker"]
    assert await gang_names(sim, name) == [f"{name}-0"]
    assert len(await live_pods(sim, name)) == 4

    single = await apply(sim, "user-guide/01_core-concepts/single-node-aggregated.yaml")
    await sim.advance(10)  # the scale-out pods are younger than the first two
    await scale(sim, c.KIND_PCLQ, f"{single}-0-model-worker", 5)
    await scale(sim, c.KIND_PCLQ, f"{single}-0-model-worker", 1)
    (pod,) = await live_pods(sim, single)
    assert pod["spec"]["hostname"] in {f"{single}-0-model-worker-0", f"{single}-0-model-worker-1"}, \
        "the oldest pods survive"
    await scale(sim, c.KIND_PCLQ, f"{single}-0-model-worker", 2)
    assert sorted(p["spec"]["hostname"] for p in await live_pods(sim, single)) == [
        f"{single}-0-model-worker-0", f"{single}-0-model-worker-1"], "index holes are refilled"
    await scale(sim, c.KIND_PCS, single, 0)
    assert await names(sim, c.API_VERSION, c.KIND_PCLQ, single) == []
    assert await gang_names(sim, single) == []


async def test_deleting_the_pcs_removes_everything(sim: Simulation) -> None:
    name = await apply(sim, "simple/simple3-explicit-startup-order.yaml")
    assert (await counts(sim, name))["pods"] == 23
    await sim.client.delete(c.API_VERSION, c.KIND_PCS, name, "default")
    await settle(sim)
    leftovers = [
        (o["kind"], o["metadata"]["name"])
        for gk in sim.cluster.store.group_kinds()
        for o in sim.cluster.store.iter_kind(gk)
        if (o["metadata"].get("labels") or {}).get(c.LABEL_PART_OF) == name
    ]
    assert leftovers == []
    assert await listed(sim, c.API_VERSION, c.KIND_PCS) == []


async def test_template_replicas_never_override_live_replicas_on_pcs_update(sim: Simulation) -> None:
    pcs = load_sample("user-guide/01_core-concepts/single-node-aggregated.yaml")
    name = pcs["metadata"]["name"]
    await sim.client.create(pcs)
    await settle(sim)
    await scale(sim, c.KIND_PCLQ, f"{name}-0-model-worker", 3)
    live = await sim.client.get(c.API_VERSION, c.KIND_PCS, name, "default")
    live["metadata"].setdefault("annotations", {})[c.ANNOTATION_RECONCILE_TRIGGER] = "1"
    live["spec"]["template"]["cliques"][0]["spec"]["podSpec"]["terminationGracePeriodSeconds"] = 5
    await sim.client.update(live)
    await settle(sim)
    pclq = await sim.client.get(c.API_VERSION, c.KIND_PCLQ, f"{name}-0-model-worker", "default")
    assert pclq["spec"]["replicas"] == 3
    assert pclq["spec"]["podSpec"]["terminationGracePeriodSeconds"] == 5, "template changes reach the PCLQ"
