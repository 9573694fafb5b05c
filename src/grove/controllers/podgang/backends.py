"""SyncPodGang of the scheduler backends, as pure planners (spec §10.1-10.2).

A PodGang (wire dict) becomes the PodGroup the backend's own scheduler reads:

* ``kai-scheduler``: a ``scheduling.run.ai/v2alpha2`` PodGroup named like the gang, labels and annotations
  copied, controlled by the gang; ``minMember`` = Σ ``minReplicas``; ``queue`` re-read from the owning
  PodCliqueSet (``kai.scheduler/queue`` label, else annotation, else the one queue its clique templates
  agree on); ``subGroups`` = one per topology group config that names PodGroups (``minSubGroup`` = how
  many), then one per PodGroup (``minMember``, ``parent`` = its group config); topology constraints at
  the top and per subgroup, named by the gang's ``grove.io/topology-name`` (fallback
  ``kai.scheduler/topology``). The gang itself gets ``kai.scheduler/skip-podgrouper: "true"``. On update,
  what KAI's own components own survives: ``markUnschedulable``, ``schedulingBackoff``, ``queue`` and the
  labels ``kai.scheduler/node-pool`` / ``kai.scheduler/queue``.
* ``volcano``: a ``scheduling.volcano.sh/v1beta1`` PodGroup: ``minMember`` = Σ ``minReplicas`` (0 ⇒ 1),
  one ``subGroupPolicy`` entry per PodGroup, ``queue`` from the gang's
  ``scheduling.grove.io/volcano-queue`` annotation (else ``default``), labels merged.
* ``default-scheduler``, ``grove-scheduler``, ``lpx-scheduler``: no backend object.

Invariant: :func:`podgroup_patch` of an existing PodGroup against the plan made *from that PodGroup* is
empty when nothing Grove owns differs, so a repeated sync writes nothing. Nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from grove.api import constants as c
from grove.controllers.common.podutil import json_copy

Obj = dict[str, Any]

KAI_API_VERSION = "scheduling.run.ai/v2alpha2"
VOLCANO_API_VERSION = "scheduling.volcano.sh/v1beta1"
PODGROUP_KIND = "PodGroup"
KAI_NODE_POOL_LABEL = "kai.scheduler/node-pool"
VOLCANO_DEFAULT_QUEUE = "default"

REASON_KAI_MAPPING_FAILED = "KAIBackendMappingFailed"
REASON_SPREAD_NOT_SUPPORTED = "SpreadNotSupportedByBackend"
REASON_VOLCANO_MAPPING_FAILED = "VolcanoBackendMappingFailed"

NO_SYNC_BACKENDS = frozenset({c.SCHEDULER_DEFAULT, c.SCHEDULER_GROVE, c.SCHEDULER_LPX})

_KAI_RUNTIME_SPEC = ("markUnschedulable", "schedulingBackoff")
_KAI_RUNTIME_LABELS = (KAI_NODE_POOL_LABEL, c.KAI_QUEUE_KEY)
_KAI_OWNED_SPEC = ("minMember", "queue", "priorityClassName", "subGroups", "topologyConstraint")
_VOLCANO_OWNED_SPEC = ("minMember", "queue", "priorityClassName", "subGroupPolicy")


class BackendMappingError(ValueError):
    """The gang cannot be expressed for the backend; ``reason`` is the Warning event's reason."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class BackendTarget:
    """Which backend object a scheduler's SyncPodGang maintains."""

    backend: str
    api_version: str
    kind: str = PODGROUP_KIND
    owned_spec: tuple[str, ...] = ()
    podgang_annotations: Mapping[str, str] = field(default_factory=dict)


TARGETS: dict[str, BackendTarget] = {
    c.SCHEDULER_KAI: BackendTarget(c.SCHEDULER_KAI, KAI_API_VERSION, owned_spec=_KAI_OWNED_SPEC,
                                   podgang_annotations={c.KAI_SKIP_PODGROUPER: "true"}),
    c.SCHEDULER_VOLCANO: BackendTarget(c.SCHEDULER_VOLCANO, VOLCANO_API_VERSION, owned_spec=_VOLCANO_OWNED_SPEC),
}


