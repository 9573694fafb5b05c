"""grove.io/v1alpha1: PodCliqueSet, PodClique, PodCliqueScalingGroup (spec §1.2-§1.4)."""

from __future__ import annotations

from typing import Literal

from grove.api.models.base import Condition, Int32, KubeDict, LastError, TypedObject, WireModel

UpdateStrategyType = Literal["RollingRecreate", "OnDelete"]
CliqueStartupType = Literal["CliqueStartupTypeAnyOrder", "CliqueStartupTypeInOrder", "CliqueStartupTypeExplicit"]
SharingScope = Literal["AllReplicas", "PerReplica"]
WhenUnsatisfiable = Literal["DoNotSchedule", "ScheduleAnyway"]


class TopologyPack(WireModel):
    required: str | None = None
    preferred: str | None = None


class SpreadConstraint(WireModel):
    """Grove extension (docs/spread.md): spread the replicas of the constrained resource over the
    domains of one topology level, with Kubernetes topologySpreadConstraints semantics."""

    domain: str
    max_skew: Int32 | None = None  # CRD default 1; >= 1
    when_unsatisfiable: WhenUnsatisfiable | None = None  # CRD default DoNotSchedule
    min_domains: Int32 | None = None  # >= 1, DoNotSchedule only


class TopologyConstraint(WireModel):
    topology_name: str | None = None
    pack: TopologyPack | None = None
    pack_domain: str | None = None  # deprecated alias of pack.required
    spread_constraints: list[SpreadConstraint] | None = None  # Grove extension, docs/spread.md


class AutoScalingConfig(WireModel):
    min_replicas: Int32 | None = None
    max_replicas: Int32
    metrics: list[KubeDict] | None = None  # autoscaling/v2 MetricSpec, atomic


class PodCliqueSpec(WireModel):
    role_name: str | None = None  # required upstream; tolerated here (see validation warning)
    pod_spec: KubeDict
    replicas: Int32
    min_available: Int32 | None = None
    starts_after: list[str] | None = None
    auto_scaling_config: AutoScalingConfig | None = None


class ResourceSharingSpec(WireModel):
    name: str
    namespace: str | None = None
    scope: SharingScope


class PCSResourceSharingFilter(WireModel):
    child_clique_names: list[str] | None = None
    child_scaling_group_names: list[str] | None = None


class PCSResourceSharingSpec(ResourceSharingSpec):
    filter: PCSResourceSharingFilter | None = None


class PCSGResourceSharingFilter(WireModel):
    child_clique_names: list[str] | None = None


class PCSGResourceSharingSpec(ResourceSharingSpec):
    filter: PCSGResourceSharingFilter | None = None


class PodCliqueTemplateSpec(WireModel):
    name: str
    labels: dict[str, str] | None = None
    annotations: dict[str, str] | None = None
    topology_constraint: TopologyConstraint | None = None
    resource_sharing: list[ResourceSharingSpec] | None = None
    spec: PodCliqueSpec


class PodCliqueScalingGroupConfig(WireModel):
    name: str
    clique_names: list[str]
    annotations: dict[str, str] | None = None
    replicas: Int32 | None = None
    min_available: Int32 | None = None
    scale_config: AutoScalingConfig | None = None
    resource_sharing: list[PCSGResourceSharingSpec] | None = None
    topology_constraint: TopologyConstraint | None = None


class HeadlessServiceConfig(WireModel):
    publish_not_ready_addresses: bool = True


class ResourceClaimTemplateConfig(WireModel):
    name: str
    template_spec: KubeDict  # resource.k8s.io/v1 ResourceClaimTemplateSpec


class PodCliqueSetTemplateSpec(WireModel):
    cliques: list[PodCliqueTemplateSpec]
    clique_startup_type: CliqueStartupType | None = None
    priority_class_name: str | None = None
    headless_service_config: HeadlessServiceConfig | None = None
    topology_constraint: TopologyConstraint | None = None
    termination_delay: str | None = None
    resource_claim_templates: list[ResourceClaimTemplateConfig] | None = None
    resource_sharing: list[PCSResourceSharingSpec] | None = None
    pod_clique_scaling_groups: list[PodCliqueScalingGroupConfig] | None = None


