"""Table tests for the backends' SyncPodGang planners (spec §10.2): KAI and Volcano PodGroups from a
PodGang, queue resolution, topology mapping, preservation of KAI-owned fields, and the update patch."""

from __future__ import annotations

from typing import Any

import pytest

from grove.api import constants as c
from grove.controllers.podgang.backends import (
    KAI_API_VERSION,
    KAI_NODE_POOL_LABEL,
    REASON_KAI_MAPPING_FAILED,
    TARGETS,
    VOLCANO_API_VERSION,
    BackendMappingError,
    backend_of,
    kai_queue,
    plan_podgroup,
    podgang_annotation_patch,
    podgroup_patch,
    target_for,
)

Obj = dict[str, Any]
KAI, VOLCANO = TARGETS[c.SCHEDULER_KAI], TARGETS[c.SCHEDULER_VOLCANO]


def pack(required: str | None = None, preferred: str | None = None) -> Obj:
    return {"packConstraint": {k: v for k, v in (("required", required), ("preferred", preferred)) if v}}


def gang(groups: list[tuple[str, int]] | None = None, *, annotations: dict[str, str] | None = None,
         labels: dict[str, str] | None = None, **spec: Any) -> Obj:
    return {
        "apiVersion": c.SCHEDULER_API_VERSION, "kind": c.KIND_PODGANG,
        "metadata": {"name": "g-0", "namespace": "ns", "uid": "uid-g",
                     "labels": {c.LABEL_MANAGED_BY: c.MANAGED_BY_VALUE, c.LABEL_PART_OF: "g", **(labels or {})},
                     "annotations": dict(annotations or {})},
        "spec": {"podgroups": [{"name": n, "minReplicas": m, "podReferences": []}
                               for n, m in (groups if groups is not None else [("g-0-a", 2), ("g-0-b", 1)])],
                 **spec},
    }


def pcs(labels: dict[str, str] | None = None, annotations: dict[str, str] | None = None,
        cliques: list[tuple[dict[str, str], dict[str, str]]] | None = None) -> Obj:
    return {"metadata": {"name": "g", "namespace": "ns", "labels": labels or {}, "annotations": annotations or {}},
            "spec": {"template": {"cliques": [{"name": f"c{i}", "labels": lb, "annotations": an}
                                              for i, (lb, an) in enumerate(cliques or [])]}}}


QUEUED = pcs(labels={c.KAI_QUEUE_KEY: "q"})


# --- backend selection --------------------------------------------------------------------------------


@pytest.mark.parametrize(("label", "default", "backend", "has_target"), [
    (c.SCHEDULER_KAI, c.SCHEDULER_GROVE, c.SCHEDULER_KAI, True),
    (c.SCHEDULER_VOLCANO, c.SCHEDULER_DEFAULT, c.SCHEDULER_VOLCANO, True),
    (None, c.SCHEDULER_KAI, c.SCHEDULER_KAI, True),
    (c.SCHEDULER_DEFAULT, c.SCHEDULER_KAI, c.SCHEDULER_DEFAULT, False),
    (c.SCHEDULER_GROVE, c.SCHEDULER_KAI, c.SCHEDULER_GROVE, False),
    (c.SCHEDULER_LPX, c.SCHEDULER_KAI, c.SCHEDULER_LPX, False),
])
def test_backend_from_label_else_default(label: str | None, default: str, backend: str, has_target: bool) -> None:
    g = gang(labels={c.LABEL_SCHEDULER_NAME: label} if label else {})
    assert backend_of(g, default) == backend
    assert (target_for(backend) is not None) is has_target
    assert (plan_podgroup(backend, g, QUEUED, None) is not None) is has_target


def test_kai_marks_the_podgang_once() -> None:
    assert podgang_annotation_patch(KAI, gang()) == {"metadata": {"annotations": {c.KAI_SKIP_PODGROUPER: "true"}}}
    assert podgang_annotation_patch(KAI, gang(annotations={c.KAI_SKIP_PODGROUPER: "true"})) is None
    assert podgang_annotation_patch(VOLCANO, gang()) is None


# --- KAI ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("pcs_obj", "queue"), [
    (pcs(labels={c.KAI_QUEUE_KEY: "l"}, annotations={c.KAI_QUEUE_KEY: "a"}), "l"),
    (pcs(annotations={c.KAI_QUEUE_KEY: "a"}), "a"),
    (pcs(labels={c.KAI_QUEUE_KEY: "l"}, cliques=[({c.KAI_QUEUE_KEY: "l"}, {}), ({}, {})]), "l"),
    (pcs(cliques=[({c.KAI_QUEUE_KEY: "t"}, {}), ({}, {c.KAI_QUEUE_KEY: "t"}), ({}, {})]), "t"),
])
def test_kai_queue_resolution(pcs_obj: Obj, queue: str) -> None:
    assert kai_queue(pcs_obj) == queue


