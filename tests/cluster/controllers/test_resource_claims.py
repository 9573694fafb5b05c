"""ResourceClaims from resourceSharing on the embedded cluster (spec §11.1, scenarios.md §1.5).

Upstream's ``workload-resource-sharing.yaml`` (``rs-test``) applied unchanged, with ``ext-ns-tpl`` created
in ``rs-shared`` first as upstream's e2e setup does: exactly 12 claims at the three levels with their
owners and labels; every pod references exactly the claims of its clique, group and replica; PCS scale-in
deletes the removed replica's PerReplica claims; deleting the PCS garbage-collects them all.
"""

from __future__ import annotations

from typing import Any

import yaml

from grove.api import constants as c
from grove.devcluster.nodes import kwok_nodes
from grove.sim.runner import apply_manifests
from grove.sim.simulation import SimOptions, Simulation
from tests.cluster.helpers import NS, STAGE_FAST, StartSim, listed, live_pods, settle
from tests.upstream import UPSTREAM

Obj = dict[str, Any]
RC = "resource.k8s.io/v1"
MANIFEST = UPSTREAM / "e2e/workload-resource-sharing.yaml"

EXT_NS_TPL: Obj = {
    "apiVersion": RC, "kind": "ResourceClaimTemplate",
    "metadata": {"name": "ext-ns-tpl", "namespace": "rs-shared"},
    "spec": {"spec": {"devices": {"requests": [{"name": "ns-dev", "exactly": {"deviceClassName": "ns-class"}}]}}},
}

# name -> (owner kind, owner name, level labels beyond default + component)
EXPECTED: dict[str, tuple[str, str, dict[str, str]]] = {
    "rs-test-all-int-tpl5": ("PodCliqueSet", "rs-test", {}),
    "rs-test-all-int-tpl7": ("PodCliqueSet", "rs-test", {}),
    "rs-test-0-ext-tpl": ("PodCliqueSet", "rs-test", {c.LABEL_PCS_REPLICA_INDEX: "0"}),
    "rs-test-0-int-tpl": ("PodCliqueSet", "rs-test", {c.LABEL_PCS_REPLICA_INDEX: "0"}),
    "rs-test-0-sga-all-int-tpl2": ("PodCliqueScalingGroup", "rs-test-0-sga", {c.LABEL_PCSG: "rs-test-0-sga"}),
    "rs-test-0-sga-all-int-tpl8": ("PodCliqueScalingGroup", "rs-test-0-sga", {c.LABEL_PCSG: "rs-test-0-sga"}),
    "rs-test-0-sga-0-int-tpl3": ("PodCliqueScalingGroup", "rs-test-0-sga",
                                 {c.LABEL_PCSG: "rs-test-0-sga", c.LABEL_PCSG_REPLICA_INDEX: "0"}),
    "rs-test-0-sga-1-int-tpl3": ("PodCliqueScalingGroup", "rs-test-0-sga",
                                 {c.LABEL_PCSG: "rs-test-0-sga", c.LABEL_PCSG_REPLICA_INDEX: "1"}),
    "rs-test-0-worker-a-all-ext-ns-tpl": ("PodClique", "rs-test-0-worker-a",
                                          {c.LABEL_PODCLIQUE: "rs-test-0-worker-a"}),
    "rs-test-0-worker-a-0-int-tpl4": ("PodClique", "rs-test-0-worker-a",
                                      {c.LABEL_PODCLIQUE: "rs-test-0-worker-a", c.LABEL_POD_INDEX: "0"}),
    "rs-test-0-sga-0-worker-b-all-int-tpl6": ("PodClique", "rs-test-0-sga-0-worker-b",
                                              {c.LABEL_PODCLIQUE: "rs-test-0-sga-0-worker-b"}),
    "rs-test-0-sga-1-worker-b-all-int-tpl6": ("PodClique", "rs-test-0-sga-1-worker-b",
                                              {c.LABEL_PODCLIQUE: "rs-test-0-sga-1-worker-b"}),
}


async def start(start_sim: StartSim) -> Simulation:
    sim = await start_sim(SimOptions(kubelet=STAGE_FAST, objects=tuple(kwok_nodes(12))))
    docs = [d for d in yaml.safe_load_all(MANIFEST.read_text()) if d]
    await apply_manifests(sim, [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "rs-shared"}},
                                EXT_NS_TPL, *docs])
    await settle(sim)
    return sim


async def claims(sim: Simulation) -> dict[str, Obj]:
    return {o["metadata"]["name"]: o for o in await listed(sim, RC, "ResourceClaim")}


def pod_claims(pod: Obj) -> list[str]:
    refs = pod["spec"].get("resourceClaims") or []
    assert all(r["name"] == r["resourceClaimName"] for r in refs)
    names = [r["name"] for r in refs]
    for container in [*(pod["spec"].get("initContainers") or []), *pod["spec"]["containers"]]:
        assert [cl["name"] for cl in (container.get("resources") or {}).get("claims") or []] == names
    return names


