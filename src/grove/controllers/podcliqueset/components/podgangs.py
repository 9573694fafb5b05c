"""G3 PodGangs: create-or-patch the planned gangs, delete unexpected ones, and drive ``Initialized``.

PodGroup ``podReferences`` come from the pods in the cache, so this component runs again whenever a pod
of the PCS appears, disappears or changes gang. ``Initialized`` is set by a status merge patch: False
(``PodGangPodsCreationPending``) on first sight, True (``PodGangPodsCreated``) once every constituent
PodClique has all its pods labelled with the gang (spec §7.1). Returns whether any gang is incomplete.
"""

from __future__ import annotations

import asyncio

from grove.api import constants as c
from grove.api.models.topology import ClusterTopologyBinding
from grove.controllers.common.reconciler_support import delete_ignoring_missing, ensure_object, now_string
from grove.controllers.common.topology import topology_name
from grove.controllers.podcliqueset.components.context import Obj, PcsContext
from grove.controllers.podcliqueset.plan_podgangs import (
    TopologyContext,
    initialized_status_patch,
    plan_podgangs,
    podgang_pods_created,
    pods_by_podclique,
)


def binding_for(ctx: PcsContext) -> ClusterTopologyBinding | None:
    name = topology_name(ctx.pcs)
    obj = ctx.caches.ctb.get(None, name) if name else None
    return ClusterTopologyBinding.model_validate(obj) if obj is not None else None


async def sync_podgangs(ctx: PcsContext) -> bool:
    """Returns True while some PodGang is not yet Initialized=True."""
    existing = {o["metadata"]["name"]: o for o in ctx.owned(ctx.caches.podgang)}
    pods = [p for p in ctx.part_of(ctx.caches.pods())]
    pcsg_replicas = {o["metadata"]["name"]: int(o["spec"].get("replicas") or 0)
                     for o in ctx.owned(ctx.caches.pcsg) if not o["metadata"].get("deletionTimestamp")}
    topo = TopologyContext(ctx.settings.tas_enabled, binding_for(ctx))
    desired = plan_podgangs(ctx.pcs, pods, pcsg_replicas, topo=topo, existing=existing,
                            default_profile=ctx.settings.default_profile)
    wanted = {d["metadata"]["name"] for d in desired}
    stale = [o for n, o in existing.items() if n not in wanted and not o["metadata"].get("deletionTimestamp")]
    for gang in stale:  # unexpected gangs go first (spec §7.1)
        await delete_ignoring_missing(ctx.client, gang)
        await ctx.recorder.normal(ctx.obj, "PodGangDeleteSuccessful", f"deleted PodGang {gang['metadata']['name']}")
    pclqs = {o["metadata"]["name"]: o for o in ctx.part_of(ctx.caches.pclq)
             if not o["metadata"].get("deletionTimestamp")}
    now = now_string(ctx.clock)
    by_pclq = pods_by_podclique(pods)

    async def one(d: Obj) -> bool:
        name = d["metadata"]["name"]
        removals: tuple[tuple[str, ...], ...] = tuple(
            ("spec", k) for k in ("topologyConstraint", "topologyConstraintGroupConfigs", "priorityClassName")
            if k not in d["spec"])
        if c.ANNOTATION_TOPOLOGY_NAME not in (d["metadata"].get("annotations") or {}):  # spec §9.2: "else removed"
            removals += (("metadata", "annotations", c.ANNOTATION_TOPOLOGY_NAME),)
        live, wrote = await ensure_object(ctx.client, existing.get(name), d, removals=removals)
        if wrote and name not in existing:
            await ctx.recorder.normal(ctx.obj, "PodGangCreateOrUpdateSuccessful", f"created PodGang {name}")
        created = podgang_pods_created(d, pclqs, pods, by_pclq)
        patch = initialized_status_patch(live, created, now)
        if patch is not None:
            await ctx.client.patch(c.SCHEDULER_API_VERSION, c.KIND_PODGANG, name, {"status": patch},
                                   namespace=ctx.namespace, subresource="status")
        return not created

    results = await asyncio.gather(*(one(d) for d in desired), return_exceptions=True)
    errors = [r for r in results if isinstance(r, BaseException)]
    if errors:
        raise errors[0]
    return any(r is True for r in results)
