"""The PodGang controller (``podgang``, spec §5.4): the scheduler backend's SyncPodGang.

On creation and on every generation change of a Grove-managed PodGang, the backend named by its
``grove.io/scheduler-name`` label (else the default profile) keeps its own PodGroup in step
(:mod:`grove.controllers.podgang.backends` plans it): the gang gets the backend's marks, then the
PodGroup is created, or patched with only what differs — a reconcile that finds it right writes nothing.
The PodGroup is controlled by the gang, so garbage collection removes it with the gang.

Two failures are not retried on a timer, because only a change can cure them and a change reconciles
anyway: a gang the backend cannot express (Warning ``KAIBackendMappingFailed``), and a backend whose
PodGroup kind the API server does not serve (Warning ``PodGroupKindNotServed``; e.g. KAI not installed,
or an embedded cluster started without the scheduler kinds). Each Warning is recorded once per gang.
The backend PodGroups are read from the API, not watched: a watch on a kind that is not served would
never sync and would hold every controller back.
"""

from __future__ import annotations

import logging
from typing import Any

from grove.api import constants as c
from grove.controllers.common.reconciler_support import REQUEUE_SECONDS, ControllerSettings
from grove.controllers.podgang.backends import (
    REASON_SPREAD_NOT_SUPPORTED,
    BackendMappingError,
    BackendTarget,
    backend_of,
    controlled_by,
    plan_podgroup,
    podgang_annotation_patch,
    podgroup_patch,
    target_for,
    unexpressed_spread,
)
from grove.kube.errors import NotFound
from grove.runtime.controller import Controller, Result
from grove.runtime.events import EventRecorder
from grove.runtime.handlers import Request
from grove.runtime.manager import Manager
from grove.runtime.predicates import Funcs

log = logging.getLogger(__name__)

Obj = dict[str, Any]
NAME = "podgang"

REASON_KIND_NOT_SERVED = "PodGroupKindNotServed"
REASON_NOT_OWNED = "PodGroupNotOwned"


def _meta(obj: Obj) -> dict[str, Any]:
    return obj.get("metadata") or {}


def is_managed(obj: Obj) -> bool:
    return (_meta(obj).get("labels") or {}).get(c.LABEL_MANAGED_BY) == c.MANAGED_BY_VALUE


def _created_or_generation_changed(old: Obj, new: Obj) -> bool:
    return is_managed(new) and _meta(old).get("generation") != _meta(new).get("generation")


class PodGangReconciler:
    def __init__(self, manager: Manager, settings: ControllerSettings) -> None:
        self.client = manager.client
        self.settings = settings
        self.podgangs = manager.cache(c.SCHEDULER_API_VERSION, c.KIND_PODGANG)
        self.pcs = manager.cache(c.API_VERSION, c.KIND_PCS)
        self.recorder = EventRecorder(manager.client, manager.clock, NAME)
        self._warned: dict[Request, set[tuple[str, str, str]]] = {}
        self._spread_warned: set[str] = set()  # PodCliqueSet uids told their spread is not enforced

    def setup(self, manager: Manager) -> Controller:
        return (manager.builder(NAME)
                .for_(c.SCHEDULER_API_VERSION, c.KIND_PODGANG,
                      Funcs(create=is_managed, update=_created_or_generation_changed, delete=is_managed))
                .max_concurrent_reconciles(self.settings.config.controllers.pod_gang.concurrent_syncs)
                .complete(self.reconcile))

    async def reconcile(self, req: Request) -> Result | None:
        gang = self.podgangs.get(req.namespace, req.name)
        if gang is None:
            self._warned.pop(req, None)
            return None
        if _meta(gang).get("deletionTimestamp") or not is_managed(gang):
            return None
        target = target_for(backend_of(gang, self.settings.default_profile))
        if target is None:
            return None
        return await self._sync(req, gang, target)

    async def _sync(self, req: Request, gang: Obj, target: BackendTarget) -> Result | None:
        marks = podgang_annotation_patch(target, gang)
        if marks is not None:
            gang = await self.client.patch(c.SCHEDULER_API_VERSION, c.KIND_PODGANG, req.name, marks,
                                           namespace=req.namespace)
        pcs_name = (_meta(gang).get("labels") or {}).get(c.LABEL_PART_OF)
        pcs = self.pcs.get(req.namespace, pcs_name) if pcs_name else None
        lost = unexpressed_spread(target.backend, gang)
        if lost is not None and pcs is not None and str(_meta(pcs).get("uid")) not in self._spread_warned:
            self._spread_warned.add(str(_meta(pcs).get("uid")))  # once per PodCliqueSet
            await self.recorder.warning(pcs, REASON_SPREAD_NOT_SUPPORTED, lost)
        existing = await self._get(target, req)
        try:
            desired = plan_podgroup(target.backend, gang, pcs, existing)
        except BackendMappingError as err:
            await self._warn_once(req, gang, err.reason, str(err))
            return None
        if desired is None:
            return None
        if existing is None:
            try:
                await self.client.create(desired)
            except NotFound:  # no object can be missing on create: the kind itself is not served
                await self._warn_once(req, gang, REASON_KIND_NOT_SERVED,
                                      f"{target.backend}: the API server does not serve {target.api_version} "
                                      f"{target.kind}, so PodGang {req.name} has no backend {target.kind}; "
                                      "install the scheduler's CRDs (the gang is synced again when it changes)")
            return None
        if not controlled_by(existing, gang):
            await self._warn_once(req, gang, REASON_NOT_OWNED,
                                  f"{target.kind} {req.namespace}/{req.name} ({target.api_version}) exists but "
                                  f"is not controlled by PodGang {req.name}; leaving it alone")
            return None
        if _meta(existing).get("deletionTimestamp"):
            return Result(requeue_after=REQUEUE_SECONDS)  # recreate once it is gone
        patch = podgroup_patch(target, existing, desired)
        if patch:
            patch.setdefault("metadata", {})["resourceVersion"] = _meta(existing).get("resourceVersion")
            await self.client.patch(target.api_version, target.kind, req.name, patch, namespace=req.namespace)
        return None

    async def _get(self, target: BackendTarget, req: Request) -> Obj | None:
        try:
            return await self.client.get(target.api_version, target.kind, req.name, req.namespace)
        except NotFound:
            return None

    async def _warn_once(self, req: Request, gang: Obj, reason: str, message: str) -> None:
        key = (str(_meta(gang).get("uid")), reason, message)
        seen = self._warned.setdefault(req, set())
        if key in seen:
            return
        seen.add(key)
        log.warning("PodGang %s: %s: %s", req, reason, message)
        await self.recorder.warning(gang, reason, message)
