"""Headless Services (one per PCS replica) and HorizontalPodAutoscalers (spec §5.1, G1).

The Service ``<pcs>-<i>`` gives every pod of replica i a stable DNS name
``<hostname>.<pcs>-<i>.<ns>.svc.cluster.local``: no cluster IP, no ports, selecting the replica's pods by
default labels + replica index. HPAs exist only where the template asks for them: per replica, one per
clique with ``autoScalingConfig`` (target PodClique) and one per scaling group with ``scaleConfig``
(target PodCliqueScalingGroup), named after the target. Empty metrics mean 80 % CPU utilisation, which
is what the API server's HPA defaulting would store.
"""

from __future__ import annotations

from typing import Any

from grove.api import constants as c
from grove.api import names
from grove.api.models.core import AutoScalingConfig, PodCliqueSet
from grove.controllers.common.ownership import component_labels, default_labels, object_meta
from grove.controllers.common.startup import group_of
from grove.controllers.podcliqueset.plan_access import pcs_namespace, pcs_owner_reference

DEFAULT_HPA_METRICS: list[dict[str, Any]] = [
    {
        "type": "Resource",
        "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}},
    },
]


def plan_headless_service(pcs: PodCliqueSet, replica: int) -> dict[str, Any]:
    pcs_name = pcs.metadata.name or ""
    svc = names.headless_service_name(pcs_name, replica)
    labels = component_labels(pcs_name, c.COMPONENT_HEADLESS_SERVICE, svc)
    labels[c.LABEL_PCS_REPLICA_INDEX] = str(replica)
    selector = default_labels(pcs_name)
    selector[c.LABEL_PCS_REPLICA_INDEX] = str(replica)
    cfg = pcs.spec.template.headless_service_config
    publish = True if cfg is None else cfg.publish_not_ready_addresses
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": object_meta(svc, pcs_namespace(pcs), labels, pcs_owner_reference(pcs)),
        "spec": {"clusterIP": "None", "selector": selector, "publishNotReadyAddresses": publish},
    }


def plan_headless_services(pcs: PodCliqueSet) -> list[dict[str, Any]]:
    return [plan_headless_service(pcs, i) for i in range(pcs.spec.replicas or 0)]


def _hpa(
    pcs: PodCliqueSet, target_kind: str, target_fqn: str, cfg: AutoScalingConfig, seed_replicas: int
) -> dict[str, Any]:
    pcs_name = pcs.metadata.name or ""
    hpa = names.hpa_name(target_fqn)
    labels = component_labels(pcs_name, c.COMPONENT_HPA, hpa)
    spec: dict[str, Any] = {
        "scaleTargetRef": {"apiVersion": c.API_VERSION, "kind": target_kind, "name": target_fqn},
        "minReplicas": cfg.min_replicas if cfg.min_replicas is not None else seed_replicas,
        "maxReplicas": cfg.max_replicas,
        "metrics": [dict(m) for m in cfg.metrics] if cfg.metrics else [dict(m) for m in DEFAULT_HPA_METRICS],
    }
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": object_meta(hpa, pcs_namespace(pcs), labels, pcs_owner_reference(pcs)),
        "spec": spec,
    }


def plan_hpas(pcs: PodCliqueSet) -> list[dict[str, Any]]:
    """Per replica: standalone cliques with ``autoScalingConfig``, then groups with ``scaleConfig``."""
    pcs_name = pcs.metadata.name or ""
    tmpl = pcs.spec.template
    out: list[dict[str, Any]] = []
    for i in range(pcs.spec.replicas or 0):
        for clique in tmpl.cliques:
            cfg = clique.spec.auto_scaling_config
            if cfg is not None and group_of(pcs, clique.name) is None:
                out.append(
                    _hpa(
                        pcs, c.KIND_PCLQ, names.pclq_name(pcs_name, i, clique.name), cfg, clique.spec.replicas
                    )
                )
        for group in tmpl.pod_clique_scaling_groups or []:
            if group.scale_config is not None:
                out.append(
                    _hpa(
                        pcs,
                        c.KIND_PCSG,
                        names.pcsg_name(pcs_name, i, group.name),
                        group.scale_config,
                        group.replicas or 1,
                    )
                )
    return out
