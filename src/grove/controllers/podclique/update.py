"""Whether and how a PodClique takes part in an update right now (spec §8.3), from plain inputs.

RollingRecreate applies to standalone PodCliques only, once the PCS has a generation hash, and only while
no PCS update is active or this PodClique's replica is ``currentlyUpdating[0]``; OnDelete applies to every
PodClique but only keeps the bookkeeping (no pod is deleted). The result carries the new
``updateProgress``, whether it changed (so the status write is guarded), the pods to delete after the
status write, and whether to requeue.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from grove.api import constants as c
from grove.api.models.core import PodClique, PodCliqueSet
from grove.controllers.common.hashing import pod_template_hash
from grove.controllers.common.startup import template_for_pclq
from grove.controllers.podclique.plan_update import needs_bookkeeping, plan_pclq_update_step, start_progress
from grove.controllers.podclique.status import min_available
from grove.controllers.podcliqueset.plan_update import currently_updating, update_active

Obj = dict[str, Any]


@dataclass(frozen=True)
class PclqUpdate:
    progress: Obj | None = None
    changed: bool = False
    delete: list[Mapping[str, Any]] = field(default_factory=list)
    requeue: bool = False


def plan_update(pcs: PodCliqueSet, pcs_obj: Obj, pclq: PodClique, pclq_obj: Obj,
                pods: Sequence[Mapping[str, Any]], now: str) -> PclqUpdate:
    status = pclq_obj.get("status") or {}
    old = status.get("updateProgress")
    pcs_status = pcs_obj.get("status") or {}
    pcs_hash = pcs_status.get("currentGenerationHash")
    strategy = pcs.spec.update_strategy.type if pcs.spec.update_strategy else None
    on_delete = strategy == "OnDelete"
    labels = pclq.metadata.labels or {}
    if not on_delete:
        if labels.get(c.LABEL_COMPONENT) != c.COMPONENT_PCS_PODCLIQUE:
            return PclqUpdate(old)
        replica = labels.get(c.LABEL_PCS_REPLICA_INDEX)
        if update_active(pcs_status) and (replica is None or currently_updating(pcs_status) != int(replica)):
            return PclqUpdate(old)
    tmpl = template_for_pclq(pcs, pclq.metadata.name or "")
    expected = pod_template_hash(tmpl, pcs.spec.template.priority_class_name) if tmpl is not None else None
    progress = old
    if needs_bookkeeping(old, status.get("currentPodCliqueSetGenerationHash"), pcs_hash, expected, pods):
        assert pcs_hash is not None and expected is not None
        progress = start_progress(pcs_hash, expected, now, on_delete=on_delete)
    if on_delete or progress is None or progress.get("updateEndedAt"):
        return PclqUpdate(progress, progress != old)
    step = plan_pclq_update_step(progress, pods, min_available(pclq), now)
    return PclqUpdate(step.progress, step.progress != old, step.delete, step.requeue)
