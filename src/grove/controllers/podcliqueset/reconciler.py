"""The PodCliqueSet controller (``podcliqueset-controller``, spec §5.1): a thin applier over the planners.

Flow per reconcile: finalizer → components in ordered groups (G1 access/Services/HPAs, G2 standalone
PodCliques, G3 PCSGs and PodGangs) → one status write (only if the computed status differs). The
generation hash is kept in ``status.currentGenerationHash``; a change starts an update (``plan_update``)
and standalone PodClique templates are patched by G2 at once. The "PCS replica" component gang-terminates
replicas whose breach expired and walks a RollingRecreate update one replica at a time. Deletion only
strips the finalizer: owner-reference GC cascades to every child.
"""

from __future__ import annotations

import logging
from typing import Any

from grove.api import constants as c
from grove.api.models.core import PodClique, PodCliqueScalingGroup, PodCliqueSet
from grove.controllers.common import mnnvl
from grove.controllers.common.hashing import pcs_generation_hash
from grove.controllers.common.last_errors import recording_last_errors
from grove.controllers.common.reconciler_support import (
    MANAGED_BY_SELECTOR,
    REQUEUE_SECONDS,
    ControllerSettings,
    add_finalizer,
    now_string,
    remove_finalizer,
)
from grove.controllers.common.status_writer import StatusWriter
from grove.controllers.common.topology import topology_name
from grove.controllers.podcliqueset.components.access import TokenPendingError, sync_access
from grove.controllers.podcliqueset.components.children import sync_scaling_groups, sync_standalone_podcliques
from grove.controllers.podcliqueset.components.claims import ClaimSync, sync_pcs_claims
from grove.controllers.podcliqueset.components.computedomains import (
    compute_domain_cache,
    release_compute_domains,
    sync_compute_domains,
)
from grove.controllers.podcliqueset.components.context import MANAGED_KINDS, Caches, PcsContext
from grove.controllers.podcliqueset.components.podgangs import binding_for, sync_podgangs
from grove.controllers.podcliqueset.components.replica import sync_gang_termination, sync_rolling_update
from grove.controllers.podcliqueset.plan_children import plan_children
from grove.controllers.podcliqueset.plan_update import start_update
from grove.controllers.podcliqueset.status import compute_pcs_status
from grove.kube.objects import deep_copy
from grove.runtime.controller import Controller, Result
from grove.runtime.events import EventRecorder
from grove.runtime.handlers import Request
from grove.runtime.manager import Manager
from grove.runtime.predicates import Funcs, Predicate

log = logging.getLogger(__name__)
Obj = dict[str, Any]
NAME = "podcliqueset-controller"


def _meta(obj: Obj) -> dict[str, Any]:
    return obj.get("metadata") or {}


def _update_status(obj: Obj) -> tuple[object, object]:
    status = obj.get("status") or {}
    return status.get("currentGenerationHash"), status.get("updateProgress")


class PcsSpecChanged(Predicate):
    """Generation, reconcile-trigger annotation, or deletion start (status-only writes are ignored)."""

    def update(self, old: Obj, new: Obj) -> bool:
        a, b = _meta(old), _meta(new)
        trigger = c.ANNOTATION_RECONCILE_TRIGGER
        return (a.get("generation") != b.get("generation")
                or (a.get("annotations") or {}).get(trigger) != (b.get("annotations") or {}).get(trigger)
                or a.get("deletionTimestamp") != b.get("deletionTimestamp"))


def _pod_matters_to_pcs(old: Obj, new: Obj) -> bool:
    """PodGang membership depends on existence, the podgang label and termination only."""
    a, b = _meta(old), _meta(new)
    return ((a.get("labels") or {}).get(c.LABEL_PODGANG) != (b.get("labels") or {}).get(c.LABEL_PODGANG)
            or a.get("deletionTimestamp") != b.get("deletionTimestamp"))


