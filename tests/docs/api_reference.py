"""Generates docs/reference/api.md from the pydantic models in grove.api.models.

    .venv/bin/python -m tests.docs.api_reference          # rewrite the page
    .venv/bin/python -m tests.docs.api_reference --check  # exit 1 if the page is stale

Structure (every field path, its type, whether it is required, its model default) comes from the models;
the prose of the "Notes" column comes from NOTES below, keyed by ``ModelClass.field`` so a structure
shared by two kinds (PodCliqueSpec in a PodCliqueSet template and in a PodClique) is described once.
tests/docs/test_api_reference.py fails when the page and the models disagree or a note names no field.
"""

from __future__ import annotations

import json
import sys
import types
import typing
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from grove.api.models import (
    ClusterTopologyBinding,
    OperatorConfiguration,
    PodClique,
    PodCliqueScalingGroup,
    PodCliqueSet,
    PodGang,
)
from grove.api.models.base import WireModel
from tests.docs.blocks import DOCS

PAGE = DOCS / "reference" / "api.md"
IMM = "**immutable**"  # rejected on UPDATE when changed (spec §2.2)

KINDS: list[tuple[type[BaseModel], str, str]] = [
    (PodCliqueSet, "grove.io/v1alpha1", "pcs"),
    (PodClique, "grove.io/v1alpha1", "pclq"),
    (PodCliqueScalingGroup, "grove.io/v1alpha1", "pcsg"),
    (PodGang, "scheduler.grove.io/v1alpha1", "pg"),
    (ClusterTopologyBinding, "grove.io/v1alpha1 (cluster-scoped)", "ct"),
    (OperatorConfiguration, "operator.config.grove.io/v1alpha1 (a file, not a resource)", ""),
]

INTRO: dict[str, str] = {
    "PodCliqueSet": "The object users write: a template of cliques and scaling groups, replicated `spec.replicas` "
                    "times. Everything else on this page except OperatorConfiguration is created and owned by the "
                    "operator from it ([concepts](../concepts.md)).",
    "PodClique": "One per clique per PodCliqueSet replica (and per scaling-group replica for member cliques), "
                 "named `<pcs>-<i>-<clique>` or `<pcs>-<i>-<group>-<j>-<clique>`. Its spec is the clique's "
                 "template spec; only `spec.replicas` is meant to be changed on it (`kubectl scale pclq`, HPA).",
    "PodCliqueScalingGroup": "One per scaling group per PodCliqueSet replica, named `<pcs>-<i>-<group>`. Scale it "
                             "with `kubectl scale pcsg`; each replica `j` is a set of member PodCliques.",
    "PodGang": "The unit a gang scheduler places all-or-nothing, written by the operator: the base gang "
               "`<pcs>-<i>` and one scaled gang per scaling-group replica above `minAvailable`.",
    "ClusterTopologyBinding": "Names the cluster's topology levels, broadest first, for topology-aware "
                              "scheduling. Written by the cluster administrator.",
    "OperatorConfiguration": "The operator's configuration file (`grove operator --config FILE`; the Helm chart "
                             "renders it into the `grove-operator-config` ConfigMap). Defaults are the upstream "
                             "Go binary's; the chart's values differ ([Helm chart](../helm.md)).",
}

