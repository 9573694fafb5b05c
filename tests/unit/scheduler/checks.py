"""An independent referee for plans: recomputes capacity, gang minimums and packs from scratch."""

from __future__ import annotations

from collections.abc import Sequence

from grove.scheduler.feasibility import static_reason
from grove.scheduler.gangs import GangSpec
from grove.scheduler.placement import Plan
from grove.scheduler.snapshot import Snapshot


def plan_violations(snapshot: Snapshot, gangs: Sequence[GangSpec], plan: Plan) -> list[str]:
    problems: list[str] = []
    node_index = {node.name: node.index for node in snapshot.nodes}
    placed: dict[str, int] = {}
    for pod_key, node_name in plan.bindings:
        if pod_key in placed or pod_key in snapshot.bound:
            problems.append(f"{pod_key} bound twice")
        placed[pod_key] = node_index[node_name]
    used = [list(node.used) for node in snapshot.nodes]
    for pod_key, node in placed.items():
        info = snapshot.pending[pod_key]
        if info.gated:
            problems.append(f"{pod_key} is gated")
        reason = static_reason(info.constraints, snapshot.nodes[node])
        if reason:
            problems.append(f"{pod_key} on {snapshot.nodes[node].name}: {reason}")
        for r, amount in info.requests:
            used[node][r] += amount
    for node in snapshot.nodes:
        before_over = [u > a for u, a in zip(node.used, node.allocatable, strict=True)]
        for r, (u, a) in enumerate(zip(used[node.index], node.allocatable, strict=True)):
            if u > a and (not before_over[r] or u > node.used[r]):
                problems.append(f"{node.name} over {snapshot.resources[r]}: {u} > {a}")
    for gang in gangs:
        where = {**{k: v for k, v in snapshot.bound.items()}, **placed}
        if not any(p in placed for g in gang.groups for p in g.pods):
            continue
        for group in gang.groups:
            have = sum(1 for p in group.pods if p in where)
            if have < group.min_replicas:
                problems.append(f"{gang.name}/{group.name} bound {have} < minReplicas {group.min_replicas}")
        units = [(gang.name, gang.pack, [p for g in gang.groups for p in g.pods])]
        by_name = {g.name: g for g in gang.groups}
        units += [
            (c.name, c.pack, [p for n in c.group_names for p in by_name[n].pods]) for c in gang.group_configs
        ]
        units += [(g.name, g.pack, list(g.pods)) for g in gang.groups]
        specs = {g.name: g for g in gangs}
        coupling = gang.same_domain_as
        if coupling is not None and coupling.gang in specs:
            # the gang shares one domain, which holds some pod of the base gang
            base = [p for g in specs[coupling.gang].groups for p in g.pods if p in where]
            mine = {snapshot.nodes[where[p]].labels.get(coupling.key) for p in units[0][2] if p in where}
            theirs = {snapshot.nodes[where[p]].labels.get(coupling.key) for p in base}
            if len(mine) > 1 or not mine <= theirs:
                problems.append(f"{gang.name} in {coupling.key} {sorted(map(str, mine))}, base in {theirs}")
        for name, pack, pod_keys in units:
            if pack is None or pack.required is None:
                continue
            domains = {snapshot.nodes[where[p]].labels.get(pack.required) for p in pod_keys if p in where}
            if len(domains) > 1 or None in domains:
                problems.append(f"{name} spans {pack.required} domains {sorted(map(str, domains))}")
    return problems
