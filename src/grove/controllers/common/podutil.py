"""Readers over wire dicts (pods and Grove objects) used by every planner.

Planners receive objects straight from an informer cache as JSON-shaped dicts; these readers never raise
on a missing field and never mutate their input. ``json_copy`` is the one deep copy planners use so a
desired object never aliases a cached one.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from grove.api import constants as c
from grove.kube import objects

Obj = dict[str, Any]


# The generic readers live in grove.kube.objects; planners keep these names for readability.
json_copy = objects.deep_copy
_meta = objects.meta
name_of = objects.name
labels_of = objects.labels
phase = objects.pod_phase
node_name = objects.node_name


def label(obj: Mapping[str, Any], key: str) -> str | None:
    value = (_meta(obj).get("labels") or {}).get(key)
    return None if value is None else str(value)


def is_terminating(obj: Mapping[str, Any]) -> bool:
    return bool(_meta(obj).get("deletionTimestamp"))


def creation_timestamp(obj: Mapping[str, Any]) -> str:
    return str(_meta(obj).get("creationTimestamp") or "")


def owner_uids(obj: Mapping[str, Any]) -> set[str]:
    return {str(r.get("uid")) for r in _meta(obj).get("ownerReferences") or [] if r.get("uid")}


def hostname(pod: Mapping[str, Any]) -> str:
    spec = pod.get("spec")
    return str(spec.get("hostname") or "") if isinstance(spec, Mapping) else ""


def condition(obj: Mapping[str, Any], cond_type: str) -> Mapping[str, Any] | None:
    return objects.get_condition(obj, cond_type)


def condition_status(obj: Mapping[str, Any], cond_type: str) -> str | None:
    cond = condition(obj, cond_type)
    return None if cond is None else str(cond.get("status"))


def is_ready(pod: Mapping[str, Any]) -> bool:
    return condition_status(pod, "Ready") == "True"


def is_scheduled(pod: Mapping[str, Any]) -> bool:
    return condition_status(pod, "PodScheduled") == "True"


def is_schedule_gated(pod: Mapping[str, Any]) -> bool:
    cond = condition(pod, "PodScheduled")
    return cond is not None and cond.get("status") == "False" and cond.get("reason") == "SchedulingGated"


def is_active(pod: Mapping[str, Any]) -> bool:
    """Not terminating and not finished (Succeeded/Failed): the pods that hold a pod index."""
    return not is_terminating(pod) and phase(pod) not in ("Succeeded", "Failed")


def scheduling_gates(pod: Mapping[str, Any]) -> list[str]:
    spec = pod.get("spec")
    if not isinstance(spec, Mapping):
        return []
    return [str(g.get("name")) for g in spec.get("schedulingGates") or []]


def has_podgang_gate(pod: Mapping[str, Any]) -> bool:
    return c.SCHEDULING_GATE_PODGANG_PENDING in scheduling_gates(pod)


def _container_statuses(pod: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    status = pod.get("status")
    if not isinstance(status, Mapping):
        return []
    return list(status.get("containerStatuses") or [])


def _init_container_statuses(pod: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    status = pod.get("status")
    if not isinstance(status, Mapping):
        return []
    return list(status.get("initContainerStatuses") or [])


def has_erroneous_exit(pod: Mapping[str, Any]) -> bool:
    """Some container or init container last terminated with a non-zero exit code."""
    for cs in _container_statuses(pod) + _init_container_statuses(pod):
        terminated = (cs.get("lastState") or {}).get("terminated")
        if terminated and int(terminated.get("exitCode") or 0) != 0:
            return True
    return False


def has_started_not_ready(pod: Mapping[str, Any]) -> bool:
    """Some container has started but is not ready (stuck past its readiness probe)."""
    return any(cs.get("started") and not cs.get("ready") for cs in _container_statuses(pod))


def parse_time(ts: str) -> datetime | None:
    """An RFC 3339 timestamp (``2024-01-01T00:00:00Z``), or None if empty or malformed."""
    if not ts:
        return None
    try:
        return datetime.fromisoformat(ts.replace("Z", "+00:00"))
    except ValueError:
        return None


def format_time(when: datetime) -> str:
    """RFC 3339 in UTC with second precision, as metav1.Time marshals (naive datetimes are UTC)."""
    if when.tzinfo is not None:
        when = when.astimezone(UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")