NOTES: dict[str, str] = {
    # PodCliqueSet
    "PodCliqueSetSpec.replicas": "Replicas of the whole template. Defaulted to 0 by the CRD; < 0 rejected. "
                                 "Scale with `kubectl scale pcs`.",
    "PodCliqueSetSpec.template": "The template every replica is built from.",
    "UpdateStrategy.type": "`RollingRecreate` (the default, also when `updateStrategy` is absent): one replica "
                           "at a time, Ready pods one by one. `OnDelete`: pods change only when deleted.",
    "PodCliqueSetTemplateSpec.cliques": f"At least one; names unique DNS subdomains, roleNames unique. Cliques may "
                                        f"not be added, removed or renamed ({IMM}); order too under InOrder/Explicit.",
    "PodCliqueSetTemplateSpec.clique_startup_type": f"`CliqueStartupTypeAnyOrder` (CRD default), `…InOrder` "
                                                    f"(template order), `…Explicit` (each clique's `startsAfter`). {IMM}",
    "PodCliqueSetTemplateSpec.priority_class_name": "Copied to PodGangs (and KAI/Volcano PodGroups); not set on "
                                                    "pods (upstream behaviour). Changing it rolls pods.",
    "PodCliqueSetTemplateSpec.headless_service_config": "Defaulted by the webhook to "
                                                        "`{publishNotReadyAddresses: true}`.",
    "HeadlessServiceConfig.publish_not_ready_addresses": "Whether the per-replica headless Service `<pcs>-<i>` "
                                                         "publishes pods before they are Ready.",
    "PodCliqueSetTemplateSpec.topology_constraint": f"Pack every pod of a replica into one topology domain "
                                                    f"([topology](../concepts.md#topology-aware-scheduling)). {IMM}",
    "PodCliqueSetTemplateSpec.termination_delay": "How long a gang may stay below `minAvailable` before it is "
                                                  "terminated and recreated (Go duration). Webhook default `4h`; "
                                                  "must be > 0.",
    "PodCliqueSetTemplateSpec.resource_claim_templates": f"DRA ResourceClaimTemplates internal to this set "
                                                         f"(`templateSpec` is a resource.k8s.io/v1 "
                                                         f"ResourceClaimTemplateSpec). {IMM}",
    "ResourceClaimTemplateConfig.name": "Unique; referenced by `resourceSharing[].name`.",
    "ResourceClaimTemplateConfig.template_spec": "resource.k8s.io/v1 ResourceClaimTemplateSpec; "
                                                 "`spec.devices.requests` must not be empty.",
    "PodCliqueSetTemplateSpec.resource_sharing": f"ResourceClaims shared by the pods of the whole set or of each "
                                                 f"replica. {IMM}",
    "PodCliqueSetTemplateSpec.pod_clique_scaling_groups": "Scaling groups: cliques that scale together as one "
                                                          "gang-scheduled unit. Groups may not be added, removed or "
                                                          "renamed.",
    "ResourceSharingSpec.name": "An internal `resourceClaimTemplates` entry (namespace empty) or a "
                                "ResourceClaimTemplate in `namespace`.",
    "ResourceSharingSpec.namespace": "Namespace of an external ResourceClaimTemplate (default: the set's); "
                                     "must be empty when `name` is an internal template.",
    "ResourceSharingSpec.scope": "`AllReplicas`: one claim for every pod of the owner; `PerReplica`: one per "
                                 "owner replica (PCS replica, PCSG replica or pod index).",
    "PCSResourceSharingFilter.child_clique_names": "Only these cliques' pods get the claim (no filter: all).",
    "PCSResourceSharingFilter.child_scaling_group_names": "Only these scaling groups' pods get the claim.",
    "PodCliqueTemplateSpec.name": "DNS subdomain; `len(pcs) + len(clique)` (plus `len(group)` for members) "
                                  "at most 45 characters.",
    "PodCliqueTemplateSpec.labels": "Copied to the PodClique and its pods; part of the pod-template hash.",
    "PodCliqueTemplateSpec.annotations": "Copied to the PodClique and its pods; part of the pod-template hash. "
                                         "`grove.io/mnnvl-group` is immutable.",
    "PodCliqueTemplateSpec.topology_constraint": f"Pack this clique's pods (per PodGroup). {IMM}",
    "PodCliqueTemplateSpec.resource_sharing": f"Claims shared per clique or per pod. {IMM}",
    "PodCliqueTemplateSpec.spec": "The PodClique spec.",
    # PodCliqueSpec (template and PodClique)
    "PodCliqueSpec.role_name": f"Required upstream; unique within the set. {IMM}",
    "PodCliqueSpec.pod_spec": "A core/v1 PodSpec. Webhook defaults: `restartPolicy: Always`, "
                              "`terminationGracePeriodSeconds: 30`. `nodeName` and `topologySpreadConstraints` "
                              f"are rejected on create; `schedulerName` must be an enabled profile, one per set ({IMM}).",
    "PodCliqueSpec.replicas": "Pods in this clique; a submitted 0 becomes 1. Seeds creation only: a live "
                              "PodClique keeps the replicas it was scaled to.",
    "PodCliqueSpec.min_available": f"Gang floor and availability floor: pods that must be scheduled (and Ready) "
                                   f"for the clique to count. Defaulted to `replicas` as submitted; 1..replicas. {IMM}",
    "PodCliqueSpec.starts_after": f"Under `CliqueStartupTypeExplicit`: cliques whose `minAvailable` pods must be "
                                  f"Ready before this clique's containers start. No self, duplicates or cycles. {IMM}",
    "PodCliqueSpec.auto_scaling_config": "The operator creates an HPA targeting this PodClique. Not allowed on "
                                         "scaling-group members (use the group's `scaleConfig`).",
    "AutoScalingConfig.min_replicas": "Defaulted to the submitted `replicas`; must be >= `minAvailable`.",
    "AutoScalingConfig.max_replicas": "Must be >= `minReplicas` and >= `replicas`.",
    "AutoScalingConfig.metrics": "autoscaling/v2 MetricSpec list; empty means the HPA default (80 % CPU).",
    # Scaling groups
    "PodCliqueScalingGroupConfig.name": "DNS subdomain, unique among groups.",
    "PodCliqueScalingGroupConfig.clique_names": f"Member cliques; a clique belongs to at most one group. {IMM}",
    "PodCliqueScalingGroupConfig.annotations": "Copied to the PodCliqueScalingGroup.",
    "PodCliqueScalingGroupConfig.replicas": "Group replicas per PCS replica (CRD default 1, > 0). Seeds "
                                            "creation only.",
    "PodCliqueScalingGroupConfig.min_available": f"Group replicas in the base gang; the rest are scaled gangs "
                                                 f"(CRD default 1; 1..replicas). {IMM}",
    "PodCliqueScalingGroupConfig.scale_config": "The operator creates an HPA targeting the "
                                                "PodCliqueScalingGroup; `minReplicas` defaults to `replicas`.",
    "PodCliqueScalingGroupConfig.resource_sharing": f"Claims shared per group or per group replica. {IMM}",
    "PodCliqueScalingGroupConfig.topology_constraint": f"Pack each group replica into one domain. {IMM}",
    "PCSGResourceSharingFilter.child_clique_names": "Only these member cliques' pods get the claim.",
    "TopologyConstraint.topology_name": "The ClusterTopologyBinding to use; required on the set, inherited by "
                                        "groups and cliques; one name per set.",
    "TopologyConstraint.pack": "`required` and/or `preferred` domain (a level of the binding, e.g. `rack`). A "
                               "parent's domain may not be narrower than a child's.",
    "TopologyConstraint.pack_domain": "Deprecated alias of `pack.required`; rejected on create.",
    "TopologyConstraint.spread_constraints": "Grove extension ([Topology spread](../spread.md)): spread this "
    "resource's replicas (PCS replicas, PCSG replicas, or a clique's pods) over a level's domains.",
    "SpreadConstraint.domain": "A level of the ClusterTopologyBinding (e.g. `zone`), never a raw label key; not "
    "narrower than the constraint's own `pack.required`.",
    "SpreadConstraint.max_skew": "Largest allowed difference between the fullest and emptiest eligible domain.",
    "SpreadConstraint.when_unsatisfiable": "`DoNotSchedule` keeps a unit Pending rather than exceed the skew; "
    "`ScheduleAnyway` places it and reports the skew in the Scheduled event.",
    "SpreadConstraint.min_domains": "With `DoNotSchedule`: fewer eligible domains than this count the minimum as 0.",
    "TopologyPack.required": "All pods must land in one domain of this level, or none is placed.",
    "TopologyPack.preferred": "Try to land in one domain of this level.",
    # Status
    "PodCliqueSetStatus.available_replicas": "Replicas whose standalone PodCliques have >= `minAvailable` Ready "
                                             "pods and whose scaling groups have >= `minAvailable` available "
                                             "replicas.",
    "PodCliqueSetStatus.hpa_pod_selector": "Label selector of all the set's pods (scale subresource).",
    "PodCliqueSetStatus.pod_gang_statuses": "Never written (upstream).",
    "PodCliqueSetStatus.conditions": "`TopologyLevelsUnavailable` only.",
    "PodCliqueSetStatus.last_errors": "Reconcile failures; cleared by the next success.",
    "PodCliqueStatus.ready_replicas": "Pods with Ready=True.",
    "PodCliqueStatus.schedule_gated_replicas": "Pods still held by the `grove.io/podgang-pending-creation` gate.",
    "PodCliqueStatus.scheduled_replicas": "Pods bound to a node.",
    "PodCliqueStatus.conditions": "`MinAvailableBreached`, `PodCliqueScheduled`.",
    "PodCliqueScalingGroupSpec.replicas": "Group replicas; the scale subresource.",
    "PodCliqueScalingGroupSpec.min_available": "Copied from the template.",
    "PodCliqueScalingGroupSpec.clique_names": "Copied from the template.",
    "PodCliqueScalingGroupStatus.conditions": "`MinAvailableBreached`, `GangTerminationInProgress`.",
    "PodCliqueScalingGroupStatus.selector": "Label selector of the group's pods (scale subresource).",
    "PodGangSpec.podgroups": "One per PodClique of the gang (lower-case key on the wire).",
    "PodGroup.name": "The PodClique's name.",
    "PodGroup.pod_references": "The clique's non-terminating pods in this gang, sorted by name.",
    "PodGroup.min_replicas": "The clique's `minAvailable`: the gang is placed only if this many fit.",
    "PodGroup.topology_constraint": "The clique's constraint, translated to a node label key.",
    "PackConstraint.required": "A node label key (translated from the domain).",
    "PackConstraint.preferred": "A node label key (translated from the domain).",
    "PodGangSpec.topology_constraint_group_configs": "One per base scaling-group replica with a constraint.",
    "PodGangSpec.reuse_reservation_ref": "Never set (scheduler-reserved).",
    "PodGangStatus.phase": "Grove writes `Pending`; other phases are the scheduler's.",
    "PodGangStatus.conditions": "Grove writes `Initialized` once every pod of the gang exists.",
    "TopologyLevel.domain": "`^[a-z][a-z0-9-]*$`, 1..63 characters, unique (e.g. zone, rack, host).",
    "TopologyLevel.key": "Node label key of this level (qualified name, 1..63), unique.",
    "ClusterTopologyBindingSpec.levels": "At least one, broadest first.",
    "ClusterTopologyBindingSpec.scheduler_topology_bindings": "Bind to a scheduler's own topology object "
                                                              "(only `kai-scheduler` is topology-aware).",
    # OperatorConfiguration
    "OperatorConfiguration.log_level": "`debug`, `info` or `error`.",
    "OperatorConfiguration.log_format": "`json` or `text`.",
    "WebhookServer.cert_provision_mode": "`auto`: the operator makes and rotates a self-signed certificate; "
                                         "`manual`: `serverCertDir` is used as is.",
    "SchedulerConfig.profiles": "Names: `default-scheduler` (always added), `kai-scheduler`, `volcano`, "
                                "`lpx-scheduler`, `grove-scheduler`.",
    "SchedulerConfig.default_profile_name": "The profile of pods without `schedulerName`; default "
                                            "`default-scheduler`.",
    "TopologyAwareScheduling.enabled": "Gates topology constraints in admission and PodGangs.",
    "NetworkConfig.auto_mnnvl_enabled": "Auto-MNNVL: ComputeDomains for GPU cliques (needs the NVIDIA DRA driver).",
    "LeaderElection.enabled": "Required for more than one operator replica.",
    # Status and operator-written fields
    "PodCliqueSetStatus.observed_generation": "The generation the status describes.",
    "PodCliqueSetStatus.replicas": "`spec.replicas` (scale subresource).",
    "PodCliqueSetStatus.updated_replicas": "Available replicas whose cliques and groups all run the current "
                                           "template.",
    "PodGangStatusEntry.name": "Never written (upstream).",
    "PodGangStatusEntry.phase": "Never written (upstream).",
    "PodGangStatusEntry.conditions": "Never written (upstream).",
    "PodCliqueSetStatus.current_generation_hash": "Hash of every clique's pod template; a change starts an "
                                                  "update.",
    "PodCliqueSetUpdateProgress.update_started_at": "When the current update started.",
    "PodCliqueSetUpdateProgress.update_ended_at": "When it finished (immediately for `OnDelete`).",
    "PodCliqueSetUpdateProgress.updated_pod_cliques_count": "Standalone PodCliques converged to the new "
                                                            "template (`PCLQs-Updated` column).",
    "PodCliqueSetUpdateProgress.total_pod_cliques_count": "Standalone PodCliques expected (`PCLQs-Total`).",
    "PodCliqueSetUpdateProgress.updated_pod_clique_scaling_groups_count": "Scaling groups that report the new "
                                                                          "hash (`PCSGs-Updated`).",
    "PodCliqueSetUpdateProgress.total_pod_clique_scaling_groups_count": "Scaling groups expected "
                                                                        "(`PCSGs-Total`).",
    "PodCliqueSetUpdateProgress.currently_updating": "The PodCliqueSet replica being updated "
                                                     "(`RollingRecreate`: one at a time).",
    "ReplicaUpdateProgress.replica_index": "Its index `i`.",
    "ReplicaUpdateProgress.update_started_at": "When this replica's update started.",
    "ReplicaUpdateProgress.update_ended_at": "When this replica's update finished.",
    "PodCliqueStatus.observed_generation": "The generation the status describes.",
    "PodCliqueStatus.last_errors": "Reconcile failures; cleared by the next success.",
    "PodCliqueStatus.replicas": "Non-terminating pods (scale subresource).",
    "PodCliqueStatus.updated_replicas": "Pods with the current pod-template hash.",
    "PodCliqueStatus.hpa_pod_selector": "Label selector of the clique's pods (scale subresource); standalone "
                                        "cliques only.",
    "PodCliqueStatus.current_pod_clique_set_generation_hash": "The set's hash this clique has converged to.",
    "PodCliqueStatus.current_pod_template_hash": "The pod-template hash every pod has once converged.",
    "PodCliqueUpdateProgress.update_started_at": "When this clique's update started.",
    "PodCliqueUpdateProgress.update_ended_at": "When it finished.",
    "PodCliqueUpdateProgress.pod_clique_set_generation_hash": "The set's hash being rolled out.",
    "PodCliqueUpdateProgress.pod_template_hash": "The new pod-template hash.",
    "ReadyPodsSelectedToUpdate.current": "The Ready old pod being replaced now.",
    "ReadyPodsSelectedToUpdate.completed": "Pods already replaced.",
    "PodCliqueScalingGroupStatus.replicas": "`spec.replicas` (scale subresource).",
    "PodCliqueScalingGroupStatus.scheduled_replicas": "Group replicas whose every member is scheduled.",
    "PodCliqueScalingGroupStatus.available_replicas": "Scheduled group replicas whose every member has "
                                                      ">= `minAvailable` Ready pods.",
    "PodCliqueScalingGroupStatus.updated_replicas": "Available group replicas on the current template.",
    "PodCliqueScalingGroupStatus.observed_generation": "The generation the status describes.",
    "PodCliqueScalingGroupStatus.last_errors": "Reconcile failures; cleared by the next success.",
    "PodCliqueScalingGroupStatus.current_pod_clique_set_generation_hash": "The set's hash every member has "
                                                                          "converged to.",
    "PodCliqueScalingGroupUpdateProgress.update_started_at": "When this group's update started.",
    "PodCliqueScalingGroupUpdateProgress.update_ended_at": "When it finished.",
    "PodCliqueScalingGroupUpdateProgress.pod_clique_set_generation_hash": "The set's hash being rolled out.",
    "PodCliqueScalingGroupUpdateProgress.updated_pod_cliques_count": "Member PodCliques converged.",
    "PodCliqueScalingGroupUpdateProgress.total_pod_cliques_count": "`replicas` x member cliques.",
    "ReadyReplicaIndicesSelectedToUpdate.current": "The group replica `j` being replaced now.",
    "ReadyReplicaIndicesSelectedToUpdate.completed": "Group replicas already replaced.",
    "NamespacedName.namespace": "Namespace of the referenced object.",
    "NamespacedName.name": "Name of the referenced object.",
    "TopologyConstraintGroupConfig.name": "`<pcsg>-<j>`: one base scaling-group replica.",
    "TopologyConstraintGroupConfig.pod_group_names": "The PodGroups (member PodCliques) of that replica.",
    "TopologyConstraintGroupConfig.topology_constraint": "The group's constraint, translated.",
    "SchedulerTopologyConstraint.pack_constraint": "`required` / `preferred` node label keys.",
    "SchedulerTopologyConstraint.spread_constraints": "Grove extension: the spread, translated to node label keys.",
    "SchedulerSpreadConstraint.topology_key": "The node label whose values are the domains.",
    "SchedulerSpreadConstraint.max_skew": "As `maxSkew` of the PodCliqueSet's spread.",
    "SchedulerSpreadConstraint.when_unsatisfiable": "As `whenUnsatisfiable` of the PodCliqueSet's spread.",
    "SchedulerSpreadConstraint.min_domains": "As `minDomains` of the PodCliqueSet's spread.",
    "SchedulerSpreadConstraint.spread_group": "Units sharing this name are spread together (e.g. a PCS's "
    "replicas); absent on a PodGroup, whose own pods are spread.",
    "PodGangSpec.topology_constraint": "The set's (base gang) or group's (scaled gang) constraint, translated.",
    "PodGangSpec.priority_class_name": "The set's `priorityClassName`.",
    "PodGangStatus.placement_score": "Scheduler-reserved.",
    "SchedulerTopologyBinding.scheduler_name": "An enabled, topology-aware profile (`kai-scheduler`), unique.",
    "SchedulerTopologyBinding.topology_reference": "The scheduler's own topology object to check for drift "
                                                   "instead of the operator managing one.",
    "ClusterTopologyBindingStatus.observed_generation": "The generation the status describes.",
    "ClusterTopologyBindingStatus.conditions": "`SchedulerTopologyDrift`: `InSync`, `Drift` or "
                                               "`TopologyNotFound`.",
    "ClusterTopologyBindingStatus.scheduler_topology_statuses": "One per topology-aware scheduler.",
    "SchedulerTopologyStatus.scheduler_name": "The scheduler profile.",
    "SchedulerTopologyStatus.topology_reference": "The backend topology object compared.",
    "SchedulerTopologyStatus.in_sync": "Whether the backend topology matches the levels.",
    "SchedulerTopologyStatus.scheduler_backend_topology_observed_generation": "Generation of the backend "
                                                                              "topology compared.",
    "SchedulerTopologyStatus.message": "Why it is not in sync.",
    # OperatorConfiguration
    "ClientConnection.qps": "API client rate limit (requests per second).",
    "ClientConnection.burst": "API client burst; >= 0.",
    "ClientConnection.content_type": "Accepted for upstream compatibility; this operator always sends JSON.",
    "ClientConnection.accept_content_types": "Accepted for upstream compatibility; not used.",
    "LeaderElection.lease_duration": "With leader election on: > `renewDeadline`.",
    "LeaderElection.renew_deadline": "A leader that cannot renew for this long exits.",
    "LeaderElection.retry_period": "How often candidates retry.",
    "LeaderElection.resource_lock": "Must be non-empty with leader election on; a Lease is used.",
    "LeaderElection.resource_name": "The Lease's name.",
    "LeaderElection.resource_namespace": "The Lease's namespace (default: the operator's).",
    "WebhookServer.bind_address": "Host to listen on (empty: every interface).",
    "WebhookServer.port": "HTTPS port of the admission webhooks.",
    "WebhookServer.server_cert_dir": "Where the serving certificate is written (auto) or read (manual).",
    "WebhookServer.secret_name": "Secret holding the self-signed certificate (auto).",
    "BindServer.bind_address": "Host to listen on (empty: every interface).",
    "BindServer.port": "`/healthz` and `/readyz` (healthProbes) or `/metrics` (metrics).",
    "Debugging.enable_profiling": "Accepted for upstream compatibility (Go pprof); not used.",
    "Debugging.pprof_bind_host": "Accepted for upstream compatibility; not used.",
    "Debugging.pprof_bind_port": "Accepted for upstream compatibility; not used.",
    "ConcurrentSyncs.concurrent_syncs": "Objects of this kind reconciled in parallel; > 0.",
    "AuthorizerConfig.enabled": "Managed-resource protection: only the operator may change the objects it "
                                "owns.",
    "AuthorizerConfig.exempt_service_account_user_names": "Users allowed to change them anyway.",
    "SchedulerProfile.name": "A scheduler backend; unique.",
    "SchedulerProfile.config": "Backend-specific settings.",
}

