"""Startup ordering through the real waiter on the real control plane, and pod start-up time like a node's.

With the dev cluster's init runner on (the default), a pod with a ``grove-initc`` init container stays
Pending/not Ready on its KWOK node until ``python -m grove.initc`` — run by the runner with the pod's
args, downward-API files and the token of the PodCliqueSet's ServiceAccount — has exited 0. So these
tests go through what users run: the operator's Role, RoleBinding and token Secret, the API server's
authentication and RBAC, and the waiter's list/watch.

- ordering: upstream's e2e/workload5.yaml (pc-a → pc-c → pc-b) Ready in order, every waiter exit 0;
  and a two-clique PCS whose parent pods get a KWOK start delay (the per-pod annotation), so the child's
  waiter is seen running while the parents are not Ready, and the child is Ready only after them;
- broken RBAC: the per-PCS Role is create-only (the operator never rewrites it, as upstream), so
  removing ``list`` from it and replacing the child pod makes the new waiter exit 1 (403), which the
  pod status shows, and the pod stays not Ready; restoring the Role lets the crash-loop retry succeed;
- start delay: ``grove dev-cluster up --pod-start-delay 8s`` on a separate small cluster; a pod bound by
  kube-scheduler turns Running no earlier than 8 s after its binding.
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from grove.devcluster import DevCluster, DevClusterOptions
from grove.devcluster.stages import DELAY_ANNOTATION
from tests.e2e.harness import E2ECluster, wait_until
from tests.e2e.operator_support import Operator, operator_running
from tests.upstream import UPSTREAM

pytestmark = pytest.mark.e2e

NS = "initc-e2e"
PARENT_DELAY = 8.0
Obj = dict[str, Any]

POD_SPEC: Obj = {
    "terminationGracePeriodSeconds": 5,
    "schedulerName": "kai-scheduler",  # answered by `grove scheduler` (operator_support.dev_values)
    "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
        {"matchExpressions": [{"key": "node_role.e2e.grove.nvidia.com", "operator": "In", "values": ["agent"]}]}]}}},
    "tolerations": [{"key": "node_role.e2e.grove.nvidia.com", "operator": "Equal", "value": "agent",
                     "effect": "NoSchedule"}],
    "containers": [{"name": "main", "image": "busybox", "command": ["sleep", "infinity"]}],
}


def pcs(name: str, parent_annotations: dict[str, str] | None = None) -> Obj:
    """Clique ``child`` (1 pod) starts after clique ``parent`` (2 pods, minAvailable 2)."""
    def clique(role: str, replicas: int, **extra: Any) -> Obj:
        spec = {"roleName": role, "replicas": replicas, "minAvailable": replicas, "podSpec": copy.deepcopy(POD_SPEC),
                **extra}
        return {"name": role, "labels": {"kai.scheduler/queue": "test"}, "spec": spec}
    parent = clique("parent", 2)
    if parent_annotations:
        parent["annotations"] = parent_annotations
    return {"apiVersion": "grove.io/v1alpha1", "kind": "PodCliqueSet", "metadata": {"name": name, "namespace": NS},
            "spec": {"replicas": 1, "template": {"cliqueStartupType": "CliqueStartupTypeExplicit",
                                                 "cliques": [parent, clique("child", 1, startsAfter=["parent"])]}}}


@pytest.fixture(scope="module")
def grove(e2e_cluster: E2ECluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Operator]:
    info = json.loads(e2e_cluster.cluster.layout.info.read_text())
    if not info.get("pods", {}).get("initContainerRunner"):
        pytest.skip("the session cluster runs without the init runner (GROVE_E2E_INITC_RUNNER=0)")
    with operator_running(e2e_cluster, tmp_path_factory.mktemp("initc"), namespaces=[NS], scheduler=True) as op:
        yield op


class Pods:
    def __init__(self, c: E2ECluster, pcs_name: str) -> None:
        self.c, self.pcs = c, pcs_name

    def all(self) -> list[Obj]:
        items: list[Obj] = self.c.kubectl_json("get", "pods", "-n", NS, "-l",
                                               f"app.kubernetes.io/part-of={self.pcs}")["items"]
        return [p for p in items if not p["metadata"].get("deletionTimestamp")]

    def of(self, clique: str) -> list[Obj]:
        fqn = f"{self.pcs}-0-{clique}"
        return [p for p in self.all() if p["metadata"]["labels"].get("grove.io/podclique") == fqn]


def ready(pod: Obj) -> bool:
    return any(c["type"] == "Ready" and c["status"] == "True" for c in pod.get("status", {}).get("conditions") or [])


def ready_since(pod: Obj) -> str:
    return str(next(c["lastTransitionTime"] for c in pod["status"]["conditions"] if c["type"] == "Ready"))


def initc(pod: Obj) -> Obj:
    return next((s for s in pod.get("status", {}).get("initContainerStatuses") or [] if s["name"] == "grove-initc"), {})


def exit_codes(pod: Obj) -> list[int]:
    """Exit codes of ``grove-initc`` visible in the pod status (current and last state)."""
    st = initc(pod)
    return [int(s["terminated"]["exitCode"]) for s in (st.get("state") or {}, st.get("lastState") or {})
            if "terminated" in s]


def delete_pcs(c: E2ECluster, name: str) -> None:
    c.kubectl("delete", "pcs", name, "-n", NS, "--ignore-not-found", "--wait=false")
    wait_until(f"the pods of {name} to be gone", lambda: not Pods(c, name).all(), timeout=120, interval=1)


def test_child_waits_in_its_real_init_container_until_the_parents_are_ready(grove: Operator,
                                                                             e2e_cluster: E2ECluster) -> None:
    c = e2e_cluster
    pods = Pods(c, "initc-order")
    c.apply(pcs("initc-order", {DELAY_ANNOTATION: f"{PARENT_DELAY:g}s"}))
    try:
        wait_until("the child's waiter running (init container state running)",
                   lambda: any("running" in initc(p).get("state", {}) for p in pods.of("child")), timeout=60)
        (child,) = pods.of("child")
        parents = pods.of("parent")
        assert len(parents) == 2 and not any(ready(p) for p in parents), "the parents are still starting"
        assert not ready(child) and child["status"]["phase"] == "Pending"
        seen_waiting = time.monotonic()

        wait_until("the child Ready", lambda: all(ready(p) for p in pods.of("child")), timeout=60)
        waited = time.monotonic() - seen_waiting
        (child,) = pods.of("child")
        parents = pods.of("parent")
        assert all(ready(p) for p in parents)
        # RFC 3339 UTC timestamps compare as strings (second precision on the wire)
        assert ready_since(child) >= max(ready_since(p) for p in parents), "the child was Ready before its parents"
        assert initc(child)["state"]["terminated"]["exitCode"] == 0
        log = c.initc_log(NS, child["metadata"]["name"])
        assert "grove-initc: waiting in namespace initc-e2e, podgang initc-order-0 for: initc-order-0-parent 0/2" in log
        assert "grove-initc: all parent cliques are ready" in log
        assert "exited with code 0" in log
        print(f"\nordering: child Ready {waited:.1f}s after its waiter was seen running; parents Ready at "
              f"{sorted(ready_since(p) for p in parents)}, child at {ready_since(child)}\n--- runner log ---\n{log}")
    finally:
        delete_pcs(c, "initc-order")


def test_broken_waiter_rbac_keeps_the_child_not_ready_with_its_exit_code_until_fixed(
        grove: Operator, e2e_cluster: E2ECluster) -> None:
    c = e2e_cluster
    name, role = "initc-rbac", "grove.io:pcs:initc-rbac"
    pods = Pods(c, name)
    c.apply(pcs(name))
    try:
        wait_until("all 3 pods Ready", lambda: len(pods.all()) == 3 and all(ready(p) for p in pods.all()), timeout=60)
        verbs = c.kubectl_json("get", "role", role, "-n", NS)["rules"][0]["verbs"]
        assert sorted(verbs) == ["get", "list", "watch"]
        c.kubectl("patch", "role", role, "-n", NS, "--type=json",
                  "-p", json.dumps([{"op": "replace", "path": "/rules/0/verbs", "value": ["get"]}]))
        (old,) = pods.of("child")
        c.kubectl("delete", "pod", old["metadata"]["name"], "-n", NS, "--wait=false")

        def replacement() -> Obj | None:
            new = [p for p in pods.of("child") if p["metadata"]["uid"] != old["metadata"]["uid"]]
            return new[0] if new else None

        def failed_twice() -> bool:  # a failure, then a retry that failed again (crash-loop, in back-off now)
            pod = replacement()
            return (pod is not None and initc(pod).get("restartCount", 0) >= 1
                    and "terminated" in initc(pod).get("state", {}))
        wait_until("the new child's waiter to fail, be retried and fail again", failed_twice, timeout=60)
        time.sleep(5)  # more retries, all failing: the pod must stay not Ready
        pod = replacement()
        assert pod is not None
        assert not ready(pod) and pod["status"]["phase"] == "Pending"
        assert exit_codes(pod) and set(exit_codes(pod)) == {1}, initc(pod)
        assert c.kubectl_json("get", "role", role, "-n", NS)["rules"][0]["verbs"] == ["get"], \
            "the operator must not have repaired the Role (create-only): the test would prove nothing"
        log = c.initc_log(NS, pod["metadata"]["name"])
        assert "Forbidden" in log or "forbidden" in log, log
        assert f'cannot list resource "pods" in API group "" in the namespace "{NS}"' in log, log
        print(f"\nbroken RBAC: {pod['metadata']['name']} grove-initc status {json.dumps(initc(pod))}\n"
              f"--- runner log ---\n{log}")

        c.kubectl("patch", "role", role, "-n", NS, "--type=json",
                  "-p", json.dumps([{"op": "replace", "path": "/rules/0/verbs", "value": ["get", "list", "watch"]}]))
        took = wait_until("the child Ready after the Role is fixed",
                          lambda: (p := replacement()) is not None and ready(p), timeout=90)
        pod = replacement()
        assert pod is not None and initc(pod)["state"]["terminated"]["exitCode"] == 0
        assert initc(pod)["lastState"]["terminated"]["exitCode"] == 1
        print(f"recovered {took:.1f}s after the Role was fixed (crash-loop back-off)")
    finally:
        delete_pcs(c, name)


def test_upstream_workload5_starts_in_order_through_the_waiter(grove: Operator, e2e_cluster: E2ECluster) -> None:
    """Upstream's e2e/workload5.yaml unchanged: pc-c starts after pc-a, pc-b after pc-c (in scaling group
    sg-x, two replicas). Every dependent pod's waiter really ran and exited 0, and no clique was Ready
    before the cliques it starts after."""
    c = e2e_cluster
    pods = Pods(c, "workload5")
    c.kubectl("apply", "-n", NS, "-f", str(UPSTREAM / "e2e/workload5.yaml"))
    try:
        took = wait_until("all 10 workload5 pods Ready",
                          lambda: len(pods.all()) == 10 and all(ready(p) for p in pods.all()), timeout=120)
        by_role: dict[str, list[Obj]] = {}
        for p in pods.all():
            clique = p["metadata"]["labels"]["grove.io/podclique"]  # workload5-0[-sg-x-<j>]-pc-<x>
            by_role.setdefault("pc-" + clique.rsplit("-", 1)[-1], []).append(p)
        assert {k: len(v) for k, v in by_role.items()} == {"pc-a": 2, "pc-b": 2, "pc-c": 6}, by_role.keys()
        for before, after in (("pc-a", "pc-c"), ("pc-c", "pc-b")):
            assert min(ready_since(p) for p in by_role[after]) >= max(ready_since(p) for p in by_role[before])
        for p in by_role["pc-b"] + by_role["pc-c"]:
            assert initc(p)["state"]["terminated"]["exitCode"] == 0
            log = c.initc_log(NS, p["metadata"]["name"])
            assert "grove-initc: all parent cliques are ready" in log and "exited with code 0" in log, log
        assert not any(initc(p) for p in by_role["pc-a"]), "pc-a starts after nothing: no init container"
        print(f"\nworkload5: 10 pods Ready in {took:.1f}s; Ready at "
              + ", ".join(f"{r} {sorted({ready_since(p) for p in v})}" for r, v in sorted(by_role.items())))
    finally:
        delete_pcs(c, "workload5")


@pytest.fixture
def delayed_cluster(e2e_cluster: E2ECluster, tmp_path: Path) -> Iterator[E2ECluster]:
    """A second, small dev cluster started with the real CLI and ``--pod-start-delay 8s``."""
    state = tmp_path / "delay-cluster"
    up = E2ECluster.grove_at(state, "dev-cluster", "up", "--name", "initc-delay", "--nodes", "2", "--no-build",
                             "--pod-start-delay", "8s")
    cluster = DevCluster(DevClusterOptions(name="initc-delay", state_dir=state, binaries=e2e_cluster.cluster.bins))
    try:
        assert up.returncode == 0, up.stderr
        yield E2ECluster(cluster=cluster, kubeconfig=cluster.kubeconfig, nodes=2)
    finally:
        down = E2ECluster.grove_at(state, "dev-cluster", "down", "--name", "initc-delay")
        assert down.returncode == 0, down.stderr


def test_pod_start_delay_holds_a_bound_pod_before_it_runs(delayed_cluster: E2ECluster) -> None:
    c = delayed_cluster
    info = json.loads(c.cluster.layout.info.read_text())
    assert info["pods"]["startDelaySeconds"] == 8.0
    c.kubectl("create", "namespace", NS)
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "delayed", "namespace": NS},
           "spec": {"tolerations": POD_SPEC["tolerations"], "containers": POD_SPEC["containers"]}}
    c.apply(pod)
    bound = running = None
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline and running is None:
        live = c.kubectl_json("get", "pod", "delayed", "-n", NS)
        now = time.monotonic()
        if bound is None and live["spec"].get("nodeName"):
            bound = now
        if live["status"].get("phase") == "Running":
            running = now
        time.sleep(0.1)
    assert bound is not None and running is not None, f"pod never bound/running: {live.get('status')}"
    conds = {x["type"]: x["lastTransitionTime"] for x in live["status"]["conditions"]}
    took = running - bound
    print(f"\nstart delay: Running {took:.2f}s after binding (client-observed); "
          f"PodScheduled at {conds['PodScheduled']}, startTime {live['status']['startTime']}, Ready at {conds['Ready']}")
    assert took >= 8.0 - 0.5, f"Running only {took:.2f}s after binding (poll resolution ~0.3s)"
    assert took <= 8.0 + 5.0, f"Running {took:.2f}s after binding: far more than the configured delay"
    server_side = _seconds(live["status"]["startTime"]) - _seconds(conds["PodScheduled"])
    assert server_side >= 7, f"startTime only {server_side}s after PodScheduled (second precision)"


def _seconds(stamp: str) -> int:
    return int(time.mktime(time.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ")))
