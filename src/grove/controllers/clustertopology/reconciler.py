"""The ClusterTopologyBinding controller (``clustertopology-controller``, spec §5.4): backend topologies.

Each reconcile of a CTB runs SyncTopology for every enabled backend that keeps a topology object and is
not bound (``kai-scheduler``: a KAI Topology controlled by the CTB), the drift check for every bound
one, then writes one status (entries, the ``SchedulerTopologyDrift`` condition, ``observedGeneration``
on success) and, when the condition's status changed, a ``TopologyDriftDetected``/``TopologyInSync``
event on the CTB. :mod:`grove.controllers.clustertopology.planner` decides; this module does the I/O.

Watches: CTB creations, deletions and generation changes (its own status writes do not re-trigger it),
and the backends' Topology objects, each mapped to the CTBs it concerns. The Topology watch starts once
the kind is known to be served (the first sync or drift check that reaches it): an informer on a kind
the API server does not serve would never sync. An unserved kind, or a Topology of the CTB's name that
the CTB does not control, is reported in status and not retried on a timer — a change of the CTB or of
that Topology reconciles again; transient API failures are retried with backoff. Deleting a CTB needs
nothing here: garbage collection removes the Topology it controls.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import Any

from grove.api import constants as c
from grove.controllers.clustertopology.planner import (
    TOPOLOGY_BACKENDS,
    BackendStatus,
    ctbs_for_topology,
    drift_status,
    kai_topology_name,
    plan_status,
    plan_work,
    transition_event,
)
from grove.controllers.clustertopology.sync import TopologySyncError, check_topology_drift, sync_topology
from grove.controllers.common.reconciler_support import ControllerSettings, now_string
from grove.controllers.common.status_writer import StatusWriter
from grove.runtime.controller import Controller, Result
from grove.runtime.events import EventRecorder
from grove.runtime.handlers import Request, enqueue_handler
from grove.runtime.manager import Manager
from grove.runtime.predicates import GenerationChanged

log = logging.getLogger(__name__)

Obj = dict[str, Any]
NAME = "clustertopology-controller"


class ClusterTopologyReconciler:
    def __init__(self, manager: Manager, settings: ControllerSettings) -> None:
        self.manager = manager
        self.client = manager.client
        self.status_writer = StatusWriter(self.client)
        self.enabled = settings.config.scheduler.enabled_names()
        self.ctbs = manager.cache(c.API_VERSION, c.KIND_CTB)
        self.recorder = EventRecorder(manager.client, manager.clock, NAME)
        self.controller: Controller | None = None
        self._watched: set[str] = set()
        self._announced: dict[str, tuple[str, str | None]] = {}

    def setup(self, manager: Manager) -> Controller:
        self.controller = (manager.builder(NAME)
                           .for_(c.API_VERSION, c.KIND_CTB, GenerationChanged())
                           .complete(self.reconcile))
        return self.controller

    async def reconcile(self, req: Request) -> Result | None:
        ctb = self.ctbs.get(None, req.name)
        if ctb is None or (ctb.get("metadata") or {}).get("deletionTimestamp"):
            self._announced.pop(req.name, None)
            self.status_writer.forget(None, req.name)
            return None  # the Topology it controls goes with it (owner-reference garbage collection)
        ctb = self.status_writer.newest(ctb)
        work = plan_work(ctb, self.enabled)
        failures: list[TopologySyncError] = []
        statuses = [await self._attempt(req, failures, backend, kai_topology_name(ctb),
                                        self._sync(backend, ctb)) for backend in work.auto]
        statuses += [await self._attempt(req, failures, ref.scheduler_name, ref.topology_reference,
                                         check_topology_drift(self.client, ctb, ref)) for ref in work.bound]
        statuses += work.unavailable
        status = plan_status(ctb, statuses, topology_not_found=bool(work.unavailable), succeeded=not failures,
                             now=now_string(self.manager.clock))
        await self.status_writer.write(ctb, status)
        await self._announce(ctb, drift_status(status))
        retry = next((f for f in failures if f.retry), None)
        if retry is not None:
            raise retry  # backoff; the status written above already tells the user
        return None

    async def _sync(self, backend: str, ctb: Obj) -> BackendStatus:
        await sync_topology(self.client, backend, ctb)
        return BackendStatus(backend, kai_topology_name(ctb), True)

    async def _attempt(self, req: Request, failures: list[TopologySyncError], backend: str, reference: str,
                       call: Awaitable[BackendStatus]) -> BackendStatus:
        """Run one SyncTopology or drift check; a failure becomes an out-of-sync entry."""
        try:
            result = await call
        except TopologySyncError as err:
            # an unserved kind (KAI not installed) is no operator fault: status and event tell
            log.log(logging.INFO if err.not_served else logging.WARNING,
                    "ClusterTopologyBinding %s: %s: %s", req.name, backend, err)
            failures.append(err)
            if not err.not_served:
                self._watch(backend)
            return BackendStatus(backend, reference, False, str(err))
        self._watch(backend)
        return result

    async def _announce(self, ctb: Obj, current: str | None) -> None:
        """The transition event, against what this controller last wrote (the cache may not show it yet)."""
        meta = ctb.get("metadata") or {}
        uid, name = str(meta.get("uid")), str(meta.get("name"))
        known = self._announced.get(name)
        previous = known[1] if known is not None and known[0] == uid else drift_status(ctb.get("status"))
        self._announced[name] = (uid, current)
        event = transition_event(previous, current)
        if event is not None:
            await self.recorder.event(ctb, *event)

    def _watch(self, backend: str) -> None:
        """Start watching ``backend``'s topology kind (once), now that a call found it served."""
        if backend in self._watched or self.controller is None:
            return
        self._watched.add(backend)
        api_version, kind = TOPOLOGY_BACKENDS[backend]
        queue = self.controller.queue

        def mapper(topology: Obj) -> list[Request]:
            return [Request(None, name) for name in ctbs_for_topology(topology, self.ctbs.list())]

        self.manager.informer(api_version, kind).add_event_handler(enqueue_handler(queue, mapper))
