"""Where Grove's CRD schemas say more than the pydantic models: spec §1 and §2.1-§2.2.

The models decide types, required fields, enums, patterns and bounds. This table adds what only the
API server acts on: CRD defaults (applied before the defaulting webhook), fields that are required
*with* a default (status counters), list semantics for server-side apply, the CEL rules on
TopologyConstraint, and the schemas of the embedded Kubernetes types (PodSpec, MetricSpec,
ResourceClaimTemplateSpec; :mod:`grove.api.crds.kube_schema`), as upstream's CRDs embed them. Every entry is keyed by model class; the generator fails if one goes unused, so
a renamed model cannot leave a stale override behind.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from pydantic import BaseModel

from grove.api.crds.kube_schema import METRIC_SPEC, POD_SPEC, RESOURCE_CLAIM_TEMPLATE_SPEC, kube_schema
from grove.api.crds.structural import ModelOverride, Schema
from grove.api.models import base, core, scheduler

_MAP_BY_NAME: Final[Mapping[str, Any]] = {"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"]}
_MAP_BY_TYPE: Final[Mapping[str, Any]] = {"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["type"]}
_ATOMIC: Final[Mapping[str, Any]] = {"x-kubernetes-list-type": "atomic"}


def _pod_spec() -> Schema:
    return kube_schema(POD_SPEC)


def _metric_spec() -> Schema:
    return kube_schema(METRIC_SPEC)


def _resource_claim_template_spec() -> Schema:
    return kube_schema(RESOURCE_CLAIM_TEMPLATE_SPEC)


def _counters(*names: str) -> ModelOverride:
    """Status counters: always present, 0 until the controller says otherwise (spec §1.2-§1.4)."""
    return ModelOverride(required=names, properties={n: {"default": 0} for n in names})


# CEL rules of spec §2.2 on the PCS-side TopologyConstraint. The transition rule uses
# optionalOldSelf so it also runs on create (oldSelf absent): the deprecated packDomain may be kept on
# an object that already had it, never newly set. Every list above a TopologyConstraint is a map
# list (cliques, podCliqueScalingGroups), so the API server can correlate oldSelf.
#
# Messages, reasons and the first two fieldPaths are upstream's word for word (upstream's e2e test
# TAS22 asserts the messages), so the API server's error line reads the same as upstream's. The
# deprecation rule sits on the constraint itself rather than on the PodCliqueSet root as upstream's
# does, so its path names the exact packDomain (``spec.template.cliques[0].topologyConstraint.packDomain``).
# grove.api.validation.topology.validate_cel reports the same lines offline.
PACK_OR_PACK_DOMAIN_MESSAGE: Final = "topologyConstraint must specify pack or deprecated packDomain"
BOTH_REQUIRED_MESSAGE: Final = "must not set both pack.required and deprecated packDomain"
PACK_DOMAIN_DEPRECATED_MESSAGE: Final = (
    "packDomain is deprecated and cannot be used on new workloads; use pack.required")
PACK_NEEDS_DOMAIN_MESSAGE: Final = "pack must specify at least one of required or preferred"

TOPOLOGY_CONSTRAINT_RULES: Final[list[dict[str, Any]]] = [
    {
        # spreadConstraints alone is a valid constraint too (a Grove extension, docs/spread.md); the
        # message stays upstream's, which its TAS22 asserts
        "rule": "has(self.pack) || has(self.packDomain) || has(self.spreadConstraints)",
        "message": PACK_OR_PACK_DOMAIN_MESSAGE,
        "fieldPath": ".pack",
        "reason": "FieldValueRequired",
    },
    {
        "rule": "!(has(self.pack) && has(self.pack.required) && has(self.packDomain))",
        "message": BOTH_REQUIRED_MESSAGE,
        "fieldPath": ".pack.required",
    },
    {
        "rule": "!has(self.packDomain) || (oldSelf.hasValue() && has(oldSelf.value().packDomain))",
        "optionalOldSelf": True,
        "message": PACK_DOMAIN_DEPRECATED_MESSAGE,
        "fieldPath": ".packDomain",
        "reason": "FieldValueForbidden",
    },
]

TOPOLOGY_PACK_RULES: Final[list[dict[str, Any]]] = [
    {"rule": "has(self.required) || has(self.preferred)", "message": PACK_NEEDS_DOMAIN_MESSAGE,
     "reason": "FieldValueRequired"},
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
    core.AutoScalingConfig: ModelOverride(properties={"metrics": _ATOMIC}, embedded={"metrics": _metric_spec}),
    core.PodCliqueSpec: ModelOverride(embedded={"podSpec": _pod_spec}),
    core.ResourceClaimTemplateConfig: ModelOverride(embedded={"templateSpec": _resource_claim_template_spec}),
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
