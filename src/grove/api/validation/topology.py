"""Topology constraints: the CRD's CEL rules (every operation) and topology admission (spec §9.3, CREATE).

A constraint sits on the PodCliqueSet, a scaling group or a clique and packs its pods into one domain
(``pack.required``) or tries to (``pack.preferred``). Admission checks that there is one topology name
for the whole PodCliqueSet (a group inherits the PodCliqueSet's, a clique its group's, else the
PodCliqueSet's), that the ClusterTopologyBinding exists, that every domain is one of its levels, and
that no child asks for a broader domain than its parent (levels run broadest → narrowest).
A constraint may also (or only) carry ``spreadConstraints``; their rules live in
:mod:`grove.api.validation.spread`.
"""

from __future__ import annotations

from dataclasses import dataclass

from grove.api.crds.overrides import (
    BOTH_REQUIRED_MESSAGE,
    PACK_DOMAIN_DEPRECATED_MESSAGE,
    PACK_NEEDS_DOMAIN_MESSAGE,
    PACK_OR_PACK_DOMAIN_MESSAGE,
)
from grove.api.models.core import TopologyConstraint
from grove.api.validation.context import GROUPS, TEMPLATE, PCSContext
from grove.api.validation.errors import (
    OMIT_VALUE,
    ErrorList,
    Path,
    ValidationResult,
    forbidden,
    invalid,
    not_found,
    not_supported,
    required,
)
from grove.api.validation.spread import validate_spread_fields, validate_spread_levels


@dataclass(frozen=True)
class ConstraintSite:
    path: Path
    what: str  # "PodCliqueSet", "scaling group 'x'", "clique 'y'"
    constraint: TopologyConstraint | None
    parent: ConstraintSite | None = None
    grandparent: ConstraintSite | None = None
    packed_replicas: bool = True  # its spreadConstraints spread packed replicas (not a clique's pods)


def constraint_sites(ctx: PCSContext) -> list[ConstraintSite]:
    """Every place a constraint can be, with its enclosing sites (set or not), PodCliqueSet first."""
    tmpl = ctx.pcs.spec.template
    root = ConstraintSite(TEMPLATE.child("topologyConstraint"), "PodCliqueSet", tmpl.topology_constraint)
    sites = [root]
    group_sites: dict[int, ConstraintSite] = {}
    for g, group in enumerate(tmpl.pod_clique_scaling_groups or []):
        site = ConstraintSite(GROUPS.at(g).child("topologyConstraint"), f"scaling group {group.name!r}",
                              group.topology_constraint, root)
        group_sites[g] = site
        sites.append(site)
    for path, clique in ctx.cliques():
        gi = ctx.group_of_clique.get(clique.name)
        group_site = group_sites.get(gi) if gi is not None else None
        parent, grand = (group_site, root) if group_site else (root, None)
        sites.append(ConstraintSite(path.child("topologyConstraint"), f"clique {clique.name!r}",
                                    clique.topology_constraint, parent, grand, packed_replicas=False))
    return sites


def required_domain(tc: TopologyConstraint | None) -> str | None:
    if tc is None:
        return None
    return (tc.pack.required if tc.pack else None) or tc.pack_domain


def preferred_domain(tc: TopologyConstraint | None) -> str | None:
    return tc.pack.preferred if tc is not None and tc.pack else None


def validate_cel(ctx: PCSContext) -> ErrorList:
    """The CRD's x-kubernetes-validations on TopologyConstraint, as the API server reports them.

    Same messages, reasons and paths as the rules in ``grove.api.crds.overrides`` (upstream's wording),
    so ``grove validate`` prints the line a real API server would.
    """
    errs: ErrorList = []
    for site in constraint_sites(ctx):
        tc = site.constraint
        if tc is None:
            continue
        if tc.pack is None and not tc.pack_domain and not tc.spread_constraints:
            errs.append(required(site.path.child("pack"), PACK_OR_PACK_DOMAIN_MESSAGE))
        if tc.pack is not None and tc.pack.required and tc.pack_domain:
            errs.append(invalid(site.path.child("pack", "required"), OMIT_VALUE, BOTH_REQUIRED_MESSAGE))
        if tc.pack_domain and ctx.creating:
            errs.append(forbidden(site.path.child("packDomain"), PACK_DOMAIN_DEPRECATED_MESSAGE))
        if tc.pack is not None and not tc.pack.required and not tc.pack.preferred:
            errs.append(required(site.path.child("pack"), PACK_NEEDS_DOMAIN_MESSAGE))
        errs += validate_spread_fields(site.path, tc)
    return errs


