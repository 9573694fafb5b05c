"""The fake nodes match the upstream e2e cluster's shape (spec/scenarios.md §1.2)."""

from __future__ import annotations

import pytest

from grove.devcluster.nodes import E2E_SHAPE, NodeShape, agent_toleration, kwok_node, kwok_nodes


def test_thirty_node_cluster_topology_matches_upstream() -> None:
    nodes = kwok_nodes(30)
    labels = [n["metadata"]["labels"] for n in nodes]
    zones = [lb["kubernetes.io/zone"] for lb in labels]
    assert zones.count("zone-0") == 28 and zones[28:] == ["zone-1", "zone-1"]
    blocks = [lb["kubernetes.io/block"] for lb in labels]
    assert blocks.count("block-0") == 20 and blocks.count("block-1") == 10
    racks = [lb["kubernetes.io/rack"] for lb in labels]
    assert [racks.count(f"rack-{r}") for r in range(5)] == [7, 7, 7, 7, 2]
    assert [n["metadata"]["name"] for n in nodes][:3] == ["kwok-node-0", "kwok-node-1", "kwok-node-2"]
    assert all(lb["kubernetes.io/hostname"] == n["metadata"]["name"] for lb, n in zip(labels, nodes, strict=True))


def test_node_identity_labels_taint_and_annotations() -> None:
    node = kwok_node(9)
    meta = node["metadata"]
    assert meta["labels"]["type"] == "kwok"
    assert meta["labels"]["node_role.e2e.grove.nvidia.com"] == "agent"
    assert meta["labels"]["nvidia.com/gpu.deploy.operands"] == "false"
    assert meta["annotations"] == {"kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0"}
    assert node["spec"]["taints"] == [
        {"key": "node_role.e2e.grove.nvidia.com", "value": "agent", "effect": "NoSchedule"}
    ]
    tol = agent_toleration()
    assert (tol["key"], tol["value"], tol["effect"]) == ("node_role.e2e.grove.nvidia.com", "agent", "NoSchedule")


def test_capacity_equals_allocatable_and_default_is_one_e2e_pod_per_node() -> None:
    status = kwok_node(0)["status"]
    assert status["capacity"] == status["allocatable"] == {"cpu": "4", "memory": "150Mi", "pods": "110"}
    assert E2E_SHAPE.memory == "150Mi"
    gpu = kwok_node(0, NodeShape(cpu="64", memory="512Gi", extra={"nvidia.com/gpu": "8"}))["status"]
    assert gpu["allocatable"]["nvidia.com/gpu"] == "8" and gpu["capacity"]["cpu"] == "64"


def test_internal_ip_and_conditions() -> None:
    node = kwok_node(300)
    assert {"type": "InternalIP", "address": "10.0.1.44"} in node["status"]["addresses"]
    conds = {c["type"]: c["status"] for c in node["status"]["conditions"]}
    assert conds == {
        "Ready": "True", "MemoryPressure": "False", "DiskPressure": "False",
        "PIDPressure": "False", "NetworkUnavailable": "False",
    }
    assert "conditions" not in kwok_node(300, conditions=False)["status"]


def test_manifests_are_independent_copies() -> None:
    a, b = kwok_node(1), kwok_node(1)
    a["metadata"]["labels"]["x"] = "y"
    a["status"]["capacity"]["cpu"] = "1"
    assert "x" not in b["metadata"]["labels"] and b["status"]["capacity"]["cpu"] == "4"
    assert b["status"]["allocatable"]["cpu"] == "4"


def test_negative_inputs_are_rejected() -> None:
    with pytest.raises(ValueError):
        kwok_nodes(-1)
    with pytest.raises(ValueError):
        kwok_node(-2)
