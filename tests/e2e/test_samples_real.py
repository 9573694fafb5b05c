"""Every upstream sample (``samples/simple`` and ``samples/user-guide``) applied unchanged with
``kubectl apply`` while ``grove operator`` runs against the real control plane.

Expected names and counts are scenarios.md §4 (PodCliques, PCSGs, pods per PodClique, PodGangs,
headless Services, HPAs, and the per-PCS ServiceAccount / init-container Secret / Role / RoleBinding),
written out here by hand from that text, not computed by our naming code. No gang scheduler runs in
this module and the samples do not tolerate the KWOK agent taint, so pods stay Pending: the check is on
objects, not placement. ``kubectl get pcs,pclq,pcsg,pg [-o wide]`` must print the printer columns of
grove-spec §1.1 (priority-1 columns only with ``-o wide``). Last, each PCS is deleted and the cascade
awaited (the module fixture repeats that as a safety net, so the ``default`` namespace is left empty).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from tests.e2e.harness import E2ECluster, wait_until
from tests.e2e.operator_support import Operator, operator_running
from tests.upstream import UPSTREAM

pytestmark = pytest.mark.e2e

SAMPLES = UPSTREAM / "samples"
NAMESPACE = "default"  # the user-guide samples name it; the simple ones inherit it
PART_OF = "app.kubernetes.io/part-of"
Obj = dict[str, Any]


def _expect(pcs: str, *, pclqs: dict[str, int], pcsgs: Sequence[str] = (), gangs: Sequence[str] = (),
            hpas: Sequence[str] = ()) -> dict[str, Any]:
    """Names relative to ``<pcs>-0``; ``pclqs`` maps each PodClique to its pod count."""
    base = f"{pcs}-0"
    return {"pclqs": {f"{base}-{k}": v for k, v in pclqs.items()},
            "pcsgs": sorted(f"{base}-{g}" for g in pcsgs),
            "gangs": sorted([base] + [f"{base}-{g}" for g in gangs]),
            "services": [base],
            "hpas": sorted(f"{base}-{h}" for h in hpas)}


def _pcsg(sg: str, replicas: int, cliques: dict[str, int]) -> dict[str, int]:
    return {f"{sg}-{j}-{name}": n for j in range(replicas) for name, n in cliques.items()}


EXPECTED: dict[str, tuple[str, dict[str, Any]]] = {
    "simple1": ("simple/simple1.yaml", _expect(
        "simple1", pclqs={"pca": 3, "pcd": 2, **_pcsg("sga", 1, {"pcb": 2, "pcc": 2})},
        pcsgs=["sga"], hpas=["pca", "sga"])),
    "simple2": ("simple/simple2-explicit-startup-order.yaml", _expect(
        "simple2", pclqs={"pca": 3, "pcb": 2, "pcc": 2, "pcd": 2}, hpas=["pca"])),
    "simple3": ("simple/simple3-explicit-startup-order.yaml", _expect(
        "simple3", pclqs={"pca": 3, "pce": 2, **_pcsg("sga", 3, {"pcb": 2, "pcc": 2, "pcd": 2})},
        pcsgs=["sga"], gangs=["sga-0"], hpas=["pca", "sga"])),
    "single-node-aggregated": ("user-guide/01_core-concepts/single-node-aggregated.yaml", _expect(
        "single-node-aggregated", pclqs={"model-worker": 2})),
    "single-node-disaggregated": ("user-guide/01_core-concepts/single-node-disaggregated.yaml", _expect(
        "single-node-disaggregated", pclqs={"prefill": 3, "decode": 2})),
    "multinode-aggregated": ("user-guide/01_core-concepts/multi-node-aggregated.yaml", _expect(
        "multinode-aggregated", pclqs=_pcsg("model-instance", 2, {"leader": 1, "worker": 3}),
        pcsgs=["model-instance"], gangs=["model-instance-0"])),
    "multinode-disaggregated": ("user-guide/01_core-concepts/multi-node-disaggregated.yaml", _expect(
        "multinode-disaggregated", pclqs={**_pcsg("prefill", 2, {"pleader": 1, "pworker": 4}),
                                          **_pcsg("decode", 1, {"dleader": 1, "dworker": 2})},
        pcsgs=["prefill", "decode"], gangs=["prefill-0"])),
    "comp-inf-ppln": ("user-guide/01_core-concepts/complete-inference-pipeline.yaml", _expect(
        "comp-inf-ppln", pclqs={"frontend": 2, "vision-encoder": 1,
                                **_pcsg("prefill", 1, {"pleader": 1, "pworker": 4}),
                                **_pcsg("decode-cluster", 1, {"dleader": 1, "dworker": 2})},
        pcsgs=["prefill", "decode-cluster"])),
    "mn-disagg": ("user-guide/02_pod-and-resource-naming-conventions/multinode-disaggregated-with-frontend.yaml",
                  _expect("mn-disagg", pclqs={"frontend": 2, **_pcsg("prefill", 2, {"pleader": 1, "pworker": 3}),
                                              **_pcsg("decode", 1, {"dleader": 1, "dworker": 2})},
                          pcsgs=["prefill", "decode"], gangs=["prefill-0"])),
    "env-demo-standalone": ("user-guide/03_environment-variables-for-pod-discovery/standalone-env-vars.yaml",
                            _expect("env-demo-standalone", pclqs={"frontend": 2})),
    "env-demo-pcsg": ("user-guide/03_environment-variables-for-pod-discovery/pcsg-env-vars.yaml", _expect(
        "env-demo-pcsg", pclqs=_pcsg("model-instance", 2, {"leader": 1, "worker": 3}),
        pcsgs=["model-instance"], gangs=["model-instance-0"])),
}
# scenarios.md §4 table: (PCLQ, PCSG, pods, PodGangs, Services, HPAs) per sample.
TABLE = {
    "simple1": (4, 1, 9, 1, 1, 2), "simple2": (4, 0, 9, 1, 1, 1), "simple3": (11, 1, 23, 2, 1, 2),
    "single-node-aggregated": (1, 0, 2, 1, 1, 0), "single-node-disaggregated": (2, 0, 5, 1, 1, 0),
    "multinode-aggregated": (4, 1, 8, 2, 1, 0), "multinode-disaggregated": (6, 2, 13, 2, 1, 0),
    "comp-inf-ppln": (6, 2, 11, 1, 1, 0), "mn-disagg": (7, 2, 13, 2, 1, 0),
    "env-demo-standalone": (1, 0, 2, 1, 1, 0), "env-demo-pcsg": (4, 1, 8, 2, 1, 0),
}
KINDS = {"pclqs": "podcliques.grove.io", "pcsgs": "podcliquescalinggroups.grove.io",
         "gangs": "podgangs.scheduler.grove.io", "services": "services", "hpas": "horizontalpodautoscalers"}


class World:
    """Every object of the kinds we check in ``default``, read in one kubectl call."""

    def __init__(self, c: E2ECluster) -> None:
        kinds = ",".join([*KINDS.values(), "pods", "serviceaccounts", "secrets", "roles", "rolebindings"])
        self.items: list[Obj] = c.kubectl_json("get", kinds, "-n", NAMESPACE)["items"]

    def names(self, kind: str, pcs: str | None = None) -> list[str]:
        """Names of ``kind`` (Kind as in the object), those of ``pcs`` only (part-of label) if given."""
        return sorted(o["metadata"]["name"] for o in self.items if o["kind"] == kind and not o["metadata"].get(
            "deletionTimestamp") and (pcs is None or (o["metadata"].get("labels") or {}).get(PART_OF) == pcs))

    def pods_per_pclq(self, pcs: str) -> dict[str, int]:
        return dict(Counter((p["metadata"].get("labels") or {}).get("grove.io/podclique", "?")
                            for p in self.items if p["kind"] == "Pod" and not p["metadata"].get("deletionTimestamp")
                            and (p["metadata"].get("labels") or {}).get(PART_OF) == pcs))

    def summary(self, pcs: str) -> tuple[int, ...]:
        return (len(self.names("PodClique", pcs)), len(self.names("PodCliqueScalingGroup", pcs)),
                sum(self.pods_per_pclq(pcs).values()), len(self.names("PodGang", pcs)),
                len([n for n in self.names("Service") if n == f"{pcs}-0"]),
                len([n for n in self.names("HorizontalPodAutoscaler") if n.startswith(f"{pcs}-0")]))


def _grove_objects(c: E2ECluster) -> list[str]:
    items = c.kubectl_json("get", "pcs,pclq,pcsg,pg,pods", "-n", NAMESPACE)["items"]
    return [f"{o['kind']}/{o['metadata']['name']}" for o in items
            if o["kind"] != "Pod" or (o["metadata"].get("labels") or {}).get(PART_OF) in EXPECTED]


@pytest.fixture(scope="module")
def samples(e2e_cluster: E2ECluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Operator]:
    c = e2e_cluster
    with operator_running(c, tmp_path_factory.mktemp("samples")) as op:
        try:
            leftover = _grove_objects(c)
            assert not leftover, f"default namespace not clean before the samples: {leftover[:10]}"
            start = time.monotonic()
            for path, _ in EXPECTED.values():
                c.kubectl("apply", "-f", str(SAMPLES / path))  # unchanged; namespace default
            wait_until(f"every sample's children (scenarios.md §4 table); operator log:\n{op.logs()}",
                       lambda: {pcs: World(c).summary(pcs) for pcs in TABLE} == TABLE, timeout=120, interval=1)
            print(f"11 samples: all {sum(t[2] for t in TABLE.values())} pods and their objects created in "
                  f"{time.monotonic() - start:.1f}s")
            yield op
        finally:
            c.kubectl("delete", "pcs", *EXPECTED, "-n", NAMESPACE, "--ignore-not-found", "--wait=false", check=False)
            wait_until("the samples' cascade (safety net)", lambda: not _grove_objects(c), timeout=120, interval=1)


def test_sample_table_matches_the_spec() -> None:
    """The hand-written names agree with the §4 table (guards the expectations themselves)."""
    for pcs, (_, want) in EXPECTED.items():
        got = (len(want["pclqs"]), len(want["pcsgs"]), sum(want["pclqs"].values()), len(want["gangs"]),
               len(want["services"]), len(want["hpas"]))
        assert got == TABLE[pcs], pcs


@pytest.mark.parametrize("pcs", list(EXPECTED))
def test_sample_children_names_and_counts(pcs: str, samples: Operator, e2e_cluster: E2ECluster) -> None:
    want = EXPECTED[pcs][1]
    w = World(e2e_cluster)
    assert w.names("PodClique", pcs) == sorted(want["pclqs"])
    assert w.pods_per_pclq(pcs) == want["pclqs"], "pods per PodClique"
    assert w.names("PodCliqueScalingGroup", pcs) == want["pcsgs"]
    assert w.names("PodGang", pcs) == want["gangs"]
    assert [n for n in w.names("Service") if n.startswith(f"{pcs}-")] == want["services"]
    assert [n for n in w.names("HorizontalPodAutoscaler") if n.startswith(f"{pcs}-")] == want["hpas"]
    assert pcs in w.names("ServiceAccount")
    assert f"{pcs}-ic-sat" in w.names("Secret")
    assert f"grove.io:pcs:{pcs}" in w.names("Role") and f"grove.io:pcs:{pcs}" in w.names("RoleBinding")
    pods = [o for o in w.items if o["kind"] == "Pod" and (o["metadata"].get("labels") or {}).get(PART_OF) == pcs]
    for p in pods:
        pclq = p["metadata"]["labels"]["grove.io/podclique"]
        assert p["metadata"]["name"].startswith(f"{pclq}-"), p["metadata"]["name"]
        assert not p["spec"].get("nodeName"), f"{p['metadata']['name']} was placed, yet nothing should place it"


def _tables(out: str) -> dict[str, tuple[list[str], dict[str, dict[str, str]]]]:
    """``kubectl get a,b,c`` output -> {resource: (header, {name: {column: cell}})}; names lose the ``kind/``
    prefix. Cells are cut at the header's column offsets, since an unset field prints as blanks."""
    tables: dict[str, tuple[list[str], dict[str, dict[str, str]]]] = {}
    for block in out.strip("\n").split("\n\n"):
        head, *lines = block.strip("\n").splitlines()
        header = head.split()
        starts = [head.index(f" {h}") + 1 if i else 0 for i, h in enumerate(header)]
        assert lines, block
        rows = {}
        for line in lines:
            cells = [line[a:b].strip() for a, b in zip(starts, [*starts[1:], None], strict=True)]
            rows[cells[0].split("/", 1)[1]] = dict(zip(header, cells, strict=True))
        tables[lines[0].split("/", 1)[0]] = (header, rows)
    return tables


