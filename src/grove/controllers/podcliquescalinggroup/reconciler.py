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

from dataclasses import dataclass, field
from typing import Any

from grove.api import constants as c
from grove.api.models.core import PodClique, PodCliqueScalingGroup, PodCliqueSet
from grove.controllers.common import resource_claims as rc
from grove.controllers.common.hashing import pod_template_hash
from grove.controllers.common.last_errors import recording_last_errors
from grove.controllers.common.ownership import default_labels, owner_reference_to_dict, selector_string
from grove.controllers.common.reconciler_support import (
    REQUEUE_SECONDS,
    ControllerSettings,
    add_finalizer,
    ensure_object,
    now_string,
    remove_finalizer,
)
from grove.controllers.common.status_writer import StatusWriter
from grove.controllers.podcliquescalinggroup.plan_members import (
    member_replica_indices,
    plan_member_podcliques,
    replicas_to_remove,
)
from grove.controllers.podcliquescalinggroup.plan_termination import plan_pcsg_termination
from grove.controllers.podcliquescalinggroup.plan_update import (
    needs_bookkeeping,
    plan_pcsg_update_step,
    start_progress,
)
from grove.controllers.podcliquescalinggroup.status import compute_pcsg_status
from grove.controllers.podcliqueset.components.claims import ClaimSync
from grove.controllers.podcliqueset.plan_termination import termination_delay_seconds
from grove.controllers.podcliqueset.plan_update import currently_updating
from grove.kube.errors import ApiError, NotFound
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


@dataclass(frozen=True)
class _PcsgUpdate:
    progress: Obj | None = None
    changed: bool = False
    delete: list[int] = field(default_factory=list)
    requeue: bool = False


def members_by_replica_wire(pcsg_fqn: str, members: list[Obj]) -> dict[int, dict[str, Obj]]:
    """Non-terminating member PodCliques by PCSG replica index, then clique name."""
    out: dict[int, dict[str, Obj]] = {}
    for m in members:
        raw = (_meta(m).get("labels") or {}).get(c.LABEL_PCSG_REPLICA_INDEX)
        if _meta(m).get("deletionTimestamp") or raw is None or not str(raw).isdigit():
            continue
        prefix = f"{pcsg_fqn}-{raw}-"
        name = _meta(m).get("name") or ""
        if name.startswith(prefix):
            out.setdefault(int(raw), {})[name[len(prefix):]] = m
    return out


def _update_in_progress(pcsg: PodCliqueScalingGroup) -> bool:
    progress = pcsg.status.update_progress if pcsg.status else None
    return progress is not None and progress.update_ended_at is None


def _pcs_status_changed(old: Obj, new: Obj) -> bool:
    return old.get("status") != new.get("status") or _meta(old).get("generation") != _meta(new).get("generation")


