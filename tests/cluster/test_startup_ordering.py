"""Startup ordering on the embedded cluster (spec §6; scenarios.md §2.4 SO1-SO4 and §4 simple2/simple3).

Upstream's e2e workloads 3-6 and the simple2/simple3 samples run unchanged through admission, the Grove
controllers, the gang scheduler and the fake kubelet, whose ``grove-initc`` init containers run the real
waiter (:func:`grove.initc.waiter.wait_for_parents`) in process. The kubelet takes 1 s to start a pod and
1 s more to make it Ready, on virtual time, so Ready times of successive startup stages differ.

Checks, as in the e2e suite: "group A before B with min m" means the m-th earliest Ready
``lastTransitionTime`` in A is no later than the earliest in B; pods are matched by the name substring
``-<clique>-``. Where a pod is held by the waiter the order is also asserted strictly (the check could not
pass by accident with every pod Ready at once), and every pod's own initc arguments are verified against
the Ready times of its parents within its own PodGang.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from grove.api import constants as c
from grove.devcluster.nodes import kwok_nodes
from grove.examples import __file__ as examples_init
from grove.kube.clock import parse_rfc3339
from grove.sim.runner import add_default_nodes, apply_manifests
from grove.sim.simulation import Simulation
from tests.upstream import UPSTREAM

Obj = dict[str, Any]
E2E_DIR = UPSTREAM / "e2e"
EXAMPLES = Path(examples_init).parent


def _docs(path: Path) -> list[Obj]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


async def _run(sim: Simulation, manifest: Path, *, kwok: bool) -> list[Obj]:
    if kwok:
        await sim.apply(kwok_nodes(10))
    else:
        await add_default_nodes(sim, 10)
    await apply_manifests(sim, _docs(manifest))
    assert await sim.run_until("settled", timeout=300)
    pods = (await sim.client.list("v1", "Pod")).items
    assert pods
    not_ready = [p["metadata"]["name"] for p in pods if _ready_at(p) is None]
    assert not not_ready, f"pods never Ready: {not_ready}"
    return pods


def _ready_at(pod: Obj) -> float | None:
    for cond in (pod.get("status") or {}).get("conditions") or []:
        if cond["type"] == "Ready" and cond["status"] == "True":
            return parse_rfc3339(cond["lastTransitionTime"])
    return None


def _group(pods: list[Obj], clique: str, within: str = "") -> list[Obj]:
    return [p for p in pods if f"-{clique}-" in p["metadata"]["name"] and within in p["metadata"]["name"]]


def _times(pods: list[Obj], clique: str, within: str = "") -> list[float]:
    return sorted(t for p in _group(pods, clique, within) if (t := _ready_at(p)) is not None)


def assert_before(pods: list[Obj], a: str, b: str, m: int, *, within: str = "", strict: bool = True) -> None:
    """Group ``a`` before ``b`` with min ``m`` (scenarios.md §2.4), optionally within a name substring."""
    ta, tb = _times(pods, a, within), _times(pods, b, within)
    assert len(ta) >= m and tb, f"{a}/{b} within {within!r}: {ta} / {tb}"
    if strict:
        assert ta[m - 1] < tb[0], f"{a} (min {m}) at {ta} not before {b} at {tb} within {within!r}"
    else:
        assert ta[m - 1] <= tb[0], f"{a} (min {m}) at {ta} after {b} at {tb} within {within!r}"


def _initc(pod: Obj) -> dict[str, int]:
    for ctr in pod["spec"].get("initContainers") or []:
        if ctr["name"] == c.INITC_CONTAINER_NAME:
            return {a.split("=", 1)[1].rsplit(":", 1)[0]: int(a.rsplit(":", 1)[1]) for a in ctr["args"]}
    return {}


def assert_waits_honoured(pods: list[Obj]) -> None:
    """Each pod with a waiter: every parent is in the pod's own PodGang and had ``count`` Ready pods first,
    and the waiter itself completed with exit code 0."""
    gang_of = {p["metadata"]["name"]: p["metadata"]["labels"][c.LABEL_PODGANG] for p in pods}
    for pod in pods:
        name, gang = pod["metadata"]["name"], gang_of[pod["metadata"]["name"]]
        parents = _initc(pod)
        if not parents:
            continue
        statuses = {s["name"]: s for s in pod["status"].get("initContainerStatuses") or []}
        assert statuses[c.INITC_CONTAINER_NAME]["state"]["terminated"]["exitCode"] == 0, name
        for parent, count in parents.items():
            members = [p for p in pods if p["metadata"]["labels"][c.LABEL_PODCLIQUE] == parent]
            assert members and {gang_of[p["metadata"]["name"]] for p in members} == {gang}, (name, parent)
            times = sorted(t for p in members if (t := _ready_at(p)) is not None)
            ready = _ready_at(pod)
            assert ready is not None and len(times) >= count and times[count - 1] < ready, (name, parent, times)


def _counts(pods: list[Obj], *cliques: str) -> list[int]:
    return [len(_group(pods, cl)) for cl in cliques]


async def test_so1_in_order_full_replicas_workload3(sim: Simulation) -> None:
    pods = await _run(sim, E2E_DIR / "workload3.yaml", kwok=True)
    assert len(pods) == 10
    assert _counts(pods, "pc-a", "pc-b", "pc-c") == [2, 2, 6]
    assert_before(pods, "pc-a", "pc-b", 2)
    assert_before(pods, "pc-b", "pc-c", 2)
    assert {p["metadata"]["labels"][c.LABEL_PODGANG] for p in pods} == {"workload3-0"}
    assert_waits_honoured(pods)


async def _min_replicas_checks(sim: Simulation, workload: str) -> None:
    pods = await _run(sim, E2E_DIR / f"{workload}.yaml", kwok=True)
    assert len(pods) == 10
    assert _counts(pods, "pc-a", "pc-b", "pc-c") == [2, 2, 6]
    sg_first = min(t for p in _group(pods, "sg-x") if (t := _ready_at(p)) is not None)
    assert _times(pods, "pc-a")[0] <= sg_first
    for replica in ("-sg-x-0-", "-sg-x-1-"):
        assert_before(pods, "pc-b", "pc-c", 1, within=replica)
    assert _times(pods, "pc-a")[0] < _times(pods, "pc-b", "-sg-x-0-")[0]
    gangs = {p["metadata"]["name"].split("-sg-x-")[1][0]: p["metadata"]["labels"][c.LABEL_PODGANG]
             for p in _group(pods, "sg-x")}
    assert gangs == {"0": f"{workload}-0", "1": f"{workload}-0-sg-x-0"}
    assert _initc(_group(pods, "pc-b", "-sg-x-1-")[0]) == {}
    assert _times(pods, "pc-c", "-sg-x-1-")[0] < _times(pods, "pc-c", "-sg-x-0-")[0]
    assert_waits_honoured(pods)


async def test_so2_in_order_min_replicas_workload4(sim: Simulation) -> None:
    await _min_replicas_checks(sim, "workload4")


async def test_so3_explicit_full_replicas_workload5(sim: Simulation) -> None:
    pods = await _run(sim, E2E_DIR / "workload5.yaml", kwok=True)
    assert len(pods) == 10
    assert _counts(pods, "pc-a", "pc-b", "pc-c") == [2, 2, 6]
    assert_before(pods, "pc-a", "pc-c", 2)
    assert_before(pods, "pc-a", "pc-b", 2)
    assert_before(pods, "pc-c", "pc-b", 6)
    assert_waits_honoured(pods)


async def test_so4_explicit_min_replicas_workload6(sim: Simulation) -> None:
    await _min_replicas_checks(sim, "workload6")


async def test_simple2_explicit_order(sim: Simulation) -> None:
    pods = await _run(sim, EXAMPLES / "simple2-explicit-startup-order.yaml", kwok=False)
    assert len(pods) == 9
    assert _counts(pods, "pca", "pcb", "pcc", "pcd") == [3, 2, 2, 2]
    assert_before(pods, "pca", "pcb", 3)
    assert_before(pods, "pca", "pcc", 3)
    assert_before(pods, "pcb", "pcd", 2)
    assert_before(pods, "pcc", "pcd", 2)
    assert_waits_honoured(pods)


async def test_simple3_order_holds_within_each_podgang(sim: Simulation) -> None:
    pods = await _run(sim, EXAMPLES / "simple3-explicit-startup-order.yaml", kwok=False)
    assert len(pods) == 23
    gangs: dict[str, set[str]] = {}
    for p in pods:
        gangs.setdefault(p["metadata"]["labels"][c.LABEL_PODGANG], set()).add(
            p["metadata"]["labels"][c.LABEL_PODCLIQUE])
    assert gangs == {
        "simple3-0": {"simple3-0-pca", "simple3-0-pce", *(f"simple3-0-sga-{j}-{cl}" for j in (0, 1)
                                                          for cl in ("pcb", "pcc", "pcd"))},
        "simple3-0-sga-0": {f"simple3-0-sga-2-{cl}" for cl in ("pcb", "pcc", "pcd")},
    }
    for replica in ("-sga-0-", "-sga-1-"):
        assert _times(pods, "pca")[2] < _times(pods, "pcb", replica)[0]
        assert _times(pods, "pca")[2] < _times(pods, "pcc", replica)[0]
    base_b = [p for p in _group(pods, "pcb") if "-sga-2-" not in p["metadata"]["name"]]
    base_c = [p for p in _group(pods, "pcc") if "-sga-2-" not in p["metadata"]["name"]]
    last_bc = max(t for p in base_b + base_c if (t := _ready_at(p)) is not None)
    for later in ("pcd", "pce"):
        first = min(t for p in _group(pods, later) if "-sga-2-" not in p["metadata"]["name"]
                    if (t := _ready_at(p)) is not None)
        assert last_bc < first
    assert_before(pods, "pcb", "pcd", 2, within="-sga-2-")
    assert_before(pods, "pcc", "pcd", 2, within="-sga-2-")
    assert all(_initc(p) == {} for p in _group(pods, "pcb", "-sga-2-") + _group(pods, "pcc", "-sga-2-"))
    assert _times(pods, "pcb", "-sga-2-")[-1] < _times(pods, "pcb", "-sga-0-")[0]
    assert_waits_honoured(pods)


async def test_a_waiting_pod_is_never_ready_before_its_init_container_completes(sim: Simulation) -> None:
    await sim.apply(kwok_nodes(10))
    await apply_manifests(sim, _docs(E2E_DIR / "workload5.yaml"))
    seen_waiting: set[str] = set()
    for _ in range(40):
        await sim.advance(0.5)
        for pod in (await sim.client.list("v1", "Pod")).items:
            if not _initc(pod):
                continue
            name = pod["metadata"]["name"]
            statuses = {s["name"]: s for s in pod["status"].get("initContainerStatuses") or []}
            state = statuses.get(c.INITC_CONTAINER_NAME, {}).get("state", {})
            ready = _ready_at(pod)
            if "running" in state:
                seen_waiting.add(name)
            if ready is None:
                continue
            assert "terminated" in state, name
            assert parse_rfc3339(state["terminated"]["finishedAt"]) < ready, name
    assert {n.split("-sg-x-")[1][2:6] for n in seen_waiting} == {"pc-b", "pc-c"}
    pods = (await sim.client.list("v1", "Pod")).items
    assert all(_ready_at(p) is not None for p in pods)
