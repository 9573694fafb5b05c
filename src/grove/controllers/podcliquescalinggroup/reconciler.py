"""The PodCliqueScalingGroup controller (``podcliquescalinggroup-controller``, spec §5.2).

Keeps the member PodCliques of replicas ``[0, spec.replicas)``: scale-in first deletes whole replicas
(highest index first) by label collection, then missing members are created. Existing members keep their
live ``spec.replicas``; with the OnDelete strategy their templates are patched in place, with
RollingRecreate only missing members are created (replacement is the update flow's job). Outside a PCSG
update, replicas whose breach outlived ``terminationDelay`` are gang-terminated (``plan_pcsg_termination``)
and the reconcile requeues at the next expiry. Status comes from ``compute_pcsg_status`` and is written
once, only when it changed, guarded by resourceVersion so the PCS's GangTerminationInProgress survives.
"""

from __future__ import annotations

from typing import Any

from grove.api import constants as c
from grove.api.models.core import PodClique, PodCliqueScalingGroup, PodCliqueSet
from grove.controllers.common.hashing import pod_template_hash
from grove.controllers.common.ownership import default_labels, selector_string
from grove.controllers.common.reconciler_support import (
    ControllerSettings,
    add_finalizer,
    ensure_object,
    now_string,
    remove_finalizer,
    write_status,
)
from grove.controllers.podcliquescalinggroup.plan_members import (
    member_replica_indices,
    plan_member_podcliques,
    replicas_to_remove,
)
from grove.controllers.podcliquescalinggroup.plan_termination import plan_pcsg_termination
from grove.controllers.podcliquescalinggroup.status import compute_pcsg_status
from grove.controllers.podcliqueset.plan_termination import termination_delay_seconds
from grove.kube.errors import ApiError
from grove.runtime.controller import Controller, Result
from grove.runtime.events import EventRecorder
from grove.runtime.handlers import Request
from grove.runtime.manager import Manager
from grove.runtime.predicates import Funcs, Predicate

Obj = dict[str, Any]
NAME = "podcliquescalinggroup-controller"


def _meta(obj: Obj) -> dict[str, Any]:
    return obj.get("metadata") or {}


class PcsgChanged(Predicate):
    def update(self, old: Obj, new: Obj) -> bool:
        a, b = _meta(old), _meta(new)
        return a.get("generation") != b.get("generation") or a.get("deletionTimestamp") != b.get("deletionTimestamp")


def _update_in_progress(pcsg: PodCliqueScalingGroup) -> bool:
    progress = pcsg.status.update_progress if pcsg.status else None
    return progress is not None and progress.update_ended_at is None


def _pcs_status_changed(old: Obj, new: Obj) -> bool:
    return old.get("status") != new.get("status") or _meta(old).get("generation") != _meta(new).get("generation")


