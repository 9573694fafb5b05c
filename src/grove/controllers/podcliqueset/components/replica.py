"""G1 "PCS replica" component: gang termination of whole PodCliqueSet replicas (spec §7.4) and the
RollingRecreate orchestration of one replica at a time (spec §8.2).

Gang termination: ``plan_pcs_termination`` names the replicas whose breach expired; for each, every
PodClique labelled with the replica index (standalone and PCSG members alike) is deleted as one
collection, then ``GangTerminationInProgress=True`` is set on every PCSG of that replica (an
optimistic-lock status patch, retried briefly on conflict) so the still-breached PCSG does not terminate
the fresh replica again; the PCSG controller clears it once it reports ``MinAvailableBreached=False``.
Everything is recreated by the normal flows. The returned delay makes the reconcile requeue at the exact
instant the earliest pending breach expires.
"""

from __future__ import annotations

import logging

from grove.api import constants as c
from grove.api import names
from grove.api.models.core import PodClique
from grove.controllers.common.conditions import upsert_condition
from grove.controllers.common.hashing import pod_template_hash
from grove.controllers.common.ownership import default_labels, selector_string
from grove.controllers.common.reconciler_support import now_string
from grove.controllers.common.startup import group_of
from grove.controllers.podclique.status import is_converged
from grove.controllers.podcliqueset.components.context import Obj, PcsContext
from grove.controllers.podcliqueset.plan_termination import (
    PcsTerminationPlan,
    plan_pcs_termination,
    replica_index,
    termination_delay_seconds,
)
from grove.controllers.podcliqueset.plan_update import (
    ReplicaUpdateState,
    plan_pcs_update_step,
    update_active,
)
from grove.kube.errors import ApiError, Conflict, NotFound

log = logging.getLogger(__name__)
STATUS_PATCH_ATTEMPTS = 5


def expected_standalone(ctx: PcsContext) -> dict[int, list[str]]:
    cliques = [cl.name for cl in ctx.pcs.spec.template.cliques if group_of(ctx.pcs, cl.name) is None]
    return {i: [names.pclq_name(ctx.name, i, cl) for cl in cliques] for i in range(ctx.pcs.spec.replicas or 0)}


def plan_termination(ctx: PcsContext) -> PcsTerminationPlan:
    standalone = [o for o in ctx.owned(ctx.caches.pclq)
                  if (o["metadata"].get("labels") or {}).get(c.LABEL_COMPONENT) == c.COMPONENT_PCS_PODCLIQUE]
    return plan_pcs_termination(ctx.pcs.spec.replicas or 0, expected_standalone(ctx), standalone,
                                ctx.owned(ctx.caches.pcsg), termination_delay_seconds(ctx.pcs),
                                ctx.clock.utcnow())


async def _mark_gang_termination(ctx: PcsContext, pcsg: Obj) -> None:
    """Set GangTerminationInProgress=True with a resourceVersion-guarded status patch (brief retries)."""
    name = pcsg["metadata"]["name"]
    current = pcsg
    for _ in range(STATUS_PATCH_ATTEMPTS):
        conds = upsert_condition((current.get("status") or {}).get("conditions"),
                                 c.COND_GANG_TERMINATION_IN_PROGRESS, "True", c.REASON_GANG_TERMINATION_ACTIVE,
                                 f"PodCliqueSet replica {pcsg['metadata'].get('labels', {}).get(c.LABEL_PCS_REPLICA_INDEX)}"
                                 " is being gang-terminated", now_string(ctx.clock))
        patch = {"metadata": {"resourceVersion": current["metadata"].get("resourceVersion")},
                 "status": {"conditions": conds}}
        try:
            await ctx.client.patch(c.API_VERSION, c.KIND_PCSG, name, patch, namespace=ctx.namespace,
                                   subresource="status")
            return
        except NotFound:
            return
        except Conflict:
            current = await ctx.client.get(c.API_VERSION, c.KIND_PCSG, name, ctx.namespace)
    raise RuntimeError(f"could not mark PodCliqueScalingGroup {name} GangTerminationInProgress (conflicts)")


