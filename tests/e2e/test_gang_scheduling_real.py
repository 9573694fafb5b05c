"""Upstream's gang scheduling scenarios GS1-GS3 (spec/scenarios.md §2.1) on the real control plane.

``grove operator`` and ``grove scheduler`` run as processes against the real API server; upstream's
``e2e/workload1.yaml`` is applied unchanged (``schedulerName: kai-scheduler``, the agent affinity and
toleration, 80Mi per pod on 150Mi KWOK nodes: one pod per node). kube-scheduler ignores kai-scheduler
pods, so every binding here is the gang scheduler's; KWOK turns bound pods Running/Ready.

Harness semantics (§1.2, §1.4), as in the embedded DSL (tests/cluster/scheduler/scenario.py):
``prepare(n)`` keeps the first ``n`` workers in lexicographic name order schedulable and cordons the
rest; ``cordon(k)`` cordons the first ``k`` schedulable workers in API list order and ``uncordon(k)``
releases the next ``k`` of those. Waits poll (60 s instead of upstream's 4 min) for exact counts; a
Pending step also requires that no pod is bound (all-or-nothing) and that every Pending pod's most
recent event is a Warning ``Unschedulable`` from ``kai-scheduler``. After each test every PCS is
deleted, the cascade is awaited and every worker uncordoned.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.harness import E2ECluster
from tests.e2e.operator_support import Operator, operator_running
from tests.upstream import UPSTREAM

pytestmark = pytest.mark.e2e

WORKLOAD1 = UPSTREAM / "e2e/workload1.yaml"
NAMESPACE = "default"
PCS = "workload1"
TIMEOUT = 60.0
MANAGED = "app.kubernetes.io/managed-by=grove-operator"
Obj = dict[str, Any]


def _memory_pods_on_nodes(c: E2ECluster) -> list[str]:
    """Bound, live pods (any namespace) that request memory: they would break one-pod-per-node."""
    out = []
    for p in c.kubectl_json("get", "pods", "-A")["items"]:
        if not p["spec"].get("nodeName") or p.get("status", {}).get("phase") in ("Succeeded", "Failed"):
            continue
        if any((ct.get("resources") or {}).get("requests", {}).get("memory") for ct in p["spec"]["containers"]):
            out.append(f"{p['metadata']['namespace']}/{p['metadata']['name']} on {p['spec']['nodeName']}")
    return out


@pytest.fixture(scope="module")
def grove(e2e_cluster: E2ECluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Operator]:
    with operator_running(e2e_cluster, tmp_path_factory.mktemp("gang"), scheduler=True) as op:
        yield op


class RealGang:
    """One GS test on the real cluster; the steps read like the scenario text."""

    def __init__(self, c: E2ECluster, op: Operator) -> None:
        self.c = c
        self.op = op
        self.cordoned: list[str] = []
        self.uncordoned = 0

    # -- nodes --------------------------------------------------------------------------------------

    def nodes(self) -> list[Obj]:
        """Workers in API list order (etcd key order, i.e. by name)."""
        items: list[Obj] = self.c.kubectl_json("get", "nodes")["items"]
        return items

    def workers(self) -> list[str]:
        return sorted(n["metadata"]["name"] for n in self.nodes())

    def _set_cordon(self, names: list[str], on: bool) -> None:
        """kubectl cordon/uncordon, only for the nodes not already in that state."""
        state = {n["metadata"]["name"]: bool(n["spec"].get("unschedulable")) for n in self.nodes()}
        todo = [name for name in names if state[name] != on]
        if todo:
            self.c.kubectl("cordon" if on else "uncordon", *todo)

    def prepare(self, n: int) -> None:
        """PrepareTest(n): the first n workers (sorted by name) schedulable, the rest cordoned."""
        names = self.workers()
        assert n <= len(names), f"PrepareTest({n}) needs {n} workers, the cluster has {len(names)}"
        self._set_cordon(names[:n], False)
        self._set_cordon(names[n:], True)

    def cordon(self, k: int) -> None:
        free = [n["metadata"]["name"] for n in self.nodes() if not n["spec"].get("unschedulable")]
        self.cordoned, self.uncordoned = free[:k], 0
        self._set_cordon(self.cordoned, True)

    def uncordon(self, k: int) -> None:
        batch = self.cordoned[self.uncordoned:self.uncordoned + k]
        assert len(batch) == k, f"only {len(self.cordoned) - self.uncordoned} cordoned workers left"
        self.uncordoned += k
        self._set_cordon(batch, False)

    # -- workload -----------------------------------------------------------------------------------

    def apply(self) -> None:
        self.c.kubectl("apply", "-f", str(WORKLOAD1))

    def scale_pcs(self, replicas: int) -> None:
        self.c.kubectl("patch", "pcs", PCS, "-n", NAMESPACE, "--type=merge",
                       "-p", f'{{"spec":{{"replicas":{replicas}}}}}')

    def scale_pcsg(self, name: str, replicas: int) -> None:
        self.c.kubectl("patch", "pcsg", name, "-n", NAMESPACE, "--type=merge",
                       "-p", f'{{"spec":{{"replicas":{replicas}}}}}')

    # -- reading and asserting ----------------------------------------------------------------------

    def pods(self) -> list[Obj]:
        items = self.c.kubectl_json("get", "pods", "-n", NAMESPACE, "-l", f"app.kubernetes.io/part-of={PCS}")["items"]
        return [p for p in items if not p["metadata"].get("deletionTimestamp")]

    @staticmethod
    def phase(pod: Obj) -> str:
        return str((pod.get("status") or {}).get("phase") or "Pending")

    @staticmethod
    def ready(pod: Obj) -> bool:
        return any(cd.get("type") == "Ready" and cd.get("status") == "True"
                   for cd in (pod.get("status") or {}).get("conditions") or ())

    def counts(self, pods: list[Obj]) -> dict[str, int]:
        phases = Counter(self.phase(p) for p in pods)
        return {"total": len(pods), "running": phases["Running"], "pending": phases["Pending"],
                "ready": sum(1 for p in pods if self.ready(p))}

    def event_problems(self, pods: list[Obj]) -> list[str]:
        """Pending pods whose most recent event is not a Warning Unschedulable from kai-scheduler."""
        pending = [p for p in pods if self.phase(p) == "Pending"]
        if not pending:
            return []
        by_uid: dict[str, list[Obj]] = {}
        for e in self.c.kubectl_json("get", "events", "-n", NAMESPACE)["items"]:
            by_uid.setdefault(e["involvedObject"].get("uid", ""), []).append(e)
        problems = []
        for pod in pending:
            mine = by_uid.get(pod["metadata"]["uid"], [])
            latest = max(mine, key=lambda e: (e.get("lastTimestamp") or e.get("eventTime") or "",
                                              int(e["metadata"]["resourceVersion"])), default=None)
            got = None if latest is None else (latest["type"], latest["reason"],
                                               (latest.get("source") or {}).get("component")
                                               or latest.get("reportingComponent"))
            if got != ("Warning", "Unschedulable", "kai-scheduler"):
                problems.append(f"{pod['metadata']['name']}: {got}")
        return problems

    def expect(self, *, total: int, running: int | None = None, pending: int | None = None,
               ready: int | None = None, unschedulable_events: bool = False) -> float:
        """Poll until the exact counts hold (and, if asked, the Pending pods' latest events); seconds taken."""
        want = {"total": total, "running": running, "pending": pending, "ready": ready}
        start = time.monotonic()
        got: dict[str, int] = {}
        problems: list[str] = []
        while time.monotonic() - start < TIMEOUT:
            pods = self.pods()
            got = self.counts(pods)
            wrong = {k: (got[k], v) for k, v in want.items() if v is not None and got[k] != v}
            problems = [f"(got, want) {wrong}"] if wrong else []
            if not problems and unschedulable_events:
                problems = self.event_problems(pods)
            if not problems:
                return time.monotonic() - start
            time.sleep(0.5)
        pytest.fail(f"after {TIMEOUT:.0f}s: {problems[:5]}; counts {got}\n{self.op.logs()}")

    def expect_gang_pending(self, *, total: int, running: int) -> None:
        """``total`` pods, ``total - running`` of them Pending with the Unschedulable event, and none of
        the Pending ones bound, also a moment later (all-or-nothing: no partial gang)."""
        self.expect(total=total, running=running, pending=total - running, unschedulable_events=True)
        time.sleep(2)
        pods = self.pods()
        assert self.counts(pods)["running"] == running, self.counts(pods)
        bound = [p["metadata"]["name"] for p in pods if self.phase(p) == "Pending" and p["spec"].get("nodeName")]
        assert not bound, f"partially placed gang: {bound}"

    def expect_distinct_nodes(self) -> None:
        pods = self.pods()
        nodes = [p["spec"].get("nodeName") for p in pods]
        assert all(nodes), f"unbound pods: {[p['metadata']['name'] for p in pods if not p['spec'].get('nodeName')]}"
        assert len(set(nodes)) == len(nodes), f"pods share nodes: {Counter(nodes).most_common(3)}"
        cordoned = {n["metadata"]["name"] for n in self.nodes() if n["spec"].get("unschedulable")}
        assert not cordoned & set(nodes), f"pods on cordoned nodes: {cordoned & set(nodes)}"

    # -- cleanup ------------------------------------------------------------------------------------

    def leftovers(self) -> list[str]:
        left = [f"pod/{p['metadata']['name']}" for p in
                self.c.kubectl_json("get", "pods", "-n", NAMESPACE, "-l", f"app.kubernetes.io/part-of={PCS}")["items"]]
        for kind in ("podcliquesets.grove.io", "podcliques.grove.io", "podcliquescalinggroups.grove.io",
                     "podgangs.scheduler.grove.io", "services"):
            left += [f"{kind}/{o['metadata']['name']}" for o in
                     self.c.kubectl_json("get", kind, "-n", NAMESPACE, "-l", MANAGED)["items"]]
        return left

    def cleanup(self) -> None:
        """Upstream's per-test cleanup: delete every PCS, wait (2 min) for the cascade, uncordon all."""
        try:
            self.c.kubectl("delete", "pcs", PCS, "-n", NAMESPACE, "--ignore-not-found", "--wait=false")
            start = time.monotonic()
            left = self.leftovers()
            while left and time.monotonic() - start < 120:
                time.sleep(1)
                left = self.leftovers()
            assert not left, f"cascade delete left {left[:10]} after 120s"
            # The first cascade of a session also waits for the garbage collector to discover the CRDs.
            print(f"cleanup: cascade done in {time.monotonic() - start:.1f}s")
        finally:
            self._set_cordon(self.workers(), False)


@pytest.fixture
def t(grove: Operator, e2e_cluster: E2ECluster) -> Iterator[RealGang]:
    c = e2e_cluster
    deadline = time.monotonic() + 60
    busy = _memory_pods_on_nodes(c)
    while busy and time.monotonic() < deadline:
        time.sleep(1)
        busy = _memory_pods_on_nodes(c)
    assert not busy, f"earlier tests left pods that use node memory (one-pod-per-node breaks): {busy}"
    gang = RealGang(c, grove)
    try:
        yield gang
    finally:
        gang.cleanup()


def test_GS1_gang_scheduling_with_full_replicas(t: RealGang) -> None:
    t.prepare(10)
    t.cordon(1)
    t.apply()
    t.expect_gang_pending(total=10, running=0)
    t.uncordon(1)
    took = t.expect(total=10, running=10, ready=10)
    print(f"GS1: 10 pods Ready {took:.1f}s after the uncordon")
    t.expect_distinct_nodes()


def test_GS2_gang_scheduling_with_scaling_full_replicas(t: RealGang) -> None:
    t.prepare(14)
    t.cordon(5)
    t.apply()
    t.expect_gang_pending(total=10, running=0)
    t.uncordon(1)
    t.expect(total=10, running=10, ready=10)
    t.scale_pcsg("workload1-0-sg-x", 3)
    # The scaled gang workload1-0-sg-x-0 needs all 4 of its pods; 4 nodes are still cordoned.
    t.expect_gang_pending(total=14, running=10)
    t.uncordon(4)
    t.expect(total=14, running=14, ready=14)
    t.expect_distinct_nodes()


def test_GS3_gang_scheduling_with_pcs_scaling_full_replicas(t: RealGang) -> None:
    t.prepare(20)
    t.cordon(11)
    t.apply()
    t.expect_gang_pending(total=10, running=0)
    t.uncordon(1)
    t.expect(total=10, running=10, ready=10)
    t.scale_pcs(2)
    t.expect_gang_pending(total=20, running=10)
    t.uncordon(10)
    t.expect(total=20, running=20, ready=20)
    t.expect_distinct_nodes()
