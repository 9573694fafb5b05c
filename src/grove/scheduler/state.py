"""Mutable free capacity for one planning pass, with the indexes that keep placement fast.

The planner tries placements tentatively and undoes them when a gang cannot be completed, so every
change goes through :meth:`PlacementState.reserve` and is logged; :meth:`rollback` restores an earlier
mark exactly. Three indexes stay consistent with ``free`` after every reserve and rollback:

- per topology key, each node's domain id, each domain's nodes (name order) and the domain's summed free
  capacity (used to skip domains that cannot hold a unit and to rank domains best-fit);
- per resource asked for as a pod's dominant resource, the nodes sorted by (free amount, name): finding
  the tightest node anywhere in the cluster is a bisection plus a short forward scan, not a full scan.

The snapshot itself is never mutated.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Iterable, Sequence

from grove.scheduler.snapshot import Snapshot

Requests = tuple[tuple[int, int], ...]
_SCAN_LIMIT = 48  # scopes larger than this search the sorted index instead of scanning


class DomainIndex:
    """The domains of one node label key: a node's domain is its label value (no label: none)."""

    def __init__(self, snapshot: Snapshot, key: str, free: Sequence[Sequence[int]]) -> None:
        self.key = key
        values = sorted({node.labels[key] for node in snapshot.nodes if key in node.labels})
        ids = {value: i for i, value in enumerate(values)}
        self.names: list[str] = values
        self.node_domain: list[int] = [
            ids[node.labels[key]] if key in node.labels else -1 for node in snapshot.nodes
        ]
        self.nodes: list[list[int]] = [[] for _ in values]
        width = len(snapshot.resources)
        self.free: list[list[int]] = [[0] * width for _ in values]
        for node in snapshot.nodes:
            d = self.node_domain[node.index]
            if d >= 0:
                self.nodes[d].append(node.index)
                agg = self.free[d]
                for r, amount in enumerate(free[node.index]):
                    agg[r] += amount


class PlacementState:
    def __init__(self, snapshot: Snapshot, keys: Iterable[str]) -> None:
        self.snapshot = snapshot
        self.size = len(snapshot.nodes)
        self.free: list[list[int]] = [
            [a - u for a, u in zip(node.allocatable, node.used, strict=True)] for node in snapshot.nodes
        ]
        self.domains: dict[str, DomainIndex] = {}
        self._domain_list: list[DomainIndex] = []
        for key in keys:
            self.domain_index(key)
        self._sorted: dict[int, list[int]] = {}
        self._log: list[tuple[int, Requests]] = []
        self._masks: dict[int, tuple[Sequence[int], bytearray]] = {}

    def domain_index(self, key: str) -> DomainIndex:
        """The index of ``key``, built on first use (before any reservation, or from current free)."""
        index = self.domains.get(key)
        if index is None:
            index = DomainIndex(self.snapshot, key, self.free)
            self.domains[key] = index
            self._domain_list = list(self.domains.values())
        return index

    def _sorted_by(self, resource: int) -> list[int]:
        keys = self._sorted.get(resource)
        if keys is None:
            n = self.size
            keys = sorted(f[resource] * n + i for i, f in enumerate(self.free))
            self._sorted[resource] = keys
        return keys

    # -- changes -----------------------------------------------------------------------------------

    def mark(self) -> int:
        return len(self._log)

    def reserve(self, node: int, requests: Requests) -> None:
        self._apply(node, requests, -1)
        self._log.append((node, requests))

    def commit(self) -> None:
        """Make every reservation so far permanent (marks taken before are no longer valid)."""
        self._log.clear()

    def rollback(self, mark: int) -> None:
        log = self._log
        while len(log) > mark:
            node, requests = log.pop()
            self._apply(node, requests, 1)

    def _apply(self, node: int, requests: Requests, sign: int) -> None:
        f = self.free[node]
        n = self.size
        sorted_lists = self._sorted
        for r, amount in requests:
            old = f[r]
            new = old + sign * amount
            f[r] = new
            keys = sorted_lists.get(r)
            if keys is not None:
                del keys[bisect_left(keys, old * n + node)]
                insort(keys, new * n + node)
        for index in self._domain_list:
            d = index.node_domain[node]
            if d >= 0:
                agg = index.free[d]
                for r, amount in requests:
                    agg[r] += sign * amount

    # -- queries -----------------------------------------------------------------------------------

    def _mask(self, scope: Sequence[int]) -> bytearray:
        """Membership of ``scope`` by node index, cached by identity (domain node lists live all pass)."""
        hit = self._masks.get(id(scope))
        if hit is not None and hit[0] is scope:
            return hit[1]
        mask = bytearray(self.size)
        for node in scope:
            mask[node] = 1
        if len(self._masks) > 4096:
            self._masks.clear()
        self._masks[id(scope)] = (scope, mask)
        return mask

    def best_node(
        self,
        requests: Requests,
        dominant: int,
        amount: int,
        allowed: Sequence[bool],
        scope: Sequence[int] | None,
    ) -> int:
        """The allowed node in ``scope`` (None: anywhere) that fits with the least free ``dominant``
        resource, ties to the lowest name; -1 if none fits."""
        free = self.free
        if scope is None or len(scope) > _SCAN_LIMIT:
            # the cluster-wide (free, name) order, filtered to ``scope``: same answer as the scan below
            mask = None if scope is None else self._mask(scope)
            keys = self._sorted_by(dominant)
            n = self.size
            for j in range(bisect_left(keys, amount * n), len(keys)):
                node = keys[j] % n
                if not allowed[node] or (mask is not None and not mask[node]):
                    continue
                f = free[node]
                for r, a in requests:
                    if f[r] < a:
                        break
                else:
                    return node
            return -1
        best, best_free = -1, 0
        for node in scope:
            if not allowed[node]:
                continue
            f = free[node]
            have = f[dominant]
            if have < amount or (best >= 0 and have >= best_free):
                continue
            for r, a in requests:
                if f[r] < a:
                    break
            else:
                best, best_free = node, have
                if have == amount:
                    break
        return best

    def domain_fits(self, key: str, domain: int, demand: Requests) -> bool:
        agg = self.domains[key].free[domain]
        return all(agg[r] >= a for r, a in demand)
