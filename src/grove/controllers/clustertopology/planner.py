"""What the ClusterTopologyBinding controller decides (spec §5.4, §10.2), as pure functions over wire dicts.

Per scheduler backend that keeps its own topology object (only ``kai-scheduler``: a cluster-scoped
``kai.scheduler/v1alpha1`` Topology), a ClusterTopologyBinding (CTB) is either

* *auto-managed* (no ``spec.schedulerTopologyBindings`` entry for that scheduler): Grove keeps a Topology
  named like the CTB, controlled by it, with ``spec.levels[].nodeLabel`` = the CTB level keys in order.
  KAI's levels are immutable, so a level change is delete + recreate; a Topology of that name that the
  CTB does not control is an error (Grove never takes over an administrator's object); or
* *bound* (an entry names the scheduler and a ``topologyReference``): the administrator owns the object
  and Grove only compares its levels with the CTB's (drift check).

Bindings naming a scheduler that is not enabled, or not topology-aware, are *unavailable*. The status
then lists one entry per backend and binding; the ``SchedulerTopologyDrift`` condition is
Unknown/``TopologyNotFound`` when any binding is unavailable, else False/``InSync`` when every entry is
in sync, else True/``Drift``; with no entries it is removed. A change of the condition's status is
announced by a ``TopologyDriftDetected`` (Warning) or ``TopologyInSync`` (Normal) event.

``grove-scheduler`` is topology-aware but reads the CTB itself, so it has no object to sync and no
status entry. Nothing here does I/O.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from grove.api import constants as c
from grove.controllers.common.conditions import remove_condition, upsert_condition

Obj = dict[str, Any]

KAI_TOPOLOGY_API_VERSION = "kai.scheduler/v1alpha1"
KIND_TOPOLOGY = "Topology"

TOPOLOGY_BACKENDS: Mapping[str, tuple[str, str]] = {c.SCHEDULER_KAI: (KAI_TOPOLOGY_API_VERSION, KIND_TOPOLOGY)}
"""Scheduler backends that keep a topology object of their own → its (apiVersion, kind)."""

REASON_IN_SYNC = "InSync"
REASON_DRIFT = "Drift"
REASON_TOPOLOGY_NOT_FOUND = "TopologyNotFound"
EVENT_DRIFT_DETECTED = "TopologyDriftDetected"
EVENT_IN_SYNC = "TopologyInSync"

MESSAGE_IN_SYNC = "All scheduler backend topologies are in sync"
MESSAGE_DRIFT = "One or more scheduler backend topologies have drifted"
MESSAGE_NOT_FOUND = "One or more referenced scheduler backends are unavailable for topology management"
MESSAGE_LEVELS_DIFFER = "KAI Topology levels differ from ClusterTopologyBinding levels"


def topology_sync_enabled(enabled_profiles: Iterable[str]) -> bool:
    """Whether any enabled scheduler profile keeps a topology object (spec §9.1: whatever TAS says)."""
    return any(name in TOPOLOGY_BACKENDS for name in enabled_profiles)


# --- which backends a CTB asks for ---------------------------------------------------------------------


@dataclass(frozen=True)
class Binding:
    scheduler_name: str
    topology_reference: str


@dataclass(frozen=True)
class TopologyWork:
    auto: tuple[str, ...]
    """Enabled topology backends with no binding: SyncTopology (sorted by name)."""
    bound: tuple[Binding, ...]
    """Bindings to enabled topology backends: drift check only (spec order)."""
    unavailable: tuple[BackendStatus, ...]
    """Bindings to schedulers that are not enabled or not topology-aware (spec order)."""


def bindings_of(ctb: Mapping[str, Any]) -> list[Binding]:
    spec = ctb.get("spec") or {}
    return [Binding(str(b.get("schedulerName") or ""), str(b.get("topologyReference") or ""))
            for b in spec.get("schedulerTopologyBindings") or [] if b]


def level_keys(ctb: Mapping[str, Any]) -> list[str]:
    return [str(level.get("key")) for level in (ctb.get("spec") or {}).get("levels") or [] if level]


def plan_work(ctb: Mapping[str, Any], enabled_profiles: Iterable[str]) -> TopologyWork:
    enabled = set(enabled_profiles)
    bindings = bindings_of(ctb)
    bound_names = {b.scheduler_name for b in bindings}
    auto = tuple(sorted(name for name in enabled if name in TOPOLOGY_BACKENDS and name not in bound_names))
    bound: list[Binding] = []
    unavailable: list[BackendStatus] = []
    for b in bindings:
        if b.scheduler_name not in enabled:
            unavailable.append(BackendStatus(b.scheduler_name, b.topology_reference, False,
                                             f"scheduler backend {b.scheduler_name!r} is not enabled"))
        elif b.scheduler_name not in c.TOPOLOGY_AWARE_SCHEDULERS:
            unavailable.append(BackendStatus(b.scheduler_name, b.topology_reference, False,
                                             f"scheduler backend {b.scheduler_name!r} does not support "
                                             "topology management"))
        elif b.scheduler_name in TOPOLOGY_BACKENDS:
            bound.append(b)
    return TopologyWork(auto, tuple(bound), tuple(unavailable))


# --- the KAI Topology ------------------------------------------------------------------------------------


class NotOwnedError(ValueError):
    """A backend topology object of the wanted name exists but the CTB does not control it."""


class SyncAction(enum.Enum):
    NONE = "none"
    CREATE = "create"
    RECREATE = "recreate"
    """Delete the existing object (levels are immutable), then create the desired one."""
    WAIT = "wait"
    """The existing object is being deleted: create once it is gone."""


def _meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    return obj.get("metadata") or {}


def _group(api_version: str) -> str:
    return api_version.rpartition("/")[0]


def ctb_owner_reference(ctb: Mapping[str, Any]) -> Obj:
    meta = _meta(ctb)
    return {"apiVersion": str(ctb.get("apiVersion") or c.API_VERSION), "kind": c.KIND_CTB,
            "name": str(meta.get("name") or ""), "uid": str(meta.get("uid") or ""),
            "controller": True, "blockOwnerDeletion": True}


def kai_topology_name(ctb: Mapping[str, Any]) -> str:
    """KAI Topology objects are named after their CTB."""
    return str(_meta(ctb).get("name") or "")


def desired_kai_topology(ctb: Mapping[str, Any]) -> Obj:
    return {
        "apiVersion": KAI_TOPOLOGY_API_VERSION,
        "kind": KIND_TOPOLOGY,
        "metadata": {"name": kai_topology_name(ctb), "ownerReferences": [ctb_owner_reference(ctb)]},
        "spec": {"levels": [{"nodeLabel": key} for key in level_keys(ctb)]},
    }


def topology_node_labels(topology: Mapping[str, Any]) -> list[str | None]:
    return [level.get("nodeLabel") if isinstance(level, Mapping) else None
            for level in (topology.get("spec") or {}).get("levels") or []]


def levels_match(ctb: Mapping[str, Any], topology: Mapping[str, Any]) -> bool:
    """The topology's node labels are the CTB's level keys, in the same order."""
    return topology_node_labels(topology) == list(level_keys(ctb))


def controlled_by(obj: Mapping[str, Any], owner: Mapping[str, Any]) -> bool:
    uid = _meta(owner).get("uid")
    return any(ref.get("controller") and ref.get("uid") == uid for ref in _meta(obj).get("ownerReferences") or [])


def plan_kai_sync(ctb: Mapping[str, Any], existing: Mapping[str, Any] | None) -> SyncAction:
    """What SyncTopology must do to the live Topology ``existing``. Raises :class:`NotOwnedError`."""
    if existing is None:
        return SyncAction.CREATE
    name = kai_topology_name(ctb)
    if not controlled_by(existing, ctb):
        raise NotOwnedError(
            f"KAI Topology {name} is not owned by ClusterTopologyBinding {name}: a KAI Topology of this name "
            "must be created by the Grove operator with the ClusterTopologyBinding as its owner (to use an "
            "administrator-managed Topology, name it in spec.schedulerTopologyBindings instead)")
    if _meta(existing).get("deletionTimestamp"):
        return SyncAction.WAIT
    return SyncAction.NONE if levels_match(ctb, existing) else SyncAction.RECREATE


def kai_drift(ctb: Mapping[str, Any], ref: Binding, existing: Mapping[str, Any] | None) -> BackendStatus:
    """CheckTopologyDrift of a bound (administrator-managed) KAI Topology."""
    if existing is None:
        return BackendStatus(ref.scheduler_name, ref.topology_reference, False,
                             f"KAI Topology {ref.topology_reference!r} not found")
    generation = _meta(existing).get("generation")
    gen = int(generation) if isinstance(generation, int) else None
    if not levels_match(ctb, existing):
        return BackendStatus(ref.scheduler_name, ref.topology_reference, False, MESSAGE_LEVELS_DIFFER, gen)
    return BackendStatus(ref.scheduler_name, ref.topology_reference, True, "", gen)


def not_served_message(backend: str) -> str:
    api_version, kind = TOPOLOGY_BACKENDS[backend]
    return (f"{backend}: the API server does not serve {api_version} {kind}; install the scheduler's CRDs "
            "(the ClusterTopologyBinding is synced again when it changes)")


def ctbs_for_topology(topology: Mapping[str, Any], ctbs: Iterable[Mapping[str, Any]]) -> list[str]:
    """The CTBs a backend Topology event concerns: its controlling CTB, the CTB of the same name (which
    may be refusing an unowned one), and CTBs whose kai-scheduler binding references it. Sorted."""
    name = str(_meta(topology).get("name") or "")
    out: set[str] = set()
    for ref in _meta(topology).get("ownerReferences") or []:
        if ref.get("kind") == c.KIND_CTB and _group(str(ref.get("apiVersion") or "")) == _group(c.API_VERSION):
            out.add(str(ref.get("name")))
    for ctb in ctbs:
        ctb_name = str(_meta(ctb).get("name") or "")
        if ctb_name == name or any(b.scheduler_name == c.SCHEDULER_KAI and b.topology_reference == name
                                   for b in bindings_of(ctb)):
            out.add(ctb_name)
    return sorted(out)


# --- status and condition ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BackendStatus:
    """One ``status.schedulerTopologyStatuses`` entry."""

    scheduler_name: str
    topology_reference: str
    in_sync: bool
    message: str = ""
    generation: int | None = None

    def to_wire(self) -> Obj:
        out: Obj = {"schedulerName": self.scheduler_name, "topologyReference": self.topology_reference,
                    "inSync": self.in_sync}
        if self.generation:
            out["schedulerBackendTopologyObservedGeneration"] = self.generation
        if self.message:
            out["message"] = self.message
        return out


def drift_condition(statuses: Sequence[BackendStatus], *, topology_not_found: bool) -> tuple[str, str, str] | None:
    """(status, reason, message) of ``SchedulerTopologyDrift``; None: remove the condition."""
    if not statuses:
        return None
    if topology_not_found:
        return "Unknown", REASON_TOPOLOGY_NOT_FOUND, MESSAGE_NOT_FOUND
    if all(s.in_sync for s in statuses):
        return "False", REASON_IN_SYNC, MESSAGE_IN_SYNC
    return "True", REASON_DRIFT, MESSAGE_DRIFT


def plan_status(ctb: Mapping[str, Any], statuses: Sequence[BackendStatus], *, topology_not_found: bool,
                succeeded: bool, now: str) -> Obj:
    """The CTB's whole new ``status``: entries, the drift condition (other conditions kept), and
    ``observedGeneration`` moved to the current generation only when every sync and check succeeded."""
    old = ctb.get("status") or {}
    generation = _meta(ctb).get("generation")
    out: Obj = {k: v for k, v in old.items() if k not in ("observedGeneration", "conditions",
                                                          "schedulerTopologyStatuses")}
    observed = generation if succeeded and generation is not None else old.get("observedGeneration")
    if observed is not None:
        out["observedGeneration"] = observed
    cond = drift_condition(statuses, topology_not_found=topology_not_found)
    if cond is None:
        conditions = remove_condition(old.get("conditions"), c.COND_SCHEDULER_TOPOLOGY_DRIFT)
    else:
        status, reason, message = cond
        conditions = upsert_condition(old.get("conditions"), c.COND_SCHEDULER_TOPOLOGY_DRIFT, status, reason,
                                      message, now, generation if isinstance(generation, int) else None)
    if conditions:
        out["conditions"] = conditions
    if statuses:
        out["schedulerTopologyStatuses"] = [s.to_wire() for s in statuses]
    return out


def drift_status(status: Mapping[str, Any] | None) -> str | None:
    """The status of ``SchedulerTopologyDrift`` in a CTB status, None when absent."""
    for cond in (status or {}).get("conditions") or []:
        if cond.get("type") == c.COND_SCHEDULER_TOPOLOGY_DRIFT:
            return str(cond.get("status"))
    return None


def transition_event(previous: str | None,
                     current: str | None) -> tuple[Literal["Normal", "Warning"], str, str] | None:
    """(type, reason, message) of the Event announcing a drift-condition change; None: no event."""
    if current == previous:
        return None
    if current == "True":
        return "Warning", EVENT_DRIFT_DETECTED, MESSAGE_DRIFT
    if current == "False":
        return "Normal", EVENT_IN_SYNC, MESSAGE_IN_SYNC
    return None