async def test_rs_test_yields_twelve_claims_with_owners_labels_and_specs(start_sim: StartSim) -> None:
    sim = await start(start_sim)
    got = await claims(sim)
    assert sorted(got) == sorted(EXPECTED)
    uids = {(o["kind"], o["metadata"]["name"]): o["metadata"]["uid"]
            for kind in (c.KIND_PCS, c.KIND_PCSG, c.KIND_PCLQ) for o in await listed(sim, c.API_VERSION, kind)}
    for name, (kind, owner, level) in EXPECTED.items():
        md = got[name]["metadata"]
        (ref,) = md["ownerReferences"]
        assert (ref["kind"], ref["name"], ref["uid"], ref["controller"]) == (kind, owner, uids[(kind, owner)], True)
        assert md["labels"] == {c.LABEL_MANAGED_BY: c.MANAGED_BY_VALUE, c.LABEL_PART_OF: "rs-test",
                                c.LABEL_COMPONENT: c.COMPONENT_RESOURCE_CLAIM, **level}, name
    # spec = template spec: internal, external (PCS namespace) and cross-namespace templates
    assert got["rs-test-all-int-tpl5"]["spec"]["devices"]["requests"][0]["exactly"]["deviceClassName"] == "int-class5"
    assert got["rs-test-0-ext-tpl"]["spec"]["devices"]["requests"][0]["name"] == "ext-dev"
    assert got["rs-test-0-worker-a-all-ext-ns-tpl"]["spec"] == EXT_NS_TPL["spec"]["spec"]

    pods = {p["metadata"]["labels"][c.LABEL_PODCLIQUE]: p for p in await live_pods(sim, "rs-test")}
    assert sorted(pods) == ["rs-test-0-sga-0-worker-b", "rs-test-0-sga-1-worker-b", "rs-test-0-worker-a"]
    assert all(p["spec"].get("nodeName") for p in pods.values()), "no DRA scheduler: pods still schedule"
    assert pod_claims(pods["rs-test-0-worker-a"]) == [
        "rs-test-all-int-tpl5", "rs-test-0-ext-tpl", "rs-test-0-int-tpl",
        "rs-test-0-worker-a-all-ext-ns-tpl", "rs-test-0-worker-a-0-int-tpl4"]
    for j in (0, 1):
        assert pod_claims(pods[f"rs-test-0-sga-{j}-worker-b"]) == [
            "rs-test-all-int-tpl5", "rs-test-all-int-tpl7", "rs-test-0-ext-tpl",
            "rs-test-0-sga-all-int-tpl2", "rs-test-0-sga-all-int-tpl8", f"rs-test-0-sga-{j}-int-tpl3",
            f"rs-test-0-sga-{j}-worker-b-all-int-tpl6"]


async def test_scale_in_deletes_per_replica_claims_and_pcs_delete_collects_all(start_sim: StartSim) -> None:
    sim = await start(start_sim)
    await sim.client.update_scale(c.API_VERSION, c.KIND_PCS, "rs-test", 2, NS)
    await settle(sim)
    got = await claims(sim)
    replica1 = {n.replace("rs-test-0-", "rs-test-1-", 1) for n in EXPECTED if n.startswith("rs-test-0-")}
    assert set(got) == set(EXPECTED) | replica1
    assert len(got) == 22

    await sim.client.update_scale(c.API_VERSION, c.KIND_PCSG, "rs-test-0-sga", 1, NS)
    await settle(sim)
    assert "rs-test-0-sga-1-int-tpl3" not in await claims(sim)

    await sim.client.update_scale(c.API_VERSION, c.KIND_PCLQ, "rs-test-0-worker-a", 2, NS)
    await settle(sim)
    assert "rs-test-0-worker-a-1-int-tpl4" in await claims(sim)
    await sim.client.update_scale(c.API_VERSION, c.KIND_PCLQ, "rs-test-0-worker-a", 1, NS)
    await settle(sim)
    assert "rs-test-0-worker-a-1-int-tpl4" not in await claims(sim)

    await sim.client.update_scale(c.API_VERSION, c.KIND_PCS, "rs-test", 1, NS)
    await settle(sim)
    got = await claims(sim)
    assert set(got) == set(EXPECTED) - {"rs-test-0-sga-1-int-tpl3", "rs-test-0-sga-1-worker-b-all-int-tpl6"}
    assert "rs-test-1-ext-tpl" not in got and "rs-test-1-int-tpl" not in got

    await sim.client.delete(c.API_VERSION, c.KIND_PCS, "rs-test", NS)
    await settle(sim)
    assert await claims(sim) == {}
    assert [o["metadata"]["name"] for o in await listed(sim, RC, "ResourceClaimTemplate")] == ["ext-tpl"]