def validate_topology_admission(ctx: PCSContext) -> ValidationResult:
    """§9.3 on CREATE. Updates are governed by immutability alone."""
    out = ValidationResult()
    if not ctx.creating:
        return out
    sites = [s for s in constraint_sites(ctx) if s.constraint is not None]
    if not sites:
        return out
    if not ctx.config.topology_aware_scheduling.enabled:
        out.errors += [forbidden(s.path, "topology-aware scheduling is disabled in the operator configuration "
                                         "(topologyAwareScheduling.enabled)") for s in sites]
        return out
    names = _resolve_names(sites, out.errors)
    if not names:
        return out
    ref_path, ref_name = names[0]
    for path, name in names[1:]:
        if name != ref_name:
            out.errors.append(invalid(path, name, f"every topology constraint of a PodCliqueSet must use one "
                                                  f"topology; {ref_path} is {ref_name!r}"))
    ctb = ctx.lookup.get_cluster_topology(ref_name)
    if ctb is None:
        out.errors.append(not_found(ref_path, ref_name, f"ClusterTopologyBinding {ref_name!r} does not exist"))
        return out
    levels = [level.domain for level in ctb.spec.levels]
    rank = {d: i for i, d in enumerate(levels)}
    for site in sites:
        tc = site.constraint
        assert tc is not None
        for field, domain in (("pack.required", tc.pack.required if tc.pack else None),
                              ("pack.preferred", tc.pack.preferred if tc.pack else None),
                              ("packDomain", tc.pack_domain)):
            if domain and domain not in rank:
                out.errors.append(not_supported(site.path.child(*field.split(".")), domain, levels))
        out.errors += validate_spread_levels(site.path, tc, rank, site.what, site.packed_replicas)
        req, pref = required_domain(tc), preferred_domain(tc)
        if req in rank and pref in rank and rank[pref] < rank[req]:
            out.warnings.append(f"{site.path.child('pack', 'preferred')}: preferred domain {pref!r} is broader "
                                f"than the required domain {req!r} and has no effect")
        for ancestor in (site.parent, site.grandparent):
            if ancestor is None or ancestor.constraint is None:
                continue
            for field, mine, theirs in (("required", req, required_domain(ancestor.constraint)),
                                        ("preferred", pref, preferred_domain(ancestor.constraint))):
                if mine in rank and theirs in rank and rank[mine] < rank[theirs]:
                    out.errors.append(invalid(
                        site.path.child("pack", field) if tc.pack or field == "preferred"
                        else site.path.child("packDomain"),
                        mine, f"must not be broader than the {ancestor.what}'s {field} domain {theirs!r} "
                              f"({ancestor.path})"))
    return out


def _resolve_names(sites: list[ConstraintSite], errs: ErrorList) -> list[tuple[Path, str]]:
    """(path, effective name) of each set constraint; missing names are reported into ``errs``."""
    out: list[tuple[Path, str]] = []
    for site in sites:
        tc = site.constraint
        assert tc is not None
        name = tc.topology_name
        for ancestor in (site.parent, site.grandparent):
            if not name and ancestor is not None and ancestor.constraint is not None:
                name = ancestor.constraint.topology_name
        if name:
            out.append((site.path.child("topologyName"), name))
        elif site.parent is None:
            errs.append(required(site.path.child("topologyName"), "the PodCliqueSet's constraint must name "
                                                                  "its ClusterTopologyBinding"))
        else:
            errs.append(required(site.path.child("topologyName"), "no topology name here or on an enclosing "
                                                                  "constraint"))
    return out
