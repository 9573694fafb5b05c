"""Standalone PodClique update bookkeeping and the RollingRecreate pod order (spec §8.3).

Pure functions over wire dicts. Bookkeeping (``updateProgress``) restarts when the PCS generation hash
differs from the one the PodClique tracks; a PodClique without progress whose pods all run the expected
template (a fresh or already-current one) needs none. OnDelete ends the bookkeeping at once (no pod is
deleted; scale-in prefers old pods, §5.3). RollingRecreate replaces one Ready pod at a time:

1. old-hash pods not being deleted are classified (first match wins): Pending; unhealthy (a container
   started-not-ready, or an (init) container whose last termination was an error — even if Ready);
   Ready; starting (a container not started); other. All but the Ready ones are deleted at once;
2. while the selected pod still exists, or fewer new-hash pods are Ready than replacements so far, wait;
3. if Ready old pods remain and at least ``minAvailable`` pods are Ready, the oldest is selected (the
   previous selection moves to ``completed``) and deleted;
4. otherwise the update ends (``updateEndedAt``) and the selection is cleared.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from grove.api import constants as c
from grove.controllers.common import podutil as pu

Obj = dict[str, Any]
PENDING, UNHEALTHY, READY, STARTING, OTHER = "Pending", "Unhealthy", "Ready", "Starting", "Other"


def needs_bookkeeping(
    progress: Mapping[str, Any] | None,
    current_pcs_hash: str | None,
    pcs_hash: str | None,
    expected_template_hash: str | None,
    pods: Sequence[Mapping[str, Any]],
) -> bool:
    """Whether a (new) update bookkeeping starts for this PodClique now."""
    if not pcs_hash or not expected_template_hash:
        return False
    tracked = progress.get("podCliqueSetGenerationHash") if progress else current_pcs_hash
    if tracked == pcs_hash:
        return False
    if progress is None:
        return any(pu.label(p, c.LABEL_POD_TEMPLATE_HASH) != expected_template_hash
                   for p in pods if not pu.is_terminating(p))
    return True


def start_progress(pcs_hash: str, template_hash: str, now: str, *, on_delete: bool) -> Obj:
    progress: Obj = {"updateStartedAt": now, "podCliqueSetGenerationHash": pcs_hash, "podTemplateHash": template_hash}
    if on_delete:
        progress["updateEndedAt"] = now
    return progress


def classify(pod: Mapping[str, Any]) -> str:
    if pu.phase(pod) == "Pending":
        return PENDING
    if pu.has_started_not_ready(pod) or pu.has_erroneous_exit(pod):
        return UNHEALTHY
    if pu.is_ready(pod):
        return READY
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    if any(not cs.get("started") for cs in statuses):
        return STARTING
    return OTHER


@dataclass(frozen=True)
class PclqUpdateStep:
    progress: Obj
    delete: list[Mapping[str, Any]] = field(default_factory=list)
    requeue: bool = False


def _created(pod: Mapping[str, Any]) -> tuple[float, str]:
    when = pu.parse_time(pu.creation_timestamp(pod))
    return (when.timestamp() if when else float("-inf"), pu.name_of(pod))


def plan_pclq_update_step(
    progress: Mapping[str, Any], pods: Sequence[Mapping[str, Any]], min_available: int, now: str
) -> PclqUpdateStep:
    """One RollingRecreate step for an update in progress (``updateEndedAt`` unset)."""
    target = progress.get("podTemplateHash")
    live = [p for p in pods if not pu.is_terminating(p)]
    old = [p for p in live if pu.label(p, c.LABEL_POD_TEMPLATE_HASH) != target]
    delete = [p for p in old if classify(p) != READY]
    old_ready = sorted((p for p in old if classify(p) == READY), key=_created)
    selection = progress.get("readyPodsSelectedToUpdate")
    if selection:
        names = {pu.name_of(p) for p in live}
        new_ready = sum(1 for p in live if pu.label(p, c.LABEL_POD_TEMPLATE_HASH) == target and pu.is_ready(p))
        if selection["current"] in names or new_ready < len(selection.get("completed") or []) + 1:
            return PclqUpdateStep(dict(progress), delete, True)
    if old_ready:
        if sum(1 for p in live if pu.is_ready(p)) < min_available:
            return PclqUpdateStep(dict(progress), delete, True)
        victim = old_ready[0]
        completed = list((selection or {}).get("completed") or [])
        if selection:
            completed.append(selection["current"])
        chosen: Obj = {"current": pu.name_of(victim)}
        if completed:
            chosen["completed"] = completed
        return PclqUpdateStep({**progress, "readyPodsSelectedToUpdate": chosen}, [*delete, victim], True)
    out = {k: v for k, v in progress.items() if k != "readyPodsSelectedToUpdate"}
    out["updateEndedAt"] = now
    return PclqUpdateStep(out, delete, False)
