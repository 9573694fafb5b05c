"""G2 standalone PodCliques and G3 PodCliqueScalingGroups of a PodCliqueSet.

Both are create-or-patch against the plan, but the plan is made with the *live* ``spec.replicas`` of
existing children, so a value set through ``/scale`` or an HPA survives every reconcile (spec §7.5).
Children the plan no longer names (PCS scale-in: replica index >= ``spec.replicas``) are deleted;
owner-reference GC removes what hangs below them.
"""

from __future__ import annotations

import asyncio

from grove.api import constants as c
from grove.controllers.common.reconciler_support import delete_ignoring_missing, ensure_object
from grove.controllers.podcliqueset.components.context import Obj, PcsContext
from grove.controllers.podcliqueset.plan_children import plan_scaling_groups, plan_standalone_podcliques


def live_replicas(objs: list[Obj]) -> dict[str, int]:
    """``spec.replicas`` of each non-terminating object, by name."""
    return {o["metadata"]["name"]: int((o.get("spec") or {}).get("replicas") or 0)
            for o in objs if not o["metadata"].get("deletionTimestamp")}


async def _sync(ctx: PcsContext, existing: list[Obj], desired: list[Obj], component: str,
                removals: tuple[tuple[str, ...], ...] = ()) -> None:
    by_name = {o["metadata"]["name"]: o for o in existing
               if o["metadata"].get("labels", {}).get(c.LABEL_COMPONENT) == component}
    wanted = {d["metadata"]["name"] for d in desired}

    async def one(d: Obj) -> None:
        rm = tuple(p for p in removals if not _has(d, p))
        await ensure_object(ctx.client, by_name.get(d["metadata"]["name"]), d, removals=rm)

    stale = [o for n, o in by_name.items() if n not in wanted and not o["metadata"].get("deletionTimestamp")]
    results = await asyncio.gather(*(one(d) for d in desired),
                                   *(delete_ignoring_missing(ctx.client, o) for o in stale),
                                   return_exceptions=True)
    errors = [r for r in results if isinstance(r, BaseException)]
    if errors:
        raise errors[0]


def _has(obj: Obj, path: tuple[str, ...]) -> bool:
    node: object = obj
    for part in path:
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


async def sync_standalone_podcliques(ctx: PcsContext) -> None:
    existing = ctx.owned(ctx.caches.pclq)
    desired = plan_standalone_podcliques(ctx.pcs, live_replicas(existing),
                                         mnnvl=ctx.settings.config.network.auto_mnnvl_enabled)
    await _sync(ctx, existing, desired, c.COMPONENT_PCS_PODCLIQUE, removals=(("spec", "startsAfter"),))


async def sync_scaling_groups(ctx: PcsContext) -> None:
    existing = ctx.owned(ctx.caches.pcsg)
    desired = plan_scaling_groups(ctx.pcs, live_replicas(existing))
    await _sync(ctx, existing, desired, c.COMPONENT_PCSG)