_PRIMITIVES = {str: "string", bool: "boolean", float: "number", int: "int64"}


def _strip_optional(tp: Any) -> Any:
    args = get_args(tp)
    if get_origin(tp) in (typing.Union, types.UnionType) and type(None) in args:
        rest = [a for a in args if a is not type(None)]
        return rest[0] if len(rest) == 1 else typing.Union[tuple(rest)]  # noqa: UP007
    return tp


def _type_name(tp: Any) -> str:
    tp = _strip_optional(tp)
    origin = get_origin(tp)
    if origin is typing.Annotated:
        base, *meta = get_args(tp)
        if base is int and any(getattr(m, "le", None) == 2**31 - 1 for m in meta):
            return "int32"
        for m in meta:  # FieldInfo in Annotated metadata carries the constraints
            if isinstance(m, FieldInfo) and m.metadata and any(getattr(x, "le", None) == 2**31 - 1
                                                                 for x in m.metadata):
                return "int32"
        return _type_name(base)
    if origin is Literal:
        return " \\| ".join(f"`{a}`" for a in get_args(tp))
    if origin is list:
        return "[]" + _type_name(get_args(tp)[0])
    if origin is dict:
        key, value = get_args(tp)
        return "object" if value is Any else f"map[{_type_name(key)}]{_type_name(value)}"
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return tp.__name__
    return _PRIMITIVES.get(tp, str(tp))