def unexpressed_spread(backend: str, podgang: Mapping[str, Any]) -> str | None:
    """Why ``backend``'s PodGroup cannot carry the PodGang's spreadConstraints (docs/spread.md), or None.

    KAI's PodGroup topology constraint has required/preferred levels only, so spread is not enforced
    there; Volcano never gets here (admission rejects any topology constraint for it)."""
    spec = podgang.get("spec") or {}
    sites = [spec.get("topologyConstraint")]
    sites += [g.get("topologyConstraint") for g in spec.get("podgroups") or []]
    sites += [g.get("topologyConstraint") for g in spec.get("topologyConstraintGroupConfigs") or []]
    rules = [sc for tc in sites if tc for sc in tc.get("spreadConstraints") or []]
    if not rules or backend != c.SCHEDULER_KAI:
        return None
    keys = ", ".join(sorted({f"{sc.get('topologyKey')} maxSkew {sc.get('maxSkew', 1)}" for sc in rules}))
    return (f"{backend} PodGroups cannot express topology spread ({keys}): PodGang "
            f"{_meta(podgang).get('name')} is placed by {backend} without it; use grove-scheduler to enforce spread")


def target_for(backend: str) -> BackendTarget | None:
    """The backend object of ``backend``; None for backends with no PodGang sync (and unknown names)."""
    return TARGETS.get(backend)


def backend_of(podgang: Mapping[str, Any], default_profile: str) -> str:
    """The scheduler backend named by the gang's ``grove.io/scheduler-name`` label, else the default."""
    return str(_meta(podgang).get("labels", {}).get(c.LABEL_SCHEDULER_NAME) or default_profile)


def podgang_annotation_patch(target: BackendTarget, podgang: Mapping[str, Any]) -> dict[str, Any] | None:
    """The merge patch adding the backend's marks to the PodGang, or None if they are already there."""
    have = _meta(podgang).get("annotations") or {}
    missing = {k: v for k, v in target.podgang_annotations.items() if have.get(k) != v}
    return {"metadata": {"annotations": missing}} if missing else None


def plan_podgroup(backend: str, podgang: Mapping[str, Any], pcs: Mapping[str, Any] | None,
                  existing: Mapping[str, Any] | None) -> Obj | None:
    """The desired backend PodGroup for ``podgang`` (None: this backend keeps none).

    ``pcs`` is the owning PodCliqueSet (KAI reads its queue); ``existing`` the live PodGroup, whose
    backend-owned fields the plan inherits. Raises :class:`BackendMappingError`."""
    if backend == c.SCHEDULER_KAI:
        return kai_podgroup(podgang, pcs, existing)
    if backend == c.SCHEDULER_VOLCANO:
        return volcano_podgroup(podgang, existing)
    return None


# --- kai-scheduler ------------------------------------------------------------------------------------


def kai_queue(pcs: Mapping[str, Any] | None) -> str:
    """The KAI queue of a PodCliqueSet: its own (label, else annotation), which clique templates may only
    repeat; otherwise the one queue its clique templates agree on."""
    if pcs is None:
        raise BackendMappingError(REASON_KAI_MAPPING_FAILED, "the PodGang has no controlling PodCliqueSet")
    meta = _meta(pcs)
    where = f"PodCliqueSet {meta.get('namespace')}/{meta.get('name')}"
    cliques = [cl for cl in ((pcs.get("spec") or {}).get("template") or {}).get("cliques") or [] if cl]
    own = _queue_of(meta.get("labels"), meta.get("annotations"))
    if own:
        for clique in cliques:
            theirs = _queue_of(clique.get("labels"), clique.get("annotations"))
            if theirs and theirs != own:
                raise BackendMappingError(REASON_KAI_MAPPING_FAILED,
                                          f"KAI queue on {where} is {own!r} but PodClique template "
                                          f"{clique.get('name')!r} resolves to {theirs!r}")
        return own
    found = sorted({q for cl in cliques if (q := _queue_of(cl.get("labels"), cl.get("annotations")))})
    if len(found) == 1:
        return found[0]
    if not found:
        raise BackendMappingError(REASON_KAI_MAPPING_FAILED,
                                  f"no KAI queue ({c.KAI_QUEUE_KEY}) is configured on {where} or its "
                                  "PodClique templates")
    raise BackendMappingError(REASON_KAI_MAPPING_FAILED,
                              f"conflicting KAI queues on {where} PodClique templates: {found}")


def _queue_of(labels: Mapping[str, str] | None, annotations: Mapping[str, str] | None) -> str:
    return str((labels or {}).get(c.KAI_QUEUE_KEY) or (annotations or {}).get(c.KAI_QUEUE_KEY) or "")


