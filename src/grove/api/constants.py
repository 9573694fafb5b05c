"""Every wire-level key Grove writes or reads: groups, labels, annotations, finalizers, env vars,
condition types and reasons, component values (spec §3). One place, so names never drift."""

from __future__ import annotations

from typing import Final

# --- API groups and kinds -------------------------------------------------------------------------
GROUP: Final = "grove.io"
VERSION: Final = "v1alpha1"
API_VERSION: Final = f"{GROUP}/{VERSION}"
SCHEDULER_GROUP: Final = "scheduler.grove.io"
SCHEDULER_API_VERSION: Final = f"{SCHEDULER_GROUP}/{VERSION}"
CONFIG_GROUP: Final = "operator.config.grove.io"
CONFIG_API_VERSION: Final = f"{CONFIG_GROUP}/{VERSION}"

KIND_PCS: Final = "PodCliqueSet"
KIND_PCLQ: Final = "PodClique"
KIND_PCSG: Final = "PodCliqueScalingGroup"
KIND_CTB: Final = "ClusterTopologyBinding"
KIND_PODGANG: Final = "PodGang"
KIND_OPERATOR_CONFIG: Final = "OperatorConfiguration"

# --- Label keys ------------------------------------------------------------------------------------
LABEL_APP_NAME: Final = "app.kubernetes.io/name"
LABEL_MANAGED_BY: Final = "app.kubernetes.io/managed-by"
LABEL_PART_OF: Final = "app.kubernetes.io/part-of"
LABEL_COMPONENT: Final = "app.kubernetes.io/component"
LABEL_PODCLIQUE: Final = "grove.io/podclique"
LABEL_PODGANG: Final = "grove.io/podgang"
LABEL_BASE_PODGANG: Final = "grove.io/base-podgang"
LABEL_PCS_REPLICA_INDEX: Final = "grove.io/podcliqueset-replica-index"
LABEL_PCSG: Final = "grove.io/podcliquescalinggroup"
LABEL_PCSG_REPLICA_INDEX: Final = "grove.io/podcliquescalinggroup-replica-index"
LABEL_POD_INDEX: Final = "grove.io/podclique-pod-index"
LABEL_POD_TEMPLATE_HASH: Final = "grove.io/pod-template-hash"
LABEL_SCHEDULER_NAME: Final = "grove.io/scheduler-name"
LABEL_MNNVL_GROUP: Final = "grove.io/mnnvl-group"

MANAGED_BY_VALUE: Final = "grove-operator"

# --- Component label values ------------------------------------------------------------------------
COMPONENT_HEADLESS_SERVICE: Final = "pcs-headless-service"
COMPONENT_POD_ROLE: Final = "pod-role"
COMPONENT_POD_ROLE_BINDING: Final = "pod-role-binding"
COMPONENT_POD_SERVICE_ACCOUNT: Final = "pod-service-account"
COMPONENT_POD_SA_TOKEN_SECRET: Final = "pod-sa-token-secret"
COMPONENT_PCSG: Final = "pcs-podcliquescalinggroup"
COMPONENT_HPA: Final = "pcs-hpa"
COMPONENT_PODGANG: Final = "podgang"
COMPONENT_PCS_PODCLIQUE: Final = "pcs-podclique"
COMPONENT_PCSG_PODCLIQUE: Final = "pcsg-podclique"
COMPONENT_RESOURCE_CLAIM: Final = "resource-claim"
COMPONENT_COMPUTEDOMAIN: Final = "pcs-computedomain"

# --- Annotations -----------------------------------------------------------------------------------
ANNOTATION_RECONCILE_TRIGGER: Final = "grove.io/reconcile-trigger"
ANNOTATION_TOPOLOGY_NAME: Final = "grove.io/topology-name"
ANNOTATION_DISABLE_PROTECTION: Final = "grove.io/disable-managed-resource-protection"
ANNOTATION_MNNVL_GROUP: Final = "grove.io/mnnvl-group"
MNNVL_GROUP_NONE: Final = "none"

# --- Finalizers ------------------------------------------------------------------------------------
FINALIZER_PCS: Final = "grove.io/podcliqueset.grove.io"
FINALIZER_PCLQ: Final = "grove.io/podclique.grove.io"
FINALIZER_PCSG: Final = "grove.io/podcliquescalinggroup.grove.io"
FINALIZER_COMPUTEDOMAIN: Final = "grove.io/computedomain-finalizer"

# --- Scheduling gate -------------------------------------------------------------------------------
SCHEDULING_GATE_PODGANG_PENDING: Final = "grove.io/podgang-pending-creation"

# --- Env vars injected into pods (spec §4) ---------------------------------------------------------
ENV_PCS_NAME: Final = "GROVE_PCS_NAME"
ENV_PCS_INDEX: Final = "GROVE_PCS_INDEX"
ENV_PCLQ_NAME: Final = "GROVE_PCLQ_NAME"
ENV_HEADLESS_SERVICE: Final = "GROVE_HEADLESS_SERVICE"
ENV_PCLQ_POD_INDEX: Final = "GROVE_PCLQ_POD_INDEX"
ENV_PCSG_NAME: Final = "GROVE_PCSG_NAME"
ENV_PCSG_TEMPLATE_NUM_PODS: Final = "GROVE_PCSG_TEMPLATE_NUM_PODS"
ENV_PCSG_INDEX: Final = "GROVE_PCSG_INDEX"

