"""Auto-MNNVL (spec §11.3): which cliques join which ComputeDomain, and what that adds to their specs.

Pure planning over a defaulted PodCliqueSet; the PCS component ``computedomains`` applies it and the two
PodClique planners call :func:`inject_mnnvl` (only when ``network.autoMNNVLEnabled``).

Resolution per clique: the clique's annotation ``grove.io/mnnvl-group``, else its PCSG config's, else the
PCS's; the first level that *has* the key decides and ``none`` opts out. Only cliques whose pod spec asks
for a non-zero ``nvidia.com/gpu`` (request or limit, any container or init container) are enrolled. Per PCS
replica i and distinct group g there is one ComputeDomain ``<pcs>-<i>-<g>`` whose resource-claim template
(created by the NVIDIA DRA driver) has the same name; enrolled PodClique pod specs get the pod-level claim
``mnnvl-claim`` from that template and every GPU container references it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from grove.api import constants as c
from grove.api import names
from grove.api.models.core import PodCliqueScalingGroupConfig, PodCliqueSet, PodCliqueTemplateSpec
from grove.controllers.common.ownership import component_labels, object_meta
from grove.controllers.common.startup import group_of

Obj = dict[str, Any]

API_VERSION = "resource.nvidia.com/v1beta1"
KIND = "ComputeDomain"
CLAIM_NAME = "mnnvl-claim"
GPU_RESOURCE = "nvidia.com/gpu"

_NUMBER = re.compile(r"^\s*[+-]?(\d+\.?\d*|\.\d+)")


def _nonzero(quantity: object) -> bool:
    """Whether a Kubernetes quantity is non-zero (the suffix cannot turn a zero into a non-zero)."""
    m = _NUMBER.match(str(quantity))
    return m is not None and float(m.group(1)) != 0.0


def container_wants_gpu(container: Mapping[str, Any]) -> bool:
    resources = container.get("resources") or {}
    return any(_nonzero((resources.get(kind) or {}).get(GPU_RESOURCE, 0)) for kind in ("requests", "limits"))


def _containers(pod_spec: Mapping[str, Any]) -> Iterable[Mapping[str, Any]]:
    for key in ("initContainers", "containers"):
        yield from pod_spec.get(key) or []


def pod_spec_wants_gpu(pod_spec: Mapping[str, Any]) -> bool:
    return any(container_wants_gpu(ct) for ct in _containers(pod_spec))


def resolve_group(clique: PodCliqueTemplateSpec, group: PodCliqueScalingGroupConfig | None,
                  pcs: PodCliqueSet) -> str | None:
    """The clique's MNNVL group (clique → PCSG config → PCS); None when unset or ``none``."""
    for level in (clique.annotations, group.annotations if group else None, pcs.metadata.annotations):
        if level and c.ANNOTATION_MNNVL_GROUP in level:
            value = level[c.ANNOTATION_MNNVL_GROUP]
            return None if value == c.MNNVL_GROUP_NONE else value
    return None


def enrolled_group(pcs: PodCliqueSet, clique: PodCliqueTemplateSpec) -> str | None:
    """The group a clique is enrolled in: a resolved group and a GPU request, else None."""
    group = resolve_group(clique, group_of(pcs, clique.name), pcs)
    if group is None or not pod_spec_wants_gpu(clique.spec.pod_spec):
        return None
    return group


def enrolled_groups(pcs: PodCliqueSet) -> list[str]:
    """Distinct groups of the enrolled cliques, in first-seen template order."""
    out: list[str] = []
    for clique in pcs.spec.template.cliques:
        g = enrolled_group(pcs, clique)
        if g is not None and g not in out:
            out.append(g)
    return out


def plan_compute_domain(pcs: PodCliqueSet, replica: int, group: str, owner: Mapping[str, Any]) -> Obj:
    pcs_name = pcs.metadata.name or ""
    name = names.compute_domain_name(pcs_name, replica, group)
    labels = component_labels(pcs_name, c.COMPONENT_COMPUTEDOMAIN, name)
    labels[c.LABEL_PCS_REPLICA_INDEX] = str(replica)
    labels[c.LABEL_MNNVL_GROUP] = group
    return {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "metadata": object_meta(name, pcs.metadata.namespace or "default", labels, owner,
                                finalizers=[c.FINALIZER_COMPUTEDOMAIN]),
        "spec": {"numNodes": 0, "channel": {"resourceClaimTemplate": {"name": name}}},
    }


def plan_compute_domains(pcs: PodCliqueSet, owner: Mapping[str, Any]) -> list[Obj]:
    """Every ComputeDomain the PCS needs: replica-major, groups in first-seen order."""
    groups = enrolled_groups(pcs)
    return [plan_compute_domain(pcs, i, g, owner) for i in range(pcs.spec.replicas or 0) for g in groups]


@dataclass(frozen=True)
class ComputeDomainPlan:
    create: list[Obj] = field(default_factory=list)
    delete: list[Obj] = field(default_factory=list)
    """Obsolete live ComputeDomains: strip ``grove.io/computedomain-finalizer``, then delete."""


def plan_compute_domain_changes(desired: list[Obj], existing: Iterable[Mapping[str, Any]]) -> ComputeDomainPlan:
    """Missing ones to create; obsolete non-terminating ones to delete — but, as observed upstream, only
    while at least one ComputeDomain is still required (scaling the PCS to 0 or opting every clique out
    leaves the old ones until the PCS itself is deleted)."""
    live = {str(o["metadata"]["name"]): o for o in existing}
    wanted = {d["metadata"]["name"] for d in desired}
    create = [d for d in desired if d["metadata"]["name"] not in live]
    delete: list[Obj] = []
    if desired:
        delete = [dict(o) for n, o in sorted(live.items())
                  if n not in wanted and not o["metadata"].get("deletionTimestamp")]
    return ComputeDomainPlan(create, delete)


def inject_claim(pod_spec: dict[str, Any], template_name: str) -> None:
    """Add the pod claim ``mnnvl-claim`` and reference it from each GPU container (idempotent, in place)."""
    claims = pod_spec.setdefault("resourceClaims", [])
    if not any(rc.get("name") == CLAIM_NAME for rc in claims):
        claims.append({"name": CLAIM_NAME, "resourceClaimTemplateName": template_name})
    for key in ("initContainers", "containers"):
        for container in pod_spec.get(key) or []:
            if not container_wants_gpu(container):
                continue
            refs = container.setdefault("resources", {}).setdefault("claims", [])
            if not any(r.get("name") == CLAIM_NAME for r in refs):
                refs.append({"name": CLAIM_NAME})


def inject_mnnvl(spec: dict[str, Any], pcs: PodCliqueSet, replica: int, clique: PodCliqueTemplateSpec) -> None:
    """Inject the MNNVL claim into a PodClique ``spec`` (fresh wire dict) if the clique is enrolled."""
    group = enrolled_group(pcs, clique)
    if group is not None:
        inject_claim(spec["podSpec"], names.compute_domain_name(pcs.metadata.name or "", replica, group))
