"""PodCliqueScalingGroup update bookkeeping and the RollingRecreate replica order (spec §8.4).

Pure functions over wire dicts. Whole PCSG replicas are replaced, so each stays gang-consistent:
replicas not yet on the new templates (a member's pod-template-hash label differs) and complete are
classified Pending (a member has ``scheduledReplicas < minAvailable``), Unavailable (``readyReplicas <
minAvailable``) or Ready. Pending/Unavailable ones are deleted at once (they serve nothing). While the
selected replica is not complete and converged, wait. Otherwise, if Ready old replicas remain and at
least ``spec.minAvailable`` replicas are available, the lowest index is selected (the previous one moves
to ``completed``) and its member PodCliques are deleted; the PCSG controller recreates them from the new
template. When no old replica is left the update ends.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from grove.api import constants as c
from grove.controllers.common import podutil as pu

Obj = dict[str, Any]
Members = Mapping[int, Mapping[str, Mapping[str, Any]]]
PENDING, UNAVAILABLE, READY = "Pending", "Unavailable", "Ready"


def _status(o: Mapping[str, Any]) -> Mapping[str, Any]:
    return o.get("status") or {}


def member_min_available(pclq: Mapping[str, Any]) -> int:
    spec = pclq.get("spec") or {}
    m = spec.get("minAvailable")
    return int(m if m is not None else spec.get("replicas") or 0)


def member_converged(pclq: Mapping[str, Any], expected_hash: str | None, pcs_hash: str | None) -> bool:
    st, m = _status(pclq), member_min_available(pclq)
    return (bool(expected_hash) and pu.label(pclq, c.LABEL_POD_TEMPLATE_HASH) == expected_hash
            and st.get("currentPodTemplateHash") == expected_hash
            and st.get("currentPodCliqueSetGenerationHash") == pcs_hash
            and int(st.get("readyReplicas") or 0) >= m and int(st.get("updatedReplicas") or 0) >= m)


def needs_bookkeeping(
    progress: Mapping[str, Any] | None,
    current_pcs_hash: str | None,
    pcs_hash: str | None,
    members: Members,
    expected: Mapping[str, str],
) -> bool:
    if not pcs_hash:
        return False
    tracked = progress.get("podCliqueSetGenerationHash") if progress else current_pcs_hash
    if tracked == pcs_hash:
        return False
    if progress is None:
        return any(pu.label(m, c.LABEL_POD_TEMPLATE_HASH) != expected.get(cl)
                   for replica in members.values() for cl, m in replica.items())
    return True


def start_progress(pcs_hash: str, now: str, *, on_delete: bool) -> Obj:
    progress: Obj = {"updateStartedAt": now, "podCliqueSetGenerationHash": pcs_hash}
    if on_delete:
        progress["updateEndedAt"] = now
    return progress


def classify(replica: Mapping[str, Mapping[str, Any]]) -> str:
    if any(int(_status(m).get("scheduledReplicas") or 0) < member_min_available(m) for m in replica.values()):
        return PENDING
    if any(int(_status(m).get("readyReplicas") or 0) < member_min_available(m) for m in replica.values()):
        return UNAVAILABLE
    return READY


@dataclass(frozen=True)
class PcsgUpdateStep:
    progress: Obj
    delete: list[int] = field(default_factory=list)
    """PCSG replica indices whose member PodCliques are deleted now."""
    requeue: bool = False


def plan_pcsg_update_step(
    progress: Mapping[str, Any],
    replicas: int,
    members: Members,
    cliques: Sequence[str],
    expected: Mapping[str, str],
    pcs_hash: str | None,
    min_available: int,
    now: str,
) -> PcsgUpdateStep:
    """One RollingRecreate step for an update in progress. ``members[j][clique]``: non-terminating."""
    def complete(j: int) -> bool:
        return sorted(members.get(j, {})) == sorted(cliques)

    def updated(j: int) -> bool:
        return complete(j) and all(pu.label(m, c.LABEL_POD_TEMPLATE_HASH) == expected.get(cl)
                                   for cl, m in members[j].items())

    selection = progress.get("readyReplicaIndicesSelectedToUpdate")
    current = int(selection["current"]) if selection else None
    old = [j for j in range(replicas) if j != current and complete(j) and not updated(j)]
    kinds = {j: classify(members[j]) for j in old}
    delete = [j for j in old if kinds[j] != READY]
    if current is not None and current < replicas and not (
        complete(current) and all(member_converged(m, expected.get(cl), pcs_hash)
                                  for cl, m in members[current].items())
    ):
        return PcsgUpdateStep(dict(progress), delete, True)
    ready_old = [j for j in old if kinds[j] == READY]
    if ready_old:
        available = sum(1 for j in range(replicas) if complete(j) and classify(members[j]) == READY)
        if available < min_available:
            return PcsgUpdateStep(dict(progress), delete, True)
        chosen = min(ready_old)
        completed = [int(x) for x in (selection or {}).get("completed") or []]
        if current is not None:
            completed.append(current)
        sel: Obj = {"current": chosen}
        if completed:
            sel["completed"] = completed
        return PcsgUpdateStep({**progress, "readyReplicaIndicesSelectedToUpdate": sel}, [*delete, chosen], True)
    out = {k: v for k, v in progress.items() if k != "readyReplicaIndicesSelectedToUpdate"}
    out["updateEndedAt"] = now
    return PcsgUpdateStep(out, delete, False)