# --- Startup waiter (init container, spec §6) ------------------------------------------------------
INITC_CONTAINER_NAME: Final = "grove-initc"
INITC_VOLUME_SA_TOKEN: Final = "sa-token-secret-vol"
INITC_VOLUME_POD_INFO: Final = "pod-info-vol"
INITC_POD_INFO_MOUNT: Final = "/var/grove/pod-info"
INITC_SA_TOKEN_MOUNT: Final = "/var/run/secrets/kubernetes.io/serviceaccount"
ENV_INIT_CONTAINER_IMAGE: Final = "GROVE_INIT_CONTAINER_IMAGE"
ENV_OPERATOR_SERVICE_ACCOUNT_NAME: Final = "GROVE_OPERATOR_SERVICE_ACCOUNT_NAME"

# --- Conditions ------------------------------------------------------------------------------------
COND_MIN_AVAILABLE_BREACHED: Final = "MinAvailableBreached"
COND_PODCLIQUE_SCHEDULED: Final = "PodCliqueScheduled"
COND_GANG_TERMINATION_IN_PROGRESS: Final = "GangTerminationInProgress"
COND_TOPOLOGY_LEVELS_UNAVAILABLE: Final = "TopologyLevelsUnavailable"
COND_SCHEDULER_TOPOLOGY_DRIFT: Final = "SchedulerTopologyDrift"
COND_PODGANG_INITIALIZED: Final = "Initialized"
COND_PODGANG_SCHEDULED: Final = "Scheduled"
COND_PODGANG_READY: Final = "Ready"
COND_PODGANG_UNHEALTHY: Final = "Unhealthy"
COND_PODGANG_DISRUPTION_TARGET: Final = "DisruptionTarget"

REASON_SCHEDULED_BELOW_MIN: Final = "ScheduledReplicasBelowMinAvailable"
REASON_INSUFFICIENT_READY_PODS: Final = "InsufficientReadyPods"
REASON_SUFFICIENT_READY_PODS: Final = "SufficientReadyPods"
REASON_UPDATE_IN_PROGRESS: Final = "UpdateInProgress"
REASON_INSUFFICIENT_SCHEDULED_PODS: Final = "InsufficientScheduledPods"
REASON_SUFFICIENT_SCHEDULED_PODS: Final = "SufficientScheduledPods"
REASON_INSUFFICIENT_AVAILABLE_PCSG_REPLICAS: Final = "InsufficientAvailablePodCliqueScalingGroupReplicas"
REASON_SUFFICIENT_AVAILABLE_PCSG_REPLICAS: Final = "SufficientAvailablePodCliqueScalingGroupReplicas"
REASON_GANG_TERMINATION_ACTIVE: Final = "GangTerminationActive"
REASON_PODGANG_PODS_CREATION_PENDING: Final = "PodGangPodsCreationPending"
REASON_PODGANG_PODS_CREATED: Final = "PodGangPodsCreated"
REASON_TAS_DISABLED: Final = "TopologyAwareSchedulingDisabled"
REASON_ALL_TOPOLOGY_LEVELS_AVAILABLE: Final = "AllClusterTopologyLevelsAvailable"
REASON_TOPOLOGY_NAME_MISSING: Final = "TopologyNameMissing"
REASON_CLUSTER_TOPOLOGY_NOT_FOUND: Final = "ClusterTopologyNotFound"
REASON_TOPOLOGY_LEVELS_UNAVAILABLE: Final = "ClusterTopologyLevelsUnavailable"

# --- Scheduler profiles (spec §10) -----------------------------------------------------------------
SCHEDULER_DEFAULT: Final = "default-scheduler"
SCHEDULER_KAI: Final = "kai-scheduler"
SCHEDULER_VOLCANO: Final = "volcano"
SCHEDULER_LPX: Final = "lpx-scheduler"
SCHEDULER_GROVE: Final = "grove-scheduler"
SUPPORTED_SCHEDULER_PROFILES: Final = (SCHEDULER_KAI, SCHEDULER_DEFAULT, SCHEDULER_VOLCANO, SCHEDULER_LPX,
                                       SCHEDULER_GROVE)
TOPOLOGY_AWARE_SCHEDULERS: Final = (SCHEDULER_KAI, SCHEDULER_GROVE)

KAI_QUEUE_KEY: Final = "kai.scheduler/queue"
KAI_SKIP_PODGROUPER: Final = "kai.scheduler/skip-podgrouper"
KAI_POD_GROUP_NAME: Final = "pod-group-name"
KAI_SUBGROUP_NAME: Final = "kai.scheduler/subgroup-name"
KAI_TOPOLOGY_ANNOTATION: Final = "kai.scheduler/topology"
VOLCANO_QUEUE_ANNOTATION: Final = "scheduling.grove.io/volcano-queue"
VOLCANO_GROUP_NAME_K8S: Final = "scheduling.k8s.io/group-name"
VOLCANO_GROUP_NAME: Final = "scheduling.volcano.sh/group-name"

# --- Well-known topology domains and defaults ------------------------------------------------------
WELL_KNOWN_DOMAINS: Final = ("region", "zone", "datacenter", "block", "rack", "host", "numa")
DEFAULT_TERMINATION_DELAY: Final = "4h"
DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS: Final = 30
NAME_BUDGET: Final = 45  # max len(pcs)+len(clique) (+len(pcsg)) so generated pod names fit 63 chars
