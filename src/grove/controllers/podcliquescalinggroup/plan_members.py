"""Member PodCliques of a PodCliqueScalingGroup (spec §3.2, §4, §5.2).

Replica j of PCSG ``<pcsgFQN>`` owns one PodClique ``<pcsgFQN>-<j>-<clique>`` per group clique. Replicas
below ``minAvailable`` are folded into the base PodGang ``<pcs>-<i>``; the others each form a scaled PodGang
``<pcsgFQN>-<j-minAvailable>`` and carry ``grove.io/base-podgang`` so their pods wait for the base gang.
Every container and init container gets GROVE_PCSG_NAME / GROVE_PCSG_TEMPLATE_NUM_PODS / GROVE_PCSG_INDEX
appended (after the five pod-level vars the PodClique controller prepends). Scale-in removes whole
replicas, highest index first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from grove.api import constants as c
from grove.api import names
from grove.api.models.core import PodCliqueScalingGroup, PodCliqueScalingGroupConfig, PodCliqueSet
from grove.controllers.common.hashing import pod_template_hash
from grove.controllers.common.mnnvl import inject_mnnvl
from grove.controllers.common.ownership import component_labels, merge_labels, object_meta, owner_reference
from grove.controllers.common.startup import starts_after_fqns
from grove.controllers.podcliqueset.plan_children import pclq_annotations, pclq_spec


def _label_ref(key: str) -> dict[str, Any]:
    return {"fieldRef": {"fieldPath": f"metadata.labels['{key}']"}}


def pcsg_env(pcs: PodCliqueSet, group: PodCliqueScalingGroupConfig) -> list[dict[str, Any]]:
    """The three PCSG env vars, in upstream order."""
    by_name = {cl.name: cl for cl in pcs.spec.template.cliques}
    num_pods = sum(by_name[n].spec.replicas for n in group.clique_names if n in by_name)
    return [
        {"name": c.ENV_PCSG_NAME, "valueFrom": _label_ref(c.LABEL_PCSG)},
        {"name": c.ENV_PCSG_TEMPLATE_NUM_PODS, "value": str(num_pods)},
        {"name": c.ENV_PCSG_INDEX, "valueFrom": _label_ref(c.LABEL_PCSG_REPLICA_INDEX)},
    ]


def pcs_replica_of(pcs: PodCliqueSet, pcsg: PodCliqueScalingGroup) -> int:
    """The PCS replica index of a PCSG: its replica-index label, else parsed from its name."""
    raw = (pcsg.metadata.labels or {}).get(c.LABEL_PCS_REPLICA_INDEX)
    if raw is not None and raw.isdigit():
        return int(raw)
    idx = names.pcs_replica_index_of(pcs.metadata.name or "", pcsg.metadata.name or "")
    if idx is None:
        raise ValueError(f"cannot tell the PodCliqueSet replica of {pcsg.metadata.name}")
    return idx


def group_config_of(pcs: PodCliqueSet, pcsg: PodCliqueScalingGroup) -> PodCliqueScalingGroupConfig:
    """The template config a PCSG was made from (KeyError if the PCS no longer has it)."""
    pcs_name = pcs.metadata.name or ""
    i = pcs_replica_of(pcs, pcsg)
    for group in pcs.spec.template.pod_clique_scaling_groups or []:
        if names.pcsg_name(pcs_name, i, group.name) == pcsg.metadata.name:
            return group
    raise KeyError(pcsg.metadata.name)


def member_podgang(pcs_name: str, pcs_replica: int, pcsg_fqn: str, j: int, min_available: int) -> str:
    if j < min_available:
        return names.base_podgang_name(pcs_name, pcs_replica)
    return names.scaled_podgang_name(pcsg_fqn, j, min_available)


def plan_member_podclique(
    pcs: PodCliqueSet,
    pcsg: PodCliqueScalingGroup,
    j: int,
    clique_name: str,
    existing_replicas: int | None = None,
    template_hash: str | None = None,
    *,
    mnnvl: bool = False,
) -> dict[str, Any]:
    """``mnnvl`` (``network.autoMNNVLEnabled``) injects the ComputeDomain claim if enrolled (§11.3)."""
    pcs_name = pcs.metadata.name or ""
    pcsg_fqn = pcsg.metadata.name or ""
    i = pcs_replica_of(pcs, pcsg)
    group = group_config_of(pcs, pcsg)
    clique = next(cl for cl in pcs.spec.template.cliques if cl.name == clique_name)
    min_available = pcsg.spec.min_available if pcsg.spec.min_available is not None else 1
    fqn = names.pcsg_member_pclq_name(pcsg_fqn, j, clique_name)
    component = component_labels(pcs_name, c.COMPONENT_PCSG_PODCLIQUE, fqn)
    component[c.LABEL_PCS_REPLICA_INDEX] = str(i)
    component[c.LABEL_PCSG] = pcsg_fqn
    component[c.LABEL_PCSG_REPLICA_INDEX] = str(j)
    component[c.LABEL_PODGANG] = member_podgang(pcs_name, i, pcsg_fqn, j, min_available)
    if j >= min_available:
        component[c.LABEL_BASE_PODGANG] = names.base_podgang_name(pcs_name, i)
    component[c.LABEL_POD_TEMPLATE_HASH] = template_hash or pod_template_hash(
        clique, pcs.spec.template.priority_class_name)
    replicas = clique.spec.replicas if existing_replicas is None else existing_replicas
    spec = pclq_spec(clique, replicas, starts_after_fqns(pcs, i, clique_name, j))
    env = pcsg_env(pcs, group)
    pod_spec = spec["podSpec"]
    for key in ("initContainers", "containers"):
        for container in pod_spec.get(key) or []:
            container["env"] = list(container.get("env") or []) + [dict(e) for e in env]
    if mnnvl:
        inject_mnnvl(spec, pcs, i, clique)
    owner = owner_reference(c.API_VERSION, c.KIND_PCSG, pcsg_fqn, pcsg.metadata.uid or "")
    return {
        "apiVersion": c.API_VERSION,
        "kind": c.KIND_PCLQ,
        "metadata": object_meta(
            fqn,
            pcsg.metadata.namespace or pcs.metadata.namespace or "default",
            merge_labels(clique.labels, component),
            owner,
            annotations=pclq_annotations(clique),
            finalizers=[c.FINALIZER_PCLQ],
        ),
        "spec": spec,
    }


def plan_member_podcliques(
    pcs: PodCliqueSet, pcsg: PodCliqueScalingGroup, existing_replicas: Mapping[str, int] | None = None,
    *, mnnvl: bool = False,
) -> list[dict[str, Any]]:
    """Member PodCliques of replicas ``[0, spec.replicas)``, replica-major, cliques in group order."""
    existing = existing_replicas or {}
    pcsg_fqn = pcsg.metadata.name or ""
    prio = pcs.spec.template.priority_class_name
    hashes = {cl.name: pod_template_hash(cl, prio) for cl in pcs.spec.template.cliques
              if cl.name in pcsg.spec.clique_names}
    return [
        plan_member_podclique(pcs, pcsg, j, cl, existing.get(names.pcsg_member_pclq_name(pcsg_fqn, j, cl)),
                              hashes.get(cl), mnnvl=mnnvl)
        for j in range(pcsg.spec.replicas)
        for cl in pcsg.spec.clique_names
    ]


def replicas_to_remove(existing_indices: Iterable[int], replicas: int) -> list[int]:
    """Replica indices ``>= replicas`` among the existing ones, highest first (scale-in order)."""
    return sorted({j for j in existing_indices if j >= replicas}, reverse=True)


def member_replica_indices(members: Iterable[Mapping[str, Any]]) -> set[int]:
    """Distinct PCSG replica indices among non-terminating member PodCliques (wire dicts)."""
    out: set[int] = set()
    for m in members:
        md = m.get("metadata") or {}
        if md.get("deletionTimestamp"):
            continue
        raw = (md.get("labels") or {}).get(c.LABEL_PCSG_REPLICA_INDEX)
        if raw is not None and str(raw).isdigit():
            out.add(int(raw))
    return out
