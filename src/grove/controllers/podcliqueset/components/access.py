"""G1: ServiceAccount, Role, RoleBinding, the init-container token Secret, headless Services and HPAs.

Role and RoleBinding are create-only (spec §5.1); the ServiceAccount, Services and HPAs are
create-or-patch. Services of scaled-in replicas are deliberately kept (upstream behaviour, spec §13.1);
HPAs no longer planned are deleted. The token Secret must be ours: a same-named Secret owned by someone
else is an error, never silently adopted.
"""

from __future__ import annotations

import asyncio
import contextlib

from grove.api import constants as c
from grove.api import names
from grove.controllers.common.reconciler_support import delete_ignoring_missing, ensure_object
from grove.controllers.podcliqueset.components.context import HPA, RBAC, Obj, PcsContext
from grove.controllers.podcliqueset.plan_children import ChildrenPlan
from grove.kube.errors import AlreadyExists


class ForeignSecretError(RuntimeError):
    """A Secret named ``<pcs>-ic-sat`` exists but is not controlled by the PodCliqueSet."""


class TokenPendingError(RuntimeError):
    """The token Secret has no ``data.token`` yet (requeue; G2/G3 wait)."""


def _by_name(objs: list[Obj]) -> dict[str, Obj]:
    return {o["metadata"]["name"]: o for o in objs}


async def _create_only(ctx: PcsContext, api_version: str, kind: str, desired: Obj) -> None:
    cache = ctx.caches.managed[(api_version, kind)]
    if cache.get(ctx.namespace, desired["metadata"]["name"]) is not None:
        return
    with contextlib.suppress(AlreadyExists):
        await ctx.client.create(desired)


async def sync_token_secret(ctx: PcsContext, desired: Obj) -> None:
    name = desired["metadata"]["name"]
    existing = ctx.caches.managed[("v1", "Secret")].get(ctx.namespace, name)
    if existing is None:
        try:
            existing = await ctx.client.create(desired)
        except AlreadyExists:
            existing = await ctx.client.get("v1", "Secret", name, ctx.namespace)
    owners = [r for r in existing["metadata"].get("ownerReferences") or () if r.get("controller")]
    if not any(r.get("uid") == ctx.uid for r in owners):
        raise ForeignSecretError(f"secret {ctx.namespace}/{name} exists and is not owned by PodCliqueSet {ctx.name}")
    if ctx.settings.wait_for_sa_token and not (existing.get("data") or {}).get("token"):
        raise TokenPendingError(f"secret {ctx.namespace}/{name} has no token yet")
    await delete_legacy_token_secret(ctx)


def _mounts_secret(pod: Obj, secret: str) -> bool:
    return any((v.get("secret") or {}).get("secretName") == secret
               for v in (pod.get("spec") or {}).get("volumes") or ())


async def delete_legacy_token_secret(ctx: PcsContext) -> None:
    """Migration from the old name ``<pcs>-initc-sa-token-secret`` (spec §5.1, §12.9): once the new token
    Secret is ready, the old one goes if this PodCliqueSet controls it and no pod still mounts it (pods
    made before the rename keep theirs until they are replaced)."""
    legacy = names.legacy_initc_token_secret_name(ctx.name)
    old = ctx.caches.managed[("v1", "Secret")].get(ctx.namespace, legacy)
    if old is None or old["metadata"].get("deletionTimestamp"):
        return
    if not any(r.get("controller") and r.get("uid") == ctx.uid for r in old["metadata"].get("ownerReferences") or ()):
        return
    if any(_mounts_secret(pod, legacy) for pod in ctx.part_of(ctx.caches.pods())):
        return
    await delete_ignoring_missing(ctx.client, old)
    await ctx.recorder.normal(ctx.obj, "LegacyTokenSecretDeleted",
                              f"deleted secret {legacy}, replaced by {names.initc_token_secret_name(ctx.name)}")


async def sync_access(ctx: PcsContext, plan: ChildrenPlan) -> None:
    """G1, concurrently inside the group; raises TokenPendingError after the rest of G1 is done."""
    sa_cache = ctx.caches.managed[("v1", "ServiceAccount")]
    sa = plan.service_account
    svc_cache = ctx.caches.managed[("v1", "Service")]
    hpa_existing = _by_name([o for o in ctx.managed_owned(HPA, "HorizontalPodAutoscaler")
                             if o["metadata"].get("labels", {}).get(c.LABEL_COMPONENT) == c.COMPONENT_HPA])
    wanted_hpas = {h["metadata"]["name"] for h in plan.hpas}

    async def ensure(cache_obj: Obj | None, desired: Obj) -> None:
        await ensure_object(ctx.client, cache_obj, desired)

    results = await asyncio.gather(
        ensure(sa_cache.get(ctx.namespace, sa["metadata"]["name"]), sa),
        _create_only(ctx, RBAC, "Role", plan.role),
        _create_only(ctx, RBAC, "RoleBinding", plan.role_binding),
        sync_token_secret(ctx, plan.token_secret),
        *(ensure(svc_cache.get(ctx.namespace, s["metadata"]["name"]), s) for s in plan.services),
        *(ensure(hpa_existing.get(h["metadata"]["name"]), h) for h in plan.hpas),
        *(delete_ignoring_missing(ctx.client, h) for n, h in hpa_existing.items() if n not in wanted_hpas),
        return_exceptions=True,
    )
    errors = [r for r in results if isinstance(r, BaseException)]
    if errors:
        raise errors[0]
