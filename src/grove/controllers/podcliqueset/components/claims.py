"""ResourceClaims of one owner (PCS G1, PCSG sync step 1, PCLQ before pods; spec §11.1).

A thin applier over ``common.resource_claims``: create the missing claims (resolving external
ResourceClaimTemplates only for those), delete out-of-range PerReplica claims, never patch a claim.
The claim informer is created lazily, on the first owner that shares resources, so a cluster without
``resource.k8s.io/v1`` is never watched for it unless a manifest asks for DRA. Until that informer has
synced its cache looks empty: creates then meet AlreadyExists (ignored) and nothing is deleted.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from typing import Any

from grove.api.models.core import PodCliqueSet, ResourceSharingSpec
from grove.controllers.common import resource_claims as rc
from grove.controllers.common.ownership import owner_reference_to_dict
from grove.controllers.common.reconciler_support import MANAGED_BY_SELECTOR, delete_ignoring_missing
from grove.kube.client import KubeClient
from grove.kube.errors import AlreadyExists, NotFound
from grove.runtime.cache import Indexer
from grove.runtime.manager import Manager

Obj = dict[str, Any]


class ClaimSync:
    """Per-reconciler claim applier with the lazily created, managed-by filtered claim informer."""

    def __init__(self, manager: Manager) -> None:
        self._manager = manager
        self._cache: Indexer | None = None

    @property
    def cache(self) -> Indexer:
        if self._cache is None:
            self._cache = self._manager.informer(rc.API_VERSION, rc.KIND_CLAIM,
                                                 label_selector=MANAGED_BY_SELECTOR).cache
        return self._cache

    async def apply(self, client: KubeClient, pcs: PodCliqueSet, level: rc.ClaimLevel,
                    sharing: Sequence[ResourceSharingSpec]) -> None:
        """Move the claims controlled by ``level``'s owner one step toward the plan."""
        owner_uid = str(level.owner_ref.get("uid") or "")
        if not sharing and self._cache is None:
            return  # nothing shared and never watched: no claims of ours can exist yet
        plan = rc.plan_claims(level, sharing, self.cache.by_controller_uid(owner_uid))
        templates: dict[tuple[str, str], Mapping[str, Any]] = {}
        for ns, name in rc.external_refs(pcs, [d.entry for d in plan.create]):
            with contextlib.suppress(NotFound):
                templates[(ns, name)] = await client.get(rc.API_VERSION, rc.KIND_TEMPLATE, name, ns)
        errors: list[Exception] = []
        for want in plan.create:
            try:
                claim = rc.build_claim(pcs, level, want, lambda ns, n: templates.get((ns, n)))
                with contextlib.suppress(AlreadyExists):
                    await client.create(claim)
            except rc.TemplateNotFoundError as exc:
                errors.append(exc)
        for obj in plan.delete:
            await delete_ignoring_missing(client, obj)
        if errors:
            raise errors[0]


async def sync_pcs_claims(claims: ClaimSync, client: KubeClient, pcs_obj: Obj, pcs: PodCliqueSet) -> None:
    """G1: the PCS-level claims ``<pcs>-all-<t>`` and ``<pcs>-<i>-<t>`` for i in ``[0, replicas)``."""
    level = rc.pcs_level(pcs, owner_reference_to_dict(pcs_obj))
    await claims.apply(client, pcs, level, list(pcs.spec.template.resource_sharing or ()))