def _model_of(tp: Any) -> type[BaseModel] | None:
    tp = _strip_optional(tp)
    if get_origin(tp) is typing.Annotated:
        tp = get_args(tp)[0]
    if get_origin(tp) is list:
        return _model_of(get_args(tp)[0])
    return tp if isinstance(tp, type) and issubclass(tp, BaseModel) else None


def _is_list(tp: Any) -> bool:
    return get_origin(_strip_optional(tp)) is list


def _int32(info: FieldInfo) -> bool:
    return any(getattr(m, "le", None) == 2**31 - 1 for m in info.metadata)


def _show(value: Any) -> str:
    if isinstance(value, BaseModel) or value is None:
        return ""
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if value == "":
        return '`""`'
    if isinstance(value, list):
        return f"`{json.dumps([v.to_wire() if isinstance(v, WireModel) else v for v in value])}`"
    return f"`{value}`"


def _default(info: FieldInfo, parent_default: BaseModel | None, name: str) -> str:
    """The model's default; inside a default-constructed parent (OperatorConfiguration), the value there."""
    if parent_default is not None:
        return _show(getattr(parent_default, name))
    if info.is_required():
        return ""
    if info.default_factory is not None:
        return _show(info.default_factory())  # type: ignore[call-arg]
    if info.default is PydanticUndefined:
        return ""
    return _show(info.default)


