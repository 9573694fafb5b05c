"""Scheduling-gate removal (spec §7.2).

Every pod is created gated by ``grove.io/podgang-pending-creation``. It is released — only that gate is
removed, foreign gates stay — once (a) it is listed in the ``podReferences`` of the PodGroup named after its
PodClique in the PodGang named by the PodClique's ``grove.io/podgang`` label, and (b) for a PodClique of a
scaled gang (label ``grove.io/base-podgang``), the base gang is *scheduled*: each of its PodGroups' PodClique
has ``scheduledReplicas >= minReplicas``. So scaled gangs never schedule before their base gang. A missing
base gang or base PodClique is an error the reconciler requeues on. ``Initialized`` is deliberately not
consulted (spec §13.3).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Any

from grove.api import constants as c
from grove.api.models.core import PodClique
from grove.controllers.common import podutil as pu


class GateDecision(Enum):
    NOT_GATED = "not-gated"
    RELEASE = "release"
    WAIT = "wait"


class BaseGangMissingError(LookupError):
    """The base PodGang, or a PodClique of one of its PodGroups, does not exist (yet)."""


def pod_in_podgang(pod: Mapping[str, Any], pclq_fqn: str, podgang: Mapping[str, Any] | None) -> bool:
    if podgang is None:
        return False
    pod_name = pu.name_of(pod)
    for group in (podgang.get("spec") or {}).get("podgroups") or []:
        if group.get("name") == pclq_fqn:
            return any(ref.get("name") == pod_name for ref in group.get("podReferences") or [])
    return False


def base_gang_scheduled(
    base_gang: Mapping[str, Any] | None, pclq_scheduled: Mapping[str, int | None]
) -> bool:
    """Each PodGroup's PodClique has ``scheduledReplicas >= minReplicas``.

    ``pclq_scheduled`` maps PodClique name → ``status.scheduledReplicas`` of the PodCliques that exist.
    """
    if base_gang is None:
        raise BaseGangMissingError("base PodGang not found")
    for group in (base_gang.get("spec") or {}).get("podgroups") or []:
        name = str(group.get("name"))
        if name not in pclq_scheduled:
            raise BaseGangMissingError(f"PodClique {name} of base PodGang {pu.name_of(base_gang)} not found")
        if (pclq_scheduled[name] or 0) < int(group.get("minReplicas") or 0):
            return False
    return True


def gate_decision(
    pod: Mapping[str, Any],
    pclq: PodClique,
    podgang: Mapping[str, Any] | None,
    base_gang: Mapping[str, Any] | None = None,
    base_pclq_scheduled: Mapping[str, int | None] | None = None,
) -> GateDecision:
    """Whether to release ``pod``'s Grove gate now. Raises :class:`BaseGangMissingError` (requeue)."""
    if not pu.has_podgang_gate(pod):
        return GateDecision.NOT_GATED
    if not pod_in_podgang(pod, pclq.metadata.name or "", podgang):
        return GateDecision.WAIT
    scaled = bool((pclq.metadata.labels or {}).get(c.LABEL_BASE_PODGANG))
    if scaled and not base_gang_scheduled(base_gang, base_pclq_scheduled or {}):
        return GateDecision.WAIT
    return GateDecision.RELEASE


def gates_without_grove(pod: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The pod's ``schedulingGates`` with only Grove's gate removed (for the patch)."""
    spec = pod.get("spec") or {}
    return [
        dict(g)
        for g in spec.get("schedulingGates") or []
        if g.get("name") != c.SCHEDULING_GATE_PODGANG_PENDING
    ]
