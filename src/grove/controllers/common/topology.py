"""Topology constraint propagation and translation (spec §9.2, §9.4).

User constraints name topology *domains* (``zone``, ``rack``); the scheduler-side PodGang holds node label
*keys*, looked up in the ClusterTopologyBinding's levels. Invariant: with TAS off nothing is translated;
with TAS on but no binding every translated constraint is None; unknown domains are dropped and an
all-empty translation is None.
"""

from __future__ import annotations

from typing import Any

from grove.api.models.core import PodCliqueSet, TopologyConstraint
from grove.api.models.topology import ClusterTopologyBinding


def topology_name(pcs: PodCliqueSet) -> str | None:
    """The first explicit topology name: PCS, then PCSG configs, then cliques."""
    tmpl = pcs.spec.template
    candidates = [tmpl.topology_constraint]
    candidates += [g.topology_constraint for g in tmpl.pod_clique_scaling_groups or []]
    candidates += [cl.topology_constraint for cl in tmpl.cliques]
    for tc in candidates:
        if tc is not None and tc.topology_name:
            return tc.topology_name
    return None


def required_domain(tc: TopologyConstraint) -> str | None:
    if tc.pack is not None and tc.pack.required:
        return tc.pack.required
    return tc.pack_domain or None


def preferred_domain(tc: TopologyConstraint) -> str | None:
    return tc.pack.preferred if tc.pack is not None and tc.pack.preferred else None


def constraint_domains(tc: TopologyConstraint | None) -> list[str]:
    if tc is None:
        return []
    return [d for d in (required_domain(tc), preferred_domain(tc)) if d] + [
        sc.domain for sc in tc.spread_constraints or []
    ]


def all_constraints(pcs: PodCliqueSet) -> list[TopologyConstraint]:
    tmpl = pcs.spec.template
    found = [tmpl.topology_constraint]
    found += [g.topology_constraint for g in tmpl.pod_clique_scaling_groups or []]
    found += [cl.topology_constraint for cl in tmpl.cliques]
    return [tc for tc in found if tc is not None]


def translate(
    tc: TopologyConstraint | None, binding: ClusterTopologyBinding | None, spread_group: str | None = None
) -> dict[str, Any] | None:
    """A scheduler-side ``{packConstraint: {required, preferred}, spreadConstraints: [...]}`` holding node
    label keys, or None.

    Spread (docs/spread.md) is translated only where the caller says what spreads: ``spread_group`` names
    the peer units (the PodCliqueSet for replica spread, the PCSG FQN for PCSG replicas, "" for the pods
    of a PodGroup); None leaves spread out (a scaled gang falling back to the PodCliqueSet's pack)."""
    if tc is None or binding is None:
        return None
    keys = binding.domain_keys()
    pack: dict[str, str] = {}
    req, pref = required_domain(tc), preferred_domain(tc)
    if req and req in keys:
        pack["required"] = keys[req]
    if pref and pref in keys:
        pack["preferred"] = keys[pref]
    out: dict[str, Any] = {"packConstraint": pack} if pack else {}
    if spread_group is not None:
        spreads = []
        for sc in tc.spread_constraints or []:
            if sc.domain not in keys:
                continue
            entry: dict[str, Any] = {
                "topologyKey": keys[sc.domain],
                "maxSkew": sc.max_skew if sc.max_skew is not None else 1,
                "whenUnsatisfiable": sc.when_unsatisfiable or "DoNotSchedule",
            }
            if sc.min_domains is not None:
                entry["minDomains"] = sc.min_domains
            if spread_group:
                entry["spreadGroup"] = spread_group
            spreads.append(entry)
        if spreads:
            out["spreadConstraints"] = spreads
    return out or None


def missing_domains(pcs: PodCliqueSet, binding: ClusterTopologyBinding) -> list[str]:
    """Domains named by some constraint of ``pcs`` that are not levels of ``binding`` (sorted, unique)."""
    keys = binding.domain_keys()
    return sorted({d for tc in all_constraints(pcs) for d in constraint_domains(tc) if d not in keys})
