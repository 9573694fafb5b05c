"""Our operator with the real KAI scheduler (issue 10 item 4), on the session control plane.

KAI's scheduler, binder, podgrouper, queuecontroller and podgroupcontroller (built by hack/build-kai.sh,
commit d5bc503a) run as local processes answering for ``kai-scheduler`` (grove.devcluster.kai), with
KAI's CRDs and upstream's e2e queues. ``grove operator`` runs as upstream's e2e installs it:
``kai-scheduler`` the default profile, topology-aware scheduling on; ``grove scheduler`` does NOT run,
so every binding here is KAI's. The path a pod takes: our operator creates it gated, writes the PodGang
and the ``scheduling.run.ai`` PodGroup (KAI's podgrouper skips gangs marked ``kai.scheduler/skip-podgrouper``),
lifts the gate; KAI's scheduler allocates the whole gang and writes BindRequests, which its binder turns
into bindings; KWOK marks bound pods Running.

Checked: the simple1 sample fully Running; upstream's GS1, GS2, GS5 (scenarios.md §2.1, same steps as
the grove-scheduler versions in test_gang_scheduling_real); every tas-*.yaml with ``pack.required``
placed inside one domain of each required level (tas-insuffic stays Pending with KAI's Unschedulable
events); and that, once everything runs, the operator and KAI leave the PodGroups alone (resourceVersion
stable for 20 s). After the module, KAI is stopped (no process left) and its CRDs are deleted, since the
rest of the session expects a cluster without KAI.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from grove.api import constants as gc
from grove.devcluster.kai import SCHEDULER_NAME, KaiBinaries, KaiComponents, load_queues
from grove.devcluster.nodes import AGENT_ROLE_KEY
from tests.e2e.harness import E2ECluster, wait_until
from tests.e2e.operator_support import Operator, operator_running
from tests.e2e.test_gang_scheduling_real import RealGang
from tests.pack_checks import required_pack_report
from tests.upstream import E2E

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
SIMPLE1 = ROOT / "src" / "grove" / "examples" / "simple1.yaml"
NAMESPACE = "default"
QUEUE = "test"
KAI_VALUES: dict[str, Any] = {"config": {
    "topologyAwareScheduling": {"enabled": True},
    "scheduler": {"profiles": [{"name": "kai-scheduler"}, {"name": "default-scheduler"}],
                  "defaultProfileName": "kai-scheduler"},
}}
"""Upstream's e2e operator install: kai-scheduler the default profile, TAS on (no grove-scheduler)."""
PODGROUPS = "podgroups.scheduling.run.ai"
Obj = dict[str, Any]


def _log_tail(path: Path, n: int = 25) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-n:])
    except OSError:
        return "(no log)"


class KaiSetup:
    """The operator and KAI of this module; ``logs()`` is what a failing wait prints."""

    def __init__(self, c: E2ECluster, op: Operator, kai: KaiComponents) -> None:
        self.c = c
        self.op = op
        self.kai = kai

    def logs(self) -> str:
        kai = [f"--- {name} ---\n{_log_tail(log, 15)}" for name, log in self.kai.logs().items()]
        return "\n".join([self.op.logs(), *kai])

    def alive(self) -> None:
        dead = [name for name, ok in self.kai.processes().items() if not ok]
        assert not dead, f"KAI components exited: {dead}\n{self.logs()}"


@pytest.fixture(scope="module")
def kai(e2e_cluster: E2ECluster) -> Iterator[KaiComponents]:
    c = e2e_cluster
    bins = KaiBinaries.default()
    missing = bins.missing()
    if missing:
        pytest.fail(f"KAI binaries missing ({', '.join(missing)}); {bins.build_hint()} "
                    "(scripts/test runs it before pytest)", pytrace=False)
    comps = KaiComponents(c.cluster.state_dir, c.kubeconfig, bins)
    start = time.monotonic()
    comps.up(c.cluster.rest(), queues=load_queues(E2E / "queues.yaml"),
             progress=lambda msg: print(f"[kai] {msg}", file=sys.stderr, flush=True))
    print(f"[kai] five components up in {time.monotonic() - start:.1f}s", file=sys.stderr, flush=True)
    pgids = comps.pgids()
    try:
        yield comps
    finally:
        comps.down()
        left = KaiComponents.survivors(pgids)
        # The rest of the session expects no KAI kinds (e.g. the operator preflight tests).
        c.kubectl("delete", "-f", str(bins.crds_dir), "--ignore-not-found", "--wait=true", "--timeout=120s",
                  check=False)
        assert left == [], f"KAI teardown left processes behind: {left}"


