"""Table tests for the pure ResourceClaim planner (spec §11.1) on upstream's ``rs-test`` manifest."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from grove.api import constants as c
from grove.api.models.core import PodCliqueSet, ResourceSharingSpec
from grove.controllers.common import resource_claims as rc
from tests.upstream import UPSTREAM

Obj = dict[str, Any]
MANIFEST = UPSTREAM / "e2e/workload-resource-sharing.yaml"
EXT: Obj = {"spec": {"spec": {"devices": {"requests": [{"name": "ext-dev"}]}}}}
OWNER: Obj = {"apiVersion": "grove.io/v1alpha1", "kind": "PodClique", "name": "o", "uid": "u1",
              "controller": True, "blockOwnerDeletion": True}


def rs_test() -> PodCliqueSet:
    (doc,) = [d for d in yaml.safe_load_all(MANIFEST.read_text()) if d and d["kind"] == c.KIND_PCS]
    doc["metadata"]["namespace"] = "default"
    return PodCliqueSet.model_validate(doc)


def lookup(ns: str, name: str) -> Obj | None:
    return EXT if (ns, name) == ("default", "ext-tpl") else None


def share(name: str, scope: str, namespace: str | None = None) -> ResourceSharingSpec:
    return ResourceSharingSpec.model_validate({"name": name, "scope": scope, "namespace": namespace})


@pytest.mark.parametrize(("place", "expected"), [
    (rc.PodPlace(0, "worker-a", "rs-test-0-worker-a", 0),
     ["rs-test-all-int-tpl5", "rs-test-0-ext-tpl", "rs-test-0-int-tpl",
      "rs-test-0-worker-a-all-ext-ns-tpl", "rs-test-0-worker-a-0-int-tpl4"]),
    (rc.PodPlace(2, "worker-a", "rs-test-2-worker-a", 3),
     ["rs-test-all-int-tpl5", "rs-test-2-ext-tpl", "rs-test-2-int-tpl",
      "rs-test-2-worker-a-all-ext-ns-tpl", "rs-test-2-worker-a-3-int-tpl4"]),
    (rc.PodPlace(0, "worker-b", "rs-test-0-sga-1-worker-b", 0, "sga", "rs-test-0-sga", 1),
     ["rs-test-all-int-tpl5", "rs-test-all-int-tpl7", "rs-test-0-ext-tpl",
      "rs-test-0-sga-all-int-tpl2", "rs-test-0-sga-all-int-tpl8", "rs-test-0-sga-1-int-tpl3",
      "rs-test-0-sga-1-worker-b-all-int-tpl6"]),
], ids=["worker-a", "worker-a-i2-k3", "worker-b-j1"])
def test_pod_claim_names_follow_filters_and_injection_order(place: rc.PodPlace, expected: list[str]) -> None:
    assert rc.pod_claim_names(rs_test(), place) == expected


def test_pcsg_filter_excludes_other_cliques() -> None:
    pcs = rs_test()
    place = rc.PodPlace(0, "worker-a", "rs-test-0-sga-0-worker-a", 0, "sga", "rs-test-0-sga", 0)
    got = rc.pod_claim_names(pcs, place)
    assert "rs-test-0-sga-all-int-tpl8" not in got  # int-tpl8 filtered to worker-b
    assert "rs-test-0-sga-all-int-tpl2" in got
    assert "rs-test-all-int-tpl7" in got  # PCS filter matches the group name


@pytest.mark.parametrize(("level", "sharing", "names"), [
    (rc.pcs_level(rs_test(), OWNER), list(rs_test().spec.template.resource_sharing or ()),
     ["rs-test-all-int-tpl5", "rs-test-all-int-tpl7", "rs-test-0-ext-tpl", "rs-test-0-int-tpl"]),
    (rc.pcsg_level("p-0-sga", 2, OWNER), [share("a", "AllReplicas"), share("b", "PerReplica")],
     ["p-0-sga-all-a", "p-0-sga-0-b", "p-0-sga-1-b"]),
    (rc.pclq_level("p-0-w", 0, OWNER), [share("a", "AllReplicas"), share("b", "PerReplica")], ["p-0-w-all-a"]),
    (rc.pclq_level("p-0-w", 3, OWNER), [], []),
], ids=["pcs", "pcsg-2", "pclq-0", "none"])
def test_desired_claim_names(level: rc.ClaimLevel, sharing: list[ResourceSharingSpec], names: list[str]) -> None:
    assert [d.name for d in rc.desired_claims(level, sharing)] == names


def test_build_claim_labels_owner_and_template_specs() -> None:
    pcs = rs_test()
    level = rc.pcsg_level("rs-test-0-sga", 2, OWNER)
    by_name = {d.name: d for d in rc.desired_claims(level, [share("int-tpl3", "PerReplica"),
                                                            share("ext-tpl", "AllReplicas")])}
    claim = rc.build_claim(pcs, level, by_name["rs-test-0-sga-1-int-tpl3"], lookup)
    assert claim["apiVersion"] == "resource.k8s.io/v1" and claim["kind"] == "ResourceClaim"
    assert claim["metadata"]["namespace"] == "default"
    assert claim["metadata"]["ownerReferences"] == [OWNER]
    assert claim["metadata"]["labels"] == {
        c.LABEL_MANAGED_BY: c.MANAGED_BY_VALUE, c.LABEL_PART_OF: "rs-test",
        c.LABEL_COMPONENT: c.COMPONENT_RESOURCE_CLAIM, c.LABEL_PCSG: "rs-test-0-sga", c.LABEL_PCSG_REPLICA_INDEX: "1"}
    assert claim["spec"]["devices"]["requests"][0]["exactly"]["deviceClassName"] == "int-class3"
    ext = rc.build_claim(pcs, level, by_name["rs-test-0-sga-all-ext-tpl"], lookup)
    assert ext["spec"] == EXT["spec"]["spec"] and ext["spec"] is not EXT["spec"]["spec"]
    assert c.LABEL_PCSG_REPLICA_INDEX not in ext["metadata"]["labels"]


@pytest.mark.parametrize(("entry", "ref"), [
    (share("int-tpl", "AllReplicas"), None),
    (share("int-tpl", "AllReplicas", "other"), ("other", "int-tpl")),
    (share("ext-tpl", "AllReplicas"), ("default", "ext-tpl")),
    (share("ext-ns-tpl", "AllReplicas", "rs-shared"), ("rs-shared", "ext-ns-tpl")),
])
def test_template_ref_internal_only_without_namespace(entry: ResourceSharingSpec, ref: tuple[str, str] | None) -> None:
    assert rc.template_ref(rs_test(), entry) == ref


def test_missing_external_template_is_an_error() -> None:
    pcs = rs_test()
    level = rc.pclq_level("rs-test-0-worker-a", 1, OWNER)
    (want,) = rc.desired_claims(level, [share("ext-ns-tpl", "AllReplicas", "rs-shared")])
    with pytest.raises(rc.TemplateNotFoundError, match="rs-shared/ext-ns-tpl"):
        rc.build_claim(pcs, level, want, lookup)


def _existing(name: str, idx: int | None, *, terminating: bool = False) -> Obj:
    labels = {c.LABEL_COMPONENT: c.COMPONENT_RESOURCE_CLAIM}
    if idx is not None:
        labels[c.LABEL_POD_INDEX] = str(idx)
    md: Obj = {"name": name, "labels": labels}
    if terminating:
        md["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    return {"metadata": md}


@pytest.mark.parametrize(("replicas", "existing", "create", "delete"), [
    (2, [], ["w-all-a", "w-0-b", "w-1-b"], []),
    (2, [_existing("w-all-a", None), _existing("w-0-b", 0)], ["w-1-b"], []),
    (1, [_existing("w-all-a", None), _existing("w-0-b", 0), _existing("w-1-b", 1), _existing("w-2-b", 2)],
     [], ["w-1-b", "w-2-b"]),
    (1, [_existing("w-all-a", None), _existing("w-0-b", 0), _existing("w-1-b", 1, terminating=True)], [], []),
    (1, [_existing("w-all-a", None), _existing("w-0-b", 0, terminating=True)], [], []),
], ids=["fresh", "partial", "scale-in", "already-going", "terminating-not-recreated"])
def test_plan_claims_creates_missing_and_deletes_out_of_range(
        replicas: int, existing: list[Obj], create: list[str], delete: list[str]) -> None:
    level = rc.pclq_level("w", replicas, OWNER)
    plan = rc.plan_claims(level, [share("a", "AllReplicas"), share("b", "PerReplica")], existing)
    assert [d.name for d in plan.create] == create
    assert [o["metadata"]["name"] for o in plan.delete] == delete


def test_inject_claims_on_pod_and_every_container_once() -> None:
    spec: Obj = {"resourceClaims": [{"name": "user", "resourceClaimTemplateName": "t"}],
                 "initContainers": [{"name": "i"}],
                 "containers": [{"name": "a", "resources": {"claims": [{"name": "user"}]}}, {"name": "b"}]}
    rc.inject_claims(spec, ["x", "y"])
    rc.inject_claims(spec, ["x", "y"])
    assert spec["resourceClaims"] == [{"name": "user", "resourceClaimTemplateName": "t"},
                                      {"name": "x", "resourceClaimName": "x"}, {"name": "y", "resourceClaimName": "y"}]
    assert spec["initContainers"][0]["resources"]["claims"] == [{"name": "x"}, {"name": "y"}]
    assert spec["containers"][0]["resources"]["claims"] == [{"name": "user"}, {"name": "x"}, {"name": "y"}]
    assert spec["containers"][1]["resources"]["claims"] == [{"name": "x"}, {"name": "y"}]
    untouched: Obj = {"containers": [{"name": "a"}]}
    rc.inject_claims(untouched, [])
    assert untouched == {"containers": [{"name": "a"}]}
