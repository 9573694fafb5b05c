"""Topology-aware, all-or-nothing gang placement: ``plan_placement(snapshot, gangs) -> Plan``. Pure.

Per gang, in the order given (capacity taken by earlier gangs of the same plan is accounted):

1. Pods: a PodGroup's pods already bound (before or earlier in this plan) count toward ``minReplicas``;
   the first ``minReplicas - bound`` pending, ungated pods (by name) are *required*, the rest *extra*.
   A group without enough schedulable pods leaves the gang ``Waiting`` (pods still gated or missing).
2. Required pods are placed as one transaction over the unit tree coupling → gang → group config →
   PodGroup. A unit with ``pack.required`` tries each domain of that level (best-fit: fewest free of
   the unit's dominant resource among domains whose summed free capacity can hold it; domains that could
   also hold the extras first; name breaks ties) and places all its children inside; ``pack.preferred``
   tries its level, then each broader level, then the enclosing scope. Nodes are chosen best-fit (least
   free dominant resource, then name). If any required pod cannot be placed NOTHING of the gang is bound
   and every pending pod gets the kube-scheduler style message of the attempt that got furthest.
3. Extras are then placed best effort, per group, in the domains chosen in step 2.

Invariants: no node goes over allocatable; a gang never binds below ``minReplicas``; a required pack
is never violated; equal input gives equal output (nodes are name-sorted in the snapshot, ties break on
names, nothing depends on dict or input order of nodes).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from grove.scheduler.domains import DomainChooser, PodSlot, Scope, Unit, UnitTree
from grove.scheduler.feasibility import StaticFilter, rejection_histogram, unschedulable_message
from grove.scheduler.gangs import Coupling, GangSpec, GroupSpec
from grove.scheduler.snapshot import PODS_INDEX, PodInfo, Snapshot
from grove.scheduler.state import PlacementState, Requests

GangStatus = Literal["Scheduled", "Unschedulable", "Waiting"]


@dataclass(frozen=True)
class GangOutcome:
    gang: str
    status: GangStatus
    required: int  # pods this pass had to place to reach every minReplicas
    placed: int  # pods bound by this plan
    message: str = ""


@dataclass(frozen=True)
class Plan:
    bindings: tuple[tuple[str, str], ...]  # (pod "ns/name", node name), in decision order
    unschedulable: Mapping[str, str]  # pod -> message
    gangs: Mapping[str, GangOutcome] = field(default_factory=dict)

    def node_of(self, pod: str) -> str | None:
        return dict(self.bindings).get(pod)


_GroupWork = tuple[GroupSpec, Unit, list[PodSlot], list[PodSlot]]  # group, unit, required pods, extras


@dataclass(frozen=True)
class _GangShape:
    name: str
    coupling: Unit | None
    gang: Unit
    config_of: Mapping[str, Unit]  # PodGroup name -> its (first) group config


def plan_placement(snapshot: Snapshot, gangs: Sequence[GangSpec]) -> Plan:
    """Place ``gangs`` in order on ``snapshot``; see the module docstring for the rules."""
    return _Planner(snapshot, gangs).run()


class _Planner:
    def __init__(self, snapshot: Snapshot, gangs: Sequence[GangSpec]) -> None:
        self.snapshot = snapshot
        self.gangs = gangs
        self.specs: dict[str, GangSpec] = {}
        keys: list[str] = list(snapshot.topology_keys)
        for gang in gangs:
            self.specs.setdefault(gang.name, gang)
            packs = [gang.pack, *(c.pack for c in gang.group_configs), *(g.pack for g in gang.groups)]
            keys += [k for p in packs if p for k in (p.required, p.preferred) if k]
            if gang.same_domain_as:
                keys.append(gang.same_domain_as.key)
        self.state = PlacementState(snapshot, dict.fromkeys(keys))
        self.chooser = DomainChooser(self.state, snapshot.topology_keys)
        self.static = StaticFilter(snapshot)
        totals = [0] * len(snapshot.resources)
        for node in snapshot.nodes:
            for r, a in enumerate(node.allocatable):
                totals[r] += a
        self.totals = totals
        self.node_of: dict[str, int] = {}
        self.bindings: list[tuple[str, str]] = []
        self.unschedulable: dict[str, str] = {}
        self.outcomes: dict[str, GangOutcome] = {}
        self.assign: list[tuple[PodSlot, int]] = []
        self.choices: list[tuple[Unit, Scope, int]] = []
        self.failure: tuple[int, list[tuple[PodSlot, int]], PodSlot, Scope] | None = None
        self._pods: dict[str, PodSlot] = {}
        self._dominant: dict[Requests, int] = {}

    def run(self) -> Plan:
        for gang in self.gangs:
            if gang.name not in self.outcomes:
                self.outcomes[gang.name] = self._plan_gang(gang)
        return Plan(tuple(self.bindings), self.unschedulable, self.outcomes)

    # -- per gang ----------------------------------------------------------------------------------

    def _plan_gang(self, gang: GangSpec) -> GangOutcome:
        snap = self.snapshot
        coupling: Unit | None = None
        if gang.same_domain_as is not None:
            domain = self._coupled_domain(gang.same_domain_as)
            if domain < 0:
                return GangOutcome(gang.name, "Waiting", 0, 0, f"waiting for gang {gang.same_domain_as.gang}")
            coupling = Unit(f"{gang.name}@{gang.same_domain_as.gang}", None, gang.same_domain_as.key, domain)
        gang_unit = Unit(gang.name, gang.pack)
        config_of: dict[str, Unit] = {}
        for spec in gang.group_configs:
            config_unit = Unit(spec.name, spec.pack)
            for name in spec.group_names:
                config_of.setdefault(name, config_unit)
        required: list[_GroupWork] = []
        bound_nodes: dict[Unit, list[int]] = {}
        for group in gang.groups:
            unit = Unit(group.name, group.pack)
            bound, pending = [], []
            for key in group.pods:
                node = self.node_of.get(key, snap.bound.get(key))
                if node is not None:
                    bound.append(node)
                elif key in snap.pending and not snap.pending[key].gated:
                    pending.append(self._pod(snap.pending[key]))
            pending.sort(key=lambda p: p.info.key)
            need = max(0, group.min_replicas - len(bound))
            if len(pending) < need:
                return GangOutcome(
                    gang.name,
                    "Waiting",
                    0,
                    0,
                    f"PodGroup {group.name} needs {group.min_replicas} pods, "
                    f"{len(bound) + len(pending)} are bound or ready to schedule",
                )
            required.append((group, unit, pending[:need], pending[need:]))
            for owner in (unit, config_of.get(group.name), gang_unit):
                if owner is not None:
                    bound_nodes.setdefault(owner, []).extend(bound)
        for unit, nodes in bound_nodes.items():
            if unit.required and nodes:
                unit.anchor = self._most_common_domain(unit.required, nodes)

        shape = _GangShape(gang.name, coupling, gang_unit, config_of)
        need_total = sum(len(work[2]) for work in required)
        if need_total:
            root = self._required_tree(shape, required)
            if not self._attempt(root):
                keys = sorted({u.required for u in self._units(root) if u.required})
                detail = f"gang needs {need_total} pods, {self._failed_fit()} fit"
                detail += f" (pack required: {', '.join(keys)})" if keys else ""
                message = self._failure_message(root, detail)
                for _, _, pods, extra in required:
                    for pod in (*pods, *extra):
                        self.unschedulable[pod.info.key] = message
                return GangOutcome(gang.name, "Unschedulable", need_total, 0, message)
        placed, left = self._place_extras(shape, required)
        message = f"{left} extra pods wait for room" if left else ""
        return GangOutcome(gang.name, "Scheduled", need_total, need_total + placed, message)

    def _required_tree(self, shape: _GangShape, required: list[_GroupWork]) -> UnitTree:
        """coupling → gang → (group config → PodGroup | PodGroup), over the required pods only."""
        order: list[UnitTree | Unit] = []
        members: dict[Unit, list[UnitTree]] = {}
        member_extra: dict[Unit, list[PodSlot]] = {}
        for group, unit, pods, extra in required:
            if not pods:
                continue  # a group with nothing required settles its domain with its extras
            leaf = self._tree(unit, [], pods, extra)
            cfg = shape.config_of.get(group.name)
            if cfg is None:
                order.append(leaf)
                continue
            if cfg not in members:
                order.append(cfg)
            members.setdefault(cfg, []).append(leaf)
            member_extra.setdefault(cfg, []).extend(extra)
        children = [
            item if isinstance(item, UnitTree) else self._tree(item, members[item], [], member_extra[item])
            for item in order
        ]
        all_extra = [p for work in required for p in work[3]]
        root = self._tree(shape.gang, children, [], all_extra)
        return self._tree(shape.coupling, [root], [], all_extra) if shape.coupling else root

    def _chain(self, shape: _GangShape, group: GroupSpec, unit: Unit, pods: list[PodSlot]) -> UnitTree:
        tree = self._tree(unit, [], pods, ())
        cfg = shape.config_of.get(group.name)
        if cfg is not None:
            tree = self._tree(cfg, [tree], [], ())
        tree = self._tree(shape.gang, [tree], [], ())
        return self._tree(shape.coupling, [tree], [], ()) if shape.coupling else tree

    def _place_extras(self, shape: _GangShape, required: list[_GroupWork]) -> tuple[int, int]:
        """Pods beyond minReplicas, best effort inside the domains settled so far: (placed, left)."""
        placed = left = 0
        for group, unit, _, extra in required:
            if not extra:
                continue
            if self._attempt(self._chain(shape, group, unit, list(extra))):
                placed += len(extra)
                continue
            for pod in extra:
                tree = self._chain(shape, group, unit, [pod])
                if self._attempt(tree):
                    placed += 1
                else:
                    left += 1
                    self.unschedulable[pod.info.key] = self._failure_message(
                        tree, f"gang {shape.name} has its minimum; no room for this extra pod"
                    )
        return placed, left

    # -- transactions ------------------------------------------------------------------------------

    def _attempt(self, root: UnitTree) -> bool:
        """Place every pod of ``root`` or nothing; on success the placement is final."""
        self.failure = None
        if not self._place(root, None):
            return False
        nodes = self.snapshot.nodes
        for pod, node in self.assign:
            self.bindings.append((pod.info.key, nodes[node].name))
            self.node_of[pod.info.key] = node
        for unit, scope, domain in self.choices:
            if not unit.has_chosen:
                unit.chosen, unit.has_chosen = scope, True
            if domain >= 0 and unit.anchor < 0:
                unit.anchor = domain
        self.assign.clear()
        self.choices.clear()
        self.state.commit()
        return True

    def _place(self, tree: UnitTree, scope: Scope) -> bool:
        state, assign, choices = self.state, self.assign, self.choices
        mark, assigned, chosen = state.mark(), len(assign), len(choices)
        for option, domain in self.chooser.options(tree, scope):
            if self._place_in(tree, option):
                choices.append((tree.unit, option, domain))
                return True
            state.rollback(mark)
            del assign[assigned:]
            del choices[chosen:]
        return False

    def _place_in(self, tree: UnitTree, scope: Scope) -> bool:
        for child in tree.children:
            if not self._place(child, scope):
                return False
        state, assign = self.state, self.assign
        for pod in tree.pods:
            node = state.best_node(pod.info.requests, pod.dominant, pod.amount, pod.allowed, scope)
            if node < 0:
                if self.failure is None or len(assign) > self.failure[0]:
                    self.failure = (len(assign), list(assign), pod, scope)
                return False
            state.reserve(node, pod.info.requests)
            assign.append((pod, node))
        return True

    # -- helpers -----------------------------------------------------------------------------------

    def _tree(
        self, unit: Unit, children: list[UnitTree], pods: list[PodSlot], extra: Sequence[PodSlot]
    ) -> UnitTree:
        tree = UnitTree(unit, children, pods, extra, PODS_INDEX)
        tree.dominant = self._dominant_of(tree.demand)
        return tree

    def _pod(self, info: PodInfo) -> PodSlot:
        pod = self._pods.get(info.key)
        if pod is None:
            pod = PodSlot(info, self._dominant_of(info.requests), self.static.allowed(info.constraints))
            self._pods[info.key] = pod
        return pod

    def _dominant_of(self, requests: Requests) -> int:
        """The requested resource that is scarcest relative to the cluster (pods if nothing else)."""
        dominant = self._dominant.get(requests)
        if dominant is None:
            dominant, share = PODS_INDEX, -1.0
            for r, a in requests:
                if r == PODS_INDEX:
                    continue
                total = self.totals[r]
                s = a / total if total > 0 else float("inf")
                if s > share:
                    dominant, share = r, s
            self._dominant[requests] = dominant
        return dominant

    def _most_common_domain(self, key: str, nodes: Sequence[int]) -> int:
        node_domain = self.state.domain_index(key).node_domain
        counts = Counter(node_domain[n] for n in nodes if node_domain[n] >= 0)
        return max(counts, key=lambda d: (counts[d], -d)) if counts else -1

    def _coupled_domain(self, coupling: Coupling) -> int:
        base = self.specs.get(coupling.gang)
        if base is None:
            return -1
        nodes = [
            node
            for group in base.groups
            for key in group.pods
            if (node := self.node_of.get(key, self.snapshot.bound.get(key))) is not None
        ]
        return self._most_common_domain(coupling.key, nodes)

    def _units(self, tree: UnitTree) -> Iterator[Unit]:
        yield tree.unit
        for child in tree.children:
            yield from self._units(child)

    def _failed_fit(self) -> int:
        return self.failure[0] if self.failure is not None else 0

    def _failure_message(self, tree: UnitTree, detail: str) -> str:
        """The node histogram of the furthest attempt, replayed at the moment its next pod failed."""
        snapshot, state = self.snapshot, self.state
        assigned: list[tuple[PodSlot, int]] = []
        scope: Scope = []  # no domain could even be tried
        if self.failure is None:
            pod = next(tree.all_pods())
        else:
            _, assigned, pod, scope = self.failure
        mark = state.mark()
        for p, node in assigned:
            state.reserve(node, p.info.requests)
        in_scope: list[bool] | None = None
        if scope is not None:
            in_scope = [False] * len(snapshot.nodes)
            for node in scope:
                in_scope[node] = True
        counts = rejection_histogram(
            snapshot, self.static, state.free, pod.info.requests, pod.info.constraints, in_scope
        )
        state.rollback(mark)
        return unschedulable_message(counts, len(snapshot.nodes), 0, detail)
