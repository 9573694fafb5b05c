"""Cluster state that admission consults, behind a narrow interface.

Validation is pure except for two questions about the cluster: "which ClusterTopologyBinding is
called X?" (topology rules, spec §9.3) and "does Volcano queue X exist, and is it Open?" (§10.2).
:class:`ClusterLookup` asks them; :class:`OfflineLookup` answers from objects supplied alongside the
manifests (``grove validate -f``), and a live implementation can answer from an API server.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final, Protocol

from grove.api import constants as c
from grove.api.models.topology import ClusterTopologyBinding

QUEUE_OPEN: Final = "Open"
QUEUE_UNKNOWN: Final = "Unknown"
"""Returned by a lookup that cannot tell (e.g. offline, with no Volcano queues supplied)."""

VOLCANO_QUEUE_API_VERSIONS: Final = ("scheduling.volcano.sh/v1beta1",)


class ClusterLookup(Protocol):
    def get_cluster_topology(self, name: str) -> ClusterTopologyBinding | None:
        """The ClusterTopologyBinding called ``name``, or None when it does not exist."""
        ...

    def volcano_queue_state(self, name: str) -> str | None:
        """``status.state`` of the Volcano queue (``Open``...), None if absent, QUEUE_UNKNOWN if unknowable."""
        ...


class OfflineLookup:
    """Answers from objects given in the same input. Without any Volcano Queue objects the queue check
    cannot be decided and yields QUEUE_UNKNOWN (a warning, not an error)."""

    def __init__(self, topologies: Iterable[ClusterTopologyBinding] = (),
                 volcano_queues: dict[str, str] | None = None) -> None:
        self._topologies = {t.metadata.name: t for t in topologies if t.metadata.name}
        self._queues = volcano_queues

    @classmethod
    def from_bodies(cls, bodies: Iterable[Any]) -> OfflineLookup:
        """Collect parseable ClusterTopologyBindings and Volcano Queues from raw wire bodies."""
        topologies: list[ClusterTopologyBinding] = []
        queues: dict[str, str] | None = None
        for body in bodies:
            if not isinstance(body, dict):
                continue
            api_version, kind = body.get("apiVersion"), body.get("kind")
            meta = body.get("metadata")
            name = meta.get("name") if isinstance(meta, dict) else None
            if api_version == c.API_VERSION and kind == c.KIND_CTB:
                try:
                    topologies.append(ClusterTopologyBinding.model_validate(body))
                except (ValueError, RecursionError):
                    continue
            elif api_version in VOLCANO_QUEUE_API_VERSIONS and kind == "Queue" and isinstance(name, str):
                status = body.get("status")
                state = status.get("state") if isinstance(status, dict) else None
                queues = {} if queues is None else queues
                queues[name] = state if isinstance(state, str) and state else QUEUE_OPEN
        return cls(topologies, queues)

    def get_cluster_topology(self, name: str) -> ClusterTopologyBinding | None:
        return self._topologies.get(name)

    def volcano_queue_state(self, name: str) -> str | None:
        if self._queues is None:
            return QUEUE_UNKNOWN
        return self._queues.get(name)
