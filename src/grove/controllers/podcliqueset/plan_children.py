"""Desired children of a PodCliqueSet: access objects, Services, HPAs, standalone PodCliques and
PodCliqueScalingGroups (spec §3.2, §5.1).

Input is a *defaulted* PodCliqueSet read from the API (so it has a uid) plus the live ``spec.replicas`` of
existing PodCliques and PCSGs: template replicas only seed creation, so an HPA or ``kubectl scale`` value
survives every later reconcile (spec §7.5). Output objects are complete and ready to create or merge-patch.
Standalone PodClique labels: template labels < default labels < component labels (name, component,
replica index, podgang ``<pcs>-<i>``, pod-template hash); annotations: template annotations minus
``grove.io/topology-name``; finalizer; owner PCS; ``startsAfter`` rewritten per spec §6.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from grove.api import constants as c
from grove.api import names
from grove.api.models.core import PodCliqueScalingGroupConfig, PodCliqueSet, PodCliqueTemplateSpec
from grove.controllers.common.hashing import pod_template_hash
from grove.controllers.common.mnnvl import inject_mnnvl
from grove.controllers.common.ownership import component_labels, merge_labels, object_meta
from grove.controllers.common.startup import group_min_available, group_of, starts_after_fqns
from grove.controllers.podcliqueset.plan_access import (
    pcs_namespace,
    pcs_owner_reference,
    plan_role,
    plan_role_binding,
    plan_service_account,
    plan_token_secret,
)
from grove.controllers.podcliqueset.plan_services import plan_headless_services, plan_hpas


def pclq_annotations(clique: PodCliqueTemplateSpec) -> dict[str, str] | None:
    """Template annotations minus ``grove.io/topology-name``; None when nothing is left."""
    out = {k: v for k, v in (clique.annotations or {}).items() if k != c.ANNOTATION_TOPOLOGY_NAME}
    return out or None


def pclq_spec(clique: PodCliqueTemplateSpec, replicas: int, starts_after: list[str]) -> dict[str, Any]:
    """The PodClique spec: the template's spec with live replicas and rewritten ``startsAfter``."""
    spec = clique.spec.to_wire()  # a fresh JSON-mode dump: nothing is shared with the template
    spec["replicas"] = replicas
    if starts_after:
        spec["startsAfter"] = starts_after
    else:
        spec.pop("startsAfter", None)
    return spec


def plan_standalone_podclique(
    pcs: PodCliqueSet, replica: int, clique: PodCliqueTemplateSpec, existing_replicas: int | None = None,
    template_hash: str | None = None, *, mnnvl: bool = False,
) -> dict[str, Any]:
    """``template_hash`` lets callers planning many replicas hash each clique template once; ``mnnvl``
    (``network.autoMNNVLEnabled``) injects the ComputeDomain claim into enrolled cliques (§11.3)."""
    pcs_name = pcs.metadata.name or ""
    fqn = names.pclq_name(pcs_name, replica, clique.name)
    component = component_labels(pcs_name, c.COMPONENT_PCS_PODCLIQUE, fqn)
    component[c.LABEL_PCS_REPLICA_INDEX] = str(replica)
    component[c.LABEL_PODGANG] = names.base_podgang_name(pcs_name, replica)
    component[c.LABEL_POD_TEMPLATE_HASH] = template_hash or pod_template_hash(
        clique, pcs.spec.template.priority_class_name)
    labels = merge_labels(clique.labels, component)
    replicas = clique.spec.replicas if existing_replicas is None else existing_replicas
    spec = pclq_spec(clique, replicas, starts_after_fqns(pcs, replica, clique.name))
    if mnnvl:
        inject_mnnvl(spec, pcs, replica, clique)
    return {
        "apiVersion": c.API_VERSION,
        "kind": c.KIND_PCLQ,
        "metadata": object_meta(
            fqn,
            pcs_namespace(pcs),
            labels,
            pcs_owner_reference(pcs),
            annotations=pclq_annotations(clique),
            finalizers=[c.FINALIZER_PCLQ],
        ),
        "spec": spec,
    }


