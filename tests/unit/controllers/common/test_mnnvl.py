"""Table tests for the pure auto-MNNVL planner (spec §11.3) on upstream's auto-mnnvl manifests."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from grove.api import constants as c
from grove.api.models.core import PodCliqueSet
from grove.controllers.common import mnnvl
from grove.controllers.podcliqueset.plan_children import plan_standalone_podcliques
from tests.upstream import UPSTREAM

Obj = dict[str, Any]
DIR = UPSTREAM / "e2e/auto-mnnvl"
OWNER: Obj = {"apiVersion": c.API_VERSION, "kind": c.KIND_PCS, "name": "p", "uid": "u1",
              "controller": True, "blockOwnerDeletion": True}


def load(name: str, replicas: int | None = None) -> PodCliqueSet:
    (doc,) = [d for d in yaml.safe_load_all((DIR / name).read_text()) if d]
    doc["metadata"]["namespace"] = "default"
    if replicas is not None:
        doc["spec"]["replicas"] = replicas
    return PodCliqueSet.model_validate(doc)


MIX_GROUPS = {"sa1": "default", "sa2": "train", "sa3": None,
              "p1": "default", "p2": "infer", "p3": None,
              "p4": "train", "p5": "batch", "p6": None,
              "p7": None, "p8": "solo", "p9": None}


@pytest.mark.parametrize(("clique", "group"), sorted(MIX_GROUPS.items()))
def test_resolution_clique_then_pcsg_then_pcs(clique: str, group: str | None) -> None:
    pcs = load("mnnvl-comprehensive-mix.yaml")
    (tpl,) = [cl for cl in pcs.spec.template.cliques if cl.name == clique]
    assert mnnvl.enrolled_group(pcs, tpl) == group


@pytest.mark.parametrize(("manifest", "groups"), [
    ("mnnvl-gpu-default.yaml", ["default"]),
    ("mnnvl-gpu-optout.yaml", []),
    ("mnnvl-cpu-with-annotation.yaml", ["default"]),
    ("mnnvl-comprehensive-mix.yaml", ["default", "train", "infer", "batch", "solo"]),
])
def test_enrolled_groups(manifest: str, groups: list[str]) -> None:
    assert mnnvl.enrolled_groups(load(manifest)) == groups


def test_cpu_clique_with_annotation_is_not_enrolled() -> None:
    pcs = load("mnnvl-cpu-with-annotation.yaml")
    by_name = {cl.name: cl for cl in pcs.spec.template.cliques}
    assert mnnvl.enrolled_group(pcs, by_name["cp"]) is None
    assert mnnvl.enrolled_group(pcs, by_name["gp"]) == "default"


@pytest.mark.parametrize(("resources", "gpu"), [
    ({"limits": {"nvidia.com/gpu": "1"}}, True),
    ({"requests": {"nvidia.com/gpu": 2}}, True),
    ({"requests": {"nvidia.com/gpu": "0"}}, False),
    ({"limits": {"nvidia.com/gpu": "0.0"}}, False),
    ({"limits": {"cpu": "4"}}, False),
    ({}, False),
])
def test_gpu_detection(resources: Obj, gpu: bool) -> None:
    assert mnnvl.container_wants_gpu({"name": "x", "resources": resources}) is gpu
    assert mnnvl.pod_spec_wants_gpu({"containers": [{"name": "a"}],
                                     "initContainers": [{"name": "x", "resources": resources}]}) is gpu


def test_compute_domains_per_replica_and_group() -> None:
    pcs = load("mnnvl-comprehensive-mix.yaml", replicas=2)
    cds = mnnvl.plan_compute_domains(pcs, OWNER)
    assert [d["metadata"]["name"] for d in cds] == [
        f"mnnvl-mix-{i}-{g}" for i in (0, 1) for g in ("default", "train", "infer", "batch", "solo")]
    cd = cds[6]
    assert cd["apiVersion"] == "resource.nvidia.com/v1beta1" and cd["kind"] == "ComputeDomain"
    assert cd["metadata"]["namespace"] == "default"
    assert cd["metadata"]["labels"] == {
        c.LABEL_MANAGED_BY: c.MANAGED_BY_VALUE, c.LABEL_PART_OF: "mnnvl-mix", c.LABEL_APP_NAME: "mnnvl-mix-1-train",
        c.LABEL_COMPONENT: "pcs-computedomain", c.LABEL_PCS_REPLICA_INDEX: "1", "grove.io/mnnvl-group": "train"}
    assert cd["metadata"]["finalizers"] == ["grove.io/computedomain-finalizer"]
    assert cd["metadata"]["ownerReferences"] == [OWNER]
    assert cd["spec"] == {"numNodes": 0, "channel": {"resourceClaimTemplate": {"name": "mnnvl-mix-1-train"}}}


def _named(*names: str, terminating: bool = False) -> list[Obj]:
    out: list[Obj] = []
    for n in names:
        md: Obj = {"name": n}
        if terminating:
            md["deletionTimestamp"] = "2026-01-01T00:00:00Z"
        out.append({"metadata": md})
    return out


@pytest.mark.parametrize(("desired", "existing", "create", "delete"), [
    (["a", "b"], [], ["a", "b"], []),
    (["a", "b"], ["a"], ["b"], []),
    (["a"], ["a", "b", "c"], [], ["b", "c"]),
    # upstream quirk: nothing is required any more, so the obsolete ones stay until PCS deletion
    ([], ["a", "b"], [], []),
    (["a"], ["a"], [], []),
])
def test_changes(desired: list[str], existing: list[str], create: list[str], delete: list[str]) -> None:
    plan = mnnvl.plan_compute_domain_changes(_named(*desired), _named(*existing))
    assert [d["metadata"]["name"] for d in plan.create] == create
    assert [d["metadata"]["name"] for d in plan.delete] == delete


def test_terminating_obsolete_domain_is_not_deleted_again() -> None:
    plan = mnnvl.plan_compute_domain_changes(_named("a"), _named("a") + _named("b", terminating=True))
    assert plan.delete == [] and plan.create == []


def test_inject_claim_only_gpu_containers_and_idempotent() -> None:
    spec: Obj = {"containers": [{"name": "gpu", "resources": {"limits": {"nvidia.com/gpu": "1"}}},
                                {"name": "side"}]}
    mnnvl.inject_claim(spec, "p-0-g")
    once = copy.deepcopy(spec)
    mnnvl.inject_claim(spec, "p-0-g")
    assert spec == once
    assert spec["resourceClaims"] == [{"name": "mnnvl-claim", "resourceClaimTemplateName": "p-0-g"}]
    assert spec["containers"][0]["resources"]["claims"] == [{"name": "mnnvl-claim"}]
    assert "resources" not in spec["containers"][1]


def test_standalone_planner_injects_only_when_flagged() -> None:
    pcs = load("mnnvl-comprehensive-mix.yaml", replicas=2)
    pcs.metadata.uid = "u1"
    plain = {p["metadata"]["name"]: p["spec"]["podSpec"] for p in plan_standalone_podcliques(pcs)}
    assert all("resourceClaims" not in ps for ps in plain.values())
    flagged = {p["metadata"]["name"]: p["spec"]["podSpec"] for p in plan_standalone_podcliques(pcs, mnnvl=True)}
    assert flagged["mnnvl-mix-1-sa2"]["resourceClaims"] == [
        {"name": "mnnvl-claim", "resourceClaimTemplateName": "mnnvl-mix-1-train"}]
    assert flagged["mnnvl-mix-0-sa1"]["resourceClaims"][0]["resourceClaimTemplateName"] == "mnnvl-mix-0-default"
    assert "resourceClaims" not in flagged["mnnvl-mix-0-sa3"]
    assert flagged["mnnvl-mix-0-sa3"] == plain["mnnvl-mix-0-sa3"]
