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

Spread (docs/spread.md, :mod:`grove.scheduler.spread`): a gang or group config with spread rules is
wrapped in one unit per rule whose required level is the rule's key and whose candidate domains are
those the skew allows, least loaded first; a PodGroup's spread picks each pod's node among the domains
its skew allows. A required (DoNotSchedule) spread is never violated; ScheduleAnyway places anyway and
the gang's outcome reports the skew.

Invariants: no node goes over allocatable; a gang never binds below ``minReplicas``; a required pack
is never violated; equal input gives equal output (nodes are name-sorted in the snapshot, ties break on
names, nothing depends on dict or input order of nodes).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from grove.scheduler.domains import SAME_AS_CHILD, DomainChooser, PodSlot, Scope, Unit, UnitTree, intersect
from grove.scheduler.feasibility import StaticFilter, rejection_histogram, unschedulable_message
from grove.scheduler.gangs import Coupling, GangSpec, GroupSpec, Spread
from grove.scheduler.snapshot import PODS_INDEX, PodInfo, Snapshot
from grove.scheduler.spread import (
    SpreadBook,
    SpreadCheck,
    SpreadPeers,
    allowed_domains,
    config_unit_name,
    describe_failure,
    global_minimum,
    peers_of_gangs,
    plural,
    skew_after,
    unit_label,
)
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
    gang_spread: tuple[Unit, ...] = ()  # broadest first, wrapping the gang
    config_spread: Mapping[Unit, tuple[Unit, ...]] = field(default_factory=dict)


def plan_placement(
    snapshot: Snapshot,
    gangs: Sequence[GangSpec],
    peers: SpreadPeers | None = None,
    level_names: Mapping[str, str] | None = None,
) -> Plan:
    """Place ``gangs`` in order on ``snapshot``; see the module docstring for the rules.

    ``peers``: the spread peers of the whole cluster (default: those among ``gangs``);
    ``level_names``: node label key -> topology domain name, for messages."""
    return _Planner(snapshot, gangs, peers, level_names).run()


