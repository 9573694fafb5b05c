"""Rolling updates (spec §8) on the embedded cluster, on virtual time.

RollingRecreate: a PodCliqueSet with 3 replicas, a standalone clique and a scaling group gets a new image;
the objects are sampled after every quiesce and every clock step, and at no sample is more than one PCS
replica in flight, more than one pod of a standalone PodClique down, or more than one replica of a
scaling group down; at the end every pod runs the new template and the status bookkeeping (updateProgress,
updatedReplicas) is complete at all three levels. With every node cordoned exactly one pod is replaced and
nothing more happens until the nodes come back. OnDelete (upstream ``workload-ondelete.yaml``): nothing is
deleted by an image change, a deleted pod comes back on the new template, scale-in removes outdated pods
first.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import yaml

from grove.api import constants as c
from grove.devcluster.nodes import kwok_nodes
from grove.sim.nodes import uniform_nodes
from grove.sim.runner import apply_manifests
from grove.sim.simulation import Simulation
from tests.builders import pcs
from tests.upstream import UPSTREAM

Obj = dict[str, Any]
NS = "default"
OLD, NEW = "busybox:1.0", "busybox:2.0"


def objs(sim: Simulation, kind: str) -> list[Obj]:
    return [o for o in sim.objects() if o["kind"] == kind]


def live_pods(sim: Simulation) -> list[Obj]:
    return [p for p in objs(sim, "Pod") if not p["metadata"].get("deletionTimestamp")]


def image(pod: Obj) -> str:
    return str(pod["spec"]["containers"][0]["image"])


def is_ready(pod: Obj) -> bool:
    return any(cd.get("type") == "Ready" and cd.get("status") == "True"
               for cd in (pod.get("status") or {}).get("conditions") or [])


async def set_image(sim: Simulation, name: str, img: str) -> None:
    body = await sim.client.get(c.API_VERSION, c.KIND_PCS, name, NS)
    for clique in body["spec"]["template"]["cliques"]:
        for ctr in clique["spec"]["podSpec"]["containers"]:
            ctr["image"] = img
    await sim.client.update(body)


async def run_sampled(sim: Simulation, seconds: float, check: Callable[[], None]) -> None:
    """Advance up to ``seconds`` of virtual time, calling ``check`` after every quiesce and clock step."""
    deadline = sim.clock.now() + seconds
    while True:
        await sim.quiesce()
        check()
        nxt = sim.clock.next_deadline()
        if nxt is None or nxt > deadline:
            return
        await sim.clock.advance_to(nxt)


def rolling_pcs() -> Obj:
    body = (pcs("roll").replicas(3)
            .clique("a", 2, min_available=2).clique("b", 1).clique("c", 2, min_available=1)
            .group("sg", ["b", "c"], replicas=2, min_available=1).build())
    for clique in body["spec"]["template"]["cliques"]:
        clique["spec"]["podSpec"]["containers"][0]["image"] = OLD
    body["metadata"]["namespace"] = NS
    return body


PODS_PER_REPLICA = 2 + 2 * (1 + 2)


class Sampler:
    """The per-sample invariants of a RollingRecreate update of ``rolling_pcs``."""

    def __init__(self, sim: Simulation) -> None:
        self.sim = sim
        self.samples = 0
        self.max_replicas_in_flight = 0
        self.saw_current = set()  # type: set[int]

    def __call__(self) -> None:
        self.samples += 1
        live = live_pods(self.sim)
        by_replica: dict[str, list[Obj]] = {}
        for p in live:
            by_replica.setdefault(p["metadata"]["labels"][c.LABEL_PCS_REPLICA_INDEX], []).append(p)
        # A replica is in flight while its live pods mix templates or a replacement is still missing
        # (old pods of a finished replica may still be terminating; they are not part of it any more).
        in_flight = [i for i, ps in by_replica.items()
                     if len({image(p) for p in ps}) > 1 or len(ps) < PODS_PER_REPLICA]
        assert len(in_flight) <= 1, f"PCS replicas {in_flight} updating at once"
        self.max_replicas_in_flight = max(self.max_replicas_in_flight, len(in_flight))
        # one standalone pod down at a time (per standalone PodClique)
        for i in range(3):
            ready_a = [p for p in live if p["metadata"]["labels"][c.LABEL_PODCLIQUE] == f"roll-{i}-a" and is_ready(p)]
            assert len(ready_a) >= 1, f"roll-{i}-a has {len(ready_a)} ready pods"
            # one scaling-group replica down at a time
            down = 0
            for j, (nb, nc) in enumerate(((1, 2), (1, 2))):
                members = [p for p in live if p["metadata"]["labels"].get(c.LABEL_PCSG) == f"roll-{i}-sg"
                           and p["metadata"]["labels"].get(c.LABEL_PCSG_REPLICA_INDEX) == str(j) and is_ready(p)]
                if len(members) < nb + nc:
                    down += 1
            assert down <= 1, f"roll-{i}-sg has {down} replicas down"
        pcs_obj = objs(self.sim, c.KIND_PCS)[0]
        current = ((pcs_obj.get("status") or {}).get("updateProgress") or {}).get("currentlyUpdating") or []
        assert len(current) <= 1
        self.saw_current.update(int(e["replicaIndex"]) for e in current)


async def test_rolling_recreate_one_replica_at_a_time(sim: Simulation) -> None:
    await apply_manifests(sim, [*uniform_nodes(12), rolling_pcs()])
    assert await sim.run_until("ready", timeout=120)
    before = {p["metadata"]["uid"] for p in live_pods(sim)}
    assert len(before) == 3 * PODS_PER_REPLICA and {image(p) for p in live_pods(sim)} == {OLD}
    old_hash = objs(sim, c.KIND_PCS)[0]["status"]["currentGenerationHash"]

    await set_image(sim, "roll", NEW)
    sampler = Sampler(sim)
    await run_sampled(sim, 600, sampler)

    pods = live_pods(sim)
    assert len(pods) == 3 * PODS_PER_REPLICA and all(is_ready(p) for p in pods)
    assert {image(p) for p in pods} == {NEW}
    assert not before & {p["metadata"]["uid"] for p in pods}
    assert sampler.saw_current == {0, 1, 2} and sampler.samples > 10
    st = objs(sim, c.KIND_PCS)[0]["status"]
    assert st["currentGenerationHash"] != old_hash
    assert st["updatedReplicas"] == 3 and st["availableReplicas"] == 3
    progress = st["updateProgress"]
    assert progress["updateEndedAt"] >= progress["updateStartedAt"] and "currentlyUpdating" not in progress
    assert progress["updatedPodCliquesCount"] == progress["totalPodCliquesCount"] == 3
    assert progress["updatedPodCliqueScalingGroupsCount"] == progress["totalPodCliqueScalingGroupsCount"] == 3
    for g in objs(sim, c.KIND_PCSG):
        assert g["status"]["currentPodCliqueSetGenerationHash"] == st["currentGenerationHash"]
        assert g["status"]["updatedReplicas"] == 2
        assert g["status"]["updateProgress"]["updateEndedAt"]
    for q in objs(sim, c.KIND_PCLQ):
        assert q["status"]["currentPodCliqueSetGenerationHash"] == st["currentGenerationHash"]
        assert q["status"]["updatedReplicas"] == q["spec"]["replicas"]
        assert all(p["metadata"]["labels"][c.LABEL_POD_TEMPLATE_HASH] == q["status"]["currentPodTemplateHash"]
                   for p in pods if p["metadata"]["labels"][c.LABEL_PODCLIQUE] == q["metadata"]["name"])


async def test_update_arriving_while_scaling(sim: Simulation) -> None:
    await apply_manifests(sim, [*uniform_nodes(12), rolling_pcs()])
    assert await sim.run_until("ready", timeout=120)
    await sim.client.patch(c.API_VERSION, c.KIND_PCSG, "roll-1-sg", {"spec": {"replicas": 3}}, namespace=NS)
    await sim.client.patch(c.API_VERSION, c.KIND_PCLQ, "roll-2-a", {"spec": {"replicas": 3}}, namespace=NS)
    await set_image(sim, "roll", NEW)
    assert await sim.run_until("settled", timeout=600)
    pods = live_pods(sim)
    assert {image(p) for p in pods} == {NEW}
    assert len(pods) == 3 * PODS_PER_REPLICA + 3 + 1 and all(is_ready(p) for p in pods)
    assert objs(sim, c.KIND_PCS)[0]["status"]["updatedReplicas"] == 3


async def test_all_nodes_cordoned_replaces_exactly_one_pod(sim: Simulation) -> None:
    body = pcs("solo").clique("a", 3, min_available=1).build()
    body["metadata"]["namespace"] = NS
    body["spec"]["template"]["cliques"][0]["spec"]["podSpec"]["containers"][0]["image"] = OLD
    await apply_manifests(sim, [*uniform_nodes(3), body])
    assert await sim.run_until("ready", timeout=120)
    original = {p["metadata"]["uid"] for p in live_pods(sim)}
    for node in objs(sim, "Node"):
        await sim.client.patch("v1", "Node", node["metadata"]["name"], {"spec": {"unschedulable": True}})
    await set_image(sim, "solo", NEW)
    await sim.advance(60)
    uids = {p["metadata"]["uid"] for p in objs(sim, "Pod")}
    assert len(original - uids) == 1, "exactly one pod deleted"
    created = [p for p in objs(sim, "Pod") if p["metadata"]["uid"] not in original]
    assert len(created) == 1 and image(created[0]) == NEW
    assert not created[0]["spec"].get("nodeName")
    await sim.advance(300)
    assert {p["metadata"]["uid"] for p in objs(sim, "Pod")} == uids, "nothing moves while every node is cordoned"
    for node in objs(sim, "Node"):
        await sim.client.patch("v1", "Node", node["metadata"]["name"], {"spec": {"unschedulable": None}})
    assert await sim.run_until("settled", timeout=600)
    pods = live_pods(sim)
    assert len(pods) == 3 and {image(p) for p in pods} == {NEW} and all(is_ready(p) for p in pods)
    assert not original & {p["metadata"]["uid"] for p in pods}


def ondelete_docs() -> list[Obj]:
    path = UPSTREAM / "e2e/workload-ondelete.yaml"
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


async def test_ondelete(sim: Simulation) -> None:
    await apply_manifests(sim, [*kwok_nodes(12), *ondelete_docs()])
    assert await sim.run_until("ready", timeout=120)
    await sim.advance(10)
    original = {p["metadata"]["uid"]: image(p) for p in live_pods(sim)}
    assert len(original) == 10
    old_image = next(iter(set(original.values())))
    await set_image(sim, "workload-ondelete", NEW)
    assert await sim.run_until("settled", timeout=300)
    await sim.advance(60)
    assert {p["metadata"]["uid"] for p in live_pods(sim)} == set(original), "OnDelete deleted a pod"
    assert all(not p["metadata"].get("deletionTimestamp") for p in objs(sim, "Pod"))
    progress = objs(sim, c.KIND_PCS)[0]["status"]["updateProgress"]
    assert progress["updateEndedAt"] == progress["updateStartedAt"]
    for q in objs(sim, c.KIND_PCLQ):  # templates patched in place, PCSG members included
        assert q["spec"]["podSpec"]["containers"][0]["image"] == NEW

    # A deleted pod comes back on the new template.
    pc_a = sorted((p for p in live_pods(sim) if p["metadata"]["labels"][c.LABEL_PODCLIQUE] == "workload-ondelete-0-pc-a"),
                  key=lambda p: p["metadata"]["name"])
    await sim.client.delete("v1", "Pod", pc_a[0]["metadata"]["name"], NS)
    member = next(p for p in live_pods(sim)
                  if p["metadata"]["labels"][c.LABEL_PODCLIQUE] == "workload-ondelete-0-sg-x-0-pc-c")
    await sim.client.delete("v1", "Pod", member["metadata"]["name"], NS)
    assert await sim.run_until("settled", timeout=300)
    pods = live_pods(sim)
    assert len(pods) == 10 and all(is_ready(p) for p in pods)
    fresh = [p for p in pods if p["metadata"]["uid"] not in original]
    assert len(fresh) == 2 and {image(p) for p in fresh} == {NEW}
    assert Counter(image(p) for p in pods) == Counter({old_image: 8, NEW: 2})

    # Scale-in removes outdated pods first: pc-a keeps its new pod.
    new_a = next(p for p in fresh if p["metadata"]["labels"][c.LABEL_PODCLIQUE] == "workload-ondelete-0-pc-a")
    await sim.client.patch(c.API_VERSION, c.KIND_PCLQ, "workload-ondelete-0-pc-a", {"spec": {"replicas": 1}},
                           namespace=NS)
    assert await sim.run_until("settled", timeout=300)
    left = [p for p in live_pods(sim) if p["metadata"]["labels"][c.LABEL_PODCLIQUE] == "workload-ondelete-0-pc-a"]
    assert [p["metadata"]["uid"] for p in left] == [new_a["metadata"]["uid"]]
