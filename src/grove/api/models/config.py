"""operator.config.grove.io/v1alpha1 OperatorConfiguration (spec §10.3) with its Go defaults.

Unlike the CRD kinds, every field here has a default, so ``OperatorConfiguration()`` is the
configuration a binary started without ``--config`` overrides would use.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from grove.api import constants as c
from grove.api.models.base import WireModel

SchedulerProfileName = Literal["kai-scheduler", "default-scheduler", "volcano", "lpx-scheduler", "grove-scheduler"]


class ClientConnection(WireModel):
    qps: float = 100
    burst: int = 120
    content_type: str | None = None
    accept_content_types: str | None = None


class LeaderElection(WireModel):
    enabled: bool = False
    lease_duration: str = "15s"
    renew_deadline: str = "10s"
    retry_period: str = "2s"
    resource_lock: str = "leases"
    resource_name: str = "grove-operator-leader-election"
    resource_namespace: str | None = None


class WebhookServer(WireModel):
    bind_address: str = ""
    port: int = 2750
    server_cert_dir: str = "/etc/grove-operator/webhook-certs"
    secret_name: str = "grove-webhook-server-cert"
    cert_provision_mode: Literal["auto", "manual"] = "auto"


class BindServer(WireModel):
    bind_address: str = ""
    port: int


class ServerConfig(WireModel):
    webhooks: WebhookServer = Field(default_factory=WebhookServer)
    health_probes: BindServer = Field(default_factory=lambda: BindServer(port=2751))
    metrics: BindServer = Field(default_factory=lambda: BindServer(port=2752))


class Debugging(WireModel):
    enable_profiling: bool = False
    pprof_bind_host: str = "127.0.0.1"
    pprof_bind_port: int = 2753


class ConcurrentSyncs(WireModel):
    concurrent_syncs: int


class ControllersConfig(WireModel):
    pod_clique_set: ConcurrentSyncs = Field(default_factory=lambda: ConcurrentSyncs(concurrent_syncs=10))
    pod_clique: ConcurrentSyncs = Field(default_factory=lambda: ConcurrentSyncs(concurrent_syncs=10))
    pod_clique_scaling_group: ConcurrentSyncs = Field(default_factory=lambda: ConcurrentSyncs(concurrent_syncs=5))
    pod_gang: ConcurrentSyncs = Field(default_factory=lambda: ConcurrentSyncs(concurrent_syncs=5))


class AuthorizerConfig(WireModel):
    enabled: bool = False
    exempt_service_account_user_names: list[str] = Field(default_factory=list)


class TopologyAwareScheduling(WireModel):
    enabled: bool = False


class NetworkConfig(WireModel):
    auto_mnnvl_enabled: bool = Field(default=False, alias="autoMNNVLEnabled")


class SchedulerProfile(WireModel):
    name: str
    config: dict[str, Any] | None = None


class SchedulerConfig(WireModel):
    profiles: list[SchedulerProfile] = Field(default_factory=list)
    default_profile_name: str = ""

    @model_validator(mode="after")
    def _apply_defaults(self) -> SchedulerConfig:
        # No profiles => [default-scheduler]; default-scheduler appended if missing; default name
        # default-scheduler (spec §10.3).
        if not any(p.name == c.SCHEDULER_DEFAULT for p in self.profiles):
            self.profiles = [*self.profiles, SchedulerProfile(name=c.SCHEDULER_DEFAULT)]
        if not self.default_profile_name:
            self.default_profile_name = c.SCHEDULER_DEFAULT
        return self

    def enabled_names(self) -> list[str]:
        return [p.name for p in self.profiles]


class OperatorConfiguration(WireModel):
    api_version: str = c.CONFIG_API_VERSION
    kind: str = c.KIND_OPERATOR_CONFIG
    runtime_client_connection: ClientConnection = Field(default_factory=ClientConnection)
    leader_election: LeaderElection = Field(default_factory=LeaderElection)
    server: ServerConfig = Field(default_factory=ServerConfig)
    debugging: Debugging = Field(default_factory=Debugging)
    controllers: ControllersConfig = Field(default_factory=ControllersConfig)
    log_level: str = "info"
    log_format: str = "json"
    authorizer: AuthorizerConfig = Field(default_factory=AuthorizerConfig)
    topology_aware_scheduling: TopologyAwareScheduling = Field(default_factory=TopologyAwareScheduling)
    network: NetworkConfig = Field(default_factory=NetworkConfig)
    scheduler: SchedulerConfig = Field(default_factory=SchedulerConfig)


def embedded_cluster_config() -> OperatorConfiguration:
    """The embedded cluster's configuration: every profile enabled, grove-scheduler the default, TAS on."""
    return OperatorConfiguration(
        topology_aware_scheduling=TopologyAwareScheduling(enabled=True),
        scheduler=SchedulerConfig(
            profiles=[SchedulerProfile(name=n) for n in
                      (c.SCHEDULER_GROVE, c.SCHEDULER_DEFAULT, c.SCHEDULER_KAI, c.SCHEDULER_VOLCANO)],
            default_profile_name=c.SCHEDULER_GROVE,
        ),
    )
