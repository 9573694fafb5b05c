"""The dev cluster is a real Kubernetes control plane: nodes shaped like upstream's e2e cluster kept
Ready by KWOK, pods run by KWOK, scheduling by kube-scheduler, owner-reference cascade by the real
garbage collector, and ``grove dev-cluster down`` leaves no process behind.

The session fixture also asserts, at teardown, that no process of the session cluster is left.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml

from grove.devcluster import DevCluster, DevClusterOptions
from grove.devcluster.nodes import agent_toleration
from tests.e2e.harness import E2ECluster, wait_until

pytestmark = pytest.mark.e2e


def _namespace(c: E2ECluster, prefix: str) -> str:
    ns = f"{prefix}-{uuid.uuid4().hex[:6]}"
    c.kubectl("create", "namespace", ns)
    return ns


def _pod(name: str, ns: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": ns},
        "spec": {
            "tolerations": [agent_toleration()],
            "containers": [
                {"name": "main", "image": "registry.invalid/never-pulled:1",
                 "resources": {"requests": {"memory": "80Mi", "cpu": "10m"}}}
            ],
            **spec,
        },
    }


def test_every_node_is_ready_with_the_e2e_labels_and_taint(e2e_cluster: E2ECluster) -> None:
    nodes = e2e_cluster.kubectl_json("get", "nodes")["items"]
    by_name = {n["metadata"]["name"]: n for n in nodes}
    assert sorted(by_name) == sorted(f"kwok-node-{i}" for i in range(e2e_cluster.nodes))
    for i in range(e2e_cluster.nodes):
        node = by_name[f"kwok-node-{i}"]
        labels = node["metadata"]["labels"]
        assert labels["kubernetes.io/zone"] == f"zone-{i // 28}"
        assert labels["kubernetes.io/block"] == f"block-{i // 20}"
        assert labels["kubernetes.io/rack"] == f"rack-{i // 7}"
        assert labels["kubernetes.io/hostname"] == f"kwok-node-{i}"
        assert labels["node_role.e2e.grove.nvidia.com"] == "agent"
        assert labels["type"] == "kwok"
        assert node["spec"]["taints"] == [
            {"key": "node_role.e2e.grove.nvidia.com", "value": "agent", "effect": "NoSchedule"}
        ]
        assert node["status"]["allocatable"]["memory"] == "150Mi"
        ready = next(c for c in node["status"]["conditions"] if c["type"] == "Ready")
        assert ready["status"] == "True", f"kwok-node-{i} not Ready: {ready}"
    # KWOK renews a Lease per node, which is what keeps the node lifecycle controller from
    # marking them NotReady.
    leases = e2e_cluster.kubectl_json("get", "leases", "-n", "kube-node-lease")["items"]
    assert {lease["metadata"]["name"] for lease in leases} >= set(by_name)


def test_kubectl_get_nodes_lists_ready_nodes(e2e_cluster: E2ECluster) -> None:
    out = e2e_cluster.kubectl("get", "nodes", "-l", "kubernetes.io/rack=rack-0").stdout
    rows = [line.split() for line in out.strip().splitlines()[1:]]
    assert sorted(r[0] for r in rows) == sorted(f"kwok-node-{i}" for i in range(7))
    assert all(r[1] == "Ready" for r in rows), out


def test_pod_bound_with_node_name_runs_via_kwok(e2e_cluster: E2ECluster) -> None:
    ns = _namespace(e2e_cluster, "kwok-pod")
    e2e_cluster.apply(_pod("bound", ns, nodeName="kwok-node-3"))

    def running() -> bool:
        pod = e2e_cluster.kubectl_json("get", "pod", "bound", "-n", ns)
        return bool(pod.get("status", {}).get("phase") == "Running")

    wait_until("pod bound to kwok-node-3 to run", running, timeout=30)
    pod = e2e_cluster.kubectl_json("get", "pod", "bound", "-n", ns)
    assert pod["spec"]["nodeName"] == "kwok-node-3"
    assert pod["status"]["podIP"].startswith("10.244.")
    ready = next(c for c in pod["status"]["conditions"] if c["type"] == "Ready")
    assert ready["status"] == "True"

    # KWOK plays the kubelet on delete too: the pod is finalised and removed, not stuck Terminating
    e2e_cluster.kubectl("delete", "pod", "bound", "-n", ns, "--wait=false")

    def gone() -> bool:
        return "NotFound" in e2e_cluster.kubectl("get", "pod", "bound", "-n", ns, check=False).stderr

    wait_until("the deleted pod to disappear", gone, timeout=30)


def test_kube_scheduler_places_a_tolerating_pod_on_an_agent_node(e2e_cluster: E2ECluster) -> None:
    ns = _namespace(e2e_cluster, "sched")
    e2e_cluster.apply(_pod("placed", ns))
    e2e_cluster.apply(_pod("untolerated", ns, tolerations=[]))

    def placed_and_running() -> bool:
        pod = e2e_cluster.kubectl_json("get", "pod", "placed", "-n", ns)
        return bool(pod["spec"].get("nodeName") and pod.get("status", {}).get("phase") == "Running")

    wait_until("kube-scheduler to bind and kwok to run the pod", placed_and_running, timeout=60)
    placed = e2e_cluster.kubectl_json("get", "pod", "placed", "-n", ns)
    assert placed["spec"]["nodeName"].startswith("kwok-node-")
    # every node carries the agent taint, so a pod without the toleration stays Pending
    untolerated = e2e_cluster.kubectl_json("get", "pod", "untolerated", "-n", ns)
    assert not untolerated["spec"].get("nodeName")
    assert untolerated["status"]["phase"] == "Pending"
    # Free the node's memory: later e2e tests (gang scheduling) rely on one free 80Mi slot per node.
    e2e_cluster.kubectl("delete", "namespace", ns, "--wait=false")


def test_garbage_collector_cascades_owner_deletion(e2e_cluster: E2ECluster) -> None:
    ns = _namespace(e2e_cluster, "gc")
    e2e_cluster.kubectl("create", "configmap", "owner", "-n", ns, "--from-literal=k=v")
    owner = e2e_cluster.kubectl_json("get", "configmap", "owner", "-n", ns)
    e2e_cluster.apply({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": "child",
            "namespace": ns,
            "ownerReferences": [
                {"apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": owner["metadata"]["uid"]}
            ],
        },
        "data": {"k": "v"},
    })
    e2e_cluster.kubectl("delete", "configmap", "owner", "-n", ns, "--cascade=background", "--wait=false")

    def child_gone() -> bool:
        proc = e2e_cluster.kubectl("get", "configmap", "child", "-n", ns, check=False)
        return proc.returncode != 0 and "NotFound" in proc.stderr

    # the GC resyncs discovery every 30s; ConfigMaps are known from its start, so this is fast
    took = wait_until("the garbage collector to delete the dependent ConfigMap", child_gone, timeout=60)
    print(f"GC cascade took {took:.1f}s")


def test_status_reports_every_component_running(e2e_cluster: E2ECluster) -> None:
    proc = e2e_cluster.grove("dev-cluster", "status")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for component in ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok", "initc-runner"):
        assert any(line.split() == [component, "running"] for line in proc.stdout.splitlines()), proc.stdout
    assert "api:        ready" in proc.stdout


WIDGET_CRD = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.e2e.grove.io"},
    "spec": {
        "group": "e2e.grove.io",
        "scope": "Namespaced",
        "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "listKind": "WidgetList"},
        "versions": [{
            "name": "v1", "served": True, "storage": True,
            "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}},
        }],
    },
}


def test_cli_up_with_crds_then_down_leaves_no_process_behind(e2e_cluster: E2ECluster, tmp_path: Path) -> None:
    """A second, small cluster driven only through the CLI (the session cluster stays up for others).

    Its CRD is installed before kube-controller-manager starts, so the garbage collector cascades a
    custom-resource owner at once instead of after its 30 s discovery resync.
    """
    state = tmp_path / "cli-cluster"
    crd_file = tmp_path / "widgets.yaml"
    crd_file.write_text(yaml.safe_dump(WIDGET_CRD))
    up = e2e_cluster.grove_at(state, "dev-cluster", "up", "--name", "cli", "--nodes", "2", "--no-scheduler",
                              "--crds", str(crd_file))
    assert up.returncode == 0, up.stderr
    kubeconfig = state / "kubeconfig"
    assert up.stdout.splitlines() == [str(kubeconfig), f"export KUBECONFIG={kubeconfig}"]
    cli = E2ECluster(cluster=DevCluster(DevClusterOptions(name="cli", state_dir=state)),
                     kubeconfig=kubeconfig, nodes=2)
    assert cli.kubectl("get", "nodes", "-o", "name").stdout.split() == ["node/kwok-node-0", "node/kwok-node-1"]

    cli.apply({"apiVersion": "e2e.grove.io/v1", "kind": "Widget", "metadata": {"name": "w", "namespace": "default"}})
    owner_uid = cli.kubectl_json("get", "widget", "w", "-n", "default")["metadata"]["uid"]
    cli.apply({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "w-child", "namespace": "default", "ownerReferences": [
            {"apiVersion": "e2e.grove.io/v1", "kind": "Widget", "name": "w", "uid": owner_uid}]},
    })
    cli.kubectl("delete", "widget", "w", "-n", "default", "--wait=false")

    def child_gone() -> bool:
        return "NotFound" in cli.kubectl("get", "configmap", "w-child", "-n", "default", check=False).stderr

    took = wait_until("the GC to cascade a Widget owner (CRD installed before KCM)", child_gone, timeout=20)
    print(f"GC cascade from a custom resource took {took:.1f}s")

    groups = list(cli.cluster.process_groups().values())
    assert len(groups) == 5 and cli.cluster.survivors(groups), \
        "etcd, apiserver, KCM, kwok and the init runner should be running"
    down = e2e_cluster.grove_at(state, "dev-cluster", "down", "--name", "cli")
    assert down.returncode == 0, down.stderr
    assert "stopped:" in down.stderr
    assert cli.cluster.survivors(groups) == []
    after = e2e_cluster.grove_at(state, "dev-cluster", "status", "--name", "cli")
    assert after.returncode == 1
    assert "not ready" in after.stdout
