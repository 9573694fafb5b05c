"""Which PCSG replicas to gang-terminate (spec §7.4, PCSG-replica scope).

A PCSG replica j is *breached* when at least one non-terminating member PodClique has
``MinAvailableBreached=True`` and was ever scheduled (so a replica that never came up is not torn down).
Its breach expires at the earliest expiry among those members (``lastTransitionTime + terminationDelay``).

If ``spec.replicas - #breached < spec.minAvailable`` the PCSG as a whole is below its floor: the PCSG does
nothing and the PodCliqueSet replica scope takes over (the PCSG's own MinAvailableBreached condition turns
True). Otherwise the expired replicas are terminated (their member PodCliques deleted, to be recreated by
the normal flow) and the earliest unexpired breach sets the requeue.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from grove.api import constants as c
from grove.controllers.common import podutil as pu
from grove.controllers.common.conditions import breach_expires_at, was_ever_scheduled


@dataclass(frozen=True)
class PcsgTerminationPlan:
    terminate: tuple[int, ...] = ()
    """Replica indices whose member PodCliques are deleted now (ascending)."""
    requeue_after: float | None = None
    """Seconds until the earliest unexpired breach expires (None: nothing to wait for)."""
    delegated: bool = False
    """Too many replicas breached: the PodCliqueSet replica scope handles it."""


def breached_replicas(
    members: Sequence[Mapping[str, Any]], replicas: int, termination_delay: float
) -> dict[int, datetime]:
    """Breached replica index (< ``replicas``) → earliest expiry among its breached, ever-scheduled members."""
    out: dict[int, datetime] = {}
    for pclq in members:
        if pu.is_terminating(pclq):
            continue
        raw = pu.label(pclq, c.LABEL_PCSG_REPLICA_INDEX)
        if raw is None or not raw.isdigit() or int(raw) >= replicas:
            continue
        expires = breach_expires_at(pclq, termination_delay)
        if expires is None or not was_ever_scheduled(pclq):
            continue
        j = int(raw)
        out[j] = min(out[j], expires) if j in out else expires
    return out


def plan_pcsg_termination(
    members: Sequence[Mapping[str, Any]],
    replicas: int,
    min_available: int,
    termination_delay: float,
    now: datetime,
) -> PcsgTerminationPlan:
    breached = breached_replicas(members, replicas, termination_delay)
    if not breached:
        return PcsgTerminationPlan()
    if replicas - len(breached) < min_available:
        return PcsgTerminationPlan(delegated=True)
    expired = tuple(sorted(j for j, at in breached.items() if now >= at))
    waits = [(at - now).total_seconds() for at in breached.values() if now < at]
    return PcsgTerminationPlan(terminate=expired, requeue_after=min(waits) if waits else None)
