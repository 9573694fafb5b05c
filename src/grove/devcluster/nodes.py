"""Fake worker Node manifests shaped like the upstream e2e cluster (spec/scenarios.md §1.2).

Pure functions: the same manifests feed the real dev cluster (created through the API server and kept
Ready by KWOK) and the embedded cluster, so a topology-aware test sees identical nodes in both worlds.

Node ``i`` (0-based) is ``kwok-node-{i}`` in ``zone-{i//28}``, ``block-{i//20}``, ``rack-{i//7}``,
carries the e2e agent role label and NoSchedule taint, and has capacity == allocatable. The default
shape is the upstream e2e preset (``hack/e2e.yaml``: 4 CPU, 150Mi memory), so most e2e workloads
(80Mi requests) fit one pod per node.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

AGENT_ROLE_KEY = "node_role.e2e.grove.nvidia.com"
AGENT_ROLE_VALUE = "agent"
KWOK_NODE_ANNOTATION = "kwok.x-k8s.io/node"
KWOK_NODE_ANNOTATION_VALUE = "fake"
NODE_NAME_PREFIX = "kwok-node-"

NODES_PER_ZONE = 28
NODES_PER_BLOCK = 20
NODES_PER_RACK = 7

ZONE_LABEL = "kubernetes.io/zone"
BLOCK_LABEL = "kubernetes.io/block"
RACK_LABEL = "kubernetes.io/rack"
HOSTNAME_LABEL = "kubernetes.io/hostname"


@dataclass(frozen=True)
class NodeShape:
    """Capacity of one fake node (capacity == allocatable). ``extra`` adds e.g. ``nvidia.com/gpu``."""

    cpu: str = "4"
    memory: str = "150Mi"
    pods: str = "110"
    extra: dict[str, str] = field(default_factory=dict)

    def resources(self) -> dict[str, str]:
        return {"cpu": self.cpu, "memory": self.memory, "pods": self.pods, **self.extra}


E2E_SHAPE = NodeShape()
"""The upstream e2e preset: one 80Mi pod per node."""


def node_name(index: int) -> str:
    return f"{NODE_NAME_PREFIX}{index}"


def topology_labels(index: int) -> dict[str, str]:
    """The zone/block/rack/hostname labels of node ``index``."""
    if index < 0:
        raise ValueError(f"node index must be >= 0, got {index}")
    return {
        ZONE_LABEL: f"zone-{index // NODES_PER_ZONE}",
        BLOCK_LABEL: f"block-{index // NODES_PER_BLOCK}",
        RACK_LABEL: f"rack-{index // NODES_PER_RACK}",
        HOSTNAME_LABEL: node_name(index),
    }


def internal_ip(index: int) -> str:
    return f"10.0.{index // 256}.{index % 256}"


def kwok_node(index: int, shape: NodeShape = E2E_SHAPE, *, conditions: bool = True) -> dict[str, Any]:
    """The wire manifest of fake node ``index``, status included (conditions Ready, no pressure).

    ``conditions=False`` leaves the conditions out: KWOK's ``node-initialize`` stage only picks up
    nodes that are not yet Ready, and only initialised nodes get its heartbeats, so nodes created
    for a KWOK-managed cluster must start without them.
    """
    resources = shape.resources()
    node_conditions = [
        {"type": "Ready", "status": "True", "reason": "KubeletReady", "message": "kwok fake node"},
        *(
            {"type": t, "status": "False", "reason": f"KubeletHasNo{t}", "message": "kwok fake node"}
            for t in ("MemoryPressure", "DiskPressure", "PIDPressure", "NetworkUnavailable")
        ),
    ]
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": node_name(index),
            "labels": {
                **topology_labels(index),
                "type": "kwok",
                AGENT_ROLE_KEY: AGENT_ROLE_VALUE,
                "nvidia.com/gpu.deploy.operands": "false",
            },
            "annotations": {
                KWOK_NODE_ANNOTATION: KWOK_NODE_ANNOTATION_VALUE,
                "node.alpha.kubernetes.io/ttl": "0",
            },
        },
        "spec": {
            "taints": [{"key": AGENT_ROLE_KEY, "value": AGENT_ROLE_VALUE, "effect": "NoSchedule"}],
        },
        "status": {
            "capacity": dict(resources),
            "allocatable": dict(resources),
            **({"conditions": node_conditions} if conditions else {}),
            "addresses": [
                {"type": "InternalIP", "address": internal_ip(index)},
                {"type": "Hostname", "address": node_name(index)},
            ],
            "nodeInfo": {
                "architecture": "amd64",
                "operatingSystem": "linux",
                "kubeletVersion": "fake",
                "kubeProxyVersion": "fake",
                "containerRuntimeVersion": "kwok",
                "osImage": "kwok",
                "kernelVersion": "kwok",
                "machineID": "",
                "systemUUID": "",
                "bootID": "",
            },
        },
    }


def kwok_nodes(count: int, shape: NodeShape = E2E_SHAPE, *, conditions: bool = True) -> list[dict[str, Any]]:
    """Manifests of nodes ``0..count-1`` in creation order."""
    if count < 0:
        raise ValueError(f"node count must be >= 0, got {count}")
    return [kwok_node(i, shape, conditions=conditions) for i in range(count)]


def agent_toleration() -> dict[str, str]:
    """The toleration every e2e workload pod carries for the agent taint."""
    return {"key": AGENT_ROLE_KEY, "operator": "Equal", "value": AGENT_ROLE_VALUE, "effect": "NoSchedule"}
