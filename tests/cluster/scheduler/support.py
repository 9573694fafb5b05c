"""Support for scheduler-on-cluster tests: the Simulation with the e2e node shape, and hand-made
pods/PodGangs shaped like Grove's (no PodCliqueSet owns them, so only the gang scheduler and the kubelet
act on them)."""

from __future__ import annotations

from typing import Any

from grove.api import constants as c
from grove.devcluster.nodes import AGENT_ROLE_KEY, AGENT_ROLE_VALUE, agent_toleration, kwok_nodes
from grove.kube.client import Obj
from grove.sim.simulation import SimOptions, Simulation


def kwok_shape(node_count: int, *objects: Obj) -> SimOptions:
    """``node_count`` e2e-shaped (KWOK) workers, then ``objects``: all in the store before the scheduler's
    first pass, so that pass sees every one of them."""
    return SimOptions(objects=(*kwok_nodes(node_count), *objects))


async def list_pods(sim: Simulation) -> list[Obj]:
    return (await sim.client.list("v1", "Pod", "default")).items


async def events_of(sim: Simulation, pod_name: str) -> list[Obj]:
    events = (await sim.client.list("v1", "Event", "default")).items
    return [e for e in events if e["involvedObject"].get("name") == pod_name]


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
