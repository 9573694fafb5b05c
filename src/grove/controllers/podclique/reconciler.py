"""The PodClique controller (``podclique-controller``, spec §5.3): pods, gates, status.

Pod sync is guarded by UID expectations keyed ``<ns>/<pclq>`` (runtime ``ExpectationsStore``): a create
is expected from the moment the API returns it until the pod informer shows it, so however slowly watch
events arrive, ``diff = pods + pending creates - replicas - pending deletes`` never asks for a duplicate.
Indices of pods whose create is still unobserved are remembered too, so a second reconcile never hands
out the same hostname. Scale-in victims come from ``plan_pod_deletions`` and are deleted in slow-start
batches. Gate removal (§7.2) patches only Grove's gate away. Status is written once, only if changed.
"""

from __future__ import annotations

import logging
from typing import Any

from grove.api import constants as c
from grove.api.models.core import PodClique, PodCliqueSet
from grove.controllers.common import podutil as pu
from grove.controllers.common import resource_claims as rc
from grove.controllers.common.hashing import pod_template_hash
from grove.controllers.common.last_errors import recording_last_errors
from grove.controllers.common.ownership import owner_reference_to_dict
from grove.controllers.common.reconciler_support import (
    MANAGED_BY_SELECTOR,
    REQUEUE_SECONDS,
    ControllerSettings,
    add_finalizer,
    now_string,
    remove_finalizer,
)
from grove.controllers.common.startup import template_for_pclq
from grove.controllers.common.status_writer import StatusWriter
from grove.controllers.podclique.gates import (
    BaseGangMissingError,
    GateDecision,
    gate_decision,
    gates_without_grove,
)
from grove.controllers.podclique.plan_deletions import expected_pod_template_hash
from grove.controllers.podclique.reconciler_pods import PodSync
from grove.controllers.podclique.status import compute_podclique_status
from grove.controllers.podclique.update import PclqUpdate, plan_update
from grove.controllers.podcliqueset.components.claims import ClaimSync
from grove.controllers.podcliqueset.plan_update import currently_updating
from grove.kube.errors import Invalid, NotFound
from grove.runtime.controller import Controller, Result
from grove.runtime.events import EventRecorder
from grove.runtime.expectations import ExpectationsStore, controller_owner_key
from grove.runtime.handlers import Request
from grove.runtime.manager import Manager
from grove.runtime.predicates import Funcs, Predicate

log = logging.getLogger(__name__)
Obj = dict[str, Any]
NAME = "podclique-controller"


def _meta(obj: Obj) -> dict[str, Any]:
    return obj.get("metadata") or {}


class PclqChanged(Predicate):
    """Spec (generation), labels (gang, template hash) or deletion start; own status writes are ignored."""

    def update(self, old: Obj, new: Obj) -> bool:
        a, b = _meta(old), _meta(new)
        return (a.get("generation") != b.get("generation") or a.get("labels") != b.get("labels")
                or a.get("deletionTimestamp") != b.get("deletionTimestamp"))


def _pcs_update_view(pcs: Obj) -> tuple[object, object]:
    status = pcs.get("status") or {}
    return status.get("currentGenerationHash"), currently_updating(status)


def _pcs_hash_changed(old: Obj, new: Obj) -> bool:
    """The PCS generation hash or the replica being rolled changed (spec §5.3 triggers)."""
    return _pcs_update_view(old) != _pcs_update_view(new)


def _scheduled_changed(old: Obj, new: Obj) -> bool:
    return (old.get("status") or {}).get("scheduledReplicas") != (new.get("status") or {}).get("scheduledReplicas")