class _Planner:
    def __init__(
        self,
        snapshot: Snapshot,
        gangs: Sequence[GangSpec],
        peers: SpreadPeers | None = None,
        level_names: Mapping[str, str] | None = None,
    ) -> None:
        self.snapshot = snapshot
        self.gangs = gangs
        self.specs: dict[str, GangSpec] = {}
        keys: list[str] = list(snapshot.topology_keys)
        spreads = False
        for gang in gangs:
            self.specs.setdefault(gang.name, gang)
            packs = [gang.pack, *(c.pack for c in gang.group_configs), *(g.pack for g in gang.groups)]
            keys += [k for p in packs if p for k in (p.required, p.preferred) if k]
            if gang.same_domain_as:
                keys.append(gang.same_domain_as.key)
            rules = [*gang.spread, *(r for c in gang.group_configs for r in c.spread)]
            rules += [r for g in gang.groups for r in g.spread]
            keys += [r.key for r in rules]
            spreads = spreads or bool(rules)
        self.state = PlacementState(snapshot, dict.fromkeys(keys))
        self.chooser = DomainChooser(self.state, snapshot.topology_keys)
        self.level_names = dict(level_names or {})
        self.book = SpreadBook(snapshot, self.state, peers if peers is not None else (
            peers_of_gangs(gangs) if spreads else SpreadPeers()))
        self.spread_fail: SpreadCheck | None = None
        self.chooser.spread_order = self._spread_order
        self.required_chain: list[tuple[str, int]] = []  # (key, domain) of the required units entered
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
        gang_spread = self._spread_units(gang.name, gang.spread)
        config_of: dict[str, Unit] = {}
        config_spread: dict[Unit, tuple[Unit, ...]] = {}
        for spec in gang.group_configs:
            config_unit = Unit(spec.name, spec.pack)
            if spec.spread:
                config_spread[config_unit] = self._spread_units(config_unit_name(gang.name, spec.name), spec.spread)
            for name in spec.group_names:
                config_of.setdefault(name, config_unit)
        required: list[_GroupWork] = []
        bound_nodes: dict[Unit, list[int]] = {}
        for group in gang.groups:
            unit = Unit(group.name, group.pack)
            if group.spread:
                unit.pod_spread, unit.pod_keys = self._ordered(group.spread), group.pods
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
            cfg_unit = config_of.get(group.name)
            owners = [unit, cfg_unit, gang_unit, *gang_spread, *config_spread.get(cfg_unit, ())]  # type: ignore[arg-type]
            for owner in owners:
                if owner is not None:
                    bound_nodes.setdefault(owner, []).extend(bound)
        for unit, nodes in bound_nodes.items():
            if unit.required and nodes:
                unit.anchor = self._most_common_domain(unit.required, nodes)

        shape = _GangShape(gang.name, coupling, gang_unit, config_of, gang_spread, config_spread)
        need_total = sum(len(work[2]) for work in required)
        notes: list[str] = []
        if need_total:
            root = self._required_tree(shape, required)
            if not self._attempt(root, notes):
                keys = sorted({u.required for u in self._units(root) if u.required and u.spread is None})
                detail = f"gang needs {need_total} pods, {self._failed_fit()} fit"
                detail += f" (pack required: {', '.join(keys)})" if keys else ""
                if self.spread_fail is not None:
                    detail = f"{describe_failure(self.spread_fail, self._level(self.spread_fail.rule.key))}; {detail}"
                message = self._failure_message(root, detail)
                for _, _, pods, extra in required:
                    for pod in (*pods, *extra):
                        self.unschedulable[pod.info.key] = message
                return GangOutcome(gang.name, "Unschedulable", need_total, 0, message)
        placed, left = self._place_extras(shape, required, notes)
        if left:
            notes.append(f"{left} extra pods wait for room")
        return GangOutcome(gang.name, "Scheduled", need_total, need_total + placed, "; ".join(notes))

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
            item
            if isinstance(item, UnitTree)
            else self._wrap(shape.config_spread.get(item, ()), self._tree(item, members[item], [], member_extra[item]),
                            member_extra[item])
            for item in order
        ]
        all_extra = [p for work in required for p in work[3]]
        root = self._wrap(shape.gang_spread, self._tree(shape.gang, children, [], all_extra), all_extra)
        return self._tree(shape.coupling, [root], [], all_extra) if shape.coupling else root

    def _wrap(self, spread_units: Sequence[Unit], tree: UnitTree, extra: Sequence[PodSlot]) -> UnitTree:
        """``tree`` inside its spread units (the broadest outermost)."""
        for unit in reversed(spread_units):
            wrapper = UnitTree(unit, [tree], [], SAME_AS_CHILD, PODS_INDEX)
            wrapper.dominant = tree.dominant
            tree = wrapper
        return tree

    def _chain(self, shape: _GangShape, group: GroupSpec, unit: Unit, pods: list[PodSlot]) -> UnitTree:
        tree = self._tree(unit, [], pods, ())
        cfg = shape.config_of.get(group.name)
        if cfg is not None:
            tree = self._wrap(shape.config_spread.get(cfg, ()), self._tree(cfg, [tree], [], ()), ())
        tree = self._wrap(shape.gang_spread, self._tree(shape.gang, [tree], [], ()), ())
        return self._tree(shape.coupling, [tree], [], ()) if shape.coupling else tree

    def _place_extras(
        self, shape: _GangShape, required: list[_GroupWork], notes: list[str]
    ) -> tuple[int, int]:
        """Pods beyond minReplicas, best effort inside the domains settled so far: (placed, left)."""
        placed = left = 0
        for group, unit, _, extra in required:
            if not extra:
                continue
            if self._attempt(self._chain(shape, group, unit, list(extra)), notes):
                placed += len(extra)
                continue
            for pod in extra:
                tree = self._chain(shape, group, unit, [pod])
                if self._attempt(tree, notes):
                    placed += 1
                else:
                    left += 1
                    self.unschedulable[pod.info.key] = self._failure_message(
                        tree, f"gang {shape.name} has its minimum; no room for this extra pod"
                    )
        return placed, left

    # -- transactions ------------------------------------------------------------------------------

    def _attempt(self, root: UnitTree, notes: list[str]) -> bool:
        """Place every pod of ``root`` or nothing; on success the placement is final."""
        self.failure = None
        self.spread_fail = None
        if not self._place(root, None):
            return False
        nodes = self.snapshot.nodes
        for pod, node in self.assign:
            self.bindings.append((pod.info.key, nodes[node].name))
            self.node_of[pod.info.key] = node
        for unit, scope, domain in self.choices:
            if not unit.has_chosen:
                unit.chosen, unit.has_chosen = scope, True
                if unit.spread is not None:
                    self._commit_spread(unit, domain, notes)
            if domain >= 0 and unit.anchor < 0:
                unit.anchor = domain
        self.assign.clear()
        self.choices.clear()
        self.state.commit()
        return True

    def _place(self, tree: UnitTree, scope: Scope) -> bool:
        state, assign, choices = self.state, self.assign, self.choices
        mark, assigned, chosen = state.mark(), len(assign), len(choices)
        required, chain = tree.unit.required, self.required_chain
        for option, domain in self.chooser.options(tree, scope):
            pushed = required is not None and domain >= 0
            if pushed:
                chain.append((required, domain))  # type: ignore[arg-type]
            ok = self._place_in(tree, option)
            if pushed:
                chain.pop()
            if ok:
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
        if tree.unit.pod_spread and tree.pods:
            return self._place_spread_pods(tree, scope)
        for pod in tree.pods:
            node = state.best_node(pod.info.requests, pod.dominant, pod.amount, pod.allowed, scope)
            if node < 0:
                if self.failure is None or len(assign) > self.failure[0]:
                    self.failure = (len(assign), list(assign), pod, scope)
                return False
            state.reserve(node, pod.info.requests)
            assign.append((pod, node))
        return True

    # -- spread ------------------------------------------------------------------------------------

    def _ordered(self, rules: Sequence[Spread]) -> tuple[Spread, ...]:
        """Broadest level first (topology order; unknown keys after, as given)."""
        levels = self.snapshot.topology_keys
        return tuple(sorted(rules, key=lambda r: levels.index(r.key) if r.key in levels else len(levels)))

    def _spread_units(self, name: str, rules: Sequence[Spread]) -> tuple[Unit, ...]:
        return tuple(Unit(name, None, required=r.key, spread=r) for r in self._ordered(rules) if r.group)

    def _level(self, key: str) -> str:
        return self.level_names.get(key) or key.rsplit("/", 1)[-1]

    def _required_nodes(self) -> list[int] | None:
        """The nodes of every required domain entered so far (None: the whole cluster)."""
        nodes: list[int] | None = None
        for key, domain in self.required_chain:
            members = self.state.domain_index(key).nodes[domain]
            nodes = members if nodes is None else intersect(members, nodes)
        return nodes

    def _live_counts(self, rule: Spread) -> list[int]:
        """Committed counts plus the units chosen so far in the running attempt."""
        counts = list(self.book.counts(rule.group, rule.key, self.node_of))
        counted = self.book.counted
        for unit, _, domain in self.choices:
            other = unit.spread
            if (
                other is not None and domain >= 0 and not unit.has_chosen
                and other.group == rule.group and other.key == rule.key
                and (rule.group, unit.name) not in counted
            ):
                counts[domain] += 1
        return counts

    def _spread_order(self, unit: Unit, scope: Scope, best_fit: list[int]) -> list[int]:
        rule = unit.spread
        assert rule is not None
        counts = self._live_counts(rule)
        eligible = self.book.eligible(rule.key, self._required_nodes())  # not a preferred narrowing
        unit.spread_eligible = eligible
        domains, smallest = allowed_domains(rule, counts, eligible, best_fit)
        if not domains and rule.hard and eligible:
            self.spread_fail = SpreadCheck(unit.name, rule, len(eligible), smallest)
        return domains

    def _commit_spread(self, unit: Unit, domain: int, notes: list[str]) -> None:
        rule = unit.spread
        assert rule is not None
        self.book.commit(rule.group, rule.key, unit.name, domain, self.node_of)
        if rule.hard:
            return
        skew = skew_after(rule, self.book.counts(rule.group, rule.key, self.node_of), unit.spread_eligible)
        if skew > rule.max_skew:
            level = self._level(rule.key)
            n = len(unit.spread_eligible)
            notes.append(
                f"spread: {unit_label(unit.name, rule.group)} placed with skew {skew} "
                f"> maxSkew {rule.max_skew} over {n} {plural(level, n)} (ScheduleAnyway)"
            )

    def _place_spread_pods(self, tree: UnitTree, scope: Scope) -> bool:
        """Each pod on the best node among the domains its PodGroup's spread rules allow."""
        unit, state, assign, book = tree.unit, self.state, self.assign, self.book
        rules = unit.pod_spread
        bound = self.snapshot.bound
        indexes = [state.domain_index(r.key).node_domain for r in rules]
        counts = [[0] * len(state.domain_index(r.key).names) for r in rules]
        for key in unit.pod_keys:
            node = self.node_of.get(key, bound.get(key))
            if node is not None:
                for nd, cs in zip(indexes, counts, strict=True):
                    if nd[node] >= 0:
                        cs[nd[node]] += 1
        nodes: Sequence[int] = range(len(self.snapshot.nodes)) if scope is None else scope
        # eligible domains count over the *required* scope (the enclosing required domains), not a
        # preferred narrowing of it: a preferred host must not make "spread over hosts" trivially true
        required_nodes: Sequence[int] = self._required_nodes() or range(len(self.snapshot.nodes))
        eligible_node = book.eligible_node
        for pod in tree.pods:
            allowed = pod.allowed
            candidates = [n for n in nodes if allowed[n] and eligible_node[n]]
            every = [n for n in required_nodes if allowed[n] and eligible_node[n]]
            minimums: list[tuple[Spread, list[int], list[int], int, int]] = []
            for rule, nd, cs in zip(rules, indexes, counts, strict=True):
                if rule.hard:
                    eligible = sorted({nd[n] for n in every} - {-1})
                    minimum = global_minimum(rule, cs, eligible)
                    minimums.append((rule, nd, cs, minimum, len(eligible)))
                    candidates = [
                        n for n in candidates if nd[n] >= 0 and cs[nd[n]] + 1 - minimum <= rule.max_skew
                    ]
            node = -1
            by_score: dict[tuple[int, ...], list[int]] = {}
            for n in candidates:
                score = tuple(cs[nd[n]] if nd[n] >= 0 else 1 << 30 for nd, cs in zip(indexes, counts, strict=True))
                by_score.setdefault(score, []).append(n)
            for score in sorted(by_score):
                node = state.best_node(pod.info.requests, pod.dominant, pod.amount, allowed, by_score[score])
                if node >= 0:
                    break
            if node < 0:
                if self.failure is None or len(assign) > self.failure[0]:
                    self.failure = (len(assign), list(assign), pod, scope)
                roomy = state.best_node(pod.info.requests, pod.dominant, pod.amount, allowed, every)
                for rule, nd, cs, minimum, eligible_count in minimums:
                    if roomy >= 0 and cs[nd[roomy]] + 1 - minimum > rule.max_skew:  # room only where skew forbids
                        skew = cs[nd[roomy]] + 1 - minimum
                        name = pod.info.key.split("/", 1)[-1]
                        self.spread_fail = SpreadCheck(f"pod {name}", rule, eligible_count, skew, f"PodGroup {unit.name}")
                        break
                return False
            state.reserve(node, pod.info.requests)
            assign.append((pod, node))
            for nd, cs in zip(indexes, counts, strict=True):
                if nd[node] >= 0:
                    cs[nd[node]] += 1
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