def kai_topology_name(podgang: Mapping[str, Any]) -> str:
    annotations = _meta(podgang).get("annotations") or {}
    return str(annotations.get(c.ANNOTATION_TOPOLOGY_NAME) or annotations.get(c.KAI_TOPOLOGY_ANNOTATION) or "")


def kai_topology_constraint(constraint: Mapping[str, Any] | None, topology: str) -> Obj | None:
    """Grove's ``{packConstraint {required, preferred}}`` (node label keys) as KAI's
    ``{topology, requiredTopologyLevel, preferredTopologyLevel}``; None when there is no pack constraint."""
    pack = (constraint or {}).get("packConstraint")
    if pack is None:
        return None
    if not topology:
        raise BackendMappingError(REASON_KAI_MAPPING_FAILED,
                                  "topology name cannot be empty when topology constraints are defined "
                                  f"(annotate the PodGang with {c.ANNOTATION_TOPOLOGY_NAME})")
    out: Obj = {"topology": topology}
    if pack.get("required"):
        out["requiredTopologyLevel"] = pack["required"]
    if pack.get("preferred"):
        out["preferredTopologyLevel"] = pack["preferred"]
    return out


def kai_subgroups(spec: Mapping[str, Any], topology: str) -> tuple[list[Obj], int]:
    """(``subGroups``, Σ minReplicas): group configs naming PodGroups first, then every PodGroup."""
    subgroups: list[Obj] = []
    parent: dict[str, str] = {}
    for cfg in spec.get("topologyConstraintGroupConfigs") or []:
        names = list(cfg.get("podGroupNames") or [])
        if not names:
            continue
        sub: Obj = {"name": cfg["name"], "minSubGroup": len(names)}
        tc = kai_topology_constraint(cfg.get("topologyConstraint"), topology)
        if tc is not None:
            sub["topologyConstraint"] = tc
        subgroups.append(sub)
        for name in names:
            parent[name] = cfg["name"]
    total = 0
    for group in spec.get("podgroups") or []:
        min_replicas = int(group.get("minReplicas") or 0)
        sub = {"name": group["name"], "minMember": min_replicas}
        if group["name"] in parent:
            sub["parent"] = parent[group["name"]]
        tc = kai_topology_constraint(group.get("topologyConstraint"), topology)
        if tc is not None:
            sub["topologyConstraint"] = tc
        subgroups.append(sub)
        total += min_replicas
    return subgroups, total


def kai_podgroup(podgang: Mapping[str, Any], pcs: Mapping[str, Any] | None,
                 existing: Mapping[str, Any] | None) -> Obj:
    spec = podgang.get("spec") or {}
    topology = kai_topology_name(podgang)
    top = kai_topology_constraint(spec.get("topologyConstraint"), topology)
    subgroups, min_member = kai_subgroups(spec, topology)
    old_spec: Mapping[str, Any] = (existing or {}).get("spec") or {}
    queue = kai_queue(pcs)  # always resolved (an unresolvable queue is a mapping error) ...
    queue = str(old_spec.get("queue") or "") or queue  # ... but once created, KAI owns it
    pg_spec: Obj = {"minMember": min_member, "queue": queue}
    if spec.get("priorityClassName"):
        pg_spec["priorityClassName"] = spec["priorityClassName"]
    pg_spec["subGroups"] = subgroups
    if top is not None:
        pg_spec["topologyConstraint"] = top
    for key in _KAI_RUNTIME_SPEC:  # written by KAI after creation
        if old_spec.get(key) is not None:
            pg_spec[key] = json_copy(old_spec[key])
    out = _skeleton(KAI_API_VERSION, podgang, pg_spec, copy_annotations=True)
    old_labels = _meta(existing or {}).get("labels") or {}
    for key in _KAI_RUNTIME_LABELS:
        if old_labels.get(key):
            out["metadata"].setdefault("labels", {})[key] = old_labels[key]
    return out


# --- volcano ------------------------------------------------------------------------------------------


def volcano_queue(podgang: Mapping[str, Any]) -> str:
    raw = (_meta(podgang).get("annotations") or {}).get(c.VOLCANO_QUEUE_ANNOTATION) or ""
    return str(raw).strip() or VOLCANO_DEFAULT_QUEUE