@pytest.mark.parametrize(("pcs_obj", "needle"), [
    (pcs(), "no KAI queue"),
    (pcs(cliques=[({c.KAI_QUEUE_KEY: "x"}, {}), ({c.KAI_QUEUE_KEY: "y"}, {})]), "conflicting"),
    (pcs(labels={c.KAI_QUEUE_KEY: "l"}, cliques=[({}, {c.KAI_QUEUE_KEY: "other"})]), "resolves to 'other'"),
    (None, "no controlling PodCliqueSet"),
])
def test_kai_queue_errors(pcs_obj: Obj | None, needle: str) -> None:
    with pytest.raises(BackendMappingError, match=needle) as err:
        kai_queue(pcs_obj)
    assert err.value.reason == REASON_KAI_MAPPING_FAILED


def test_kai_podgroup_shape() -> None:
    g = gang(annotations={"x": "1"}, labels={"app": "w"}, priorityClassName="high")
    pg = plan_podgroup(c.SCHEDULER_KAI, g, QUEUED, None)
    assert pg == {
        "apiVersion": KAI_API_VERSION, "kind": "PodGroup",
        "metadata": {"name": "g-0", "namespace": "ns", "labels": g["metadata"]["labels"], "annotations": {"x": "1"},
                     "ownerReferences": [{"apiVersion": c.SCHEDULER_API_VERSION, "kind": c.KIND_PODGANG,
                                          "name": "g-0", "uid": "uid-g", "controller": True,
                                          "blockOwnerDeletion": True}]},
        "spec": {"minMember": 3, "queue": "q", "priorityClassName": "high",
                 "subGroups": [{"name": "g-0-a", "minMember": 2}, {"name": "g-0-b", "minMember": 1}]},
    }


def test_kai_topology_and_group_configs() -> None:
    g = gang([("a", 1), ("m0", 2), ("m1", 0)], annotations={c.ANNOTATION_TOPOLOGY_NAME: "topo"},
             topologyConstraint=pack("zone"),
             topologyConstraintGroupConfigs=[
                 {"name": "grp", "podGroupNames": ["m0", "m1"], "topologyConstraint": pack("rack", "host")},
                 {"name": "empty", "podGroupNames": [], "topologyConstraint": pack("rack")},
                 {"name": "loose", "podGroupNames": ["a"]},
             ])
    g["spec"]["podgroups"][1]["topologyConstraint"] = pack(preferred="host")
    spec = plan_podgroup(c.SCHEDULER_KAI, g, QUEUED, None)["spec"]  # type: ignore[index]
    assert spec["minMember"] == 3
    assert spec["topologyConstraint"] == {"topology": "topo", "requiredTopologyLevel": "zone"}
    assert spec["subGroups"] == [
        {"name": "grp", "minSubGroup": 2,
         "topologyConstraint": {"topology": "topo", "requiredTopologyLevel": "rack", "preferredTopologyLevel": "host"}},
        {"name": "loose", "minSubGroup": 1},
        {"name": "a", "minMember": 1, "parent": "loose"},
        {"name": "m0", "minMember": 2, "parent": "grp",
         "topologyConstraint": {"topology": "topo", "preferredTopologyLevel": "host"}},
        {"name": "m1", "minMember": 0, "parent": "grp"},
    ]


def test_kai_topology_name_falls_back_to_kai_annotation() -> None:
    g = gang(annotations={c.KAI_TOPOLOGY_ANNOTATION: "legacy"}, topologyConstraint=pack("rack"))
    spec = plan_podgroup(c.SCHEDULER_KAI, g, QUEUED, None)["spec"]  # type: ignore[index]
    assert spec["topologyConstraint"] == {"topology": "legacy", "requiredTopologyLevel": "rack"}


@pytest.mark.parametrize("where", ["top", "podgroup", "groupconfig"])
def test_kai_constraint_without_topology_name_is_a_mapping_error(where: str) -> None:
    g = gang([("a", 1)])
    if where == "top":
        g["spec"]["topologyConstraint"] = pack("rack")
    elif where == "podgroup":
        g["spec"]["podgroups"][0]["topologyConstraint"] = pack(preferred="rack")
    else:
        g["spec"]["topologyConstraintGroupConfigs"] = [{"name": "x", "podGroupNames": ["a"],
                                                         "topologyConstraint": pack("rack")}]
    with pytest.raises(BackendMappingError, match="topology name cannot be empty") as err:
        plan_podgroup(c.SCHEDULER_KAI, g, QUEUED, None)
    assert err.value.reason == "KAIBackendMappingFailed"