@pytest.fixture(scope="module")
def kai_env(kai: KaiComponents, e2e_cluster: E2ECluster,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[KaiSetup]:
    c = e2e_cluster
    with operator_running(c, tmp_path_factory.mktemp("kai"), scheduler=False, values=KAI_VALUES) as op:
        for name in ("e2e-topology.yaml", "e2e-multi-topology.yaml"):
            c.kubectl("apply", "-f", str(DATA / name))
        try:
            wait_until("KAI Topologies for the ClusterTopologyBindings",
                       lambda: {t["metadata"]["name"] for t in c.kubectl_json("get", "topologies.kai.scheduler")[
                           "items"]} >= {"grove-topology", "gb200-topology", "h100-topology"}, timeout=30)
            yield KaiSetup(c, op, kai)
        finally:
            for name in ("e2e-topology.yaml", "e2e-multi-topology.yaml"):
                c.kubectl("delete", "-f", str(DATA / name), "--ignore-not-found", check=False)


# -- shared checks -----------------------------------------------------------------------------------


def pods_of(c: E2ECluster, pcs: str) -> list[Obj]:
    items: list[Obj] = c.kubectl_json("get", "pods", "-n", NAMESPACE, "-l", f"app.kubernetes.io/part-of={pcs}")["items"]
    return [p for p in items if not p["metadata"].get("deletionTimestamp")]


def running(pod: Obj) -> bool:
    return (pod.get("status") or {}).get("phase") == "Running" and any(
        cd.get("type") == "Ready" and cd.get("status") == "True" for cd in pod["status"].get("conditions") or ())


def delete_and_wait(c: E2ECluster, pcs: str, timeout: float = 120) -> None:
    c.kubectl("delete", "pcs", pcs, "-n", NAMESPACE, "--ignore-not-found", "--wait=false")
    wait_until(f"{pcs}'s pods and PodGangs gone", lambda: not pods_of(c, pcs) and not c.kubectl_json(
        "get", "podgangs.scheduler.grove.io", "-n", NAMESPACE, "-l", f"app.kubernetes.io/part-of={pcs}")["items"],
        timeout=timeout, interval=1)


def podgroup_versions(c: E2ECluster) -> dict[str, str]:
    return {p["metadata"]["name"]: p["metadata"]["resourceVersion"]
            for p in c.kubectl_json("get", PODGROUPS, "-n", NAMESPACE)["items"]}


def managers(c: E2ECluster, name: str) -> list[str]:
    pg = c.kubectl_json("get", PODGROUPS, "-n", NAMESPACE, name, "--show-managed-fields")
    return [f"{m.get('manager')} {m.get('operation')} {m.get('subresource', '')} {m.get('time')}"
            for m in pg["metadata"].get("managedFields") or ()]


# -- simple1 -----------------------------------------------------------------------------------------


def test_simple1_runs_under_kai(kai_env: KaiSetup) -> None:
    """The shipped simple1 sample names no KAI queue, so with kai-scheduler the default profile admission
    refuses it, naming the label to set (a KAI PodGroup needs a queue; upstream's operator cannot map such
    a PCS either). With the queue label, on nodes without the e2e agent taint (simple1 has no toleration):
    all 9 pods Running, bound by KAI, no scheduling gate left, one PodGroup for the one gang."""
    c = kai_env.c
    docs = [d for d in yaml.safe_load_all(SIMPLE1.read_text()) if d]
    assert [d["kind"] for d in docs] == ["PodCliqueSet"]
    pcs = docs[0]
    refused = c.kubectl("apply", "-f", str(SIMPLE1), check=False)
    assert refused.returncode != 0 and "metadata.labels[kai.scheduler/queue]: Required value" in refused.stderr, (
        refused.stderr)
    pcs["metadata"].setdefault("labels", {})[gc.KAI_QUEUE_KEY] = QUEUE
    untainted = [f"kwok-node-{i}" for i in range(27, 30)]
    c.kubectl("taint", "nodes", *untainted, f"{AGENT_ROLE_KEY}:NoSchedule-")
    try:
        start = time.monotonic()
        c.apply(pcs)
        wait_until(f"simple1: 9 pods Running and Ready\n{kai_env.logs()}",
                   lambda: sum(running(p) for p in pods_of(c, "simple1")) == 9, timeout=90, interval=1)
        print(f"simple1: 9 pods Running {time.monotonic() - start:.1f}s after apply")
        pods = pods_of(c, "simple1")
        assert {p["spec"]["schedulerName"] for p in pods} == {SCHEDULER_NAME}
        assert {p["spec"]["nodeName"] for p in pods} <= set(untainted)
        assert all(not p["spec"].get("schedulingGates") for p in pods)
        groups = c.kubectl_json("get", PODGROUPS, "-n", NAMESPACE)["items"]
        assert [g["metadata"]["name"] for g in groups] == ["simple1-0"], [g["metadata"]["name"] for g in groups]
        assert groups[0]["spec"]["queue"] == QUEUE and groups[0]["spec"]["minMember"] == 9, groups[0]["spec"]
        kai_env.alive()
    finally:
        delete_and_wait(c, "simple1")
        c.kubectl("taint", "nodes", *untainted, f"{AGENT_ROLE_KEY}=agent:NoSchedule", "--overwrite")


# -- GS1, GS2, GS5 -----------------------------------------------------------------------------------


class KaiGang(RealGang):
    """test_gang_scheduling_real's harness for any upstream workload file, with KAI's logs on failure."""

    def __init__(self, c: E2ECluster, kai_env: KaiSetup, pcs: str) -> None:
        super().__init__(c, kai_env)  # type: ignore[arg-type]  # RealGang needs only .logs() of it
        self.pcs = pcs

    def apply(self) -> None:
        self.c.kubectl("apply", "-f", str(E2E / f"{self.pcs}.yaml"))

    def scale_pcs(self, replicas: int) -> None:
        self.c.kubectl("patch", "pcs", self.pcs, "-n", NAMESPACE, "--type=merge",
                       "-p", f'{{"spec":{{"replicas":{replicas}}}}}')

    def pods(self) -> list[Obj]:
        return pods_of(self.c, self.pcs)

    def expect_all_pending_after(self, seconds: float, total: int) -> None:
        """Upstream's "sleep, then all Pending": nothing may be bound during the whole wait."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            pods = self.pods()
            bound = [p["metadata"]["name"] for p in pods if p["spec"].get("nodeName")]
            assert not bound, f"bound while the gang cannot be placed: {bound}"
            time.sleep(1)
        self.expect(total=total, pending=total, running=0)

    def cleanup(self) -> None:
        try:
            delete_and_wait(self.c, self.pcs)
        finally:
            self._set_cordon(self.workers(), False)


@pytest.fixture
def gang(kai_env: KaiSetup, request: pytest.FixtureRequest) -> Iterator[KaiGang]:
    g = KaiGang(kai_env.c, kai_env, request.param)
    try:
        yield g
    finally:
        g.cleanup()
    kai_env.alive()


@pytest.mark.parametrize("gang", ["workload1"], indirect=True)
def test_GS1_kai_gang_scheduling_with_full_replicas(gang: KaiGang) -> None:
    t = gang
    t.prepare(10)
    t.cordon(1)
    t.apply()
    t.expect_gang_pending(total=10, running=0)
    t.uncordon(1)
    took = t.expect(total=10, running=10, ready=10)
    print(f"GS1 (KAI): 10 pods Ready {took:.1f}s after the uncordon")
    t.expect_distinct_nodes()


@pytest.mark.parametrize("gang", ["workload1"], indirect=True)
def test_GS2_kai_gang_scheduling_with_scaling_full_replicas(gang: KaiGang) -> None:
    t = gang
    t.prepare(14)
    t.cordon(5)
    t.apply()
    t.expect_gang_pending(total=10, running=0)
    t.uncordon(1)
    t.expect(total=10, running=10, ready=10)
    t.scale_pcsg("workload1-0-sg-x", 3)
    t.expect_gang_pending(total=14, running=10)
    t.uncordon(4)
    t.expect(total=14, running=14, ready=14)
    t.expect_distinct_nodes()


@pytest.mark.parametrize("gang", ["workload2"], indirect=True)
def test_GS5_kai_gang_scheduling_with_min_replicas(gang: KaiGang) -> None:
    t = gang
    t.prepare(10)
    t.cordon(8)
    t.apply()
    t.expect(total=10)
    t.expect_all_pending_after(15, total=10)  # upstream sleeps 30 s; KAI runs a cycle every second
    t.uncordon(1)
    t.expect(total=10, running=3, pending=7, ready=3)
    t.uncordon(7)
    t.expect(total=10, running=10, ready=10)
    t.expect_distinct_nodes()


# -- topology-aware scheduling -----------------------------------------------------------------------

TAS_FILES = sorted(p.name for p in E2E.glob("tas-*.yaml"))
NOT_HERE = {
    "tas-no-constraint.yaml": "no pack.required in it",
    "tas-topology-condition.yaml": "replicas 0 and a CTB created later: a PCS condition test, nothing to place",
}
UNSATISFIABLE = {"tas-insuffic.yaml"}
NVL_BLOCK = "example.com/nvl-block"


def pack_violations(c: E2ECluster, pcs: str) -> list[str]:
    """Every required pack of every PodGang of ``pcs`` (gang, group config, PodGroup, and a scaled gang
    together with its base gang) must hold on the nodes the pods are bound to."""
    nodes = {n["metadata"]["name"]: n for n in c.kubectl_json("get", "nodes")["items"]}
    pods = {p["metadata"]["name"]: p for p in pods_of(c, pcs)}
    gangs = c.kubectl_json("get", "podgangs.scheduler.grove.io", "-n", NAMESPACE,
                           "-l", f"app.kubernetes.io/part-of={pcs}")["items"]
    report = required_pack_report(gangs, pods, nodes)
    if not report.checked:
        return [f"no required pack found on the PodGangs of {pcs}: nothing was checked"]
    return report.problems


def _pcs_name(yaml_name: str) -> str:
    docs = [d for d in yaml.safe_load_all((E2E / yaml_name).read_text()) if d]
    names = [d["metadata"]["name"] for d in docs if d.get("kind") == "PodCliqueSet"]
    assert len(names) == 1, f"{yaml_name}: expected one PodCliqueSet, found {names}"
    return str(names[0])


def _unschedulable_by_kai(c: E2ECluster, pods: list[Obj]) -> list[str]:
    """Pending pods whose latest event is not a Warning Unschedulable from kai-scheduler."""
    by_uid: dict[str, list[Obj]] = {}
    for e in c.kubectl_json("get", "events", "-n", NAMESPACE)["items"]:
        by_uid.setdefault(e["involvedObject"].get("uid", ""), []).append(e)
    wrong = []
    for pod in pods:
        mine = by_uid.get(pod["metadata"]["uid"], [])
        latest = max(mine, key=lambda e: (e.get("lastTimestamp") or e.get("eventTime") or "",
                                          int(e["metadata"]["resourceVersion"])), default=None)
        got = None if latest is None else (latest["type"], latest["reason"],
                                           (latest.get("source") or {}).get("component")
                                           or latest.get("reportingComponent"))
        if got != ("Warning", "Unschedulable", SCHEDULER_NAME):
            wrong.append(f"{pod['metadata']['name']}: {got}")
    return wrong


@pytest.fixture
def nvl_blocks(e2e_cluster: E2ECluster) -> Iterator[None]:
    """gb200-topology packs ``block`` on an NVLink-domain label the e2e nodes lack: 4 hosts per domain."""
    c = e2e_cluster
    names = [n["metadata"]["name"] for n in c.kubectl_json("get", "nodes")["items"]]
    for name in names:
        c.kubectl("label", "node", name, f"{NVL_BLOCK}=nvl-{int(name.rsplit('-', 1)[1]) // 4}", "--overwrite")
    try:
        yield
    finally:
        c.kubectl("label", "node", *names, f"{NVL_BLOCK}-", check=False)


@pytest.mark.parametrize("yaml_name", TAS_FILES)
def test_kai_tas_required_packs_hold(kai_env: KaiSetup, yaml_name: str, request: pytest.FixtureRequest) -> None:
    if yaml_name in NOT_HERE:
        pytest.skip(f"{yaml_name}: {NOT_HERE[yaml_name]}")
    c = kai_env.c
    if yaml_name == "tas-multi-topology-gb200.yaml":
        request.getfixturevalue("nvl_blocks")
    pcs = _pcs_name(yaml_name)
    start = time.monotonic()
    c.kubectl("apply", "-f", str(E2E / yaml_name))
    try:
        if yaml_name in UNSATISFIABLE:
            def settled() -> bool:
                pods = pods_of(c, pcs)
                return bool(pods) and not _unschedulable_by_kai(c, pods)
            wait_until(f"{pcs}: every pod Pending with KAI's Unschedulable event\n{kai_env.logs()}",
                       settled, timeout=90, interval=1)
            pods = pods_of(c, pcs)
            assert not [p["metadata"]["name"] for p in pods if p["spec"].get("nodeName")], "partially placed"
            print(f"{yaml_name}: {len(pods)} pods Unschedulable {time.monotonic() - start:.1f}s after apply")
            return

        def all_running() -> bool:
            pods = pods_of(c, pcs)
            gated = [p for p in pods if p["spec"].get("schedulingGates")]
            return bool(pods) and not gated and all(running(p) for p in pods)
        wait_until(f"{pcs}: every pod Running\n{kai_env.logs()}", all_running, timeout=120, interval=1)
        pods = pods_of(c, pcs)
        print(f"{yaml_name}: {len(pods)} pods Running {time.monotonic() - start:.1f}s after apply")
        assert pack_violations(c, pcs) == []
    finally:
        delete_and_wait(c, pcs)
        kai_env.alive()


# -- steady state ------------------------------------------------------------------------------------


def test_operator_and_kai_leave_podgroups_alone_once_running(kai_env: KaiSetup) -> None:
    """workload1 (one gang) and workload2 (base gang + scaled gang) all Running: no PodGroup changes for
    20 s, i.e. the operator and KAI's components do not keep rewriting each other's fields."""
    c = kai_env.c
    for name in ("workload1", "workload2"):
        c.kubectl("apply", "-f", str(E2E / f"{name}.yaml"))
    try:
        wait_until(f"workload1 and workload2: 20 pods Running\n{kai_env.logs()}",
                   lambda: sum(running(p) for w in ("workload1", "workload2") for p in pods_of(c, w)) == 20,
                   timeout=120, interval=1)
        before = podgroup_versions(c)
        assert set(before) == {"workload1-0", "workload2-0", "workload2-0-sg-x-0"}, before
        changed: dict[str, list[str]] = {}
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not changed:
            time.sleep(2)
            now = podgroup_versions(c)
            changed = {n: managers(c, n) for n in before if now.get(n) != before[n]}
        assert not changed, f"PodGroups still being written after all pods Running: {changed}"
        kai_env.alive()
    finally:
        for name in ("workload1", "workload2"):
            delete_and_wait(c, name)
