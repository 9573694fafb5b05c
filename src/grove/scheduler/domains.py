"""Where a unit of a gang may go: the units, their placement trees, and candidate scopes best first.

A *unit* is anything a pack constraint can hold together: a PCS-level coupling, the gang, a group config,
a PodGroup. A :class:`UnitTree` is one placement attempt over units (children first, then own pods).
:class:`DomainChooser` yields, for a unit inside an enclosing scope, the node sets to try in order:
- a unit already settled (an earlier pass or bound pods) retries its domain first and never leaves its
  required domain;
- ``pack.required``: each domain of that level meeting the scope whose summed free capacity can hold
  the unit, best-fit (least free dominant resource; domains that could also take the extras first;
  name last); if none can, the roomiest alone, so a failure can say how far the gang got;
- ``pack.preferred``: domains of the preferred level, then of each broader level up to (excluding) the
  required one, then the enclosing scope itself.
- a *spread* unit (a required level with a :class:`~grove.scheduler.gangs.Spread` rule) tries only the
  domains ``spread_order`` allows, in its order (see :mod:`grove.scheduler.spread`); a ScheduleAnyway
  one then falls back to the enclosing scope.
Scopes are node-index lists in name order, or None for the whole cluster. Output depends only on the
free-capacity state and names, never on input order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from grove.scheduler.gangs import Pack, Spread
from grove.scheduler.snapshot import PodInfo
from grove.scheduler.state import PlacementState, Requests

Scope = list[int] | None  # node indexes in name order; None: the whole cluster


class Unit:
    """A constrained unit (coupling, gang, group config, PodGroup) and the domain it settled in."""

    __slots__ = (
        "anchor", "chosen", "has_chosen", "name", "pod_keys", "pod_spread", "preferred", "required", "spread",
        "spread_eligible",
    )

    def __init__(
        self,
        name: str,
        pack: Pack | None,
        required: str | None = None,
        anchor: int = -1,
        spread: Spread | None = None,
    ) -> None:
        self.name = name
        self.required = required if required is not None else (pack.required if pack else None)
        self.preferred = pack.preferred if pack else None
        self.anchor = anchor  # domain id at ``required`` all pods of the unit must share, -1: not chosen
        self.chosen: Scope = None
        self.has_chosen = False
        self.spread = spread  # this unit stands for a gang/config spreading at ``required`` = spread.key
        self.spread_eligible: list[int] = []  # eligible domains seen when it chose (for skew reports)
        self.pod_spread: tuple[Spread, ...] = ()  # on a PodGroup: spread its pods
        self.pod_keys: tuple[str, ...] = ()


class PodSlot:
    __slots__ = ("allowed", "amount", "dominant", "info")

    def __init__(self, info: PodInfo, dominant: int, allowed: list[bool]) -> None:
        self.info = info
        self.dominant = dominant
        self.amount = dict(info.requests)[dominant]
        self.allowed = allowed


class UnitTree:
    """One placement attempt's shape: a unit, its child subtrees and its own pods."""

    __slots__ = ("children", "demand", "demand_all", "dominant", "pods", "unit")

    def __init__(
        self,
        unit: Unit,
        children: list[UnitTree],
        pods: list[PodSlot],
        extra: Sequence[PodSlot],
        dominant: int,
    ) -> None:
        self.unit, self.children, self.pods = unit, children, pods
        self.demand: Requests
        self.demand_all: Requests
        if not pods and len(children) == 1 and extra is _SAME_AS_CHILD:
            self.demand, self.demand_all = children[0].demand, children[0].demand_all  # a spread wrapper
        else:
            self.demand = _sum_requests([p.info.requests for p in self.all_pods()])
            self.demand_all = _sum_requests([p.info.requests for p in [*self.all_pods(), *extra]])
        self.dominant = dominant

    def all_pods(self) -> Iterator[PodSlot]:
        yield from self.pods
        for child in self.children:
            yield from child.all_pods()


_SAME_AS_CHILD: Sequence[PodSlot] = ()
"""Pass as ``extra`` for a tree that only wraps one child: its demand is the child's, not recomputed."""
SAME_AS_CHILD = _SAME_AS_CHILD


