"""Snapshots: effective pod requests, used capacity from bound pods, node order, topology keys."""

from __future__ import annotations

from typing import Any

from grove.api.models.topology import ClusterTopologyBinding
from grove.scheduler.snapshot import build_snapshot, pod_requests, topology_keys_of

from .builders import e2e_nodes, pod

MI = 2**20


def _pod(
    containers: list[dict[str, Any]], init: list[dict[str, Any]] | None = None, **spec: Any
) -> dict[str, Any]:
    return {"spec": {"containers": containers, "initContainers": init or [], **spec}}


def _c(
    cpu: str | None = None,
    memory: str | None = None,
    *,
    limits: dict[str, str] | None = None,
    always: bool = False,
) -> dict[str, Any]:
    requests = {k: v for k, v in (("cpu", cpu), ("memory", memory)) if v}
    c: dict[str, Any] = {"resources": {"requests": requests, "limits": limits or {}}}
    if always:
        c["restartPolicy"] = "Always"
    return c


def test_requests_are_max_of_container_sum_and_each_init_container_plus_overhead() -> None:
    spec = _pod(
        [_c("500m", "100Mi"), _c("250m", "50Mi")],
        [_c("1", "10Mi"), _c("100m", "400Mi")],
        overhead={"cpu": "10m"},
    )
    assert pod_requests(spec) == {"cpu": 1010, "memory": 400 * MI}


def test_sidecar_init_containers_add_to_the_running_sum() -> None:
    spec = _pod([_c("500m")], [_c("200m", always=True), _c("1")])
    assert pod_requests(spec) == {"cpu": 1200}  # init peak 1000m + sidecar 200m; running 500m + 200m


def test_limits_stand_in_for_missing_requests() -> None:
    assert pod_requests(_pod([_c(limits={"nvidia.com/gpu": "2", "cpu": "1"})])) == {
        "nvidia.com/gpu": 2,
        "cpu": 1000,
    }


def test_used_capacity_counts_bound_non_terminated_pods() -> None:
    nodes = e2e_nodes(2)
    pods = [
        pod("a", node="kwok-node-1"),
        pod("done", node="kwok-node-1", phase="Succeeded"),
        pod("b"),
        pod("gated", gated=True),
        {
            **pod("deleting"),
            "metadata": {"name": "deleting", "namespace": "default", "deletionTimestamp": "x"},
        },
    ]
    snap = build_snapshot(list(reversed(nodes)), pods)
    assert [n.name for n in snap.nodes] == ["kwok-node-0", "kwok-node-1"]
    assert snap.nodes[1].used[:3] == (0, 80 * MI, 1)
    assert snap.nodes[0].used[:3] == (0, 0, 0)
    assert snap.bound == {"default/a": 1}
    assert set(snap.pending) == {"default/b", "default/gated"}
    assert snap.pending["default/gated"].gated
    assert snap.pending["default/b"].requests == ((1, 80 * MI), (2, 1))
    assert snap.nodes[0].allocatable[:3] == (4000, 150 * MI, 110)


def test_topology_keys_from_a_cluster_topology_binding() -> None:
    levels = [
        {"domain": "zone", "key": "kubernetes.io/zone"},
        {"domain": "rack", "key": "kubernetes.io/rack"},
    ]
    wire = {
        "apiVersion": "grove.io/v1alpha1",
        "kind": "ClusterTopologyBinding",
        "metadata": {"name": "t"},
        "spec": {"levels": levels},
    }
    assert topology_keys_of(wire) == ("kubernetes.io/zone", "kubernetes.io/rack")
    assert topology_keys_of(ClusterTopologyBinding.from_wire(wire)) == (
        "kubernetes.io/zone",
        "kubernetes.io/rack",
    )
    assert topology_keys_of(None) == ()
