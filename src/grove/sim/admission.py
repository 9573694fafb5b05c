"""Plugs Grove's admission handlers (``grove.webhook.admission``) into the embedded cluster's chain.

The cluster calls plugins in process; a denial becomes the same 422 Invalid (with one cause per field
path) that a real API server returns when a webhook rejects, so callers cannot tell the worlds apart.
"""

from __future__ import annotations

from typing import Any

from grove.api import constants as c
from grove.api.models.config import OperatorConfiguration
from grove.api.models.topology import ClusterTopologyBinding
from grove.api.validation import OfflineLookup
from grove.api.validation.limits import validate_child_limits
from grove.api.validation.lookup import VOLCANO_QUEUE_API_VERSIONS
from grove.api.validation.status import invalid_status
from grove.cluster import AdmissionRequest, EmbeddedCluster
from grove.kube.errors import from_status
from grove.webhook.admission import (
    AdmissionOutcome,
    default_podcliqueset_object,
    validate_cluster_topology_object,
    validate_podcliqueset_object,
    validate_schema_object,
)

_SCHEMA_ONLY = {(c.API_VERSION, c.KIND_PCLQ), (c.API_VERSION, c.KIND_PCSG), (c.SCHEDULER_API_VERSION, c.KIND_PODGANG)}


def _raise_if_denied(outcome: AdmissionOutcome, req: AdmissionRequest) -> None:
    if outcome.allowed:
        return
    raise from_status(invalid_status(req.kind, req.api_version.rpartition("/")[0], req.name, outcome.errors))


_GROVE_GROUPS = (c.GROUP, c.SCHEDULER_GROUP)


def _pcs_write(req: AdmissionRequest) -> bool:
    return req.kind == c.KIND_PCS and not req.subresource and req.api_version == c.API_VERSION


def _grove_write(req: AdmissionRequest) -> bool:
    """Upstream's webhooks (and the CRD schemas) only see Grove kinds' main resource."""
    return not req.subresource and req.api_version.split("/")[0] in _GROVE_GROUPS


class GroveAdmission:
    """The defaulting and validating webhooks of spec §2, wired into an EmbeddedCluster."""

    def __init__(self, cluster: EmbeddedCluster, config: OperatorConfiguration) -> None:
        self.cluster = cluster
        self.config = config
        self.warnings: list[str] = []

    def install(self) -> None:
        self.cluster.add_mutating(self.mutate, match=_pcs_write)
        self.cluster.add_validating(self.validate, match=_grove_write)

    async def _lookup(self) -> OfflineLookup:
        listed = await self.cluster.client.list(c.API_VERSION, c.KIND_CTB)
        queues: list[dict[str, Any]] = []
        if self.cluster.registry.get(VOLCANO_QUEUE_API_VERSIONS[0], "Queue") is not None:
            queues = (await self.cluster.client.list(VOLCANO_QUEUE_API_VERSIONS[0], "Queue")).items
        if queues:  # Volcano Queues given: the queue check is decided, as on a cluster with Volcano
            return OfflineLookup.from_bodies([*listed.items, *queues])
        return OfflineLookup([ClusterTopologyBinding.model_validate(o) for o in listed.items])

    async def mutate(self, req: AdmissionRequest) -> dict[str, Any] | None:
        if (req.subresource or req.operation not in ("CREATE", "UPDATE") or req.object is None
                or (req.api_version, req.kind) != (c.API_VERSION, c.KIND_PCS)):
            return None
        return default_podcliqueset_object(req.object).object

    async def validate(self, req: AdmissionRequest) -> None:
        if req.subresource or req.operation not in ("CREATE", "UPDATE") or req.object is None:
            return
        gvk = (req.api_version, req.kind)
        if gvk == (c.API_VERSION, c.KIND_PCS):
            outcome = validate_podcliqueset_object(req.object, req.old_object, config=self.config,
                                                   lookup=await self._lookup())
        elif gvk == (c.API_VERSION, c.KIND_CTB):
            outcome = validate_cluster_topology_object(req.object, config=self.config)
        elif gvk in _SCHEMA_ONLY:
            outcome = validate_schema_object(req.api_version, req.kind, req.object)
            if gvk != (c.SCHEDULER_API_VERSION, c.KIND_PODGANG) and (limit := validate_child_limits(req.object)):
                outcome = AdmissionOutcome(allowed=False, errors=[*outcome.errors, *limit])
        else:
            return
        self.warnings.extend(outcome.warnings)
        _raise_if_denied(outcome, req)
