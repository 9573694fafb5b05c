"""Which PodCliqueSet replicas to gang-terminate (spec §7.4, PCS-replica scope).

Replica i is skipped while any of its expected standalone PodCliques is missing (or terminating): it is
being recreated. Candidates in i are PCSGs with ``MinAvailableBreached=True`` that were ever healthy and
carry no ``GangTerminationInProgress=True`` (set by the termination itself, so the same breach does not
terminate the fresh replica again), and standalone PodCliques with ``MinAvailableBreached=True`` that were
ever scheduled. If any candidate's breach has expired (``now - lastTransitionTime >= terminationDelay``),
the whole replica is terminated; otherwise the earliest expiry sets the requeue, at the exact instant.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from grove.api import constants as c
from grove.api.duration import parse_duration
from grove.api.models.core import PodCliqueSet
from grove.controllers.common import podutil as pu
from grove.controllers.common.conditions import breach_expires_at, was_ever_healthy, was_ever_scheduled

DEFAULT_TERMINATION_DELAY = 4 * 3600.0


def termination_delay_seconds(pcs: PodCliqueSet) -> float:
    raw = pcs.spec.template.termination_delay
    return parse_duration(raw) if raw else DEFAULT_TERMINATION_DELAY


@dataclass(frozen=True)
class PcsTerminationPlan:
    terminate: tuple[int, ...] = ()
    """PCS replica indices to terminate now (ascending)."""
    breached: tuple[int, ...] = ()
    """Replicas with a breach that has not expired yet (the rolling update prefers them)."""
    requeue_after: float | None = None


def replica_index(obj: Mapping[str, Any]) -> int | None:
    raw = pu.label(obj, c.LABEL_PCS_REPLICA_INDEX)
    return int(raw) if raw is not None and raw.isdigit() else None


def replica_breach_expiry(
    pclqs: Sequence[Mapping[str, Any]], pcsgs: Sequence[Mapping[str, Any]], termination_delay: float
) -> datetime | None:
    """The earliest breach expiry among the candidates of one replica, or None if none is breached."""
    expiries: list[datetime] = []
    for pcsg in pcsgs:
        if pu.is_terminating(pcsg) or pu.condition_status(pcsg, c.COND_GANG_TERMINATION_IN_PROGRESS) == "True":
            continue
        at = breach_expires_at(pcsg, termination_delay)
        if at is not None and was_ever_healthy(pcsg):
            expiries.append(at)
    for pclq in pclqs:
        if pu.is_terminating(pclq):
            continue
        at = breach_expires_at(pclq, termination_delay)
        if at is not None and was_ever_scheduled(pclq):
            expiries.append(at)
    return min(expiries) if expiries else None


def plan_pcs_termination(
    replicas: int,
    expected_standalone: Mapping[int, Sequence[str]],
    standalone_pclqs: Sequence[Mapping[str, Any]],
    pcsgs: Sequence[Mapping[str, Any]],
    termination_delay: float,
    now: datetime,
) -> PcsTerminationPlan:
    """``expected_standalone[i]``: the standalone PodClique FQNs replica i must have."""
    live = {pu.name_of(p): p for p in standalone_pclqs if not pu.is_terminating(p)}
    groups: dict[int, list[Mapping[str, Any]]] = {}
    for g in pcsgs:
        i = replica_index(g)
        if i is not None:
            groups.setdefault(i, []).append(g)
    terminate: list[int] = []
    breached: list[int] = []
    waits: list[float] = []
    for i in range(replicas):
        names = expected_standalone.get(i, ())
        if any(n not in live for n in names):
            continue
        at = replica_breach_expiry([live[n] for n in names], groups.get(i, []), termination_delay)
        if at is None:
            continue
        if now >= at:
            terminate.append(i)
        else:
            breached.append(i)
            waits.append((at - now).total_seconds())
    return PcsTerminationPlan(tuple(terminate), tuple(breached), min(waits) if waits else None)