PCS_COLS = ["NAME", "REPLICAS", "AVAILABLE", "UPDATED", "PCLQS-UPDATED", "PCLQS-TOTAL", "PCSGS-UPDATED",
            "PCSGS-TOTAL", "AGE"]
PCLQ_COLS = ["NAME", "MINAVAIL", "REPLICAS", "READY", "SCHEDULED", "UPDATED", "AGE"]
PCLQ_WIDE = ["NAME", "MINAVAIL", "REPLICAS", "READY", "SCHEDULED", "UPDATED", "GATED", "MINBREACHED", "AGE"]
PCSG_COLS = ["NAME", "MINAVAIL", "REPLICAS", "AVAILABLE", "SCHEDULED", "UPDATED", "PCLQS-UPDATED", "PCLQS-TOTAL",
             "AGE"]
PCSG_WIDE = [*PCSG_COLS[:-1], "MINBREACHED", "AGE"]
PG_COLS = ["NAME", "PHASE", "AGE"]


def test_kubectl_get_prints_the_printer_columns(samples: Operator, e2e_cluster: E2ECluster) -> None:
    c = e2e_cluster
    wide = _tables(c.kubectl("get", "pcs,pclq,pcsg,pg", "-o", "wide", "-n", NAMESPACE).stdout)
    narrow = _tables(c.kubectl("get", "pcs,pclq,pcsg,pg", "-n", NAMESPACE).stdout)
    pcs, pclq = "podcliqueset.grove.io", "podclique.grove.io"
    pcsg, pg = "podcliquescalinggroup.grove.io", "podgang.scheduler.grove.io"
    assert sorted(wide) == sorted(narrow) == sorted([pcs, pclq, pcsg, pg]), sorted(wide)
    assert wide[pcs][0] == narrow[pcs][0] == PCS_COLS
    assert narrow[pclq][0] == PCLQ_COLS and wide[pclq][0] == PCLQ_WIDE
    assert narrow[pcsg][0] == PCSG_COLS and wide[pcsg][0] == PCSG_WIDE
    assert wide[pg][0] == narrow[pg][0] == PG_COLS
    assert set(wide[pcs][1]) == set(EXPECTED)
    assert set(wide[pclq][1]) == {n for _, e in EXPECTED.values() for n in e["pclqs"]}
    # Values under the headers: spec and status fields land in their columns.
    row = wide[pcs][1]["simple3"]
    assert row["REPLICAS"] == "1", row
    row = wide[pclq][1]["simple3-0-pca"]
    assert (row["MINAVAIL"], row["REPLICAS"], row["READY"], row["SCHEDULED"]) == ("3", "3", "0", "0"), row
    # Scheduling gates (scenarios.md §1.4): base-gang pods are released once listed in their PodGang; the
    # scaled gang simple3-0-sga-0 (sga replica 2) stays gated until the base gang is scheduled.
    assert row["GATED"] == "0" and row["MINBREACHED"], row
    assert wide[pclq][1]["simple3-0-sga-2-pcb"]["GATED"] == "2", wide[pclq][1]["simple3-0-sga-2-pcb"]
    row = wide[pcsg][1]["simple3-0-sga"]
    assert (row["MINAVAIL"], row["REPLICAS"]) == ("2", "3"), row
    assert {r["PHASE"] for r in wide[pg][1].values()} == {"Pending"}, wide[pg][1]


def test_deleting_each_sample_cascades(samples: Operator, e2e_cluster: E2ECluster) -> None:
    c = e2e_cluster
    start = time.monotonic()
    for pcs in EXPECTED:
        c.kubectl("delete", "pcs", pcs, "-n", NAMESPACE, "--wait=false")
    wait_until("every sample's PodCliques, PCSGs, PodGangs, pods, Services and HPAs to be gone",
               lambda: all(World(c).summary(pcs) == (0,) * 6 for pcs in EXPECTED), timeout=120, interval=1)
    w = World(c)
    assert not [n for n in w.names("Secret") + w.names("ServiceAccount") if any(
        n in (pcs, f"{pcs}-ic-sat") for pcs in EXPECTED)], "per-PCS ServiceAccount/Secret left behind"
    print(f"cascade delete of 11 samples took {time.monotonic() - start:.1f}s")