async def terminate_replica(ctx: PcsContext, i: int) -> None:
    selector = selector_string({**default_labels(ctx.name), c.LABEL_PCS_REPLICA_INDEX: str(i)})
    try:
        await ctx.client.delete_collection(c.API_VERSION, c.KIND_PCLQ, ctx.namespace, label_selector=selector)
    except ApiError as exc:
        await ctx.recorder.warning(ctx.obj, "PodCliqueSetReplicaDeleteFailed",
                                   f"deleting the PodCliques of replica {i}: {exc}")
        raise
    await ctx.recorder.normal(ctx.obj, "PodCliqueSetReplicaDeleteSuccessful",
                              f"gang-terminated PodCliqueSet replica {i}: MinAvailable breached longer than "
                              f"terminationDelay")
    for pcsg in ctx.owned(ctx.caches.pcsg):
        if replica_index(pcsg) == i and not pcsg["metadata"].get("deletionTimestamp"):
            await _mark_gang_termination(ctx, pcsg)


async def sync_gang_termination(ctx: PcsContext) -> PcsTerminationPlan:
    """Terminate every expired replica; the plan's ``requeue_after`` is the next expiry."""
    plan = plan_termination(ctx)
    for i in plan.terminate:
        log.info("%s/%s: gang-terminating replica %d", ctx.namespace, ctx.name, i)
        await terminate_replica(ctx, i)
    return plan


def is_on_delete(ctx: PcsContext) -> bool:
    strategy = ctx.pcs.spec.update_strategy
    return strategy is not None and strategy.type == "OnDelete"


def replica_update_states(ctx: PcsContext) -> list[ReplicaUpdateState]:
    """Done-ness and scheduled-pod counts of every PCS replica, from the caches."""
    pcs, pcs_hash = ctx.pcs, (ctx.obj.get("status") or {}).get("currentGenerationHash")
    prio = pcs.spec.template.priority_class_name
    minimum = {cl.name: (cl.spec.min_available if cl.spec.min_available is not None else cl.spec.replicas)
               for cl in pcs.spec.template.cliques}
    pclqs = {o["metadata"]["name"]: o for o in ctx.owned(ctx.caches.pclq) if not o["metadata"].get("deletionTimestamp")}
    pcsgs = {o["metadata"]["name"]: o for o in ctx.owned(ctx.caches.pcsg) if not o["metadata"].get("deletionTimestamp")}
    standalone = [cl for cl in pcs.spec.template.cliques if group_of(pcs, cl.name) is None]
    out: list[ReplicaUpdateState] = []
    for i in range(pcs.spec.replicas or 0):
        done, scheduled = True, 0
        for cl in standalone:
            raw = pclqs.get(names.pclq_name(ctx.name, i, cl.name))
            if raw is None:
                done = False
                continue
            scheduled += int((raw.get("status") or {}).get("scheduledReplicas") or 0)
            done = done and is_converged(PodClique.model_validate(raw), pod_template_hash(cl, prio), pcs_hash)
        for g in pcs.spec.template.pod_clique_scaling_groups or []:
            raw = pcsgs.get(names.pcsg_name(ctx.name, i, g.name))
            status = (raw or {}).get("status") or {}
            scheduled += int(status.get("scheduledReplicas") or 0) * sum(minimum.get(n, 0) for n in g.clique_names)
            done = done and raw is not None and bool(pcs_hash) and \
                status.get("currentPodCliqueSetGenerationHash") == pcs_hash
        out.append(ReplicaUpdateState(i, done, scheduled))
    return out


def sync_rolling_update(ctx: PcsContext, termination: PcsTerminationPlan) -> bool:
    """Advance the RollingRecreate orchestration in ``ctx.obj['status']`` (written with the status);
    returns whether to requeue."""
    status = ctx.obj.setdefault("status", {})
    if is_on_delete(ctx) or not update_active(status):
        return False
    gang_terminating = {replica_index(g) for g in ctx.owned(ctx.caches.pcsg)
                        if any(cd.get("type") == c.COND_GANG_TERMINATION_IN_PROGRESS and cd.get("status") == "True"
                               for cd in (g.get("status") or {}).get("conditions") or [])}
    step = plan_pcs_update_step(status.get("updateProgress"), replica_update_states(ctx),
                                breached=termination.breached,
                                terminating={*termination.terminate, *(i for i in gang_terminating if i is not None)},
                                now=now_string(ctx.clock))
    if step.progress is not None:
        status["updateProgress"] = step.progress
    return step.requeue
