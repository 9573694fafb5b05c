"""PodGangs of a PodCliqueSet (spec §7.1, §9.2) and their Initialized condition.

Per PCS replica i: the base gang ``<pcs>-<i>`` holds one PodGroup per standalone clique (template order),
then, per scaling-group config, one per member clique of every base replica j < minAvailable; each scaled
replica j in ``[minAvailable, R)`` (R = the live PCSG ``spec.replicas``) gets its own gang
``<pcsgFQN>-<j-minAvailable>``. A PodGroup is named after its PodClique, needs ``minReplicas`` = the clique
template's ``minAvailable`` and references (sorted by name) the non-terminating pods of that PodClique
labelled with this gang. Topology constraints are translated from domains to node label keys only when
TAS is on. Labels: existing ``grove.io/*`` < mirrored PCS non-``grove.io/`` labels < operator labels.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from grove.api import constants as c
from grove.api import names
from grove.api.models.core import PodCliqueScalingGroupConfig, PodCliqueSet
from grove.api.models.topology import ClusterTopologyBinding
from grove.controllers.common import podutil as pu
from grove.controllers.common.ownership import component_labels
from grove.controllers.common.startup import group_min_available, group_of
from grove.controllers.common.topology import topology_name, translate
from grove.controllers.podcliqueset.plan_access import pcs_namespace, pcs_owner_reference


@dataclass(frozen=True)
class TopologyContext:
    """What topology translation needs: the TAS flag and the binding named by the PCS (None if absent)."""

    tas_enabled: bool = False
    binding: ClusterTopologyBinding | None = None


def scheduler_name(pcs: PodCliqueSet, default_profile: str = c.SCHEDULER_DEFAULT) -> str:
    """First non-empty clique ``schedulerName``, else the default profile name."""
    for clique in pcs.spec.template.cliques:
        name = clique.spec.pod_spec.get("schedulerName")
        if name:
            return str(name)
    return default_profile


def pods_by_podclique(pods: Iterable[Mapping[str, Any]]) -> dict[str, list[Mapping[str, Any]]]:
    """Pods grouped by the PodClique that controls them (owner reference, else ``grove.io/podclique``)."""
    out: dict[str, list[Mapping[str, Any]]] = {}
    for pod in pods:
        owner = next(
            (
                r
                for r in (pod.get("metadata") or {}).get("ownerReferences") or []
                if r.get("kind") == c.KIND_PCLQ and r.get("controller")
            ),
            None,
        )
        pclq = owner.get("name") if owner else pu.label(pod, c.LABEL_PODCLIQUE)
        if pclq:
            out.setdefault(str(pclq), []).append(pod)
    return out


def _podgroup(
    namespace: str,
    pclq_fqn: str,
    min_replicas: int,
    gang: str,
    pods: Mapping[str, list[Mapping[str, Any]]],
    constraint: dict[str, Any] | None,
) -> dict[str, Any]:
    refs = sorted(
        pu.name_of(p)
        for p in pods.get(pclq_fqn, [])
        if not pu.is_terminating(p) and pu.label(p, c.LABEL_PODGANG) == gang
    )
    group: dict[str, Any] = {
        "name": pclq_fqn,
        "podReferences": [{"namespace": namespace, "name": n} for n in refs],
        "minReplicas": min_replicas,
    }
    if constraint is not None:
        group["topologyConstraint"] = constraint
    return group


def _metadata(
    pcs: PodCliqueSet, gang: str, sched: str, has_topology: bool, existing: Mapping[str, Any] | None
) -> dict[str, Any]:
    pcs_name = pcs.metadata.name or ""
    old = (existing or {}).get("metadata") or {}
    labels = {k: v for k, v in (old.get("labels") or {}).items() if k.startswith("grove.io/")}
    labels.update({k: v for k, v in (pcs.metadata.labels or {}).items() if not k.startswith("grove.io/")})
    labels.update(component_labels(pcs_name, c.COMPONENT_PODGANG, None))
    labels[c.LABEL_SCHEDULER_NAME] = sched
    annotations = {k: v for k, v in (old.get("annotations") or {}).items() if k.startswith("grove.io/")}
    annotations.update(
        {k: v for k, v in (pcs.metadata.annotations or {}).items() if not k.startswith("grove.io/")}
    )
    annotations.pop(c.ANNOTATION_TOPOLOGY_NAME, None)
    name = topology_name(pcs)
    if has_topology and name:
        annotations[c.ANNOTATION_TOPOLOGY_NAME] = name
    md: dict[str, Any] = {"name": gang, "namespace": pcs_namespace(pcs), "labels": labels}
    if annotations:
        md["annotations"] = annotations
    md["ownerReferences"] = [pcs_owner_reference(pcs)]
    return md


def _gang(
    pcs: PodCliqueSet,
    gang: str,
    groups: list[dict[str, Any]],
    constraint: dict[str, Any] | None,
    group_configs: list[dict[str, Any]] | None,
    topo: TopologyContext,
    sched: str,
    existing: Mapping[str, Any] | None,
) -> dict[str, Any]:
    spec: dict[str, Any] = {"podgroups": groups}
    if constraint is not None:
        spec["topologyConstraint"] = constraint
    if group_configs:
        spec["topologyConstraintGroupConfigs"] = group_configs
    if pcs.spec.template.priority_class_name:
        spec["priorityClassName"] = pcs.spec.template.priority_class_name
    has_topology = topo.tas_enabled and (
        constraint is not None
        or any("topologyConstraint" in g for g in groups)
        or any(gc.get("topologyConstraint") is not None for gc in group_configs or [])
    )
    return {
        "apiVersion": c.SCHEDULER_API_VERSION,
        "kind": c.KIND_PODGANG,
        "metadata": _metadata(pcs, gang, sched, has_topology, existing),
        "spec": spec,
    }


def _pcsg_replicas(group: PodCliqueScalingGroupConfig, fqn: str, live: Mapping[str, int]) -> int:
    return live.get(fqn, group.replicas if group.replicas is not None else 1)


def plan_podgangs(
    pcs: PodCliqueSet,
    pods: Sequence[Mapping[str, Any]] = (),
    pcsg_replicas: Mapping[str, int] | None = None,
    topo: TopologyContext | None = None,
    existing: Mapping[str, Mapping[str, Any]] | None = None,
    default_profile: str = c.SCHEDULER_DEFAULT,
) -> list[dict[str, Any]]:
    """Every expected PodGang of ``pcs``: per replica the base gang, then its scaled gangs."""
    topo = topo or TopologyContext()
    live = pcsg_replicas or {}
    old = existing or {}
    pcs_name = pcs.metadata.name or ""
    ns = pcs_namespace(pcs)
    tmpl = pcs.spec.template
    by_pclq = pods_by_podclique(pods)
    sched = scheduler_name(pcs, default_profile)
    binding = topo.binding if topo.tas_enabled else None
    min_of = {
        cl.name: (cl.spec.min_available if cl.spec.min_available is not None else cl.spec.replicas)
        for cl in tmpl.cliques
    }
    clique_tc = {cl.name: translate(cl.topology_constraint, binding, "") for cl in tmpl.cliques}
    out: list[dict[str, Any]] = []
    for i in range(pcs.spec.replicas or 0):
        base = names.base_podgang_name(pcs_name, i)
        groups = [
            _podgroup(
                ns, names.pclq_name(pcs_name, i, cl.name), min_of[cl.name], base, by_pclq, clique_tc[cl.name]
            )
            for cl in tmpl.cliques
            if group_of(pcs, cl.name) is None
        ]
        configs: list[dict[str, Any]] = []
        scaled: list[dict[str, Any]] = []
        for g in tmpl.pod_clique_scaling_groups or []:
            fqn = names.pcsg_name(pcs_name, i, g.name)
            m = group_min_available(g)
            for j in range(m):
                members = [names.pcsg_member_pclq_name(fqn, j, cl) for cl in g.clique_names]
                groups += [
                    _podgroup(ns, pclq, min_of[cl], base, by_pclq, clique_tc[cl])
                    for pclq, cl in zip(members, g.clique_names, strict=True)
                ]
                if topo.tas_enabled and g.topology_constraint is not None:
                    gc: dict[str, Any] = {
                        "name": names.podgang_group_config_name(fqn, j),
                        "podGroupNames": members,
                    }
                    translated = translate(g.topology_constraint, binding, fqn)
                    if translated is not None:
                        gc["topologyConstraint"] = translated
                    configs.append(gc)
            for j in range(m, _pcsg_replicas(g, fqn, live)):
                gang = names.scaled_podgang_name(fqn, j, m)
                sgroups = [
                    _podgroup(
                        ns, names.pcsg_member_pclq_name(fqn, j, cl), min_of[cl], gang, by_pclq, clique_tc[cl]
                    )
                    for cl in g.clique_names
                ]
                stc = (
                    translate(g.topology_constraint, binding, fqn)
                    if g.topology_constraint is not None
                    else translate(tmpl.topology_constraint, binding)
                )
                scaled.append(_gang(pcs, gang, sgroups, stc, None, topo, sched, old.get(gang)))
        out.append(
            _gang(
                pcs,
                base,
                groups,
                translate(tmpl.topology_constraint, binding, pcs_name),
                configs,
                topo,
                sched,
                old.get(base),
            )
        )
        out.extend(scaled)
    return out


def podgang_pods_created(
    gang: Mapping[str, Any], pclqs: Mapping[str, Mapping[str, Any]], pods: Iterable[Mapping[str, Any]],
    by_pclq: Mapping[str, list[Mapping[str, Any]]] | None = None,
) -> bool:
    """Every constituent PodClique exists and has >= ``spec.replicas`` non-terminating pods, all
    labelled with this gang (spec §7.1). Pass ``by_pclq`` (:func:`pods_by_podclique`) when checking many
    gangs against the same pods, so they are grouped once."""
    gang_name = pu.name_of(gang)
    if by_pclq is None:
        by_pclq = pods_by_podclique(pods)
    for group in (gang.get("spec") or {}).get("podgroups") or []:
        pclq = pclqs.get(group["name"])
        if pclq is None:
            return False
        live = [p for p in by_pclq.get(group["name"], []) if not pu.is_terminating(p)]
        if len(live) < int((pclq.get("spec") or {}).get("replicas") or 0):
            return False
        if any(pu.label(p, c.LABEL_PODGANG) != gang_name for p in live):
            return False
    return True


def initialized_status_patch(gang: Mapping[str, Any], pods_created: bool, now: str) -> dict[str, Any] | None:
    """The status merge-patch for the Initialized condition, or None when nothing changes.

    No condition yet ⇒ Pending/False (PodGangPodsCreationPending); all pods created ⇒ flip once to True
    (PodGangPodsCreated), phase staying Pending.
    """
    cond = pu.condition(gang, c.COND_PODGANG_INITIALIZED)
    if pods_created and (cond is None or cond.get("status") != "True"):
        return {
            "phase": "Pending",
            "conditions": [
                {
                    "type": c.COND_PODGANG_INITIALIZED,
                    "status": "True",
                    "lastTransitionTime": now,
                    "reason": c.REASON_PODGANG_PODS_CREATED,
                    "message": "all pods of the PodGang have been created",
                }
            ],
        }
    if cond is None:
        return {
            "phase": "Pending",
            "conditions": [
                {
                    "type": c.COND_PODGANG_INITIALIZED,
                    "status": "False",
                    "lastTransitionTime": now,
                    "reason": c.REASON_PODGANG_PODS_CREATION_PENDING,
                    "message": "waiting for all pods of the PodGang to be created",
                }
            ],
        }
    return None
