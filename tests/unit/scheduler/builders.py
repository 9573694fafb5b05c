"""Test builders: the e2e cluster of scenarios.md §1.2 (reusing the devcluster's pure node generator),
pods shaped like e2e workload pods, and gangs."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from grove.devcluster.nodes import (
    AGENT_ROLE_KEY,
    AGENT_ROLE_VALUE,
    BLOCK_LABEL,
    HOSTNAME_LABEL,
    RACK_LABEL,
    ZONE_LABEL,
    NodeShape,
    agent_toleration,
    kwok_nodes,
)
from grove.scheduler.gangs import GangSpec, GroupSpec, Pack
from grove.scheduler.snapshot import Snapshot, build_snapshot

TOPOLOGY = (ZONE_LABEL, BLOCK_LABEL, RACK_LABEL, HOSTNAME_LABEL)


def e2e_nodes(
    count: int = 30, *, cordon: Iterable[int] = (), shape: NodeShape | None = None
) -> list[dict[str, Any]]:
    """``kwok-node-{i}``: zone i//28, block i//20, rack i//7, 4 cpu, 150Mi, 110 pods, agent taint."""
    nodes = kwok_nodes(count) if shape is None else kwok_nodes(count, shape)
    for i in cordon:
        nodes[i]["spec"]["unschedulable"] = True
    return nodes


def pod(
    name: str,
    *,
    memory: str | None = "80Mi",
    cpu: str | None = None,
    gpu: str | None = None,
    namespace: str = "default",
    node: str | None = None,
    e2e: bool = True,
    gated: bool = False,
    phase: str | None = None,
) -> dict[str, Any]:
    """An e2e workload pod: agent-role node affinity and toleration unless ``e2e=False``."""
    requests = {k: v for k, v in (("memory", memory), ("cpu", cpu), ("nvidia.com/gpu", gpu)) if v}
    spec: dict[str, Any] = {"containers": [{"name": "c", "image": "x", "resources": {"requests": requests}}]}
    if e2e:
        spec["tolerations"] = [agent_toleration()]
        spec["affinity"] = {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [
                        {
                            "matchExpressions": [
                                {"key": AGENT_ROLE_KEY, "operator": "In", "values": [AGENT_ROLE_VALUE]}
                            ]
                        }
                    ]
                }
            }
        }
    if node:
        spec["nodeName"] = node
    if gated:
        spec["schedulingGates"] = [{"name": "grove.io/podgang-pending-creation"}]
    manifest: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace},
        "spec": spec,
    }
    if phase:
        manifest["status"] = {"phase": phase}
    return manifest


def pods(prefix: str, count: int, **kwargs: Any) -> list[dict[str, Any]]:
    return [pod(f"{prefix}-{i}", **kwargs) for i in range(count)]


def keys(manifests: Sequence[dict[str, Any]]) -> tuple[str, ...]:
    return tuple(f"{m['metadata']['namespace']}/{m['metadata']['name']}" for m in manifests)


def group(
    name: str, manifests: Sequence[dict[str, Any]], min_replicas: int | None = None, pack: Pack | None = None
) -> GroupSpec:
    return GroupSpec(name, keys(manifests), len(manifests) if min_replicas is None else min_replicas, pack)


def gang(name: str, *groups: GroupSpec, pack: Pack | None = None, **kwargs: Any) -> GangSpec:
    return GangSpec(f"default/{name}", tuple(groups), pack, **kwargs)


def snapshot(nodes: Sequence[dict[str, Any]], all_pods: Sequence[dict[str, Any]]) -> Snapshot:
    return build_snapshot(nodes, all_pods, TOPOLOGY)
