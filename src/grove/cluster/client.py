"""The embedded cluster seen through the :class:`~grove.kube.client.KubeClient` protocol.

Controllers hold this (never the cluster), so they run unchanged against a real API server. Each client
carries the user its requests present to admission. Every request yields to the event loop once (as
network I/O would), so a controller issuing thousands of writes cannot starve the watchers it feeds.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, Literal

from grove.cluster.admission import UserInfo
from grove.kube.client import Obj, ObjectList, PatchType, PropagationPolicy, Subresource, WatchEvent

if TYPE_CHECKING:
    from grove.cluster.cluster import EmbeddedCluster


class EmbeddedClient:
    def __init__(self, cluster: EmbeddedCluster, user: UserInfo | None = None) -> None:
        self.cluster = cluster
        self.user = user or UserInfo()

    async def get(self, api_version: str, kind: str, name: str, namespace: str | None = None) -> Obj:
        await asyncio.sleep(0)
        return await self.cluster.get(api_version, kind, name, namespace)

    async def list(self, api_version: str, kind: str, namespace: str | None = None, *,
                   label_selector: str | None = None, field_selector: str | None = None) -> ObjectList:
        await asyncio.sleep(0)
        return await self.cluster.list(api_version, kind, namespace, label_selector=label_selector,
                                       field_selector=field_selector)

    def watch(self, api_version: str, kind: str, namespace: str | None = None, *,
              resource_version: str | None = None, label_selector: str | None = None,
              field_selector: str | None = None, allow_bookmarks: bool = True,
              timeout_seconds: float | None = None) -> AsyncIterator[WatchEvent]:
        return self.cluster.watch(api_version, kind, namespace, resource_version=resource_version,
                                  label_selector=label_selector, field_selector=field_selector,
                                  allow_bookmarks=allow_bookmarks, timeout_seconds=timeout_seconds)

    async def create(self, obj: Obj, *, dry_run: bool = False) -> Obj:
        await asyncio.sleep(0)
        return await self.cluster.writes.create(obj, dry_run=dry_run, user=self.user)

    async def update(self, obj: Obj, *, subresource: Literal["status"] | None = None) -> Obj:
        await asyncio.sleep(0)
        return await self.cluster.writes.update(obj, subresource=subresource, user=self.user)

    async def patch(self, api_version: str, kind: str, name: str, patch: Any, *, namespace: str | None = None,
                    patch_type: PatchType = "merge", subresource: Subresource | None = None) -> Obj:
        await asyncio.sleep(0)
        return await self.cluster.writes.patch(api_version, kind, name, patch, namespace=namespace,
                                               patch_type=patch_type, subresource=subresource, user=self.user)

    async def delete(self, api_version: str, kind: str, name: str, namespace: str | None = None, *,
                     propagation_policy: PropagationPolicy | None = None,
                     preconditions: dict[str, str] | None = None,
                     grace_period_seconds: int | None = None) -> Obj | None:
        await asyncio.sleep(0)
        return await self.cluster.writes.delete(api_version, kind, name, namespace,
                                                propagation_policy=propagation_policy,
                                                preconditions=preconditions,
                                                grace_period_seconds=grace_period_seconds, user=self.user)

    async def delete_collection(self, api_version: str, kind: str, namespace: str | None = None, *,
                                label_selector: str | None = None, field_selector: str | None = None,
                                propagation_policy: PropagationPolicy | None = None) -> None:
        await asyncio.sleep(0)
        await self.cluster.writes.delete_collection(api_version, kind, namespace, label_selector=label_selector,
                                                    field_selector=field_selector,
                                                    propagation_policy=propagation_policy, user=self.user)

    async def get_scale(self, api_version: str, kind: str, name: str, namespace: str | None = None) -> Obj:
        await asyncio.sleep(0)
        return await self.cluster.writes.get_scale(api_version, kind, name, namespace)

    async def update_scale(self, api_version: str, kind: str, name: str, replicas: int,
                           namespace: str | None = None) -> Obj:
        await asyncio.sleep(0)
        writes = self.cluster.writes
        rk = writes._scale_kind(api_version, kind)
        return await writes.update_scale(rk, self.cluster.key(rk, name, namespace), replicas, user=self.user)

    async def bind(self, namespace: str, pod_name: str, node_name: str, *, pod_uid: str | None = None) -> None:
        await asyncio.sleep(0)
        await self.cluster.writes.bind(namespace, pod_name, node_name, pod_uid, self.user)
