"""Where Grove's CRD schemas say more than the pydantic models: spec §1 and §2.1-§2.2.

The models decide types, required fields, enums, patterns and bounds. This table adds what only the
API server acts on: CRD defaults (applied before the defaulting webhook), fields that are required
*with* a default (status counters), list semantics for server-side apply, and the CEL rules on
TopologyConstraint. Every entry is keyed by model class; the generator fails if one goes unused, so
a renamed model cannot leave a stale override behind.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from pydantic import BaseModel

from grove.api.crds.structural import ModelOverride
from grove.api.models import base, core, scheduler

_MAP_BY_NAME: Final[Mapping[str, Any]] = {"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"]}
_MAP_BY_TYPE: Final[Mapping[str, Any]] = {"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["type"]}
_ATOMIC: Final[Mapping[str, Any]] = {"x-kubernetes-list-type": "atomic"}


def _counters(*names: str) -> ModelOverride:
    """Status counters: always present, 0 until the controller says otherwise (spec §1.2-§1.4)."""
    return ModelOverride(required=names, properties={n: {"default": 0} for n in names})


# CEL rules of spec §2.2 on the PCS-side TopologyConstraint. The transition rule uses
# optionalOldSelf so it also runs on create (oldSelf absent): the deprecated packDomain may be kept on
# an object that already had it, never newly set. Every list above a TopologyConstraint is a map
# list (cliques, podCliqueScalingGroups), so the API server can correlate oldSelf.
TOPOLOGY_CONSTRAINT_RULES: Final[list[dict[str, Any]]] = [
    {
        "rule": "has(self.pack) || has(self.packDomain) || has(self.spreadConstraints)",
        "message": "topologyConstraint must set pack, packDomain or spreadConstraints",
    },
    {
        "rule": "!(has(self.pack) && has(self.pack.required) && has(self.packDomain))",
        "message": "pack.required and the deprecated packDomain must not both be set; use pack.required",
        "fieldPath": ".packDomain",
    },
    {
        "rule": "!has(self.packDomain) || (oldSelf.hasValue() && has(oldSelf.value().packDomain))",
        "optionalOldSelf": True,
        "message": "packDomain is deprecated and cannot be newly set; use pack.required",
        "fieldPath": ".packDomain",
    },
]

TOPOLOGY_PACK_RULES: Final[list[dict[str, Any]]] = [
    {"rule": "has(self.required) || has(self.preferred)", "message": "pack must set required or preferred"},
]

SPREAD_RULES: Final[list[dict[str, Any]]] = [
    {
        "rule": "!has(self.minDomains) || !has(self.whenUnsatisfiable) || self.whenUnsatisfiable == 'DoNotSchedule'",
        "message": "minDomains can only be used when whenUnsatisfiable is DoNotSchedule",
        "fieldPath": ".minDomains",
    },
]

_PODGANG_PHASES: Final = ["Pending", "Starting", "Running", "Failed", "Succeeded"]

MODEL_OVERRIDES: Final[Mapping[type[BaseModel], ModelOverride]] = {
    # --- lists every status shares --------------------------------------------------------------
    base.Condition: ModelOverride(as_list_item=_MAP_BY_TYPE),
    # --- PodCliqueSet ---------------------------------------------------------------------------
    core.PodCliqueSetSpec: ModelOverride(properties={"replicas": {"default": 0}}),
    core.UpdateStrategy: ModelOverride(properties={"type": {"default": "RollingRecreate"}}),
    core.PodCliqueSetTemplateSpec: ModelOverride(
        properties={
            "cliques": _MAP_BY_NAME,
            "cliqueStartupType": {"default": "CliqueStartupTypeAnyOrder"},
            "podCliqueScalingGroups": _MAP_BY_NAME,
        },
    ),
    core.HeadlessServiceConfig: ModelOverride(
        required=("publishNotReadyAddresses",), properties={"publishNotReadyAddresses": {"default": True}}
    ),
    core.PodCliqueScalingGroupConfig: ModelOverride(
        properties={"replicas": {"default": 1}, "minAvailable": {"default": 1}}
    ),
    core.AutoScalingConfig: ModelOverride(properties={"metrics": _ATOMIC}),
    core.TopologyConstraint: ModelOverride(schema={"x-kubernetes-validations": TOPOLOGY_CONSTRAINT_RULES}),
    core.TopologyPack: ModelOverride(schema={"x-kubernetes-validations": TOPOLOGY_PACK_RULES}),
    # spread (Grove extension, docs/spread.md): Kubernetes topologySpreadConstraints' defaults and bounds
    core.SpreadConstraint: ModelOverride(
        properties={
            "maxSkew": {"default": 1, "minimum": 1},
            "whenUnsatisfiable": {"default": "DoNotSchedule"},
            "minDomains": {"minimum": 1},
        },
        schema={"x-kubernetes-validations": SPREAD_RULES},
    ),
    core.PodCliqueSetStatus: _counters("updatedReplicas", "availableReplicas"),
    core.PodGangStatusEntry: ModelOverride(properties={"phase": {"enum": _PODGANG_PHASES}}),
    # --- PodClique ------------------------------------------------------------------------------
    core.PodCliqueStatus: _counters("readyReplicas", "updatedReplicas", "scheduleGatedReplicas", "scheduledReplicas"),
    # --- PodCliqueScalingGroup ------------------------------------------------------------------
    core.PodCliqueScalingGroupSpec: ModelOverride(
        required=("replicas",), properties={"replicas": {"default": 1}, "minAvailable": {"default": 1}}
    ),
    core.PodCliqueScalingGroupStatus: _counters("scheduledReplicas", "availableReplicas", "updatedReplicas"),
    # --- PodGang --------------------------------------------------------------------------------
    scheduler.PodGroup: ModelOverride(required=("podReferences",)),
    scheduler.SchedulerSpreadConstraint: ModelOverride(
        properties={"maxSkew": {"minimum": 1}, "minDomains": {"minimum": 1}}
    ),
    scheduler.PodGangStatus: ModelOverride(required=("phase",)),
}


def overrides_by_name() -> dict[str, ModelOverride]:
    """The table keyed the way the JSON Schema names models (class name); names must be unique."""
    out: dict[str, ModelOverride] = {}
    for model, override in MODEL_OVERRIDES.items():
        if model.__name__ in out:
            raise ValueError(f"two overridden models are both named {model.__name__}")
        out[model.__name__] = override
    return out