class UpdateStrategy(WireModel):
    type: UpdateStrategyType | None = None


class PodCliqueSetSpec(WireModel):
    replicas: Int32 | None = None
    update_strategy: UpdateStrategy | None = None
    template: PodCliqueSetTemplateSpec


class PodGangStatusEntry(WireModel):
    name: str
    phase: str | None = None
    conditions: list[Condition] | None = None


class ReplicaUpdateProgress(WireModel):
    replica_index: Int32
    update_started_at: str | None = None
    update_ended_at: str | None = None


class PodCliqueSetUpdateProgress(WireModel):
    update_started_at: str | None = None
    update_ended_at: str | None = None
    updated_pod_cliques_count: Int32 | None = None
    total_pod_cliques_count: Int32 | None = None
    updated_pod_clique_scaling_groups_count: Int32 | None = None
    total_pod_clique_scaling_groups_count: Int32 | None = None
    currently_updating: list[ReplicaUpdateProgress] | None = None


class PodCliqueSetStatus(WireModel):
    observed_generation: int | None = None
    conditions: list[Condition] | None = None
    last_errors: list[LastError] | None = None
    replicas: Int32 | None = None
    updated_replicas: Int32 = 0
    available_replicas: Int32 = 0
    hpa_pod_selector: str | None = None
    pod_gang_statuses: list[PodGangStatusEntry] | None = None
    current_generation_hash: str | None = None
    update_progress: PodCliqueSetUpdateProgress | None = None


class PodCliqueSet(TypedObject):
    spec: PodCliqueSetSpec
    status: PodCliqueSetStatus | None = None


# --- PodClique -------------------------------------------------------------------------------------

class ReadyPodsSelectedToUpdate(WireModel):
    current: str
    completed: list[str] | None = None


class PodCliqueUpdateProgress(WireModel):
    update_started_at: str | None = None
    update_ended_at: str | None = None
    pod_clique_set_generation_hash: str
    pod_template_hash: str
    ready_pods_selected_to_update: ReadyPodsSelectedToUpdate | None = None


class PodCliqueStatus(WireModel):
    observed_generation: int | None = None
    last_errors: list[LastError] | None = None
    replicas: Int32 | None = None
    ready_replicas: Int32 = 0
    updated_replicas: Int32 = 0
    schedule_gated_replicas: Int32 = 0
    scheduled_replicas: Int32 = 0
    hpa_pod_selector: str | None = None
    conditions: list[Condition] | None = None
    current_pod_clique_set_generation_hash: str | None = None
    current_pod_template_hash: str | None = None
    update_progress: PodCliqueUpdateProgress | None = None


class PodClique(TypedObject):
    spec: PodCliqueSpec
    status: PodCliqueStatus | None = None


# --- PodCliqueScalingGroup -------------------------------------------------------------------------

class PodCliqueScalingGroupSpec(WireModel):
    replicas: Int32 = 1
    min_available: Int32 | None = None
    clique_names: list[str]


class ReadyReplicaIndicesSelectedToUpdate(WireModel):
    current: Int32
    completed: list[Int32] | None = None


class PodCliqueScalingGroupUpdateProgress(WireModel):
    update_started_at: str
    update_ended_at: str | None = None
    pod_clique_set_generation_hash: str
    updated_pod_cliques_count: Int32 | None = None
    total_pod_cliques_count: Int32 | None = None
    ready_replica_indices_selected_to_update: ReadyReplicaIndicesSelectedToUpdate | None = None


class PodCliqueScalingGroupStatus(WireModel):
    replicas: Int32 | None = None
    scheduled_replicas: Int32 = 0
    available_replicas: Int32 = 0
    updated_replicas: Int32 = 0
    selector: str | None = None
    observed_generation: int | None = None
    last_errors: list[LastError] | None = None
    conditions: list[Condition] | None = None
    current_pod_clique_set_generation_hash: str | None = None
    update_progress: PodCliqueScalingGroupUpdateProgress | None = None


class PodCliqueScalingGroup(TypedObject):
    spec: PodCliqueScalingGroupSpec
    status: PodCliqueScalingGroupStatus | None = None

