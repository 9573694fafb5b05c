"""Gate removal order (spec §7.2), PodGang Initialized, PodClique/PCSG status and events."""

from __future__ import annotations

from typing import Any

from grove.api import constants as c
from grove.kube.clock import rfc3339
from tests.cluster.controllers.harness import Operator, load_sample

MNA = "user-guide/01_core-concepts/multi-node-aggregated.yaml"


def gated(pod: dict[str, Any]) -> bool:
    return any(g["name"] == c.SCHEDULING_GATE_PODGANG_PENDING for g in pod["spec"].get("schedulingGates") or [])


async def test_scaled_gang_waits_for_base_gang_to_be_scheduled() -> None:
    op = Operator(auto_ready=False)  # nothing marks pods scheduled: we do it by hand
    await op.start()
    try:
        pcs = load_sample(MNA)
        name = pcs["metadata"]["name"]
        await op.cluster.client.create(pcs)
        await op.settle(horizon=20)
        pods = await op.live_pods(name)
        base = [p for p in pods if p["metadata"]["labels"][c.LABEL_PODGANG] == f"{name}-0"]
        scaled = [p for p in pods if p["metadata"]["labels"][c.LABEL_PODGANG] == f"{name}-0-model-instance-0"]
        assert (len(base), len(scaled)) == (4, 4)
        assert not any(gated(p) for p in base), "base gang pods are released once referenced"
        assert all(gated(p) for p in scaled), "scaled gang pods wait for the base gang"
        now = rfc3339(op.clock.now())
        for p in base:
            await op.cluster.client.patch(
                "v1", "Pod", p["metadata"]["name"],
                {"status": {"conditions": [{"type": "PodScheduled", "status": "True", "lastTransitionTime": now}]}},
                namespace="default", subresource="status")
        await op.settle(horizon=20)
        assert not any(gated(p) for p in await op.live_pods(name))
        gangs = await op.list(c.SCHEDULER_API_VERSION, c.KIND_PODGANG, part_of=name)
        for gang in gangs:
            (cond,) = gang["status"]["conditions"]
            assert (cond["type"], cond["status"], cond["reason"]) == ("Initialized", "True", "PodGangPodsCreated")
            assert gang["status"]["phase"] == "Pending"
    finally:
        await op.stop()


async def test_statuses_after_settling(op: Operator) -> None:
    pcs = load_sample(MNA)
    name = pcs["metadata"]["name"]
    await op.cluster.client.create(pcs)
    await op.settle()
    pclq = await op.cluster.client.get(c.API_VERSION, c.KIND_PCLQ, f"{name}-0-model-instance-1-worker", "default")
    st = pclq["status"]
    assert (st["replicas"], st["readyReplicas"], st["scheduledReplicas"], st["scheduleGatedReplicas"]) == (3, 3, 3, 0)
    assert st["observedGeneration"] == pclq["metadata"]["generation"]
    conds = {cd["type"]: (cd["status"], cd["reason"]) for cd in st["conditions"]}
    assert conds == {"PodCliqueScheduled": ("True", "SufficientScheduledPods"),
                     "MinAvailableBreached": ("False", "SufficientReadyPods")}
    assert "hpaPodSelector" not in st, "PCSG members publish no selector"
    assert c.FINALIZER_PCLQ in pclq["metadata"]["finalizers"]
    pcsg = await op.cluster.client.get(c.API_VERSION, c.KIND_PCSG, f"{name}-0-model-instance", "default")
    assert (pcsg["status"]["replicas"], pcsg["status"]["availableReplicas"]) == (2, 2)
    assert pcsg["status"]["selector"] == (f"{c.LABEL_MANAGED_BY}=grove-operator,{c.LABEL_PART_OF}={name},"
                                          f"{c.LABEL_PCSG}={name}-0-model-instance")
    live = await op.cluster.client.get(c.API_VERSION, c.KIND_PCS, name, "default")
    assert live["status"]["currentGenerationHash"]
    assert pcsg["status"]["currentPodCliqueSetGenerationHash"] == live["status"]["currentGenerationHash"]
    assert live["status"]["updatedReplicas"] == 1
    events = (await op.cluster.client.list("v1", "Event", "default")).items
    reasons = {e["reason"] for e in events}
    assert {"PodCreateSuccessful", "PodGangCreateOrUpdateSuccessful"} <= reasons
