"""Topology spread for the planner (Grove extension, docs/spread.md). Pure.

Kubernetes ``topologySpreadConstraints`` semantics, applied to *units* (gangs, group configs) and to
the pods of a PodGroup:

- a domain is *eligible* if it has a node that is Ready and not cordoned inside the enclosing scope
  (for pods: a node the pod's static filters admit); only eligible domains count for the minimum;
- ``skew(d) = count(d) + 1 - min(count over eligible domains)``, the minimum taken as 0 when fewer than
  ``minDomains`` domains are eligible; ``DoNotSchedule`` allows only domains with ``skew <= maxSkew``,
  ``ScheduleAnyway`` allows every eligible domain;
- allowed domains are tried by ascending count (least loaded first), then in the planner's best-fit
  order, so equal input gives equal output;
- a unit counts in the domain holding most of its bound pods; units with pods already bound count from
  the snapshot, units this plan places count once, when their transaction commits.

:class:`SpreadPeers` says which units spread against each other (the same ``namespace/spreadGroup``):
every PodGang and group config of the cluster carrying that group, bound or not.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from grove.scheduler.gangs import GangSpec, Spread, gang_from_podgang
from grove.scheduler.snapshot import Snapshot
from grove.scheduler.state import PlacementState

Obj = Mapping[str, Any]
PeerUnit = tuple[str, tuple[str, ...]]  # (unit name, pod keys)


def config_unit_name(gang: str, config: str) -> str:
    return f"{gang}/{config}"


@dataclass(frozen=True)
class SpreadPeers:
    """``members[group]``: every unit (gang or group config) spreading in ``group``, with its pods."""

    members: Mapping[str, tuple[PeerUnit, ...]] = field(default_factory=dict)


def peers_of_gangs(gangs: Iterable[GangSpec]) -> SpreadPeers:
    members: dict[str, dict[str, tuple[str, ...]]] = {}
    for gang in gangs:
        for rule in gang.spread:
            if rule.group:
                pods = tuple(p for g in gang.groups for p in g.pods)
                members.setdefault(rule.group, {})[gang.name] = pods
        groups = {g.name: g for g in gang.groups}
        for cfg in gang.group_configs:
            for rule in cfg.spread:
                if rule.group:
                    pods = tuple(p for n in cfg.group_names if n in groups for p in groups[n].pods)
                    members.setdefault(rule.group, {})[config_unit_name(gang.name, cfg.name)] = pods
    return SpreadPeers({g: tuple(sorted(units.items())) for g, units in members.items()})


def spread_peers(podgangs: Iterable[Obj]) -> SpreadPeers:
    """The peers of every PodGang (wire dicts) that mentions spread; the rest are not parsed."""
    return peers_of_gangs(gang_from_podgang(pg) for pg in podgangs if "spreadConstraints" in repr(pg.get("spec")))


@dataclass
class SpreadCheck:
    """Why a spread rule allowed no domain: enough for a message in numbers."""

    unit: str
    rule: Spread
    eligible: int
    skew: int  # the smallest skew any eligible domain would get
    of: str = ""  # what the unit spreads in, when not its rule's group (a PodGroup)


class SpreadBook:
    """Committed per-domain counts of each (group, key), the eligible domains, and domain choice."""

    def __init__(self, snapshot: Snapshot, state: PlacementState, peers: SpreadPeers) -> None:
        self.snapshot = snapshot
        self.state = state
        self.peers = peers
        self.eligible_node = [n.ready and not n.unschedulable for n in snapshot.nodes]
        self._counts: dict[tuple[str, str], list[int]] = {}
        self.counted: set[tuple[str, str]] = set()  # (group, unit name)
        self._eligible_all: dict[str, list[int]] = {}

    # -- counting ----------------------------------------------------------------------------------

    def counts(self, group: str, key: str, node_of: Mapping[str, int]) -> list[int]:
        """Per-domain unit counts committed so far (built from bound pods on first use)."""
        ck = (group, key)
        counts = self._counts.get(ck)
        if counts is None:
            index = self.state.domain_index(key)
            counts = [0] * len(index.names)
            bound = self.snapshot.bound
            for unit, pods in self.peers.members.get(group, ()):
                nodes = [n for p in pods if (n := node_of.get(p, bound.get(p))) is not None]
                domain = most_common(index.node_domain, nodes)
                if domain >= 0:
                    counts[domain] += 1
                    self.counted.add((group, unit))
            self._counts[ck] = counts
        return counts

    def commit(self, group: str, key: str, unit: str, domain: int, node_of: Mapping[str, int]) -> None:
        counts = self.counts(group, key, node_of)
        if (group, unit) not in self.counted and domain >= 0:
            counts[domain] += 1
            self.counted.add((group, unit))

    # -- eligibility -------------------------------------------------------------------------------

    def eligible(self, key: str, scope: Sequence[int] | None, allowed: Sequence[bool] | None = None) -> list[int]:
        """Domains of ``key`` with an eligible node in ``scope`` (None: the cluster), ascending."""
        if scope is None and allowed is None:
            cached = self._eligible_all.get(key)
            if cached is not None:
                return cached
        node_domain = self.state.domain_index(key).node_domain
        ok = self.eligible_node
        nodes: Iterable[int] = range(len(ok)) if scope is None else scope
        found = sorted(
            {node_domain[n] for n in nodes if ok[n] and (allowed is None or allowed[n])} - {-1}
        )
        if scope is None and allowed is None:
            self._eligible_all[key] = found
        return found


def most_common(node_domain: Sequence[int], nodes: Iterable[int]) -> int:
    counts = Counter(node_domain[n] for n in nodes if node_domain[n] >= 0)
    return max(counts, key=lambda d: (counts[d], -d)) if counts else -1


def global_minimum(rule: Spread, counts: Sequence[int], eligible: Sequence[int]) -> int:
    if not eligible or (rule.min_domains is not None and len(eligible) < rule.min_domains):
        return 0
    return min(counts[d] for d in eligible)


def allowed_domains(
    rule: Spread, counts: Sequence[int], eligible: Sequence[int], best_fit: Sequence[int]
) -> tuple[list[int], int]:
    """(domains to try in order, smallest skew a domain with room would get -- any eligible domain's if
    none has room).

    ``best_fit``: the planner's ranking of the domains that can hold the unit; a domain it omits
    cannot, and is not tried."""
    minimum = global_minimum(rule, counts, eligible)
    rank = {d: i for i, d in enumerate(best_fit)}
    roomy = [d for d in eligible if d in rank] or list(eligible)
    smallest = min((counts[d] + 1 - minimum for d in roomy), default=0)
    ok = [d for d in eligible if d in rank and (not rule.hard or counts[d] + 1 - minimum <= rule.max_skew)]
    ok.sort(key=lambda d: (counts[d], rank[d]))
    return ok, smallest


def skew_after(rule: Spread, counts: Sequence[int], eligible: Sequence[int]) -> int:
    """The skew of the placement as it stands: max over eligible domains minus the global minimum."""
    if not eligible:
        return 0
    return max(counts[d] for d in eligible) - global_minimum(rule, counts, eligible)


def unit_label(unit: str, group: str) -> str:
    """``replica 2 of serving`` for unit ``ns/serving-2`` in group ``ns/serving``; else ``unit of group``."""
    name, short = unit.split("/")[-1], group.split("/", 1)[-1]
    index = name.removeprefix(f"{short}-")
    if index != name and index.isdigit():
        return f"replica {index} of {short}"
    return f"{name} of {short}"


def describe_failure(check: SpreadCheck, level: str) -> str:
    """``spread: replica 2 of serving over 2 zones: skew would be 2 > maxSkew 1 (...)``."""
    rule = check.rule
    who = f"{check.unit} of {check.of}" if check.of else unit_label(check.unit, rule.group)
    text = (
        f"spread: {who} over {check.eligible} {plural(level, check.eligible)}: "
        f"skew would be {check.skew} > maxSkew {rule.max_skew}"
    )
    if rule.min_domains is not None and check.eligible < rule.min_domains:
        text += f" (minDomains {rule.min_domains} > {check.eligible} eligible, so the minimum counts as 0)"
    return text


def plural(level: str, n: int) -> str:
    return level if n == 1 else level + "s"