def _sum_requests(requests: Sequence[Requests]) -> Requests:
    total: dict[int, int] = {}
    for req in requests:
        for r, a in req:
            total[r] = total.get(r, 0) + a
    return tuple(sorted(total.items()))


class DomainChooser:
    def __init__(self, state: PlacementState, levels: Sequence[str]) -> None:
        self.state = state
        self.levels = tuple(levels)
        self._fallbacks: dict[tuple[str, str | None], list[str]] = {}
        self.spread_order: Callable[[Unit, Scope, list[int]], list[int]] | None = None

    def options(self, tree: UnitTree, scope: Scope) -> Iterator[tuple[Scope, int]]:
        """Candidate scopes for ``tree.unit`` inside ``scope``, best first, with the required domain."""
        unit = tree.unit
        if unit.has_chosen:
            again = intersect(unit.chosen, scope)
            if again is None or again:
                yield again, unit.anchor
        if unit.required is None:
            if unit.preferred is None:
                if not unit.has_chosen:
                    yield scope, -1
                return
            for option in self._preferred(unit, scope, tree):
                yield option, -1
            return
        index = self.state.domain_index(unit.required)
        if unit.anchor >= 0:
            domains = [unit.anchor]
        else:
            domains = self._domains(unit.required, scope, tree)
            if unit.spread is not None and self.spread_order is not None:
                domains = self.spread_order(unit, scope, domains)
        for domain in domains:
            base = intersect(index.nodes[domain], scope)
            if base:
                for option in self._preferred(unit, base, tree):
                    yield option, domain
        if unit.spread is not None and not unit.spread.hard and unit.anchor < 0:
            yield scope, -1  # ScheduleAnyway: no single domain works, so place without the spread

    def _preferred(self, unit: Unit, base: Scope, tree: UnitTree) -> Iterator[Scope]:
        if unit.preferred is not None and unit.preferred != unit.required:
            for key in self._fallback_keys(unit.preferred, unit.required):
                index = self.state.domain_index(key)
                for domain in self._domains(key, base, tree):
                    option = intersect(index.nodes[domain], base)
                    if option:
                        yield option
        yield base

    def _fallback_keys(self, preferred: str, required: str | None) -> list[str]:
        """``preferred``, then each broader topology level, stopping short of ``required``."""
        cache_key = (preferred, required)
        keys = self._fallbacks.get(cache_key)
        if keys is None:
            levels = self.levels
            if preferred not in levels:
                keys = [preferred]
            else:
                stop = levels.index(required) if required in levels else -1
                keys = [levels[i] for i in range(levels.index(preferred), stop, -1)]
            self._fallbacks[cache_key] = keys
        return keys

    def _domains(self, key: str, scope: Scope, tree: UnitTree) -> list[int]:
        """Domains of ``key`` meeting ``scope`` whose free capacity can hold the tree, best-fit first.

        If none can, the roomiest one alone, so the failure message can say how far a gang got.
        """
        index = self.state.domain_index(key)
        if scope is None:
            candidates: Sequence[int] = range(len(index.names))
        else:
            node_domain = index.node_domain
            candidates = sorted({node_domain[n] for n in scope} - {-1})
        agg, demand = index.free, tree.demand
        fits = [d for d in candidates if all(agg[d][r] >= a for r, a in demand)]
        dominant = tree.dominant
        if not fits:
            return [max(candidates, key=lambda d: (agg[d][dominant], -d))] if candidates else []
        demand_all = tree.demand_all
        if demand_all != demand:
            fits.sort(key=lambda d: (not all(agg[d][r] >= a for r, a in demand_all), agg[d][dominant], d))
        else:
            fits.sort(key=lambda d: (agg[d][dominant], d))
        return fits


def intersect(nodes: Scope, scope: Scope) -> Scope:
    if scope is None:
        return nodes
    if nodes is None:
        return scope
    if len(nodes) == len(scope) and nodes == scope:
        return nodes
    members = set(scope)
    return [n for n in nodes if n in members]
