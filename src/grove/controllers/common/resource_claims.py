"""ResourceClaims from ``resourceSharing`` (spec §11.1): which claims exist, which a pod references.

Pure: no I/O. Three levels share devices through DRA ``resource.k8s.io/v1`` ResourceClaims:

* PCS level (owner PCS): ``<pcs>-all-<t>``; per PCS replica i ``<pcs>-<i>-<t>``;
* PCSG level (owner PCSG): ``<pcsgFQN>-all-<t>``; per PCSG replica j ``<pcsgFQN>-<j>-<t>``;
* PCLQ level (owner PCLQ): ``<pclqFQN>-all-<t>``; per pod index k ``<pclqFQN>-<k>-<t>``.

Invariants: a claim's spec is the template's spec at creation and is never updated (claims are
immutable once allocated), so only *missing* claims need their template resolved; PerReplica claims
whose index fell out of range are deleted; a pod references PCS (all, i), then PCSG (all, j), then PCLQ
(all, k) claims, each reference added once to the pod and to every (init) container.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from grove.api import constants as c
from grove.api import names
from grove.api.models.core import (
    PCSGResourceSharingSpec,
    PCSResourceSharingSpec,
    PodCliqueSet,
    ResourceSharingSpec,
)
from grove.controllers.common.ownership import default_labels, merge_labels

Obj = dict[str, Any]
API_VERSION = "resource.k8s.io/v1"
KIND_CLAIM = "ResourceClaim"
KIND_TEMPLATE = "ResourceClaimTemplate"

TemplateLookup = Callable[[str, str], Mapping[str, Any] | None]
"""(namespace, name) → the external ResourceClaimTemplate object, or None if it does not exist."""


class TemplateNotFoundError(LookupError):
    """A sharing entry names a template that is neither internal nor an existing ResourceClaimTemplate."""


@dataclass(frozen=True)
class ClaimLevel:
    """One owner of claims: its name, controller ownerRef, replica count and level labels."""

    owner_name: str
    owner_ref: Mapping[str, Any]
    count: int
    """PerReplica claims exist for indices ``[0, count)``."""
    index_label: str
    """Label carrying the index of a PerReplica claim."""
    labels: Mapping[str, str] = field(default_factory=dict)
    """Level labels on every claim of this level (e.g. ``grove.io/podclique``)."""


def _scope_names(owner: str, sharing: Sequence[ResourceSharingSpec], index: int) -> list[str]:
    alls = [names.resource_claim_all_name(owner, s.name) for s in sharing if s.scope == "AllReplicas"]
    per = [names.resource_claim_indexed_name(owner, index, s.name) for s in sharing if s.scope == "PerReplica"]
    return alls + per


def template_ref(pcs: PodCliqueSet, entry: ResourceSharingSpec) -> tuple[str, str] | None:
    """``(namespace, name)`` of the external template, or None when an internal entry is meant."""
    internal = {t.name for t in pcs.spec.template.resource_claim_templates or ()}
    if not entry.namespace and entry.name in internal:
        return None
    return entry.namespace or pcs.metadata.namespace or "default", entry.name


def template_spec(pcs: PodCliqueSet, entry: ResourceSharingSpec, lookup: TemplateLookup) -> Obj:
    """The ResourceClaimSpec a claim of ``entry`` gets (deep enough copy to own)."""
    ref = template_ref(pcs, entry)
    if ref is None:
        (tmpl,) = [t for t in pcs.spec.template.resource_claim_templates or () if t.name == entry.name]
        spec = (tmpl.template_spec or {}).get("spec") or {}
    else:
        found = lookup(*ref)
        if found is None:
            raise TemplateNotFoundError(f"ResourceClaimTemplate {ref[0]}/{ref[1]} not found")
        spec = ((found.get("spec") or {}).get("spec")) or {}
    copied: Obj = _json_copy(spec)
    return copied


def _json_copy(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _json_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_copy(v) for v in value]
    return value


@dataclass(frozen=True)
class DesiredClaim:
    """A claim that should exist: its name and which sharing entry / index it comes from."""

    name: str
    entry: ResourceSharingSpec
    index: int | None


def desired_claims(level: ClaimLevel, sharing: Sequence[ResourceSharingSpec]) -> list[DesiredClaim]:
    out = [DesiredClaim(names.resource_claim_all_name(level.owner_name, s.name), s, None)
           for s in sharing if s.scope == "AllReplicas"]
    for idx in range(level.count):
        out.extend(DesiredClaim(names.resource_claim_indexed_name(level.owner_name, idx, s.name), s, idx)
                   for s in sharing if s.scope == "PerReplica")
    return out


def build_claim(pcs: PodCliqueSet, level: ClaimLevel, want: DesiredClaim, lookup: TemplateLookup) -> Obj:
    """The ResourceClaim object to create for ``want``."""
    labels = merge_labels(default_labels(pcs.metadata.name or ""), {c.LABEL_COMPONENT: c.COMPONENT_RESOURCE_CLAIM},
                          level.labels)
    if want.index is not None:
        labels[level.index_label] = str(want.index)
    return {
        "apiVersion": API_VERSION,
        "kind": KIND_CLAIM,
        "metadata": {"name": want.name, "namespace": pcs.metadata.namespace or "default", "labels": labels,
                     "ownerReferences": [dict(level.owner_ref)]},
        "spec": template_spec(pcs, want.entry, lookup),
    }


@dataclass(frozen=True)
class ClaimPlan:
    create: list[DesiredClaim]
    delete: list[Obj]


def plan_claims(level: ClaimLevel, sharing: Sequence[ResourceSharingSpec], existing: Sequence[Obj]) -> ClaimPlan:
    """Missing claims to create and out-of-range PerReplica claims to delete.

    ``existing`` are the claims controlled by the owner (terminating ones included: never re-created
    while they go, never deleted twice). Claims are never updated."""
    have = {str((o.get("metadata") or {}).get("name")) for o in existing}
    create = [d for d in desired_claims(level, sharing) if d.name not in have]
    delete: list[Obj] = []
    for o in existing:
        md = o.get("metadata") or {}
        raw = (md.get("labels") or {}).get(level.index_label)
        if md.get("deletionTimestamp") or raw is None or not str(raw).isdigit():
            continue
        if (md.get("labels") or {}).get(c.LABEL_COMPONENT) == c.COMPONENT_RESOURCE_CLAIM and int(raw) >= level.count:
            delete.append(o)
    return ClaimPlan(create, delete)


def external_refs(pcs: PodCliqueSet, entries: Sequence[ResourceSharingSpec]) -> set[tuple[str, str]]:
    """The external templates ``entries`` need (the applier fetches these before building claims)."""
    return {ref for e in entries if (ref := template_ref(pcs, e)) is not None}


# --- levels ------------------------------------------------------------------------------------------


def pcs_level(pcs: PodCliqueSet, owner_ref: Mapping[str, Any]) -> ClaimLevel:
    return ClaimLevel(pcs.metadata.name or "", owner_ref, pcs.spec.replicas or 0, c.LABEL_PCS_REPLICA_INDEX)


def pcsg_level(pcsg_fqn: str, replicas: int, owner_ref: Mapping[str, Any]) -> ClaimLevel:
    return ClaimLevel(pcsg_fqn, owner_ref, replicas, c.LABEL_PCSG_REPLICA_INDEX, {c.LABEL_PCSG: pcsg_fqn})


def pclq_level(pclq_fqn: str, replicas: int, owner_ref: Mapping[str, Any]) -> ClaimLevel:
    return ClaimLevel(pclq_fqn, owner_ref, replicas, c.LABEL_POD_INDEX, {c.LABEL_PODCLIQUE: pclq_fqn})


def pcsg_sharing(pcs: PodCliqueSet, pcsg_fqn: str, pcs_replica: int) -> list[PCSGResourceSharingSpec]:
    pcs_name = pcs.metadata.name or ""
    for cfg in pcs.spec.template.pod_clique_scaling_groups or ():
        if names.pcsg_name(pcs_name, pcs_replica, cfg.name) == pcsg_fqn:
            return list(cfg.resource_sharing or ())
    return []


def clique_sharing(pcs: PodCliqueSet, clique: str) -> list[ResourceSharingSpec]:
    for cl in pcs.spec.template.cliques:
        if cl.name == clique:
            return list(cl.resource_sharing or ())
    return []


# --- pods --------------------------------------------------------------------------------------------


def _pcs_entry_matches(entry: PCSResourceSharingSpec, clique: str, group: str | None) -> bool:
    f = entry.filter
    if f is None or not (f.child_clique_names or f.child_scaling_group_names):
        return True
    return clique in (f.child_clique_names or ()) or (group is not None and group in (f.child_scaling_group_names or ()))


def _pcsg_entry_matches(entry: PCSGResourceSharingSpec, clique: str) -> bool:
    f = entry.filter
    if f is None or not f.child_clique_names:
        return True
    return clique in f.child_clique_names


@dataclass(frozen=True)
class PodPlace:
    """Where a pod sits: PCS replica i, clique template name, optional PCSG (config name, FQN, j), PCLQ
    FQN and pod index k."""

    pcs_replica: int
    clique: str
    pclq_fqn: str
    pod_index: int
    group: str | None = None
    pcsg_fqn: str | None = None
    pcsg_replica: int | None = None


def pod_claim_names(pcs: PodCliqueSet, place: PodPlace) -> list[str]:
    """The claims a pod references, in injection order PCS (all, i), PCSG (all, j), PCLQ (all, k)."""
    tmpl = pcs.spec.template
    pcs_entries = [e for e in tmpl.resource_sharing or () if _pcs_entry_matches(e, place.clique, place.group)]
    out = _scope_names(pcs.metadata.name or "", pcs_entries, place.pcs_replica)
    if place.pcsg_fqn is not None and place.group is not None and place.pcsg_replica is not None:
        cfg = next((g for g in tmpl.pod_clique_scaling_groups or () if g.name == place.group), None)
        entries = [e for e in (cfg.resource_sharing if cfg else None) or () if _pcsg_entry_matches(e, place.clique)]
        out += _scope_names(place.pcsg_fqn, entries, place.pcsg_replica)
    out += _scope_names(place.pclq_fqn, clique_sharing(pcs, place.clique), place.pod_index)
    return out


def inject_claims(pod_spec: Obj, claim_names: Sequence[str]) -> None:
    """Add ``resourceClaims {name, resourceClaimName}`` and ``resources.claims {name}`` on every (init)
    container for each claim, skipping references already present."""
    if not claim_names:
        return
    refs = pod_spec.setdefault("resourceClaims", [])
    have = {r.get("name") for r in refs}
    refs.extend({"name": n, "resourceClaimName": n} for n in claim_names if n not in have)
    for key in ("initContainers", "containers"):
        for container in pod_spec.get(key) or []:
            claims = container.setdefault("resources", {}).setdefault("claims", [])
            mine = {cl.get("name") for cl in claims}
            claims.extend({"name": n} for n in claim_names if n not in mine)
