"""scheduler.grove.io/v1alpha1 PodGang (spec §1.5): the unit a gang scheduler places all-or-nothing.

Scheduler-side topology constraints hold node label *keys*, already translated from domains.
"""

from __future__ import annotations

from typing import Literal

from grove.api.models.base import Condition, Int32, TypedObject, WireModel

PodGangPhase = Literal["Pending", "Starting", "Running", "Failed", "Succeeded"]


class NamespacedName(WireModel):
    namespace: str
    name: str


class PackConstraint(WireModel):
    required: str | None = None
    preferred: str | None = None


class SchedulerSpreadConstraint(WireModel):
    """Grove extension (docs/spread.md): spread the units that share ``spreadGroup`` (PodGangs and group
    configs; on a PodGroup: its pods) over the domains of the node label ``topologyKey``."""

    topology_key: str
    max_skew: Int32 = 1
    when_unsatisfiable: Literal["DoNotSchedule", "ScheduleAnyway"] = "DoNotSchedule"
    min_domains: Int32 | None = None
    spread_group: str | None = None


class SchedulerTopologyConstraint(WireModel):
    pack_constraint: PackConstraint | None = None
    spread_constraints: list[SchedulerSpreadConstraint] | None = None  # Grove extension


class PodGroup(WireModel):
    name: str
    pod_references: list[NamespacedName] | None = None
    min_replicas: Int32
    topology_constraint: SchedulerTopologyConstraint | None = None


class TopologyConstraintGroupConfig(WireModel):
    name: str
    pod_group_names: list[str] | None = None
    topology_constraint: SchedulerTopologyConstraint | None = None


class PodGangSpec(WireModel):
    podgroups: list[PodGroup]
    topology_constraint: SchedulerTopologyConstraint | None = None
    topology_constraint_group_configs: list[TopologyConstraintGroupConfig] | None = None
    priority_class_name: str | None = None
    reuse_reservation_ref: NamespacedName | None = None


class PodGangStatus(WireModel):
    phase: PodGangPhase = "Pending"
    conditions: list[Condition] | None = None
    placement_score: float | None = None


class PodGang(TypedObject):
    spec: PodGangSpec
    status: PodGangStatus | None = None
