"""Support for scheduler-on-cluster tests: an embedded cluster with the e2e node shape, Grove CRDs, a
manager running only the gang scheduler, and hand-made pods/PodGangs shaped like Grove's."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from grove.api import constants as c
from grove.api.crds.generate import generate_crds
from grove.api.models.config import embedded_cluster_config
from grove.cluster import EmbeddedCluster
from grove.devcluster.nodes import AGENT_ROLE_KEY, AGENT_ROLE_VALUE, agent_toleration, kwok_nodes
from grove.kube.client import Obj
from grove.kube.clock import VirtualClock
from grove.runtime.manager import Manager
from grove.scheduler.binder import GangScheduler, setup_scheduler
from tests.cluster.runtime.support import settle


async def create_node(client: Any, node: Obj) -> None:
    status = node.get("status")
    await client.create({k: v for k, v in node.items() if k != "status"})
    if status:
        await client.patch("v1", "Node", node["metadata"]["name"], {"status": status}, subresource="status")


@dataclass
class SchedEnv:
    clock: VirtualClock
    cluster: EmbeddedCluster
    manager: Manager
    scheduler: GangScheduler

    @property
    def client(self) -> Any:
        return self.cluster.client

    async def settle(self) -> None:
        await settle(self.clock, self.manager, self.cluster, horizon=60)

    async def pods(self) -> list[Obj]:
        return (await self.client.list("v1", "Pod", "default")).items

    async def events_of(self, pod_name: str) -> list[Obj]:
        events = (await self.client.list("v1", "Event", "default")).items
        return [e for e in events if e["involvedObject"].get("name") == pod_name]

    async def cordon(self, name: str, on: bool = True) -> None:
        await self.client.patch("v1", "Node", name, {"spec": {"unschedulable": on or None}})

    async def stop(self) -> None:
        await self.manager.stop()


async def sched_env(node_count: int = 30, *, nodes: Sequence[Obj] | None = None,
                    objects: Sequence[Obj] = ()) -> SchedEnv:
    """``objects`` are created before the scheduler starts, so its first pass sees all of them."""
    clock = VirtualClock()
    cluster = EmbeddedCluster(clock=clock, seed=0)
    for crd in generate_crds():
        await cluster.client.create(crd)
    for node in nodes if nodes is not None else kwok_nodes(node_count):
        await create_node(cluster.client, node)
    for obj in objects:
        await cluster.client.create(obj)
    manager = Manager(cluster.client, clock)
    scheduler = setup_scheduler(manager, config=embedded_cluster_config())
    await manager.start()
    return SchedEnv(clock, cluster, manager, scheduler)


def make_pod(name: str, *, gang: str | None = None, scheduler: str = c.SCHEDULER_KAI, memory: str = "80Mi",
             gated: bool = False, base: str | None = None) -> Obj:
    labels = {}
    if gang:
        labels[c.LABEL_PODGANG] = gang
    if base:
        labels[c.LABEL_BASE_PODGANG] = base
    spec: dict[str, Any] = {
        "schedulerName": scheduler,
        "containers": [{"name": "c", "image": "busybox", "resources": {"requests": {"memory": memory}}}],
        "tolerations": [agent_toleration()],
        "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
            {"matchExpressions": [{"key": AGENT_ROLE_KEY, "operator": "In", "values": [AGENT_ROLE_VALUE]}]}]}}},
    }
    if gated:
        spec["schedulingGates"] = [{"name": c.SCHEDULING_GATE_PODGANG_PENDING}]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "default", "labels": labels},
            "spec": spec}


def make_podgang(name: str, groups: dict[str, tuple[list[str], int]], *, required: str | None = None,
                 topology: str | None = None) -> Obj:
    spec: dict[str, Any] = {"podgroups": [
        {"name": g, "minReplicas": m, "podReferences": [{"namespace": "default", "name": p} for p in pods]}
        for g, (pods, m) in groups.items()]}
    if required:
        spec["topologyConstraint"] = {"packConstraint": {"required": required}}
    meta: dict[str, Any] = {"name": name, "namespace": "default"}
    if topology:
        meta["annotations"] = {c.ANNOTATION_TOPOLOGY_NAME: topology}
    return {"apiVersion": c.SCHEDULER_API_VERSION, "kind": c.KIND_PODGANG, "metadata": meta, "spec": spec}


async def _advance_quiet(self: SchedEnv, seconds: float) -> None:
    """Advance virtual time by ``seconds`` through every due timer, settling in between."""
    end = self.clock.now() + seconds
    while True:
        await self.settle()
        deadline = self.clock.next_deadline()
        if deadline is None or deadline > end:
            break
        await self.clock.advance_to(deadline)
    await self.clock.advance_to(end)
    await self.settle()


SchedEnv.advance_quiet = _advance_quiet  # type: ignore[attr-defined]
