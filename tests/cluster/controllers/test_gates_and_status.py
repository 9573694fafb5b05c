"""Gate removal order (spec §7.2), PodGang Initialized, PodClique/PCSG status and events."""

from __future__ import annotations

from typing import Any

from grove.api import constants as c
from grove.sim.nodes import uniform_nodes
from grove.sim.simulation import SimOptions, Simulation
from tests.cluster.helpers import STAGE_FAST, StartSim, listed, live_pods, load_sample, settle

MNA = "user-guide/01_core-concepts/multi-node-aggregated.yaml"


def gated(pod: dict[str, Any]) -> bool:
    return any(g["name"] == c.SCHEDULING_GATE_PODGANG_PENDING for g in pod["spec"].get("schedulingGates") or [])


async def test_scaled_gang_waits_for_base_gang_to_be_scheduled(start_sim: StartSim) -> None:
    sim = await start_sim(SimOptions(kubelet=STAGE_FAST))  # no nodes yet: nothing can be scheduled
    pcs = load_sample(MNA)
    name = pcs["metadata"]["name"]
    await sim.client.create(pcs)
    await settle(sim, 20)
    pods = await live_pods(sim, name)
    base = [p for p in pods if p["metadata"]["labels"][c.LABEL_PODGANG] == f"{name}-0"]
    scaled = [p for p in pods if p["metadata"]["labels"][c.LABEL_PODGANG] == f"{name}-0-model-instance-0"]
    assert (len(base), len(scaled)) == (4, 4)
    assert not any(gated(p) for p in base), "base gang pods are released once referenced"
    assert all(gated(p) for p in scaled), "scaled gang pods wait for the base gang"
    assert not any(p["spec"].get("nodeName") for p in pods)
    await sim.apply(uniform_nodes(4))  # room: the gang scheduler schedules the base gang
    await settle(sim, 20)
    assert not any(gated(p) for p in await live_pods(sim, name))
    gangs = await listed(sim, c.SCHEDULER_API_VERSION, c.KIND_PODGANG, part_of=name)
    for gang in gangs:
        (cond,) = gang["status"]["conditions"]
        assert (cond["type"], cond["status"], cond["reason"]) == ("Initialized", "True", "PodGangPodsCreated")
        assert gang["status"]["phase"] == "Pending"


async def test_statuses_after_settling(sim: Simulation) -> None:
    pcs = load_sample(MNA)
    name = pcs["metadata"]["name"]
    await sim.client.create(pcs)
    await settle(sim)
    pclq = await sim.client.get(c.API_VERSION, c.KIND_PCLQ, f"{name}-0-model-instance-1-worker", "default")
    st = pclq["status"]
    assert (st["replicas"], st["readyReplicas"], st["scheduledReplicas"], st["scheduleGatedReplicas"]) == (3, 3, 3, 0)
    assert st["observedGeneration"] == pclq["metadata"]["generation"]
    conds = {cd["type"]: (cd["status"], cd["reason"]) for cd in st["conditions"]}
    assert conds == {"PodCliqueScheduled": ("True", "SufficientScheduledPods"),
                     "MinAvailableBreached": ("False", "SufficientReadyPods")}
    assert "hpaPodSelector" not in st, "PCSG members publish no selector"
    assert c.FINALIZER_PCLQ in pclq["metadata"]["finalizers"]
    pcsg = await sim.client.get(c.API_VERSION, c.KIND_PCSG, f"{name}-0-model-instance", "default")
    assert (pcsg["status"]["replicas"], pcsg["status"]["availableReplicas"]) == (2, 2)
    assert pcsg["status"]["selector"] == (f"{c.LABEL_MANAGED_BY}=grove-operator,{c.LABEL_PART_OF}={name},"
                                          f"{c.LABEL_PCSG}={name}-0-model-instance")
    live = await sim.client.get(c.API_VERSION, c.KIND_PCS, name, "default")
    assert live["status"]["currentGenerationHash"]
    assert pcsg["status"]["currentPodCliqueSetGenerationHash"] == live["status"]["currentGenerationHash"]
    assert live["status"]["updatedReplicas"] == 1
    events = (await sim.client.list("v1", "Event", "default")).items
    reasons = {e["reason"] for e in events}
    assert {"PodCreateSuccessful", "PodGangCreateOrUpdateSuccessful"} <= reasons
