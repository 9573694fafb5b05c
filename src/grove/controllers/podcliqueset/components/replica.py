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
from grove.controllers.common.conditions import upsert_condition
from grove.controllers.common.ownership import default_labels, selector_string
from grove.controllers.common.reconciler_support import now_string
from grove.controllers.common.startup import group_of
from grove.controllers.podcliqueset.components.context import Obj, PcsContext
from grove.controllers.podcliqueset.plan_termination import (
    PcsTerminationPlan,
    plan_pcs_termination,
    replica_index,
    termination_delay_seconds,
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
