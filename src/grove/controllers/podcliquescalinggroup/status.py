"""PodCliqueScalingGroup status from its member PodCliques (spec §5.2 Status).

A PCSG replica j counts only when it has exactly one non-terminating member per group clique: it is
*scheduled* when every member is PodCliqueScheduled=True, *available* when also every member has
``readyReplicas >= minAvailable``, *updated* when also every member is converged on the PCS's templates.
MinAvailableBreached is Unknown during a PCSG update, else True when fewer than ``spec.minAvailable``
complete replicas are free of member breaches; False clears GangTerminationInProgress.
``currentPodCliqueSetGenerationHash`` advances only once every expected member exists and is converged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from grove.api import constants as c
from grove.api import names
from grove.api.models.core import PodClique, PodCliqueScalingGroup
from grove.controllers.common.conditions import remove_condition, upsert_condition
from grove.controllers.common.ownership import default_labels, selector_string
from grove.controllers.podclique.status import is_converged, min_available


def _cond_status(pclq: PodClique, cond_type: str) -> str | None:
    for cond in (pclq.status.conditions or []) if pclq.status else []:
        if cond.type == cond_type:
            return cond.status
    return None


def members_by_replica(
    pcsg: PodCliqueScalingGroup, members: Sequence[PodClique]
) -> dict[int, dict[str, PodClique]]:
    """Non-terminating members grouped by PCSG replica index, then by clique name."""
    fqn = pcsg.metadata.name or ""
    out: dict[int, dict[str, PodClique]] = {}
    for pclq in members:
        j_raw = (pclq.metadata.labels or {}).get(c.LABEL_PCSG_REPLICA_INDEX)
        if pclq.metadata.deletion_timestamp or j_raw is None or not j_raw.isdigit():
            continue
        j = int(j_raw)
        prefix = names.pcsg_member_pclq_name(fqn, j, "")
        name = pclq.metadata.name or ""
        if name.startswith(prefix):
            out.setdefault(j, {})[name[len(prefix) :]] = pclq
    return out


def compute_pcsg_status(
    pcsg: PodCliqueScalingGroup,
    members: Sequence[PodClique],
    *,
    now: str,
    pcs_generation_hash: str | None,
    expected_hashes: Mapping[str, str],
) -> dict[str, Any]:
    """The PCSG's new ``status`` (wire dict). ``expected_hashes`` maps clique name → template hash."""
    old = pcsg.status.to_wire() if pcsg.status else {}
    status: dict[str, Any] = dict(old)
    cliques = list(pcsg.spec.clique_names)
    by_j = members_by_replica(pcsg, members)
    progress = pcsg.status.update_progress if pcsg.status else None
    updating = progress is not None and progress.update_ended_at is None

    scheduled = available = updated = unbreached = converged_members = 0
    all_converged = True
    for j in range(pcsg.spec.replicas):
        replica = by_j.get(j, {})
        complete = sorted(replica) == sorted(cliques)
        conv = [is_converged(p, expected_hashes.get(cl), pcs_generation_hash) for cl, p in replica.items()]
        converged_members += sum(conv)
        all_converged = all_converged and complete and all(conv)
        if not complete:
            continue
        pclqs = list(replica.values())
        # A PodClique that has not reported MinAvailableBreached yet (just created, e.g. by gang
        # termination) is not evidence of health: counting it would flip the PCSG to not-breached,
        # clear GangTerminationInProgress and re-arm termination while the replica is still coming up.
        if all(_cond_status(p, c.COND_MIN_AVAILABLE_BREACHED) in ("False", "Unknown") for p in pclqs):
            unbreached += 1
        if not all(_cond_status(p, c.COND_PODCLIQUE_SCHEDULED) == "True" for p in pclqs):
            continue
        scheduled += 1
        if not all(p.status is not None and p.status.ready_replicas >= min_available(p) for p in pclqs):
            continue
        available += 1
        if all(conv):
            updated += 1
    status.update(
        {
            "replicas": pcsg.spec.replicas,
            "scheduledReplicas": scheduled,
            "availableReplicas": available,
            "updatedReplicas": updated,
        }
    )
    pcs_name = (pcsg.metadata.labels or {}).get(c.LABEL_PART_OF, "")
    status["selector"] = selector_string({**default_labels(pcs_name), c.LABEL_PCSG: pcsg.metadata.name or ""})
    if progress is not None:
        status["updateProgress"] = {
            **old["updateProgress"],
            "totalPodCliquesCount": pcsg.spec.replicas * len(cliques),
            "updatedPodCliquesCount": converged_members,
        }
    stale = any(
        (p.metadata.labels or {}).get(c.LABEL_POD_TEMPLATE_HASH) != expected_hashes.get(cl)
        for replica in by_j.values()
        for cl, p in replica.items()
    )
    if pcs_generation_hash and not updating and not stale and all_converged:
        status["currentPodCliqueSetGenerationHash"] = pcs_generation_hash

    conds = old.get("conditions")
    floor = pcsg.spec.min_available if pcsg.spec.min_available is not None else 1
    if updating:
        conds = upsert_condition(
            conds,
            c.COND_MIN_AVAILABLE_BREACHED,
            "Unknown",
            c.REASON_UPDATE_IN_PROGRESS,
            "update in progress",
            now,
        )
    elif unbreached < floor:
        conds = upsert_condition(
            conds,
            c.COND_MIN_AVAILABLE_BREACHED,
            "True",
            c.REASON_INSUFFICIENT_AVAILABLE_PCSG_REPLICAS,
            f"{unbreached} healthy replicas < minAvailable {floor}",
            now,
        )
    else:
        conds = upsert_condition(
            conds,
            c.COND_MIN_AVAILABLE_BREACHED,
            "False",
            c.REASON_SUFFICIENT_AVAILABLE_PCSG_REPLICAS,
            f"{unbreached} healthy replicas >= minAvailable {floor}",
            now,
        )
        conds = remove_condition(conds, c.COND_GANG_TERMINATION_IN_PROGRESS)
    status["conditions"] = conds
    return status