class PodCliqueScalingGroupReconciler:
    def __init__(self, manager: Manager, settings: ControllerSettings) -> None:
        self.client = manager.client
        self.status_writer = StatusWriter(self.client)
        self.clock = manager.clock
        self.settings = settings
        self.pcsgs = manager.cache(c.API_VERSION, c.KIND_PCSG)
        self.pclqs = manager.cache(c.API_VERSION, c.KIND_PCLQ)
        self.pcs = manager.cache(c.API_VERSION, c.KIND_PCS)
        self.recorder = EventRecorder(manager.client, manager.clock, NAME)
        self.claims = ClaimSync(manager)

    def setup(self, manager: Manager) -> Controller:
        return (manager.builder(NAME)
                .for_(c.API_VERSION, c.KIND_PCSG, PcsgChanged())
                .owns(c.API_VERSION, c.KIND_PCLQ)
                .watches(c.API_VERSION, c.KIND_PCS, self._pcsgs_of_pcs, Funcs(update=_pcs_status_changed))
                .max_concurrent_reconciles(self.settings.config.controllers.pod_clique_scaling_group.concurrent_syncs)
                .complete(recording_last_errors(self.reconcile, client=self.client, clock=self.clock,
                                                 lookup=self.pcsgs.get, api_version=c.API_VERSION,
                                                 kind=c.KIND_PCSG)))

    def _pcsgs_of_pcs(self, pcs: Obj) -> list[Request]:
        ns = _meta(pcs).get("namespace")
        return [Request(ns, _meta(o)["name"]) for o in self.pcsgs.by_controller_uid(str(_meta(pcs).get("uid")))]

    async def reconcile(self, req: Request) -> Result | None:
        obj = self.pcsgs.get(req.namespace, req.name)
        if obj is None:
            self.status_writer.forget(req.namespace, req.name)
            return None
        obj = read = self.status_writer.newest(obj)
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
        await self._sync_claims(obj, pcs, pcsg)
        members = self.pclqs.by_controller_uid(str(_meta(obj)["uid"]))
        await self._scale_in(req, pcs_name or "", pcsg, members)
        await self._sync_members(pcs, pcsg, members)
        members = self.pclqs.by_controller_uid(str(_meta(obj)["uid"]))
        update = self._plan_update(pcs, pcs_obj, obj, pcsg, members)
        if update.changed:
            obj = {**obj, "status": {**(obj.get("status") or {}), "updateProgress": update.progress}}
            pcsg = PodCliqueScalingGroup.model_validate(obj)
        requeue_after = REQUEUE_SECONDS if update.requeue else None
        if not _update_in_progress(pcsg):
            wait = await self._gang_terminate(req, obj, pcs, pcsg, members)
            if wait is not None:
                requeue_after = min(wait, requeue_after or wait)
        await self._write_status(read, pcs, pcs_obj, pcsg)
        for j in update.delete:  # only once the selection is recorded (guarded status write above)
            await self._delete_replica(req, obj, pcs_name or "", pcsg, j, "RollingRecreate update")
        return Result(requeue_after=requeue_after) if requeue_after is not None else None

    def _plan_update(self, pcs: PodCliqueSet, pcs_obj: Obj, obj: Obj, pcsg: PodCliqueScalingGroup,
                     members: list[Obj]) -> _PcsgUpdate:
        """Bookkeeping and the RollingRecreate step of spec §8.4 (OnDelete: bookkeeping only)."""
        status = obj.get("status") or {}
        old = status.get("updateProgress")
        pcs_status = pcs_obj.get("status") or {}
        pcs_hash = pcs_status.get("currentGenerationHash")
        on_delete = (pcs.spec.update_strategy.type if pcs.spec.update_strategy else None) == "OnDelete"
        if not on_delete:
            replica = (_meta(obj).get("labels") or {}).get(c.LABEL_PCS_REPLICA_INDEX)
            if replica is None or currently_updating(pcs_status) != int(replica):
                return _PcsgUpdate(old)
        by_j = members_by_replica_wire(pcsg.metadata.name or "", members)
        expected = self._expected_hashes(pcs, pcsg)
        progress = old
        if needs_bookkeeping(old, status.get("currentPodCliqueSetGenerationHash"), pcs_hash, by_j, expected):
            assert pcs_hash is not None
            progress = start_progress(pcs_hash, now_string(self.clock), on_delete=on_delete)
        if on_delete or progress is None or progress.get("updateEndedAt"):
            return _PcsgUpdate(progress, progress != old)
        floor = pcsg.spec.min_available if pcsg.spec.min_available is not None else 1
        step = plan_pcsg_update_step(progress, pcsg.spec.replicas, by_j, pcsg.spec.clique_names, expected, pcs_hash,
                                     floor, now_string(self.clock))
        return _PcsgUpdate(step.progress, step.progress != old, step.delete, step.requeue)

    @staticmethod
    def _expected_hashes(pcs: PodCliqueSet, pcsg: PodCliqueScalingGroup) -> dict[str, str]:
        prio = pcs.spec.template.priority_class_name
        return {cl.name: pod_template_hash(cl, prio) for cl in pcs.spec.template.cliques
                if cl.name in pcsg.spec.clique_names}

    async def _delete_replica(self, req: Request, obj: Obj, pcs_name: str, pcsg: PodCliqueScalingGroup, j: int,
                              why: str) -> None:
        labels = {**default_labels(pcs_name), c.LABEL_COMPONENT: c.COMPONENT_PCSG_PODCLIQUE,
                  c.LABEL_PCSG: pcsg.metadata.name or "", c.LABEL_PCSG_REPLICA_INDEX: str(j)}
        try:
            await self.client.delete_collection(c.API_VERSION, c.KIND_PCLQ, req.namespace,
                                                label_selector=selector_string(labels))
        except ApiError as exc:
            await self.recorder.warning(obj, "PodCliqueScalingGroupReplicaDeleteFailed",
                                        f"deleting the PodCliques of replica {j} ({why}): {exc}")
            raise
        await self.recorder.normal(obj, "PodCliqueScalingGroupReplicaDeleteSuccessful",
                                   f"deleted the PodCliques of replica {j} ({why})")

    async def _gang_terminate(self, req: Request, obj: Obj, pcs: PodCliqueSet, pcsg: PodCliqueScalingGroup,
                              members: list[Obj]) -> float | None:
        """PCSG-replica gang termination (spec §7.4); returns the delay to the next breach expiry."""
        floor = pcsg.spec.min_available if pcsg.spec.min_available is not None else 1
        plan = plan_pcsg_termination(members, pcsg.spec.replicas, floor, termination_delay_seconds(pcs),
                                     self.clock.utcnow())
        pcs_name = (_meta(obj).get("labels") or {}).get(c.LABEL_PART_OF) or ""
        for j in plan.terminate:
            await self._delete_replica(req, obj, pcs_name, pcsg, j,
                                       "gang termination: MinAvailable breached longer than terminationDelay")
        return plan.requeue_after

    async def _sync_claims(self, obj: Obj, pcs: PodCliqueSet, pcsg: PodCliqueScalingGroup) -> None:
        """Sync step 1: PCSG-level ResourceClaims (spec §11.1)."""
        fqn = pcsg.metadata.name or ""
        raw = (_meta(obj).get("labels") or {}).get(c.LABEL_PCS_REPLICA_INDEX)
        sharing = rc.pcsg_sharing(pcs, fqn, int(raw)) if raw is not None and str(raw).isdigit() else []
        level = rc.pcsg_level(fqn, pcsg.spec.replicas, owner_reference_to_dict(obj))
        await self.claims.apply(self.client, pcs, level, sharing)

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
        mnnvl = self.settings.config.network.auto_mnnvl_enabled
        for desired in plan_member_podcliques(pcs, pcsg, replicas, mnnvl=mnnvl):
            name = desired["metadata"]["name"]
            if name in live and not in_place:
                continue
            removals = () if "startsAfter" in desired["spec"] else (("spec", "startsAfter"),)
            try:
                await ensure_object(self.client, live.get(name), desired, removals=removals)
            except NotFound:  # a deleted namesake vanished between create and get: its delete event requeues
                continue

    async def _write_status(self, read: Obj, pcs: PodCliqueSet, pcs_obj: Obj, pcsg: PodCliqueScalingGroup) -> None:
        """``pcsg`` is the object as read (``read``) plus this reconcile's update bookkeeping. The write is
        diffed and guarded against ``read``, the version the status was computed from: a condition another
        controller wrote since (GangTerminationInProgress) fails the guarded write instead of being dropped."""
        live = read
        members = [PodClique.model_validate(m) for m in self.pclqs.by_controller_uid(str(_meta(read)["uid"]))]
        prio = pcs.spec.template.priority_class_name
        hashes = {cl.name: pod_template_hash(cl, prio) for cl in pcs.spec.template.cliques
                  if cl.name in pcsg.spec.clique_names}
        status = compute_pcsg_status(pcsg, members, now=now_string(self.clock),
                                     pcs_generation_hash=(pcs_obj.get("status") or {}).get("currentGenerationHash"),
                                     expected_hashes=hashes)
        status["observedGeneration"] = _meta(live).get("generation")
        # Guard the writes that could clobber another writer's condition (GangTerminationInProgress) or
        # record a rolling-update selection; plain counter refreshes go unguarded.
        old = live.get("status") or {}
        guarded = (status.get("conditions") != old.get("conditions")
                   or status.get("updateProgress") != old.get("updateProgress"))
        await self.status_writer.write(live, status, guarded=guarded)