def plan_standalone_podcliques(
    pcs: PodCliqueSet, existing_replicas: Mapping[str, int] | None = None, *, mnnvl: bool = False
) -> list[dict[str, Any]]:
    """Every replica i, every clique not in a scaling group, in template order."""
    existing = existing_replicas or {}
    pcs_name = pcs.metadata.name or ""
    out: list[dict[str, Any]] = []
    standalone = [cl for cl in pcs.spec.template.cliques if group_of(pcs, cl.name) is None]
    hashes = {cl.name: pod_template_hash(cl, pcs.spec.template.priority_class_name) for cl in standalone}
    for i in range(pcs.spec.replicas or 0):
        for clique in standalone:
            fqn = names.pclq_name(pcs_name, i, clique.name)
            out.append(plan_standalone_podclique(pcs, i, clique, existing.get(fqn), hashes[clique.name],
                                                 mnnvl=mnnvl))
    return out


def pcsg_annotations(pcs: PodCliqueSet, group: PodCliqueScalingGroupConfig) -> dict[str, str] | None:
    out = dict(group.annotations or {})
    pcs_group = (pcs.metadata.annotations or {}).get(c.ANNOTATION_MNNVL_GROUP)
    if pcs_group is not None and c.ANNOTATION_MNNVL_GROUP not in out:
        out[c.ANNOTATION_MNNVL_GROUP] = pcs_group
    return out or None


def plan_scaling_group(
    pcs: PodCliqueSet, replica: int, group: PodCliqueScalingGroupConfig, existing_replicas: int | None = None
) -> dict[str, Any]:
    pcs_name = pcs.metadata.name or ""
    fqn = names.pcsg_name(pcs_name, replica, group.name)
    labels = component_labels(pcs_name, c.COMPONENT_PCSG, fqn)
    labels[c.LABEL_PCS_REPLICA_INDEX] = str(replica)
    replicas = (
        (group.replicas if group.replicas is not None else 1)
        if existing_replicas is None
        else existing_replicas
    )
    return {
        "apiVersion": c.API_VERSION,
        "kind": c.KIND_PCSG,
        "metadata": object_meta(
            fqn,
            pcs_namespace(pcs),
            labels,
            pcs_owner_reference(pcs),
            annotations=pcsg_annotations(pcs, group),
            finalizers=[c.FINALIZER_PCSG],
        ),
        "spec": {
            "replicas": replicas,
            "minAvailable": group_min_available(group),
            "cliqueNames": list(group.clique_names),
        },
    }


def plan_scaling_groups(
    pcs: PodCliqueSet, existing_replicas: Mapping[str, int] | None = None
) -> list[dict[str, Any]]:
    existing = existing_replicas or {}
    pcs_name = pcs.metadata.name or ""
    return [
        plan_scaling_group(pcs, i, g, existing.get(names.pcsg_name(pcs_name, i, g.name)))
        for i in range(pcs.spec.replicas or 0)
        for g in pcs.spec.template.pod_clique_scaling_groups or []
    ]


@dataclass(frozen=True)
class ChildrenPlan:
    """Everything the PodCliqueSet controller keeps in existence (except PodGangs and pods)."""

    service_account: dict[str, Any]
    role: dict[str, Any]
    role_binding: dict[str, Any]
    token_secret: dict[str, Any]
    services: list[dict[str, Any]] = field(default_factory=list)
    hpas: list[dict[str, Any]] = field(default_factory=list)
    podcliques: list[dict[str, Any]] = field(default_factory=list)
    scaling_groups: list[dict[str, Any]] = field(default_factory=list)


def plan_children(
    pcs: PodCliqueSet,
    existing_pclq_replicas: Mapping[str, int] | None = None,
    existing_pcsg_replicas: Mapping[str, int] | None = None,
) -> ChildrenPlan:
    return ChildrenPlan(
        service_account=plan_service_account(pcs),
        role=plan_role(pcs),
        role_binding=plan_role_binding(pcs),
        token_secret=plan_token_secret(pcs),
        services=plan_headless_services(pcs),
        hpas=plan_hpas(pcs),
        podcliques=plan_standalone_podcliques(pcs, existing_pclq_replicas),
        scaling_groups=plan_scaling_groups(pcs, existing_pcsg_replicas),
    )


def stale_names(existing: Iterable[str], desired: Iterable[dict[str, Any]]) -> list[str]:
    """Names of existing objects that no desired object accounts for (to delete), sorted."""
    want = {d["metadata"]["name"] for d in desired}
    return sorted(n for n in existing if n not in want)