class PodCliqueSetReconciler:
    def __init__(self, manager: Manager, settings: ControllerSettings) -> None:
        self.client = manager.client
        self.status_writer = StatusWriter(self.client)
        self.clock = manager.clock
        self.settings = settings
        self.caches = Caches.of(manager)
        self.recorder = EventRecorder(manager.client, manager.clock, NAME)
        self.claims = ClaimSync(manager)
        # Auto-MNNVL (§11.3): the ComputeDomain informer exists only when the feature is on (preflight
        # then guarantees the CRD is served).
        self.compute_domains = (compute_domain_cache(manager)
                                if settings.config.network.auto_mnnvl_enabled else None)

    # -- wiring ------------------------------------------------------------------------------------

    def setup(self, manager: Manager) -> Controller:
        b = (manager.builder(NAME)
             # A PCS with 500 replicas re-plans every child: a burst of child events (PodCliques turning
             # Ready together) must cost one reconcile, not one each (quadratic otherwise).
             .defer_dependents()
             .for_(c.API_VERSION, c.KIND_PCS, PcsSpecChanged())
             .owns(c.API_VERSION, c.KIND_PCLQ)
             .owns(c.API_VERSION, c.KIND_PCSG)
             .owns(c.SCHEDULER_API_VERSION, c.KIND_PODGANG))
        for api_version, kind in MANAGED_KINDS:
            if kind != "Pod":
                b = b.owns(api_version, kind, label_selector=MANAGED_BY_SELECTOR)
        b = b.watches("v1", "Pod", self._pcs_of_pod, Funcs(update=_pod_matters_to_pcs),
                      label_selector=MANAGED_BY_SELECTOR)
        b = b.watches(c.API_VERSION, c.KIND_CTB, self._pcs_of_binding)
        if self.compute_domains is not None:
            b = b.owns(mnnvl.API_VERSION, mnnvl.KIND)
        return b.max_concurrent_reconciles(self.settings.config.controllers.pod_clique_set.concurrent_syncs) \
            .complete(recording_last_errors(self.reconcile, client=self.client, clock=self.clock,
                                             lookup=self.caches.pcs.get, api_version=c.API_VERSION,
                                             kind=c.KIND_PCS))

    @staticmethod
    def _pcs_of_pod(pod: Obj) -> list[Request]:
        pcs = (_meta(pod).get("labels") or {}).get(c.LABEL_PART_OF)
        return [Request(_meta(pod).get("namespace"), pcs)] if pcs else []

    def _pcs_of_binding(self, ctb: Obj) -> list[Request]:
        name = _meta(ctb).get("name")
        out: list[Request] = []
        for obj in self.caches.pcs:
            try:
                if topology_name(PodCliqueSet.model_validate(obj)) == name:
                    out.append(Request(_meta(obj).get("namespace"), _meta(obj)["name"]))
            except ValueError:
                continue
        return out

    # -- reconcile ---------------------------------------------------------------------------------

    async def reconcile(self, req: Request) -> Result | None:
        obj = self.caches.pcs.get(req.namespace, req.name)
        if obj is None:
            self.status_writer.forget(req.namespace, req.name)
            return None
        obj = self.status_writer.newest(obj)
        if _meta(obj).get("deletionTimestamp"):
            if self.compute_domains is not None:  # §5: ComputeDomain finalizers go before the PCS's
                await release_compute_domains(self.client, self.compute_domains, str(_meta(obj)["uid"]))
            await remove_finalizer(self.client, obj, c.FINALIZER_PCS)
            return None
        await add_finalizer(self.client, obj, c.FINALIZER_PCS)
        obj = deep_copy(obj)
        old_status = obj.get("status") or {}
        on_delete = ((obj.get("spec") or {}).get("updateStrategy") or {}).get("type") == "OnDelete"
        obj["status"] = start_update(old_status, pcs_generation_hash(PodCliqueSet.model_validate(obj)),
                                     now_string(self.clock), on_delete)
        pcs = PodCliqueSet.model_validate(obj)
        ctx = PcsContext(self.client, self.clock, self.caches, self.settings, self.recorder, obj, pcs)
        requeue = False
        waits: list[float] = []
        termination = await sync_gang_termination(ctx)
        if termination.requeue_after is not None:
            waits.append(termination.requeue_after)
        plan = plan_children(pcs)
        try:
            await sync_access(ctx, plan)
        except TokenPendingError as exc:
            log.info("%s: %s; PodCliques and PodGangs wait", req, exc)
            requeue = True
        await sync_pcs_claims(self.claims, self.client, obj, pcs)  # G1: PCS-level ResourceClaims (§11.1)
        if self.compute_domains is not None:
            await sync_compute_domains(ctx, self.compute_domains)  # G1: auto-MNNVL ComputeDomains (§11.3)
        if not requeue:
            await sync_standalone_podcliques(ctx)
            await sync_scaling_groups(ctx)
            requeue = await sync_podgangs(ctx)
        if sync_rolling_update(ctx, termination):
            waits.append(REQUEUE_SECONDS)
        await self._write_status(ctx, guarded=_update_status(obj) != _update_status(old_status))
        if requeue:
            waits.append(REQUEUE_SECONDS)
        return Result(requeue_after=min(waits)) if waits else None

    async def _write_status(self, ctx: PcsContext, *, guarded: bool = False) -> None:
        """One status write; ``guarded`` (update bookkeeping moved) makes a stale read fail with Conflict
        instead of resetting or skipping a rolling-update step."""
        live = self.status_writer.newest(self.caches.pcs.get(ctx.namespace, ctx.name) or ctx.obj)
        ctx.pcs = PodCliqueSet.model_validate(ctx.obj)
        pclqs = [PodClique.model_validate(o) for o in ctx.owned(self.caches.pclq)
                 if (o["metadata"].get("labels") or {}).get(c.LABEL_COMPONENT) == c.COMPONENT_PCS_PODCLIQUE]
        pcsgs = [PodCliqueScalingGroup.model_validate(o) for o in ctx.owned(self.caches.pcsg)]
        status = compute_pcs_status(ctx.pcs, pclqs, pcsgs, now=now_string(self.clock),
                                    tas_enabled=self.settings.tas_enabled, binding=binding_for(ctx))
        status["observedGeneration"] = ctx.obj["metadata"].get("generation")
        await self.status_writer.write(live, status, guarded=guarded)
