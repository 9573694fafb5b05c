"""G1 ComputeDomains of a PodCliqueSet (auto-MNNVL, spec §11.3), only with ``network.autoMNNVLEnabled``.

A thin applier over ``common.mnnvl``: create the missing ``<pcs>-<i>-<group>`` ComputeDomains, never patch
one, and delete obsolete ones after stripping ``grove.io/computedomain-finalizer``. Upstream quirk kept on
purpose: obsolete ComputeDomains are deleted only while at least one is still required, so scaling the PCS
to 0 (or opting every clique out) leaves them in place until the PCS is deleted. On PCS deletion the
reconciler calls :func:`release_compute_domains` before dropping the PCS finalizer (spec §5), so owner
GC can then remove them. Events: ``ComputeDomainCreateSuccessful/Failed``, ``ComputeDomainDeleteSuccessful/Failed``.
"""

from __future__ import annotations

from grove.api import constants as c
from grove.controllers.common import mnnvl
from grove.controllers.common.ownership import owner_reference_to_dict
from grove.controllers.common.reconciler_support import delete_ignoring_missing, remove_finalizer
from grove.controllers.podcliqueset.components.context import Obj, PcsContext
from grove.kube.client import KubeClient
from grove.kube.errors import AlreadyExists, ApiError
from grove.runtime.cache import Indexer
from grove.runtime.manager import Manager


def compute_domain_cache(manager: Manager) -> Indexer:
    return manager.cache(mnnvl.API_VERSION, mnnvl.KIND)


def _owned(ctx: PcsContext, cache: Indexer) -> list[Obj]:
    return [o for o in ctx.owned(cache)
            if (o["metadata"].get("labels") or {}).get(c.LABEL_COMPONENT) == c.COMPONENT_COMPUTEDOMAIN]


async def sync_compute_domains(ctx: PcsContext, cache: Indexer) -> None:
    """Move the PCS's ComputeDomains one step toward the plan; the first failure is re-raised at the end."""
    plan = mnnvl.plan_compute_domain_changes(
        mnnvl.plan_compute_domains(ctx.pcs, owner_reference_to_dict(ctx.obj)), _owned(ctx, cache))
    errors: list[Exception] = []
    for want in plan.create:
        name = want["metadata"]["name"]
        try:
            await ctx.client.create(want)
        except AlreadyExists:
            continue  # our cache lags
        except ApiError as exc:  # reported as an event, re-raised below
            errors.append(exc)
            await ctx.recorder.warning(ctx.obj, "ComputeDomainCreateFailed",
                                       f"Error creating ComputeDomain {name}: {exc}")
            continue
        await ctx.recorder.normal(ctx.obj, "ComputeDomainCreateSuccessful", f"Created ComputeDomain {name}")
    for obj in plan.delete:
        name = obj["metadata"]["name"]
        try:
            await remove_finalizer(ctx.client, obj, c.FINALIZER_COMPUTEDOMAIN)
            await delete_ignoring_missing(ctx.client, obj)
        except ApiError as exc:  # reported as an event, re-raised below
            errors.append(exc)
            await ctx.recorder.warning(ctx.obj, "ComputeDomainDeleteFailed",
                                       f"Error deleting ComputeDomain {name}: {exc}")
            continue
        await ctx.recorder.normal(ctx.obj, "ComputeDomainDeleteSuccessful", f"Deleted ComputeDomain {name}")
    if errors:
        raise errors[0]


async def release_compute_domains(client: KubeClient, cache: Indexer, pcs_uid: str) -> None:
    """Strip the ComputeDomain finalizer from every ComputeDomain a terminating PCS controls."""
    for obj in cache.by_controller_uid(pcs_uid):
        if (obj["metadata"].get("labels") or {}).get(c.LABEL_COMPONENT) == c.COMPONENT_COMPUTEDOMAIN:
            await remove_finalizer(client, obj, c.FINALIZER_COMPUTEDOMAIN)
