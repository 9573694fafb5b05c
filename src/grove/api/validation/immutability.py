"""UPDATE-only rules (spec §2.2): what may not change once a PodCliqueSet exists.

Composition (cliques, scaling groups), identities the running system depends on (roleName,
minAvailable, startsAfter, schedulerName, startup type), resource sharing and topology constraints are
fixed; replicas, the rest of the pod spec, labels, annotations (except ``grove.io/mnnvl-group``),
priority class, termination delay, autoscaling and update strategy may change. Two topology
migrations are allowed: naming the topology of a legacy ``packDomain``-only constraint, and moving
``packDomain`` to ``pack.required`` with the same domain. Each ``packDomain`` left gets a warning.
Cliques and groups are matched by name, so a renamed one is reported once, as composition.
"""

from __future__ import annotations

from typing import Any

from grove.api.models.base import WireModel
from grove.api.models.core import PodCliqueSet, TopologyConstraint
from grove.api.validation.backends import mnnvl_sites
from grove.api.validation.context import CLIQUES, GROUPS, TEMPLATE, PCSContext
from grove.api.validation.errors import ErrorList, Path, ValidationResult, forbidden, invalid
from grove.api.validation.topology import constraint_sites

IMMUTABLE = "field is immutable"


def _wire(value: Any) -> Any:
    if isinstance(value, WireModel):
        return value.to_wire()
    if isinstance(value, list):
        return [_wire(v) for v in value]
    return value


def _same(new: Any, old: Any, path: Path) -> ErrorList:
    n, o = _wire(new), _wire(old)
    return [] if n == o else [invalid(path, n, IMMUTABLE)]


def validate_update(ctx: PCSContext, old: PodCliqueSet) -> ValidationResult:
    out = ValidationResult()
    new_t, old_t = ctx.pcs.spec.template, old.spec.template
    errs = out.errors
    errs += _same(new_t.clique_startup_type, old_t.clique_startup_type, TEMPLATE.child("cliqueStartupType"))
    errs += _same(new_t.resource_claim_templates, old_t.resource_claim_templates,
                  TEMPLATE.child("resourceClaimTemplates"))
    errs += _same(new_t.resource_sharing, old_t.resource_sharing, TEMPLATE.child("resourceSharing"))

    old_cliques = {cl.name: (i, cl) for i, cl in enumerate(old_t.cliques)}
    if len(new_t.cliques) != len(old_t.cliques):
        errs.append(forbidden(CLIQUES, f"cliques may not be added or removed ({len(old_t.cliques)} before, "
                                       f"{len(new_t.cliques)} now)"))
    ordered = new_t.clique_startup_type in ("CliqueStartupTypeInOrder", "CliqueStartupTypeExplicit")
    for i, clique in enumerate(new_t.cliques):
        path = CLIQUES.at(i)
        if clique.name not in old_cliques:
            errs.append(forbidden(path.child("name"), f"clique {clique.name!r} is new; cliques may not be "
                                                      "added, removed or renamed"))
            continue
        old_i, prev = old_cliques[clique.name]
        if ordered and old_i != i:
            errs.append(invalid(path.child("name"), clique.name, f"clique order may not change under "
                                                                 f"{new_t.clique_startup_type} (was at index {old_i})"))
        spec, prev_spec = clique.spec, prev.spec
        errs += _same(spec.role_name, prev_spec.role_name, path.child("spec", "roleName"))
        errs += _same(spec.min_available, prev_spec.min_available, path.child("spec", "minAvailable"))
        errs += _same(spec.starts_after, prev_spec.starts_after, path.child("spec", "startsAfter"))
        errs += _same(spec.pod_spec.get("schedulerName"), prev_spec.pod_spec.get("schedulerName"),
                      path.child("spec", "podSpec", "schedulerName"))
        errs += _same(clique.resource_sharing, prev.resource_sharing, path.child("resourceSharing"))

    new_groups, old_groups = new_t.pod_clique_scaling_groups or [], old_t.pod_clique_scaling_groups or []
    old_by_name = {g.name: g for g in old_groups}
    if len(new_groups) != len(old_groups):
        errs.append(forbidden(GROUPS, f"scaling groups may not be added or removed ({len(old_groups)} before, "
                                      f"{len(new_groups)} now)"))
    for g, group in enumerate(new_groups):
        path = GROUPS.at(g)
        prev_group = old_by_name.get(group.name)
        if prev_group is None:
            errs.append(forbidden(path.child("name"), f"scaling group {group.name!r} is new; scaling groups may "
                                                      "not be added, removed or renamed"))
            continue
        errs += _same(group.clique_names, prev_group.clique_names, path.child("cliqueNames"))
        errs += _same(group.min_available, prev_group.min_available, path.child("minAvailable"))
        errs += _same(group.resource_sharing, prev_group.resource_sharing, path.child("resourceSharing"))

    out.extend(_topology_update(ctx, old))
    errs += _mnnvl_update(ctx, old)
    return out


def _topology_update(ctx: PCSContext, old: PodCliqueSet) -> ValidationResult:
    out = ValidationResult()
    old_ctx = PCSContext(old, "UPDATE", ctx.config, ctx.lookup)
    old_by_what = {s.what: s.constraint for s in constraint_sites(old_ctx)}
    for site in constraint_sites(ctx):
        if site.what not in old_by_what:
            continue  # a new clique/group: already reported as composition
        new, prev = site.constraint, old_by_what[site.what]
        if not _allowed_topology_change(new, prev):
            out.errors.append(invalid(site.path, _wire(new), "topology constraints are immutable (only naming the "
                                      "topology of a packDomain constraint or moving packDomain to pack.required "
                                      "with the same domain is allowed)"))
        if new is not None and new.pack_domain:
            out.warnings.append(f"{site.path.child('packDomain')}: packDomain is deprecated, use pack.required")
    return out


def _allowed_topology_change(new: TopologyConstraint | None, old: TopologyConstraint | None) -> bool:
    if new is None or old is None:
        return new is None and old is None
    if _wire(new) == _wire(old):
        return True
    legacy = old.pack_domain is not None and old.pack is None
    if new.topology_name != old.topology_name and not (legacy and old.topology_name is None):
        return False
    if old.pack_domain is None and new.pack_domain is not None:
        return False
    old_req = (old.pack.required if old.pack else None) or old.pack_domain
    new_req = (new.pack.required if new.pack else None) or new.pack_domain
    old_pref = old.pack.preferred if old.pack else None
    new_pref = new.pack.preferred if new.pack else None
    same_spread = [sc.to_wire() for sc in new.spread_constraints or []] == [
        sc.to_wire() for sc in old.spread_constraints or []]
    return old_req == new_req and old_pref == new_pref and (new.pack_domain in (None, old.pack_domain)) and same_spread


def _mnnvl_update(ctx: PCSContext, old: PodCliqueSet) -> ErrorList:
    old_ctx = PCSContext(old, "UPDATE", ctx.config, ctx.lookup)
    before = {owner: value for _, owner, value in mnnvl_sites(old_ctx)}
    errs: ErrorList = []
    for path, owner, value in mnnvl_sites(ctx):
        if owner in before and before[owner] != value:
            errs.append(invalid(path, value, f"{IMMUTABLE} (was {before[owner]!r}): the MNNVL group may not be "
                                             "added, removed or changed"))
    return errs
