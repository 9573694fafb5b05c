"""The three-zone spread scenario (docs/spread.md) on the real control plane: ``grove operator`` (TAS on)
and the chart's ``grove scheduler`` against kube-apiserver, pods bound on KWOK nodes.

Twelve KWOK workers get a zone label of their own (``example.com/spread-zone``: 4 per zone, 3 zones)
and a ClusterTopologyBinding ``spread-topology`` names it, so the session's other topology labels are
left alone. Each worker holds one 80Mi pod. A PodCliqueSet of 3 replicas (2 pods each, grove-scheduler)
spreading its replicas over zones with maxSkew 1 lands one replica per zone, its PodGangs carry the
translated spread, and a 4th replica (scale to 4) lands too. Bad spread input is rejected by the real
webhook and nothing is stored. Labels, binding and workload are removed afterwards.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from grove.api import constants as gc
from grove.devcluster.nodes import agent_toleration
from tests.e2e.harness import E2ECluster, wait_until
from tests.e2e.operator_support import Operator, operator_running

pytestmark = pytest.mark.e2e

NAMESPACE = "default"
PCS = "spread-serving"
ZONE_KEY = "example.com/spread-zone"
TOPOLOGY = "spread-topology"
WORKERS = [f"kwok-node-{i}" for i in range(12)]
TIMEOUT = 60.0
Obj = dict[str, Any]


def zone_of_worker(i: int) -> str:
    return f"z{i // 4}"


@pytest.fixture(scope="module")
def grove(e2e_cluster: E2ECluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Operator]:
    c = e2e_cluster
    for i, name in enumerate(WORKERS):
        c.kubectl("label", "node", name, f"{ZONE_KEY}={zone_of_worker(i)}", "--overwrite")
    c.kubectl("uncordon", *WORKERS)
    values = {"config": {"topologyAwareScheduling": {"enabled": True}}}
    try:
        with operator_running(c, tmp_path_factory.mktemp("spread"), scheduler=True, values=values) as op:
            c.apply({"apiVersion": "grove.io/v1alpha1", "kind": "ClusterTopologyBinding",
                     "metadata": {"name": TOPOLOGY},
                     "spec": {"levels": [{"domain": "zone", "key": ZONE_KEY},
                                         {"domain": "host", "key": "kubernetes.io/hostname"}]}})
            yield op
            c.kubectl("delete", "pcs", PCS, "-n", NAMESPACE, "--ignore-not-found", "--wait=true")
            wait_until("spread pods gone", lambda: not pods(c), timeout=TIMEOUT)
            c.kubectl("delete", "clustertopologybinding", TOPOLOGY, "--ignore-not-found")
    finally:
        for name in WORKERS:
            c.kubectl("label", "node", name, f"{ZONE_KEY}-", check=False)


def serving(replicas: int, spread: dict[str, Any] | None = None, pack: str | None = None) -> Obj:
    tc: dict[str, Any] = {"topologyName": TOPOLOGY, "spreadConstraints": [spread or {"domain": "zone"}]}
    if pack:
        tc["pack"] = {"required": pack}
    pod_spec = {"schedulerName": "grove-scheduler", "tolerations": [agent_toleration()],
                "containers": [{"name": "w", "image": "busybox", "command": ["sleep", "infinity"],
                                "resources": {"requests": {"memory": "80Mi"}}}]}
    return {"apiVersion": "grove.io/v1alpha1", "kind": "PodCliqueSet",
            "metadata": {"name": PCS, "namespace": NAMESPACE},
            "spec": {"replicas": replicas, "template": {
                "topologyConstraint": tc,
                "cliques": [{"name": "w", "spec": {"roleName": "w", "replicas": 2, "podSpec": pod_spec}}]}}}


def pods(c: E2ECluster) -> list[Obj]:
    items: list[Obj] = c.kubectl_json("get", "pods", "-n", NAMESPACE, "-l",
                                      f"app.kubernetes.io/part-of={PCS}")["items"]
    return [p for p in items if not p["metadata"].get("deletionTimestamp")]


def zones_by_replica(c: E2ECluster) -> dict[int, set[str]]:
    zone = {f"kwok-node-{i}": zone_of_worker(i) for i in range(len(WORKERS))}
    out: dict[int, set[str]] = {}
    for p in pods(c):
        if (p.get("status") or {}).get("phase") != "Running":
            continue
        index = int(p["metadata"]["labels"][gc.LABEL_PCS_REPLICA_INDEX])
        out.setdefault(index, set()).add(zone.get(p["spec"]["nodeName"], "<unlabelled>"))
    return out


def running(c: E2ECluster, n: int) -> bool:
    return sum(1 for p in pods(c) if (p.get("status") or {}).get("phase") == "Running") == n


def test_three_replicas_over_three_zones_then_a_fourth(e2e_cluster: E2ECluster, grove: Operator) -> None:
    c = e2e_cluster
    c.apply(serving(3))
    wait_until(f"6 running pods\n{grove.logs()}", lambda: running(c, 6), timeout=TIMEOUT)
    placed = zones_by_replica(c)
    assert all(len(z) == 1 for z in placed.values()), placed
    assert sorted(z for zs in placed.values() for z in zs) == ["z0", "z1", "z2"], placed
    gang = c.kubectl_json("get", "podgangs.scheduler.grove.io", f"{PCS}-0", "-n", NAMESPACE)
    assert gang["spec"]["topologyConstraint"]["spreadConstraints"] == [
        {"topologyKey": ZONE_KEY, "maxSkew": 1, "whenUnsatisfiable": "DoNotSchedule", "spreadGroup": PCS}]
    c.kubectl("patch", "pcs", PCS, "-n", NAMESPACE, "--type=merge", "-p", json.dumps({"spec": {"replicas": 4}}))
    wait_until(f"8 running pods\n{grove.logs()}", lambda: running(c, 8), timeout=TIMEOUT)
    placed = zones_by_replica(c)
    assert all(len(z) == 1 for z in placed.values()), placed
    assert sorted(Counter(next(iter(z)) for z in placed.values()).values()) == [1, 1, 2], placed


def test_min_domains_with_a_zone_cordoned_keeps_the_third_replica_pending(e2e_cluster: E2ECluster,
                                                                           grove: Operator) -> None:
    c = e2e_cluster
    c.kubectl("delete", "pcs", PCS, "-n", NAMESPACE, "--ignore-not-found", "--wait=true")
    wait_until("previous spread pods gone", lambda: not pods(c), timeout=TIMEOUT)
    zone2 = WORKERS[8:]
    c.kubectl("cordon", *zone2)
    try:
        c.apply(serving(3, {"domain": "zone", "minDomains": 3}))
        wait_until(f"4 running pods\n{grove.logs()}", lambda: running(c, 4), timeout=TIMEOUT)

        def unschedulable_event() -> bool:
            pending = {p["metadata"]["name"] for p in pods(c) if not p["spec"].get("nodeName")}
            events = c.kubectl_json("get", "events", "-n", NAMESPACE)["items"]
            # which replica waits depends on PodGang creation order (the last one placed), so any index
            return len(pending) == 2 and any(
                e.get("reason") == "Unschedulable" and e["involvedObject"]["name"] in pending
                and re.search(r"spread: replica \d of spread-serving over 2 zones: skew would be 2 > maxSkew 1 "
                              r"\(minDomains 3 > 2 eligible", e["message"])
                for e in events)

        try:
            wait_until("the Unschedulable spread event", unschedulable_event, timeout=TIMEOUT)
        except BaseException:
            seen = [(e["involvedObject"]["name"], e.get("reason"), e["message"])
                    for e in c.kubectl_json("get", "events", "-n", NAMESPACE)["items"]
                    if e["involvedObject"]["name"].startswith(PCS)]
            print("pods:", [(p["metadata"]["name"], p["spec"].get("nodeName")) for p in pods(c)], "events:", seen[-12:])
            raise
        placed = zones_by_replica(c)
        assert sorted(z for zs in placed.values() for z in zs) == ["z0", "z1"], placed
    finally:
        c.kubectl("uncordon", *zone2)


BAD = [
    ("domain missing from the binding", serving(3, {"domain": "rack"}),
     "spreadConstraints[0].domain: Unsupported value: \"rack\""),
    ("maxSkew 0", serving(3, {"domain": "zone", "maxSkew": 0}), "maxSkew"),
    ("spread finer than the pack", serving(3, {"domain": "host"}, pack="zone"),
     "spreadConstraints[0].domain: Invalid value: \"host\": must not be narrower than "
     "spec.template.topologyConstraint.pack.required ('zone')"),
]


@pytest.mark.parametrize(("case", "body", "says"), BAD, ids=[b[0] for b in BAD])
def test_bad_spread_is_rejected_by_the_real_webhook(e2e_cluster: E2ECluster, grove: Operator, case: str,
                                                    body: Obj, says: str) -> None:
    c = e2e_cluster
    bad = json.loads(json.dumps(body))
    bad["metadata"]["name"] = "spread-bad"
    proc = c.kubectl("create", "-f", "-", input=json.dumps(bad), check=False)
    assert proc.returncode != 0 and says in proc.stderr, f"{case}: {proc.stderr}"
    assert c.kubectl("get", "pcs", "spread-bad", "-n", NAMESPACE, check=False).returncode != 0