def note_key(model: type[BaseModel], name: str) -> str:
    """``Class.field`` of the most specific class in the MRO that has a note for the field (inherited fields
    share their base class's note)."""
    for cls in model.__mro__:
        if f"{cls.__name__}.{name}" in NOTES:
            return f"{cls.__name__}.{name}"
    return f"{model.__name__}.{name}"


def rows(model: type[BaseModel], prefix: str = "", defaults: BaseModel | None = None
         ) -> list[tuple[str, str, str, str, str, str]]:
    """(path, type, required, default, note key, note) for every field under ``model``, depth first.
    ``defaults``: a default-constructed ``model`` whose values are the defaults (every field has one)."""
    if model is OperatorConfiguration and prefix == "":
        defaults = OperatorConfiguration()
    out: list[tuple[str, str, str, str, str, str]] = []
    skip = {"api_version", "kind", "metadata"} if prefix == "" and model is not OperatorConfiguration else set()
    if model is OperatorConfiguration:
        skip = {"api_version", "kind"}
    for name, info in model.model_fields.items():
        if name in skip:
            continue
        wire = info.alias or name
        path = f"{prefix}{wire}"
        ann = info.annotation
        tname = "int32" if _int32(info) else _type_name(ann)
        key = note_key(model, name)
        required = "yes" if info.is_required() and defaults is None else ""
        out.append((path, tname, required, _default(info, defaults, name), key, NOTES.get(key, "")))
        sub = _model_of(ann)
        if sub is not None and issubclass(sub, WireModel) and sub.__name__ not in ("Condition", "LastError"):
            child = getattr(defaults, name) if defaults is not None and not _is_list(ann) else None
            out.extend(rows(sub, f"{path}[]." if _is_list(ann) else f"{path}.", child))
    return out