def volcano_subgroup_policy(podgroups: list[Mapping[str, Any]]) -> list[Obj]:
    return [{"name": g["name"],
             "labelSelector": {"matchLabels": {c.LABEL_PODCLIQUE: g["name"]}},
             "matchLabelKeys": [c.LABEL_PODCLIQUE],
             "subGroupSize": int(g.get("minReplicas") or 0) or 1,
             "minSubGroups": 1}
            for g in podgroups]


def volcano_podgroup(podgang: Mapping[str, Any], existing: Mapping[str, Any] | None) -> Obj:
    spec = podgang.get("spec") or {}
    groups = list(spec.get("podgroups") or [])
    total = sum(int(g.get("minReplicas") or 0) for g in groups)
    pg_spec: Obj = {"minMember": total or 1, "queue": volcano_queue(podgang)}
    if spec.get("priorityClassName"):
        pg_spec["priorityClassName"] = spec["priorityClassName"]
    old_policy = ((existing or {}).get("spec") or {}).get("subGroupPolicy")
    if total == 0 and old_policy:
        pg_spec["subGroupPolicy"] = json_copy(old_policy)  # all minReplicas 0: leave it as it is
    elif groups:
        pg_spec["subGroupPolicy"] = volcano_subgroup_policy(groups)
    out = _skeleton(VOLCANO_API_VERSION, podgang, pg_spec, copy_annotations=False)
    old_labels = _meta(existing or {}).get("labels") or {}
    if old_labels:
        out["metadata"]["labels"] = {**old_labels, **(out["metadata"].get("labels") or {})}
    return out


# --- shared -------------------------------------------------------------------------------------------


def _meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    return obj.get("metadata") or {}


def podgang_owner_reference(podgang: Mapping[str, Any]) -> Obj:
    meta = _meta(podgang)
    return {"apiVersion": c.SCHEDULER_API_VERSION, "kind": c.KIND_PODGANG, "name": meta.get("name"),
            "uid": meta.get("uid"), "controller": True, "blockOwnerDeletion": True}


def _skeleton(api_version: str, podgang: Mapping[str, Any], spec: Obj, *, copy_annotations: bool) -> Obj:
    meta = _meta(podgang)
    md: Obj = {"name": meta.get("name"), "namespace": meta.get("namespace")}
    if meta.get("labels"):
        md["labels"] = dict(meta["labels"])
    if copy_annotations and meta.get("annotations"):
        md["annotations"] = dict(meta["annotations"])
    md["ownerReferences"] = [podgang_owner_reference(podgang)]
    return {"apiVersion": api_version, "kind": PODGROUP_KIND, "metadata": md, "spec": spec}


def controlled_by(obj: Mapping[str, Any], podgang: Mapping[str, Any]) -> bool:
    uid = _meta(podgang).get("uid")
    return any(ref.get("controller") and ref.get("uid") == uid for ref in _meta(obj).get("ownerReferences") or [])


def _empty(value: Any) -> bool:
    return value is None or value == {} or value == []


def podgroup_patch(target: BackendTarget, existing: Mapping[str, Any], desired: Mapping[str, Any]) -> Obj:
    """The merge patch taking ``existing`` to ``desired``: every spec field Grove owns compared exactly
    (absent, null and empty alike; removed when no longer wanted), labels and annotations added or
    changed but never removed, the owner references replaced if they differ. Fields Grove does not own
    (server defaults, other writers) are left alone. Empty when nothing differs."""
    patch: Obj = {}
    have_spec: Mapping[str, Any] = existing.get("spec") or {}
    want_spec: Mapping[str, Any] = desired.get("spec") or {}
    spec_patch: Obj = {}
    for key in (*target.owned_spec, *(k for k in want_spec if k not in target.owned_spec)):
        have, want = have_spec.get(key), want_spec.get(key)
        if _empty(have) and _empty(want):
            continue
        if have != want:
            spec_patch[key] = json_copy(want) if want is not None else None
    if spec_patch:
        patch["spec"] = spec_patch
    meta_patch: Obj = {}
    for part in ("labels", "annotations"):
        have_map = _meta(existing).get(part) or {}
        changed = {k: v for k, v in (_meta(desired).get(part) or {}).items() if have_map.get(k) != v}
        if changed:
            meta_patch[part] = changed
    refs = _meta(desired).get("ownerReferences")
    if refs is not None and _meta(existing).get("ownerReferences") != refs:
        meta_patch["ownerReferences"] = json_copy(refs)
    if meta_patch:
        patch["metadata"] = meta_patch
    return patch
