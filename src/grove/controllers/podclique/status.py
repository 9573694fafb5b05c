"""PodClique status from its pods (spec §1.3, §5.3 Status, §7.3).

Counters: ``replicas`` = non-terminating pods; ``readyReplicas`` / ``scheduledReplicas`` include
terminating pods; ``scheduleGatedReplicas`` counts PodScheduled=False/SchedulingGated; ``updatedReplicas``
counts non-terminating pods on the target hash (``updateProgress.podTemplateHash``, else the PodClique's
hash label, else ``currentPodTemplateHash``). Conditions are written only once ``observedGeneration``
exists: PodCliqueScheduled (scheduled vs minAvailable) and MinAvailableBreached (Unknown during a
RollingRecreate update; True when scheduled pods, or scheduled pods minus crash-looping / started-not-ready
ones, fall below minAvailable). The function is pure: same inputs, same status, and ``lastTransitionTime``
only moves when a condition's status changes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from grove.api import constants as c
from grove.api.models.core import PodClique
from grove.controllers.common import podutil as pu
from grove.controllers.common.conditions import upsert_condition
from grove.controllers.common.ownership import default_labels, selector_string


def min_available(pclq: PodClique) -> int:
    return pclq.spec.min_available if pclq.spec.min_available is not None else pclq.spec.replicas


def rolling_update_in_progress(pclq: PodClique, update_strategy: str) -> bool:
    progress = pclq.status.update_progress if pclq.status else None
    return update_strategy == "RollingRecreate" and progress is not None and progress.update_ended_at is None


def updated_target_hash(pclq: PodClique) -> str | None:
    status = pclq.status
    if status is not None and status.update_progress is not None:
        return status.update_progress.pod_template_hash
    label_hash = (pclq.metadata.labels or {}).get(c.LABEL_POD_TEMPLATE_HASH)
    if label_hash:
        return label_hash
    return status.current_pod_template_hash if status else None


def breach_condition(
    pclq: PodClique, pods: Sequence[Mapping[str, Any]], scheduled: int, update_strategy: str
) -> tuple[str, str, str]:
    """(status, reason, message) of MinAvailableBreached."""
    m = min_available(pclq)
    if rolling_update_in_progress(pclq, update_strategy):
        return "Unknown", c.REASON_UPDATE_IN_PROGRESS, "rolling update in progress"
    if scheduled < m:
        return "True", c.REASON_SCHEDULED_BELOW_MIN, f"scheduled replicas {scheduled} < minAvailable {m}"
    not_ready = [p for p in pods if not pu.is_terminating(p) and not pu.is_ready(p)]
    crashing = [p for p in not_ready if pu.has_erroneous_exit(p)]
    stuck = [p for p in not_ready if not pu.has_erroneous_exit(p) and pu.has_started_not_ready(p)]
    healthy = scheduled - len(crashing) - len(stuck)
    if healthy < m:
        return (
            "True",
            c.REASON_INSUFFICIENT_READY_PODS,
            f"{len(crashing)} crashing and {len(stuck)} started-not-ready pods leave {healthy}"
            f" < minAvailable {m}",
        )
    return "False", c.REASON_SUFFICIENT_READY_PODS, f"{healthy} healthy scheduled pods >= minAvailable {m}"


def compute_podclique_status(
    pclq: PodClique,
    pods: Sequence[Mapping[str, Any]],
    *,
    now: str,
    pcs_generation_hash: str | None = None,
    expected_template_hash: str | None = None,
    update_strategy: str = "RollingRecreate",
) -> dict[str, Any]:
    """The PodClique's new ``status`` (wire dict). ``pods`` are the pods it owns.

    ``expected_template_hash`` is the clique's hash computed from the PCS template; ``now`` is RFC 3339.
    """
    old = pclq.status.to_wire() if pclq.status else {}
    live = [p for p in pods if not pu.is_terminating(p)]
    status: dict[str, Any] = dict(old)
    status["replicas"] = len(live)
    status["readyReplicas"] = sum(1 for p in pods if pu.is_ready(p))
    status["scheduledReplicas"] = scheduled = sum(1 for p in pods if pu.is_scheduled(p))
    status["scheduleGatedReplicas"] = sum(1 for p in pods if pu.is_schedule_gated(p))
    target = updated_target_hash(pclq)
    status["updatedReplicas"] = updated = sum(
        1 for p in live if target and pu.label(p, c.LABEL_POD_TEMPLATE_HASH) == target
    )

    labels = pclq.metadata.labels or {}
    if c.LABEL_PCSG not in labels:
        pcs_name = labels.get(c.LABEL_PART_OF, "")
        status["hpaPodSelector"] = selector_string(
            {**default_labels(pcs_name), c.LABEL_PODCLIQUE: pclq.metadata.name or ""}
        )

    progress = pclq.status.update_progress if pclq.status else None
    auto_update = progress is not None and progress.update_ended_at is None
    if not auto_update and updated == pclq.spec.replicas:
        if progress is None:
            if expected_template_hash and labels.get(c.LABEL_POD_TEMPLATE_HASH) == expected_template_hash:
                status["currentPodTemplateHash"] = expected_template_hash
                if pcs_generation_hash:
                    status["currentPodCliqueSetGenerationHash"] = pcs_generation_hash
        else:
            status["currentPodTemplateHash"] = progress.pod_template_hash
            status["currentPodCliqueSetGenerationHash"] = progress.pod_clique_set_generation_hash

    if status.get("observedGeneration") is not None:
        conds = old.get("conditions")
        m = min_available(pclq)
        if scheduled < m:
            conds = upsert_condition(
                conds,
                c.COND_PODCLIQUE_SCHEDULED,
                "False",
                c.REASON_INSUFFICIENT_SCHEDULED_PODS,
                f"scheduled replicas {scheduled} < minAvailable {m}",
                now,
            )
        else:
            conds = upsert_condition(
                conds,
                c.COND_PODCLIQUE_SCHEDULED,
                "True",
                c.REASON_SUFFICIENT_SCHEDULED_PODS,
                f"scheduled replicas {scheduled} >= minAvailable {m}",
                now,
            )
        b_status, b_reason, b_msg = breach_condition(pclq, pods, scheduled, update_strategy)
        status["conditions"] = upsert_condition(
            conds, c.COND_MIN_AVAILABLE_BREACHED, b_status, b_reason, b_msg, now
        )
    return status


def is_converged(
    pclq: PodClique, expected_template_hash: str | None, pcs_generation_hash: str | None
) -> bool:
    """On the expected template everywhere (label and status) and at least minAvailable ready and updated."""
    status = pclq.status
    if status is None or not expected_template_hash:
        return False
    m = min_available(pclq)
    return (
        (pclq.metadata.labels or {}).get(c.LABEL_POD_TEMPLATE_HASH) == expected_template_hash
        and status.current_pod_template_hash == expected_template_hash
        and status.current_pod_clique_set_generation_hash == pcs_generation_hash
        and status.ready_replicas >= m
        and status.updated_replicas >= m
    )
