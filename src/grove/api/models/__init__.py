"""Wire models for every Grove kind. See :mod:`grove.api.models.base` for the conventions."""

from grove.api.models.base import Condition, LastError, ObjectMeta, TypedObject, WireModel
from grove.api.models.config import OperatorConfiguration, embedded_cluster_config
from grove.api.models.core import (
    AutoScalingConfig,
    HeadlessServiceConfig,
    PodClique,
    PodCliqueScalingGroup,
    PodCliqueScalingGroupConfig,
    PodCliqueScalingGroupSpec,
    PodCliqueSet,
    PodCliqueSetSpec,
    PodCliqueSetTemplateSpec,
    PodCliqueSpec,
    PodCliqueTemplateSpec,
    TopologyConstraint,
    TopologyPack,
)
from grove.api.models.scheduler import PodGang, PodGangSpec, PodGroup
from grove.api.models.topology import ClusterTopologyBinding, TopologyLevel

__all__ = [
    "AutoScalingConfig",
    "ClusterTopologyBinding",
    "Condition",
    "HeadlessServiceConfig",
    "LastError",
    "ObjectMeta",
    "OperatorConfiguration",
    "PodClique",
    "PodCliqueScalingGroup",
    "PodCliqueScalingGroupConfig",
    "PodCliqueScalingGroupSpec",
    "PodCliqueSet",
    "PodCliqueSetSpec",
    "PodCliqueSetTemplateSpec",
    "PodCliqueSpec",
    "PodCliqueTemplateSpec",
    "PodGang",
    "PodGangSpec",
    "PodGroup",
    "TopologyConstraint",
    "TopologyLevel",
    "TopologyPack",
    "TypedObject",
    "WireModel",
    "embedded_cluster_config",
]