def render() -> str:
    lines = [
        "# API reference",
        "",
        "<!-- Generated by `python -m tests.docs.api_reference` from src/grove/api/models; do not edit by hand. "
        "tests/docs/test_api_reference.py fails when this page and the models disagree. -->",
        "",
        "Every field of every Grove kind, as the pydantic models in `src/grove/api/models` define it: its path "
        "on the wire, its type, whether it is required, the default the model (or, in Notes, admission) gives "
        "it, the rules admission enforces and whether it may change after creation (**immutable**: an UPDATE "
        "that changes it is rejected). `metadata` is a standard Kubernetes ObjectMeta; `conditions` are "
        "metav1.Condition lists; `lastErrors` entries are `{code, description, observedAt}`. Unknown fields "
        "are warnings (errors with `--strict`) in `grove validate` and `grove sim run`. The behaviour behind "
        "each field is in the [behaviour spec](../spec/grove-spec.md) (§1 for the API, §2 for admission).",
        "",
    ]
    for model, api_version, short in KINDS:
        name = model.__name__
        lines += [f"## {name}", "", f"`apiVersion: {api_version}`" + (f", short name `{short}`." if short else "."),
                  "", INTRO[name], "", "| Field | Type | Required | Default | Notes |", "| --- | --- | --- | --- | --- |"]
        for path, tname, required, default, _key, note in rows(model):
            lines.append(f"| `{path}` | {tname} | {required} | {default} | {note} |")
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        current = PAGE.read_text(encoding="utf-8") if PAGE.exists() else ""
        if current != text:
            print(f"{PAGE} is stale: run python -m tests.docs.api_reference", file=sys.stderr)
            return 1
        return 0
    PAGE.parent.mkdir(parents=True, exist_ok=True)
    PAGE.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
