"""Condition upserts with metav1 semantics, and breach timing (spec §7.3).

``lastTransitionTime`` moves only when a condition's status changes; reason/message updates keep it.
Breach timing: a PodClique was "ever scheduled" when PodCliqueScheduled is True or last transitioned more
than 5 s after creation; a PCSG was "ever healthy" when MinAvailableBreached is False or last transitioned
more than 5 s after creation (so a gang that never came up is not torn down). A breach (True) expires once
``now - lastTransitionTime >= terminationDelay``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from grove.api import constants as c
from grove.controllers.common import podutil as pu

GRACE_AFTER_CREATION = timedelta(seconds=5)


def upsert_condition(
    conditions: Sequence[Mapping[str, Any]] | None,
    cond_type: str,
    status: str,
    reason: str,
    message: str,
    now: str,
    observed_generation: int | None = None,
) -> list[dict[str, Any]]:
    """A new conditions list with ``cond_type`` set; other conditions kept in place."""
    out = [dict(cond) for cond in conditions or []]
    new: dict[str, Any] = {
        "type": cond_type,
        "status": status,
        "lastTransitionTime": now,
        "reason": reason,
        "message": message,
    }
    if observed_generation is not None:
        new["observedGeneration"] = observed_generation
    for idx, cond in enumerate(out):
        if cond.get("type") == cond_type:
            if cond.get("status") == status and cond.get("lastTransitionTime"):
                new["lastTransitionTime"] = cond["lastTransitionTime"]
            out[idx] = new
            return out
    out.append(new)
    return out


def remove_condition(conditions: Sequence[Mapping[str, Any]] | None, cond_type: str) -> list[dict[str, Any]]:
    return [dict(cond) for cond in conditions or [] if cond.get("type") != cond_type]


def _transitioned_after_grace(obj: Mapping[str, Any], cond: Mapping[str, Any]) -> bool:
    created = pu.parse_time(pu.creation_timestamp(obj))
    moved = pu.parse_time(str(cond.get("lastTransitionTime") or ""))
    return created is not None and moved is not None and moved > created + GRACE_AFTER_CREATION


def was_ever_scheduled(pclq: Mapping[str, Any]) -> bool:
    cond = pu.condition(pclq, c.COND_PODCLIQUE_SCHEDULED)
    return cond is not None and (cond.get("status") == "True" or _transitioned_after_grace(pclq, cond))


def was_ever_healthy(pcsg: Mapping[str, Any]) -> bool:
    cond = pu.condition(pcsg, c.COND_MIN_AVAILABLE_BREACHED)
    return cond is not None and (cond.get("status") == "False" or _transitioned_after_grace(pcsg, cond))


def breach_expires_at(obj: Mapping[str, Any], termination_delay_seconds: float) -> datetime | None:
    """When the MinAvailableBreached=True condition of ``obj`` expires, or None if not breached."""
    cond = pu.condition(obj, c.COND_MIN_AVAILABLE_BREACHED)
    if cond is None or cond.get("status") != "True":
        return None
    since = pu.parse_time(str(cond.get("lastTransitionTime") or ""))
    return None if since is None else since + timedelta(seconds=termination_delay_seconds)


def breach_expired(obj: Mapping[str, Any], termination_delay_seconds: float, now: datetime) -> bool:
    expires = breach_expires_at(obj, termination_delay_seconds)
    return expires is not None and now >= expires