def test_kai_update_preserves_kai_owned_fields_and_patches_only_ours() -> None:
    g = gang([("a", 4)])
    created = plan_podgroup(c.SCHEDULER_KAI, gang([("a", 2)]), QUEUED, None)
    assert created is not None
    live = {**created, "metadata": {**created["metadata"], "resourceVersion": "7",
                                    "labels": {**created["metadata"]["labels"], KAI_NODE_POOL_LABEL: "pool",
                                               c.KAI_QUEUE_KEY: "kq", "kai.extra": "1"}},
            "spec": {**created["spec"], "queue": "moved", "markUnschedulable": True,
                     "schedulingBackoff": 3, "serverDefault": "x"}}
    desired = plan_podgroup(c.SCHEDULER_KAI, g, pcs(labels={c.KAI_QUEUE_KEY: "new"}), live)
    assert desired is not None
    assert desired["spec"]["queue"] == "moved"
    assert desired["spec"]["markUnschedulable"] is True and desired["spec"]["schedulingBackoff"] == 3
    assert desired["metadata"]["labels"][KAI_NODE_POOL_LABEL] == "pool"
    assert desired["metadata"]["labels"][c.KAI_QUEUE_KEY] == "kq"
    assert podgroup_patch(KAI, live, desired) == {"spec": {"minMember": 4,
                                                           "subGroups": [{"name": "a", "minMember": 4}]}}
    assert podgroup_patch(KAI, live, plan_podgroup(c.SCHEDULER_KAI, gang([("a", 2)]), QUEUED, live)) == {}


def test_patch_removes_dropped_owned_fields_and_fixes_owner() -> None:
    g = gang([("a", 1)], annotations={c.ANNOTATION_TOPOLOGY_NAME: "t"}, topologyConstraint=pack("rack"),
             priorityClassName="p")
    live = plan_podgroup(c.SCHEDULER_KAI, g, QUEUED, None)
    assert live is not None
    live["metadata"]["ownerReferences"][0]["uid"] = "stale"
    desired = plan_podgroup(c.SCHEDULER_KAI, gang([("a", 1)]), QUEUED, live)
    patch = podgroup_patch(KAI, live, desired)  # type: ignore[arg-type]
    assert patch["spec"] == {"priorityClassName": None, "topologyConstraint": None}
    assert patch["metadata"]["ownerReferences"][0]["uid"] == "uid-g"
    assert "labels" not in patch["metadata"], "labels are only added, never removed"


# --- Volcano ------------------------------------------------------------------------------------------


def _policy(name: str, size: int) -> Obj:
    return {"name": name, "labelSelector": {"matchLabels": {c.LABEL_PODCLIQUE: name}},
            "matchLabelKeys": [c.LABEL_PODCLIQUE], "subGroupSize": size, "minSubGroups": 1}


@pytest.mark.parametrize(("groups", "annotations", "min_member", "queue", "policy"), [
    ([("a", 3), ("b", 2)], {}, 5, "default", [_policy("a", 3), _policy("b", 2)]),
    ([("a", 0), ("b", 2)], {c.VOLCANO_QUEUE_ANNOTATION: " research "}, 2, "research",
     [_policy("a", 1), _policy("b", 2)]),
    ([("a", 0)], {c.VOLCANO_QUEUE_ANNOTATION: ""}, 1, "default", [_policy("a", 1)]),
    ([], {}, 1, "default", None),
])
def test_volcano_podgroup(groups: list[tuple[str, int]], annotations: dict[str, str], min_member: int,
                          queue: str, policy: list[Obj] | None) -> None:
    pg = plan_podgroup(c.SCHEDULER_VOLCANO, gang(groups, annotations=annotations, priorityClassName="hi"),
                       None, None)
    assert pg is not None
    assert pg["apiVersion"] == VOLCANO_API_VERSION and pg["metadata"]["name"] == "g-0"
    assert pg["metadata"]["ownerReferences"][0]["uid"] == "uid-g"
    assert "annotations" not in pg["metadata"]
    assert pg["spec"].get("subGroupPolicy") == policy
    assert {k: v for k, v in pg["spec"].items() if k != "subGroupPolicy"} == {
        "minMember": min_member, "queue": queue, "priorityClassName": "hi"}


def test_volcano_keeps_policy_when_all_min_replicas_zero_and_merges_labels() -> None:
    live = {"metadata": {"name": "g-0", "namespace": "ns", "labels": {"volcano": "x", "app": "old"}},
            "spec": {"minMember": 1, "subGroupPolicy": [_policy("custom", 9)]}}
    g = gang([("a", 0)], labels={"app": "new"})
    pg = plan_podgroup(c.SCHEDULER_VOLCANO, g, None, live)
    assert pg is not None
    assert pg["spec"]["subGroupPolicy"] == [_policy("custom", 9)]
    assert pg["metadata"]["labels"]["volcano"] == "x" and pg["metadata"]["labels"]["app"] == "new"
    patch = podgroup_patch(VOLCANO, live, pg)
    assert "subGroupPolicy" not in patch["spec"] and patch["spec"]["queue"] == "default"
    assert patch["metadata"]["labels"] == {k: v for k, v in pg["metadata"]["labels"].items()
                                           if k not in ("volcano",)}
