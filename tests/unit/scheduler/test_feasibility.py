"""Node filters and their kube-scheduler reasons: taints/tolerations, affinity, readiness, resources."""

from __future__ import annotations

from typing import Any

import pytest

from grove.scheduler.feasibility import (
    REASON_AFFINITY,
    REASON_NOT_READY,
    REASON_UNSCHEDULABLE,
    resource_reasons,
    static_reason,
    tolerates,
    unschedulable_message,
)
from grove.scheduler.snapshot import NodeInfo, Taint, Toleration, build_snapshot, pod_constraints


def _node(
    labels: dict[str, str] | None = None,
    *,
    taints: list[dict[str, str]] | None = None,
    unschedulable: bool = False,
    ready: str | None = "True",
    name: str = "n1",
) -> NodeInfo:
    manifest: dict[str, Any] = {
        "metadata": {"name": name, "labels": labels or {}},
        "spec": {"taints": taints or [], "unschedulable": unschedulable},
        "status": {"allocatable": {"cpu": "1", "memory": "1Gi", "pods": "10"}},
    }
    if ready is not None:
        manifest["status"]["conditions"] = [{"type": "Ready", "status": ready}]
    return build_snapshot([manifest], []).nodes[0]


def _spec(**spec: Any) -> Any:
    return pod_constraints({"spec": spec})


GPU_TAINT = Taint("nvidia.com/gpu", "present", "NoSchedule")


@pytest.mark.parametrize(
    ("toleration", "taint", "expected"),
    [
        (Toleration("nvidia.com/gpu", "Equal", "present", "NoSchedule"), GPU_TAINT, True),
        (Toleration("nvidia.com/gpu", "Equal", "absent", "NoSchedule"), GPU_TAINT, False),
        (Toleration("nvidia.com/gpu", "Exists", "", "NoSchedule"), GPU_TAINT, True),
        (Toleration("nvidia.com/gpu", "Exists", "", ""), GPU_TAINT, True),  # empty effect: every effect
        (Toleration("nvidia.com/gpu", "Exists", "", "NoExecute"), GPU_TAINT, False),
        (Toleration("", "Exists", "", ""), GPU_TAINT, True),  # empty key + Exists: everything
        (Toleration("", "Equal", "present", ""), GPU_TAINT, False),
        (Toleration("other", "Exists", "", ""), GPU_TAINT, False),
        (Toleration("nvidia.com/gpu", "", "present", ""), GPU_TAINT, True),  # operator defaults to Equal
    ],
)
def test_toleration_matching(toleration: Toleration, taint: Taint, expected: bool) -> None:
    assert tolerates(toleration, taint) is expected


@pytest.mark.parametrize(
    ("effect", "tolerations", "reason"),
    [
        ("NoSchedule", [], "node(s) had untolerated taint {dedicated: infra}"),
        ("NoExecute", [], "node(s) had untolerated taint {dedicated: infra}"),
        ("PreferNoSchedule", [], None),  # ignored for filtering
        ("NoSchedule", [{"key": "dedicated", "operator": "Equal", "value": "infra"}], None),
        ("NoExecute", [{"key": "dedicated", "operator": "Exists", "effect": "NoExecute"}], None),
    ],
)
def test_taint_effects(effect: str, tolerations: list[dict[str, str]], reason: str | None) -> None:
    node = _node(taints=[{"key": "dedicated", "value": "infra", "effect": effect}])
    assert static_reason(_spec(tolerations=tolerations), node) == reason


def _affinity(*terms: dict[str, Any]) -> dict[str, Any]:
    return {
        "nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": list(terms)}}
    }


def _expr(key: str, op: str, *values: str) -> dict[str, Any]:
    return {"matchExpressions": [{"key": key, "operator": op, "values": list(values)}]}


@pytest.mark.parametrize(
    ("affinity", "fits"),
    [
        (_affinity(_expr("gpu", "In", "h100", "a100")), True),
        (_affinity(_expr("gpu", "In", "b200")), False),
        (_affinity(_expr("gpu", "NotIn", "b200")), True),
        (_affinity(_expr("missing", "NotIn", "x")), True),
        (_affinity(_expr("gpu", "Exists")), True),
        (_affinity(_expr("gpu", "DoesNotExist")), False),
        (_affinity(_expr("missing", "DoesNotExist")), True),
        (_affinity(_expr("cores", "Gt", "8")), True),
        (_affinity(_expr("cores", "Gt", "16")), False),
        (_affinity(_expr("cores", "Lt", "17")), True),
        (_affinity(_expr("gpu", "Gt", "1")), False),  # not an integer
        (_affinity(_expr("gpu", "In", "b200"), _expr("gpu", "In", "h100")), True),  # terms are ORed
        (_affinity({"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n1"]}]}), True),
        (
            _affinity({"matchFields": [{"key": "metadata.name", "operator": "NotIn", "values": ["n1"]}]}),
            False,
        ),
        (_affinity({}), False),  # an empty term matches nothing
    ],
)
def test_required_node_affinity(affinity: dict[str, Any], fits: bool) -> None:
    node = _node({"gpu": "h100", "cores": "16"})
    assert (static_reason(_spec(affinity=affinity), node) is None) is fits
    if not fits:
        assert static_reason(_spec(affinity=affinity), node) == REASON_AFFINITY


def test_node_selector_must_match_every_label() -> None:
    node = _node({"a": "1", "b": "2"})
    assert static_reason(_spec(nodeSelector={"a": "1"}), node) is None
    assert static_reason(_spec(nodeSelector={"a": "1", "b": "3"}), node) == REASON_AFFINITY


def test_readiness_and_cordon_come_first() -> None:
    assert static_reason(_spec(), _node(ready="False")) == REASON_NOT_READY
    assert static_reason(_spec(), _node(ready=None)) == REASON_NOT_READY
    assert static_reason(_spec(), _node(unschedulable=True)) == REASON_UNSCHEDULABLE
    tolerant = _spec(tolerations=[{"key": "node.kubernetes.io/unschedulable", "operator": "Exists"}])
    assert static_reason(tolerant, _node(unschedulable=True)) is None


def test_resource_reasons_name_every_missing_resource() -> None:
    resources = ("cpu", "memory", "pods", "nvidia.com/gpu")
    free = [500, 100, 0, 0]
    assert resource_reasons(free, [(0, 1000), (1, 50), (2, 1), (3, 1)], resources) == [
        "Insufficient cpu",
        "Too many pods",
        "Insufficient nvidia.com/gpu",
    ]
    assert resource_reasons(free, [(0, 500), (1, 100)], resources) == []


def test_message_counts_sorted_by_reason_with_gang_detail() -> None:
    counts = {"node(s) were unschedulable": 10, "Insufficient memory": 20}
    assert unschedulable_message(counts, 30, 0, "gang needs 10 pods, 9 fit") == (
        "0/30 nodes are available: 20 Insufficient memory, 10 node(s) were unschedulable; gang needs 10 pods, 9 fit"
    )