class PodCliqueReconciler:
    def __init__(self, manager: Manager, settings: ControllerSettings) -> None:
        self.client = manager.client
        self.status_writer = StatusWriter(self.client)
        self.clock = manager.clock
        self.settings = settings
        self.pclqs = manager.cache(c.API_VERSION, c.KIND_PCLQ)
        self.pcs = manager.cache(c.API_VERSION, c.KIND_PCS)
        self.podgangs = manager.cache(c.SCHEDULER_API_VERSION, c.KIND_PODGANG)
        self.pod_informer = manager.informer("v1", "Pod", label_selector=MANAGED_BY_SELECTOR)
        self.pods = self.pod_informer.cache
        self.expectations = ExpectationsStore(manager.clock)
        self.recorder = EventRecorder(manager.client, manager.clock, NAME)
        self.pod_sync = PodSync(self.client, self.expectations, self.recorder, settings)
        self.claims = ClaimSync(manager)

    def setup(self, manager: Manager) -> Controller:
        self.pod_informer.add_event_handler(self.expectations.event_handler(controller_owner_key))
        return (manager.builder(NAME)
                .for_(c.API_VERSION, c.KIND_PCLQ, PclqChanged())
                .owns("v1", "Pod", label_selector=MANAGED_BY_SELECTOR)
                .watches(c.SCHEDULER_API_VERSION, c.KIND_PODGANG, self._pclqs_of_podgang)
                .watches(c.API_VERSION, c.KIND_PCS, self._pclqs_of_pcs, Funcs(update=_pcs_hash_changed))
                .watches(c.API_VERSION, c.KIND_PCLQ, self._scaled_pclqs_of_base, Funcs(update=_scheduled_changed))
                .max_concurrent_reconciles(self.settings.config.controllers.pod_clique.concurrent_syncs)
                .complete(recording_last_errors(self.reconcile, client=self.client, clock=self.clock,
                                                 lookup=self.pclqs.get, api_version=c.API_VERSION,
                                                 kind=c.KIND_PCLQ)))

    # -- mapping -----------------------------------------------------------------------------------

    @staticmethod
    def _pclqs_of_podgang(gang: Obj) -> list[Request]:
        ns = _meta(gang).get("namespace")
        return [Request(ns, g["name"]) for g in (gang.get("spec") or {}).get("podgroups") or [] if g.get("name")]

    def _pclqs_of_pcs(self, pcs: Obj) -> list[Request]:
        ns = _meta(pcs).get("namespace")
        return [Request(ns, _meta(o)["name"]) for o in self.pclqs.by_label(c.LABEL_PART_OF, _meta(pcs)["name"])
                if _meta(o).get("namespace") == ns]

    def _scaled_pclqs_of_base(self, pclq: Obj) -> list[Request]:
        """A base-gang PodClique's scheduled count gates the pods of its scaled gangs (spec §7.2b)."""
        labels = _meta(pclq).get("labels") or {}
        if c.LABEL_BASE_PODGANG in labels or not labels.get(c.LABEL_PODGANG):
            return []
        ns = _meta(pclq).get("namespace")
        return [Request(ns, _meta(o)["name"]) for o in self.pclqs.by_label(c.LABEL_BASE_PODGANG, labels[c.LABEL_PODGANG])
                if _meta(o).get("namespace") == ns]

    # -- reconcile ---------------------------------------------------------------------------------

    async def reconcile(self, req: Request) -> Result | None:
        key = f"{req.namespace}/{req.name}"
        obj = self.pclqs.get(req.namespace, req.name)
        if obj is None:
            self.expectations.forget(key)
            self.pod_sync.forget(key)
            self.status_writer.forget(req.namespace, req.name)
            return None
        obj = self.status_writer.newest(obj)
        if _meta(obj).get("deletionTimestamp"):
            await remove_finalizer(self.client, obj, c.FINALIZER_PCLQ)
            return None
        await add_finalizer(self.client, obj, c.FINALIZER_PCLQ)
        pclq = PodClique.model_validate(obj)
        pcs_name = (_meta(obj).get("labels") or {}).get(c.LABEL_PART_OF)
        pcs_obj = self.pcs.get(req.namespace, pcs_name) if pcs_name else None
        if pcs_obj is None or _meta(pcs_obj).get("deletionTimestamp"):
            return None
        pcs = PodCliqueSet.model_validate(pcs_obj)
        pcs_hash = (pcs_obj.get("status") or {}).get("currentGenerationHash")
        await self._sync_claims(obj, pclq, pcs)
        pods = self.pods.by_controller_uid(_meta(obj)["uid"])
        await self.pod_sync.sync(key, pcs, pclq, obj, pods, expected_pod_template_hash(pclq, pcs_hash))
        pods = self.pods.by_controller_uid(_meta(obj)["uid"])
        update = plan_update(pcs, pcs_obj, pclq, obj, pods, now_string(self.clock))
        gated_left = await self._release_gates(req, pclq, pods)
        await self._write_status(obj, pclq, pcs, pcs_hash, update)
        if update.delete:
            await self.pod_sync.delete_pods(key, obj, update.delete)
        return Result(requeue_after=REQUEUE_SECONDS) if gated_left or update.requeue else None

    async def _sync_claims(self, obj: Obj, pclq: PodClique, pcs: PodCliqueSet) -> None:
        """PCLQ-level ResourceClaims, before pods (spec §5.3, §11.1)."""
        tmpl = template_for_pclq(pcs, pclq.metadata.name or "")
        sharing = rc.clique_sharing(pcs, tmpl.name) if tmpl is not None else []
        level = rc.pclq_level(pclq.metadata.name or "", pclq.spec.replicas, owner_reference_to_dict(obj))
        await self.claims.apply(self.client, pcs, level, sharing)

    async def _release_gates(self, req: Request, pclq: PodClique, pods: list[Obj]) -> bool:
        """Remove Grove's gate from every releasable pod; True if gated pods remain."""
        labels = pclq.metadata.labels or {}
        gang = self.podgangs.get(req.namespace, labels.get(c.LABEL_PODGANG, ""))
        base_name = labels.get(c.LABEL_BASE_PODGANG)
        base = self.podgangs.get(req.namespace, base_name) if base_name else None
        scheduled: dict[str, int | None] = {}
        for group in ((base or {}).get("spec") or {}).get("podgroups") or []:
            o = self.pclqs.get(req.namespace, group["name"])
            if o is not None:
                scheduled[group["name"]] = int((o.get("status") or {}).get("scheduledReplicas") or 0)
        remaining = False
        for pod in pods:
            if pu.is_terminating(pod) or not pu.has_podgang_gate(pod):
                continue
            try:
                decision = gate_decision(pod, pclq, gang, base, scheduled)
            except BaseGangMissingError as exc:
                log.debug("%s: %s", req, exc)
                decision = GateDecision.WAIT
            if decision is not GateDecision.RELEASE:
                remaining = True
                continue
            old = (pod.get("spec") or {}).get("schedulingGates") or []
            ops = [{"op": "test", "path": "/spec/schedulingGates", "value": old},
                   {"op": "replace", "path": "/spec/schedulingGates", "value": gates_without_grove(pod)}]
            try:
                await self.client.patch("v1", "Pod", pu.name_of(pod), ops, namespace=req.namespace,
                                        patch_type="json")
            except (NotFound, Invalid) as exc:  # gone, or gates changed under us: next event retries
                log.debug("%s: gate removal on %s skipped: %s", req, pu.name_of(pod), exc)
        return remaining

    async def _write_status(self, obj: Obj, pclq: PodClique, pcs: PodCliqueSet, pcs_hash: str | None,
                            update: PclqUpdate) -> None:
        """One status write. When the update bookkeeping moved it is guarded by resourceVersion, so a
        stale read can neither reset the progress nor pick a second pod; pods are deleted only after."""
        live = self.status_writer.newest(self.pclqs.get(pclq.metadata.namespace, pclq.metadata.name or "") or obj)
        if update.changed:
            obj = {**obj, "status": {**(obj.get("status") or {}), "updateProgress": update.progress}}
            pclq = PodClique.model_validate(obj)
        tmpl = template_for_pclq(pcs, pclq.metadata.name or "")
        expected = pod_template_hash(tmpl, pcs.spec.template.priority_class_name) if tmpl is not None else None
        strategy = (pcs.spec.update_strategy.type if pcs.spec.update_strategy else None) or "RollingRecreate"
        generation = _meta(live).get("generation")
        seeded = pclq
        if pclq.status is None or pclq.status.observed_generation is None:
            seeded = PodClique.model_validate({**obj, "status": {**(obj.get("status") or {}),
                                                                  "observedGeneration": generation}})
        status = compute_podclique_status(seeded, self.pods.by_controller_uid(_meta(obj)["uid"]),
                                          now=now_string(self.clock), pcs_generation_hash=pcs_hash,
                                          expected_template_hash=expected, update_strategy=str(strategy))
        status["observedGeneration"] = generation
        await self.status_writer.write(live, status, guarded=update.changed)
