"""DRA resource claim templates and resource sharing (spec §2.2, §11.1).

A sharing entry names a template: an internal ``resourceClaimTemplates`` entry when ``namespace`` is
empty, else a ResourceClaimTemplate object. Setting ``namespace`` on a name that matches an internal
template is ambiguous and rejected. Filters narrow which children get the claim and must name real
cliques / scaling groups (for a scaling group: its own members).
"""

from __future__ import annotations

from collections.abc import Sequence

from grove.api.models.core import ResourceSharingSpec
from grove.api.validation.context import GROUPS, TEMPLATE, PCSContext
from grove.api.validation.errors import ErrorList, Path, duplicate, invalid, not_found, required


def validate_resource_sharing(ctx: PCSContext) -> ErrorList:
    tmpl = ctx.pcs.spec.template
    errs: ErrorList = []
    internal: set[str] = set()
    rct_path = TEMPLATE.child("resourceClaimTemplates")
    for i, rct in enumerate(tmpl.resource_claim_templates or []):
        path = rct_path.at(i)
        if not rct.name:
            errs.append(required(path.child("name")))
        elif rct.name in internal:
            errs.append(duplicate(path.child("name"), rct.name, "resource claim template names must be unique"))
        internal.add(rct.name)
        spec = rct.template_spec.get("spec")
        devices = spec.get("devices") if isinstance(spec, dict) else None
        requests = devices.get("requests") if isinstance(devices, dict) else None
        if not isinstance(requests, list) or not requests:
            errs.append(required(path.child("templateSpec", "spec", "devices", "requests"),
                                 "a resource claim template must request at least one device"))

    pcs_sharing = TEMPLATE.child("resourceSharing")
    errs += _entries(tmpl.resource_sharing or [], pcs_sharing, internal)
    group_names = {g.name for g in tmpl.pod_clique_scaling_groups or []}
    for k, entry in enumerate(tmpl.resource_sharing or []):
        flt = entry.filter
        if flt is None:
            continue
        fpath = pcs_sharing.at(k).child("filter")
        if not flt.child_clique_names and not flt.child_scaling_group_names:
            errs.append(required(fpath, "a filter must name at least one childCliqueNames or "
                                        "childScalingGroupNames entry (omit it to share with all)"))
        for j, name in enumerate(flt.child_clique_names or []):
            if name not in ctx.clique_index:
                errs.append(not_found(fpath.child("childCliqueNames").at(j), name, "no such clique"))
        for j, name in enumerate(flt.child_scaling_group_names or []):
            if name not in group_names:
                errs.append(not_found(fpath.child("childScalingGroupNames").at(j), name, "no such scaling group"))

    for g, group in enumerate(tmpl.pod_clique_scaling_groups or []):
        gpath = GROUPS.at(g).child("resourceSharing")
        errs += _entries(group.resource_sharing or [], gpath, internal)
        for k, gentry in enumerate(group.resource_sharing or []):
            if gentry.filter is None:
                continue
            fpath = gpath.at(k).child("filter")
            names = gentry.filter.child_clique_names or []
            if not names:
                errs.append(required(fpath.child("childCliqueNames"), "a filter must name at least one clique "
                                                                      "(omit it to share with all members)"))
            for j, name in enumerate(names):
                if name not in group.clique_names:
                    errs.append(invalid(fpath.child("childCliqueNames").at(j), name,
                                        f"not a member of scaling group {group.name!r}"))

    for path, clique in ctx.cliques():
        errs += _entries(clique.resource_sharing or [], path.child("resourceSharing"), internal)
    return errs


def _entries(entries: Sequence[ResourceSharingSpec], path: Path, internal: set[str]) -> ErrorList:
    errs: ErrorList = []
    seen: set[str] = set()
    for k, entry in enumerate(entries):
        epath = path.at(k)
        if not entry.name:
            errs.append(required(epath.child("name")))
        elif entry.name in seen:
            errs.append(duplicate(epath.child("name"), entry.name, "a template may be shared once per level"))
        seen.add(entry.name)
        if entry.namespace and entry.name in internal:
            errs.append(invalid(epath.child("namespace"), entry.namespace,
                                f"must be empty: {entry.name!r} names an entry of spec.template.resourceClaimTemplates"))
    return errs
