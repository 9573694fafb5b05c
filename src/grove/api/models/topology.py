"""grove.io/v1alpha1 ClusterTopologyBinding (spec §1.6): named topology levels, broadest first."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from grove.api.models.base import Condition, TypedObject, WireModel

DOMAIN_PATTERN = r"^[a-z][a-z0-9-]*$"
LEVEL_KEY_PATTERN = (
    r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]/)?([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$"
)


class TopologyLevel(WireModel):
    domain: Annotated[str, Field(min_length=1, max_length=63, pattern=DOMAIN_PATTERN)]
    key: Annotated[str, Field(min_length=1, max_length=63, pattern=LEVEL_KEY_PATTERN)]


class SchedulerTopologyBinding(WireModel):
    scheduler_name: str
    topology_reference: str


class ClusterTopologyBindingSpec(WireModel):
    levels: Annotated[list[TopologyLevel], Field(min_length=1)]
    scheduler_topology_bindings: list[SchedulerTopologyBinding] | None = None


class SchedulerTopologyStatus(WireModel):
    scheduler_name: str
    topology_reference: str | None = None
    in_sync: bool
    scheduler_backend_topology_observed_generation: int | None = None
    message: str | None = None


class ClusterTopologyBindingStatus(WireModel):
    observed_generation: int | None = None
    conditions: list[Condition] | None = None
    scheduler_topology_statuses: list[SchedulerTopologyStatus] | None = None


class ClusterTopologyBinding(TypedObject):
    spec: ClusterTopologyBindingSpec
    status: ClusterTopologyBindingStatus | None = None

    def domain_keys(self) -> dict[str, str]:
        """domain → node label key, in level order."""
        return {level.domain: level.key for level in self.spec.levels}
