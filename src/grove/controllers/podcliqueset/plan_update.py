"""PodCliqueSet update bookkeeping and the RollingRecreate replica order (spec §8.2).

Pure functions over wire dicts. A generation-hash change starts an update (``updateProgress =
{updateStartedAt}``, plus ``updateEndedAt`` for OnDelete, which deletes nothing). RollingRecreate then
updates one PCS replica at a time: while ``currentlyUpdating[0]`` is not done (standalone PodCliques
converged, PCSGs reporting the PCS hash) nothing else moves; once done, the next replica is picked —
replicas with zero scheduled pods first, then those with an unexpired breach, then the lowest index —
skipping replicas being gang-terminated. When none is left the update ends.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

Obj = dict[str, Any]


@dataclass(frozen=True)
class ReplicaUpdateState:
    index: int
    done: bool
    """Standalone PodCliques converged and every PCSG reports the PCS generation hash."""
    scheduled_pods: int
    """Σ standalone scheduledReplicas + Σ PCSG scheduledReplicas * member minAvailable."""


def start_update(old_status: Obj, new_hash: str, now: str, on_delete: bool) -> Obj:
    """The status after a generation-hash change (or the first hash: no update, just the hash)."""
    status = dict(old_status)
    previous = old_status.get("currentGenerationHash")
    status["currentGenerationHash"] = new_hash
    if previous is None or previous == new_hash:
        return status
    progress: Obj = {"updateStartedAt": now}
    if on_delete:
        progress["updateEndedAt"] = now
    status["updateProgress"] = progress
    status["updatedReplicas"] = 0
    return status


def update_active(status: Obj) -> bool:
    progress = status.get("updateProgress")
    return isinstance(progress, dict) and not progress.get("updateEndedAt")


def currently_updating(status: Obj) -> int | None:
    progress = status.get("updateProgress") or {}
    current = progress.get("currentlyUpdating") or []
    if not update_active(status) or not current:
        return None
    return int(current[0]["replicaIndex"])


def next_replica(
    replicas: Sequence[ReplicaUpdateState], breached: Collection[int], excluded: Collection[int]
) -> int | None:
    pending = [r for r in replicas if not r.done and r.index not in excluded]
    if not pending:
        return None
    pending.sort(key=lambda r: (r.scheduled_pods != 0, r.index not in breached, r.index))
    return pending[0].index


@dataclass(frozen=True)
class PcsUpdateStep:
    progress: Obj | None
    """The new ``updateProgress`` (unchanged object when nothing moved)."""
    requeue: bool


def plan_pcs_update_step(
    progress: Obj | None,
    replicas: Sequence[ReplicaUpdateState],
    *,
    breached: Collection[int] = (),
    terminating: Collection[int] = (),
    now: str,
) -> PcsUpdateStep:
    """One RollingRecreate step. ``replicas``: every index in ``[0, spec.replicas)``."""
    if progress is None or progress.get("updateEndedAt"):
        return PcsUpdateStep(progress, False)
    out = dict(progress)
    by_index = {r.index: r for r in replicas}
    current = list(out.get("currentlyUpdating") or [])
    if current:
        idx = int(current[0]["replicaIndex"])
        state = by_index.get(idx)
        if state is not None and not state.done and idx not in terminating:
            return PcsUpdateStep(progress, True)
        current[0] = {**current[0], "updateEndedAt": now}
        out["currentlyUpdating"] = current
    nxt = next_replica(replicas, breached, {*terminating, *(int(c["replicaIndex"]) for c in current)})
    if nxt is None:
        out["updateEndedAt"] = now
        out.pop("currentlyUpdating", None)
        return PcsUpdateStep(out, False)
    out["currentlyUpdating"] = [{"replicaIndex": nxt, "updateStartedAt": now}]
    return PcsUpdateStep(out, True)
