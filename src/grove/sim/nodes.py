"""Cluster shapes for the embedded cluster: uniform GPU nodes for ``--nodes N``."""

from __future__ import annotations

from typing import Any

UNIFORM_CAPACITY = {"cpu": "64", "memory": "512Gi", "nvidia.com/gpu": "8", "pods": "110"}


def uniform_nodes(count: int, capacity: dict[str, str] | None = None, prefix: str = "node-") -> list[dict[str, Any]]:
    """``count`` identical Ready nodes (``node-0``...), each its own host, in one rack/zone-less cluster."""
    res = dict(capacity or UNIFORM_CAPACITY)
    nodes: list[dict[str, Any]] = []
    for i in range(count):
        name = f"{prefix}{i}"
        nodes.append({
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name, "type": "sim"}},
            "spec": {},
            "status": {
                "capacity": dict(res),
                "allocatable": dict(res),
                "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady",
                                "message": "simulated node"}],
            },
        })
    return nodes