class PodCliqueScalingGroupReconciler:
    def __init__(self, manager: Manager, settings: ControllerSettings) -> None:
        self.client = manager.client
        self.clock = manager.clock
        self.settings = settings
        self.pcsgs = manager.cache(c.API_VERSION, c.KIND_PCSG)
        self.pclqs = manager.cache(c.API_VERSION, c.KIND_PCLQ)
        self.pcs = manager.cache(c.API_VERSION, c.KIND_PCS)
        self.recorder = EventRecorder(manager.client, manager.clock, NAME)

    def setup(self, manager: Manager) -> Controller:
        return (manager.builder(NAME)
                .for_(c.API_VERSION, c.KIND_PCSG, PcsgChanged())
                .owns(c.API_VERSION, c.KIND_PCLQ)
                .watches(c.API_VERSION, c.KIND_PCS, self._pcsgs_of_pcs, Funcs(update=_pcs_status_changed))
                .max_concurrent_reconciles(self.settings.config.controllers.pod_clique_scaling_group.concurrent_syncs)
                .complete(self.reconcile))

    def _pcsgs_of_pcs(self, pcs: Obj) -> list[Request]:
        ns = _meta(pcs).get("namespace")
        return [Request(ns, _meta(o)["name"]) for o in self.pcsgs.by_controller_uid(str(_meta(pcs).get("uid")))]

    async def reconcile(self, req: Request) -> Result | None:
        obj = self.pcsgs.get(req.namespace, req.name)
        if obj is None:
            return None
        if _meta(obj).get("deletionTimestamp"):
            await remove_finalizer(self.client, obj, c.FINALIZER_PCSG)
            return None
        await add_finalizer(self.client, obj, c.FINALIZER_PCSG)
        pcs_name = (_meta(obj).get("labels") or {}).get(c.LABEL_PART_OF)
        pcs_obj = self.pcs.get(req.namespace, pcs_name) if pcs_name else None
        if pcs_obj is None or _meta(pcs_obj).get("deletionTimestamp"):
            return None
        pcs = PodCliqueSet.model_validate(pcs_obj)
        pcsg = PodCliqueScalingGroup.model_validate(obj)
        members = self.pclqs.by_controller_uid(str(_meta(obj)["uid"]))
        await self._scale_in(req, pcs_name or "", pcsg, members)
        await self._sync_members(pcs, pcsg, members)
        requeue_after = None
        if not _update_in_progress(pcsg):
            requeue_after = await self._gang_terminate(req, obj, pcs, pcsg, members)
        await self._write_status(obj, pcs, pcs_obj, pcsg)
        return Result(requeue_after=requeue_after) if requeue_after is not None else None

    async def _gang_terminate(self, req: Request, obj: Obj, pcs: PodCliqueSet, pcsg: PodCliqueScalingGroup,
                              members: list[Obj]) -> float | None:
        """PCSG-replica gang termination (spec §7.4); returns the delay to the next breach expiry."""
        floor = pcsg.spec.min_available if pcsg.spec.min_available is not None else 1
        plan = plan_pcsg_termination(members, pcsg.spec.replicas, floor, termination_delay_seconds(pcs),
                                     self.clock.utcnow())
        pcs_name = (_meta(obj).get("labels") or {}).get(c.LABEL_PART_OF) or ""
        for j in plan.terminate:
            labels = {**default_labels(pcs_name), c.LABEL_COMPONENT: c.COMPONENT_PCSG_PODCLIQUE,
                      c.LABEL_PCSG: pcsg.metadata.name or "", c.LABEL_PCSG_REPLICA_INDEX: str(j)}
            try:
                await self.client.delete_collection(c.API_VERSION, c.KIND_PCLQ, req.namespace,
                                                    label_selector=selector_string(labels))
            except ApiError as exc:
                await self.recorder.warning(obj, "PodCliqueScalingGroupReplicaDeleteFailed",
                                            f"deleting the PodCliques of replica {j}: {exc}")
                raise
            await self.recorder.normal(obj, "PodCliqueScalingGroupReplicaDeleteSuccessful",
                                       f"gang-terminated replica {j}: MinAvailable breached longer than "
                                       "terminationDelay")
        return plan.requeue_after

    async def _scale_in(self, req: Request, pcs_name: str, pcsg: PodCliqueScalingGroup, members: list[Obj]) -> None:
        for j in replicas_to_remove(member_replica_indices(members), pcsg.spec.replicas):
            labels = {**default_labels(pcs_name), c.LABEL_COMPONENT: c.COMPONENT_PCSG_PODCLIQUE,
                      c.LABEL_PCSG: pcsg.metadata.name or "", c.LABEL_PCSG_REPLICA_INDEX: str(j)}
            await self.client.delete_collection(c.API_VERSION, c.KIND_PCLQ, req.namespace,
                                                label_selector=selector_string(labels))

    async def _sync_members(self, pcs: PodCliqueSet, pcsg: PodCliqueScalingGroup, members: list[Obj]) -> None:
        live = {_meta(m)["name"]: m for m in members if not _meta(m).get("deletionTimestamp")}
        replicas = {n: int((m.get("spec") or {}).get("replicas") or 0) for n, m in live.items()}
        in_place = ((pcs.spec.update_strategy.type if pcs.spec.update_strategy else None) == "OnDelete")
        for desired in plan_member_podcliques(pcs, pcsg, replicas):
            name = desired["metadata"]["name"]
            if name in live and not in_place:
                continue
            removals = () if "startsAfter" in desired["spec"] else (("spec", "startsAfter"),)
            await ensure_object(self.client, live.get(name), desired, removals=removals)

    async def _write_status(self, obj: Obj, pcs: PodCliqueSet, pcs_obj: Obj, pcsg: PodCliqueScalingGroup) -> None:
        live = self.pcsgs.get(pcsg.metadata.namespace, pcsg.metadata.name or "") or obj
        members = [PodClique.model_validate(m) for m in self.pclqs.by_controller_uid(str(_meta(obj)["uid"]))]
        prio = pcs.spec.template.priority_class_name
        hashes = {cl.name: pod_template_hash(cl, prio) for cl in pcs.spec.template.cliques
                  if cl.name in pcsg.spec.clique_names}
        status = compute_pcsg_status(pcsg, members, now=now_string(self.clock),
                                     pcs_generation_hash=(pcs_obj.get("status") or {}).get("currentGenerationHash"),
                                     expected_hashes=hashes)
        status["observedGeneration"] = _meta(live).get("generation")
        await write_status(self.client, live, status, guarded=True)
