"""The backend-topology I/O of the ClusterTopologyBinding controller and of operator start-up (spec §5.4).

:func:`sync_topology` (auto-managed: create, or delete + recreate, the KAI Topology the planner asks for)
and :func:`check_topology_drift` (bound: read the administrator's Topology and compare) are shared by the
reconciler and by :func:`sync_all_topologies`, which the operator runs once before any controller starts
(a failure aborts start-up with exit code 3).

A kind the API server does not serve (KAI not installed) is told apart from a missing object: the
server's NotFound for a missing object names it (``details.name``), one for an unknown resource does not.
"""

from __future__ import annotations

import logging
from typing import Any

from grove.api import constants as c
from grove.api.models.config import OperatorConfiguration
from grove.controllers.clustertopology.planner import (
    TOPOLOGY_BACKENDS,
    BackendStatus,
    Binding,
    NotOwnedError,
    SyncAction,
    bindings_of,
    desired_kai_topology,
    kai_drift,
    kai_topology_name,
    not_served_message,
    plan_kai_sync,
    topology_sync_enabled,
)
from grove.kube.client import KubeClient
from grove.kube.errors import AlreadyExists, ApiError, NotFound

log = logging.getLogger(__name__)

Obj = dict[str, Any]


class TopologySyncError(Exception):
    """SyncTopology or CheckTopologyDrift failed; the message is what the CTB status shows.

    ``retry``: a transient failure worth retrying with backoff; otherwise only a change (of the CTB, or of
    the backend's Topology, which the controller watches) can cure it. ``not_served``: the backend's
    topology kind is not served by the API server."""

    def __init__(self, message: str, *, retry: bool = False, not_served: bool = False) -> None:
        super().__init__(message)
        self.retry = retry
        self.not_served = not_served


def kind_not_served(err: NotFound) -> bool:
    return not err.details.get("name")


async def _get(client: KubeClient, backend: str, name: str) -> Obj | None:
    api_version, kind = TOPOLOGY_BACKENDS[backend]
    try:
        return await client.get(api_version, kind, name)
    except NotFound as err:
        if kind_not_served(err):
            raise TopologySyncError(not_served_message(backend), not_served=True) from err
        return None
    except ApiError as err:
        raise TopologySyncError(f"failed to get {kind} {name}: {err}", retry=True) from err


async def sync_topology(client: KubeClient, backend: str, ctb: Obj) -> None:
    """SyncTopology: make the backend's topology object match the CTB. Raises :class:`TopologySyncError`."""
    name = kai_topology_name(ctb)
    existing = await _get(client, backend, name)
    try:
        action = plan_kai_sync(ctb, existing)
    except NotOwnedError as err:
        raise TopologySyncError(str(err)) from err
    if action is SyncAction.NONE:
        return
    if action is SyncAction.WAIT:
        raise TopologySyncError(f"waiting for the old KAI Topology {name} to be deleted", retry=True)
    try:
        if action is SyncAction.RECREATE and existing is not None:
            uid = str((existing.get("metadata") or {}).get("uid") or "")
            left = await client.delete(existing["apiVersion"], existing["kind"], name,
                                       preconditions={"uid": uid} if uid else None)
            log.info("deleted KAI Topology %s to recreate it with the levels of ClusterTopologyBinding %s",
                     name, name)
            if left is not None:
                raise TopologySyncError(f"waiting for the old KAI Topology {name} to be deleted", retry=True)
        await client.create(desired_kai_topology(ctb))
        log.info("created KAI Topology %s", name)
    except NotFound as err:
        if action is SyncAction.CREATE or kind_not_served(err):  # nothing can be missing on create
            raise TopologySyncError(not_served_message(backend), not_served=True) from err
        raise TopologySyncError(f"failed to recreate KAI Topology {name}: {err}", retry=True) from err
    except AlreadyExists as err:
        raise TopologySyncError(f"KAI Topology {name} appeared meanwhile; syncing again", retry=True) from err
    except ApiError as err:
        raise TopologySyncError(f"failed to {action.value} KAI Topology {name}: {err}", retry=True) from err


async def check_topology_drift(client: KubeClient, ctb: Obj, ref: Binding) -> BackendStatus:
    """CheckTopologyDrift of a bound backend topology. Raises :class:`TopologySyncError`."""
    existing = await _get(client, ref.scheduler_name, ref.topology_reference)
    return kai_drift(ctb, ref, existing)


async def sync_all_topologies(client: KubeClient, config: OperatorConfiguration) -> None:
    """Sync every ClusterTopologyBinding's auto-managed backend topologies, before controllers start.

    Runs only when a profile that keeps a topology object (``kai-scheduler``) is enabled, whatever
    ``topologyAwareScheduling.enabled`` says (spec §9.1); bound backends are left to the controller's drift
    check. Raises :class:`TopologySyncError` naming the binding and backend on the first failure."""
    enabled = config.scheduler.enabled_names()
    if not topology_sync_enabled(enabled):
        return
    try:
        ctbs = (await client.list(c.API_VERSION, c.KIND_CTB)).items
    except ApiError as err:
        raise TopologySyncError(f"failed to list ClusterTopologyBindings: {err}", retry=True) from err
    backends = sorted(name for name in enabled if name in TOPOLOGY_BACKENDS)
    for ctb in sorted(ctbs, key=kai_topology_name):
        bound = {b.scheduler_name for b in bindings_of(ctb)}
        for backend in backends:
            if backend in bound:
                continue
            try:
                await sync_topology(client, backend, ctb)
            except TopologySyncError as err:
                raise TopologySyncError(f"failed to sync topology {kai_topology_name(ctb)} for backend "
                                        f"{backend}: {err}", retry=err.retry, not_served=err.not_served) from err
        log.info("synced the backend topologies of ClusterTopologyBinding %s", kai_topology_name(ctb))
