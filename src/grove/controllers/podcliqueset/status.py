"""PodCliqueSet status (spec §5.1 Status, §9.4).

For each replica i in ``[0, spec.replicas)`` (terminating and unexpected children ignored): *available* ⇔
every expected standalone PodClique exists with ``readyReplicas >= minAvailable`` and every expected PCSG
exists with ``availableReplicas >= minAvailable``; *updated* ⇔ available, every standalone PodClique is
converged on the current templates and every PCSG reports the current PCS hash. With an update in
progress, the totals are the expected counts and "updated" the converged ones. The topology condition
reflects whether the PCS's constraints can be honoured by the named ClusterTopologyBinding.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from grove.api import constants as c
from grove.api import names
from grove.api.models.core import PodClique, PodCliqueScalingGroup, PodCliqueSet
from grove.api.models.topology import ClusterTopologyBinding
from grove.controllers.common.conditions import remove_condition, upsert_condition
from grove.controllers.common.hashing import pod_template_hash
from grove.controllers.common.ownership import default_labels, selector_string
from grove.controllers.common.startup import group_of
from grove.controllers.common.topology import all_constraints, missing_domains, topology_name
from grove.controllers.podclique.status import is_converged, min_available


def topology_condition(
    pcs: PodCliqueSet, tas_enabled: bool, binding: ClusterTopologyBinding | None
) -> tuple[str, str, str] | None:
    """(status, reason, message) of TopologyLevelsUnavailable, or None to remove it."""
    constrained = bool(all_constraints(pcs))
    if not tas_enabled:
        if constrained:
            return "Unknown", c.REASON_TAS_DISABLED, "topology-aware scheduling is disabled"
        return None
    if not constrained:
        return "False", c.REASON_ALL_TOPOLOGY_LEVELS_AVAILABLE, "no topology constraints"
    name = topology_name(pcs)
    if not name:
        return "Unknown", c.REASON_TOPOLOGY_NAME_MISSING, "no topologyName in any topology constraint"
    if binding is None:
        return "Unknown", c.REASON_CLUSTER_TOPOLOGY_NOT_FOUND, f"ClusterTopologyBinding {name} not found"
    missing = missing_domains(pcs, binding)
    if missing:
        return (
            "True",
            c.REASON_TOPOLOGY_LEVELS_UNAVAILABLE,
            f"topology levels unavailable in {name}: {', '.join(missing)}",
        )
    return "False", c.REASON_ALL_TOPOLOGY_LEVELS_AVAILABLE, f"all topology levels are available in {name}"


def compute_pcs_status(
    pcs: PodCliqueSet,
    podcliques: Sequence[PodClique],
    scaling_groups: Sequence[PodCliqueScalingGroup],
    *,
    now: str,
    tas_enabled: bool = False,
    binding: ClusterTopologyBinding | None = None,
) -> dict[str, Any]:
    """The PCS's new ``status``. ``podcliques``: its standalone PodCliques (others are ignored)."""
    old = pcs.status.to_wire() if pcs.status else {}
    status: dict[str, Any] = dict(old)
    pcs_name = pcs.metadata.name or ""
    pcs_hash = status.get("currentGenerationHash")
    tmpl = pcs.spec.template
    pclq_by_name = {p.metadata.name: p for p in podcliques if not p.metadata.deletion_timestamp}
    pcsg_by_name = {g.metadata.name: g for g in scaling_groups if not g.metadata.deletion_timestamp}
    standalone = [cl for cl in tmpl.cliques if group_of(pcs, cl.name) is None]
    hashes = {cl.name: pod_template_hash(cl, tmpl.priority_class_name) for cl in standalone}
    replicas = pcs.spec.replicas or 0
    available = updated = converged_pclqs = updated_pcsgs = 0
    for i in range(replicas):
        pclqs = [(cl.name, pclq_by_name.get(names.pclq_name(pcs_name, i, cl.name))) for cl in standalone]
        pcsgs = [
            pcsg_by_name.get(names.pcsg_name(pcs_name, i, g.name))
            for g in tmpl.pod_clique_scaling_groups or []
        ]
        conv = [p is not None and is_converged(p, hashes[cl], pcs_hash) for cl, p in pclqs]
        pcsg_current = [
            g is not None
            and g.status is not None
            and bool(pcs_hash)
            and g.status.current_pod_clique_set_generation_hash == pcs_hash
            for g in pcsgs
        ]
        converged_pclqs += sum(conv)
        updated_pcsgs += sum(pcsg_current)
        ok = all(
            p is not None and p.status is not None and p.status.ready_replicas >= min_available(p)
            for _, p in pclqs
        )
        ok = ok and all(
            g is not None
            and g.status is not None
            and g.status.available_replicas >= (g.spec.min_available or 1)
            for g in pcsgs
        )
        if ok:
            available += 1
            if all(conv) and all(pcsg_current):
                updated += 1
    status.update(
        {
            "replicas": replicas,
            "availableReplicas": available,
            "updatedReplicas": updated,
            "hpaPodSelector": selector_string(default_labels(pcs_name)),
        }
    )
    if "updateProgress" in old:
        n_groups = len(tmpl.pod_clique_scaling_groups or [])
        status["updateProgress"] = {
            **old["updateProgress"],
            "totalPodCliquesCount": replicas * len(standalone),
            "updatedPodCliquesCount": converged_pclqs,
            "totalPodCliqueScalingGroupsCount": replicas * n_groups,
            "updatedPodCliqueScalingGroupsCount": updated_pcsgs,
        }
    topo = topology_condition(pcs, tas_enabled, binding)
    conds = old.get("conditions")
    if topo is None:
        conds = remove_condition(conds, c.COND_TOPOLOGY_LEVELS_UNAVAILABLE)
    else:
        conds = upsert_condition(conds, c.COND_TOPOLOGY_LEVELS_UNAVAILABLE, *topo, now)
    if conds:
        status["conditions"] = conds
    else:
        status.pop("conditions", None)
    return status
