"""Can this pod run on that node, and if not, why — in kube-scheduler's words.

Filters run in kube-scheduler's plugin order and a node is rejected by the first one that fails:
readiness, ``spec.unschedulable`` (NodeUnschedulable), taints (TaintToleration: NoSchedule/NoExecute
only), nodeSelector + required node affinity (NodeAffinity), then resources (NodeResourcesFit, which
reports every insufficient resource). The static filters (everything but resources) depend only on the
pod's :class:`PodConstraints`, so :class:`StaticFilter` evaluates them once per distinct value and the
placement hot path is a list lookup plus an integer comparison per requested resource.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

from grove.scheduler.snapshot import (
    PODS_INDEX,
    NodeInfo,
    PodConstraints,
    SelectorRequirement,
    SelectorTerm,
    Snapshot,
    Taint,
    Toleration,
)

REASON_NOT_READY = "node(s) were not ready"
REASON_UNSCHEDULABLE = "node(s) were unschedulable"
REASON_AFFINITY = "node(s) didn't match Pod's node affinity/selector"
REASON_TOO_MANY_PODS = "Too many pods"
REASON_TOPOLOGY = "node(s) didn't match the gang's topology pack constraint"

NOT_READY_TAINT = Taint("node.kubernetes.io/not-ready", "", "NoSchedule")
UNSCHEDULABLE_TAINT = Taint("node.kubernetes.io/unschedulable", "", "NoSchedule")


def tolerates(toleration: Toleration, taint: Taint) -> bool:
    """core/v1 ``Toleration.ToleratesTaint``: empty key + Exists matches every key; empty effect all."""
    if toleration.effect and toleration.effect != taint.effect:
        return False
    if toleration.key and toleration.key != taint.key:
        return False
    if toleration.operator == "Exists":
        return True
    if toleration.operator in ("Equal", ""):
        return bool(toleration.key) and toleration.value == taint.value
    return False


def untolerated_taint(taints: Iterable[Taint], tolerations: Sequence[Toleration]) -> Taint | None:
    for taint in taints:
        if taint.effect in ("NoSchedule", "NoExecute") and not any(tolerates(t, taint) for t in tolerations):
            return taint
    return None


def _requirement_holds(req: SelectorRequirement, value: str | None) -> bool:
    op = req.operator
    if op == "In":
        return value is not None and value in req.values
    if op == "NotIn":
        return value is None or value not in req.values
    if op == "Exists":
        return value is not None
    if op == "DoesNotExist":
        return value is None
    if op in ("Gt", "Lt"):
        if value is None or len(req.values) != 1:
            return False
        try:
            have, bound = int(value), int(req.values[0])
        except ValueError:
            return False
        return have > bound if op == "Gt" else have < bound
    return False


def term_matches(term: SelectorTerm, node: NodeInfo) -> bool:
    """An empty term matches nothing; matchFields knows only ``metadata.name``."""
    if not term.match_expressions and not term.match_fields:
        return False
    if not all(_requirement_holds(r, node.labels.get(r.key)) for r in term.match_expressions):
        return False
    for req in term.match_fields:
        if req.key != "metadata.name" or req.operator not in ("In", "NotIn"):
            return False
        if not _requirement_holds(req, node.name):
            return False
    return True


def matches_affinity(constraints: PodConstraints, node: NodeInfo) -> bool:
    """nodeSelector (every pair) and required node affinity (any term)."""
    labels = node.labels
    if any(labels.get(k) != v for k, v in constraints.node_selector):
        return False
    if constraints.affinity_terms is None:
        return True
    return any(term_matches(term, node) for term in constraints.affinity_terms)


def static_reason(constraints: PodConstraints, node: NodeInfo) -> str | None:
    """The first non-resource filter that rejects ``node``, or None if the pod may go there."""
    tolerations = constraints.tolerations
    if not node.ready and not any(tolerates(t, NOT_READY_TAINT) for t in tolerations):
        return REASON_NOT_READY
    if node.unschedulable and not any(tolerates(t, UNSCHEDULABLE_TAINT) for t in tolerations):
        return REASON_UNSCHEDULABLE
    taint = untolerated_taint(node.taints, tolerations)
    if taint is not None:
        return f"node(s) had untolerated taint {{{taint.key}: {taint.value}}}"
    if not matches_affinity(constraints, node):
        return REASON_AFFINITY
    return None


def resource_reasons(
    free: Sequence[int], requests: Iterable[tuple[int, int]], resources: Sequence[str]
) -> list[str]:
    """NodeResourcesFit: one reason per resource the node lacks (empty list: it fits)."""
    reasons = []
    for index, amount in requests:
        if free[index] < amount:
            reasons.append(
                REASON_TOO_MANY_PODS if index == PODS_INDEX else f"Insufficient {resources[index]}"
            )
    return reasons


class StaticFilter:
    """Per-:class:`PodConstraints` verdicts over a snapshot's nodes, computed once and cached."""

    def __init__(self, snapshot: Snapshot) -> None:
        self._nodes = snapshot.nodes
        self._reasons: dict[PodConstraints, list[str | None]] = {}
        self._allowed: dict[PodConstraints, list[bool]] = {}

    def reasons(self, constraints: PodConstraints) -> list[str | None]:
        cached = self._reasons.get(constraints)
        if cached is None:
            cached = [static_reason(constraints, node) for node in self._nodes]
            self._reasons[constraints] = cached
            self._allowed[constraints] = [r is None for r in cached]
        return cached

    def allowed(self, constraints: PodConstraints) -> list[bool]:
        """``allowed(c)[node.index]``: the static filters pass."""
        cached = self._allowed.get(constraints)
        if cached is None:
            self.reasons(constraints)
            cached = self._allowed[constraints]
        return cached


def rejection_histogram(
    snapshot: Snapshot,
    static: StaticFilter,
    free: Sequence[Sequence[int]],
    requests: Sequence[tuple[int, int]],
    constraints: PodConstraints,
    in_scope: Sequence[bool] | None = None,
) -> Counter[str]:
    """Reason → number of nodes, as kube-scheduler counts them (a node may add several resource reasons).

    Nodes outside ``in_scope`` that would otherwise fit count as missing the topology constraint.
    """
    counts: Counter[str] = Counter()
    reasons = static.reasons(constraints)
    for node in snapshot.nodes:
        reason = reasons[node.index]
        if reason is not None:
            counts[reason] += 1
            continue
        lacking = resource_reasons(free[node.index], requests, snapshot.resources)
        if lacking:
            counts.update(lacking)
        elif in_scope is not None and not in_scope[node.index]:
            counts[REASON_TOPOLOGY] += 1
    return counts


def unschedulable_message(
    counts: Mapping[str, int], total_nodes: int, available: int = 0, detail: str = ""
) -> str:
    """``0/30 nodes are available: 20 Insufficient memory, 10 node(s) were unschedulable; <detail>``."""
    message = f"{available}/{total_nodes} nodes are available"
    if counts:
        message += ": " + ", ".join(f"{counts[r]} {r}" for r in sorted(counts))
    return f"{message}; {detail}" if detail else message
