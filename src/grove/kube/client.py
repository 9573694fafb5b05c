"""The narrow client every controller, webhook, scheduler and the startup waiter talks to.

Two backends implement :class:`KubeClient`: the embedded cluster (``grove.cluster``, in process) and the
real API server (``grove.kube.http``). Nobody above this layer knows which one it holds, so the same
reconcilers run locally on virtual time and on a real cluster.

Objects are plain wire dicts (``apiVersion``, ``kind``, ``metadata``, ``spec``, ``status``), so fields we
do not model survive a read-modify-write. Resources are named by ``(apiVersion, kind)``; a backend maps
that to its REST path. Failures raise the classes of :mod:`grove.kube.errors`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TypedDict, runtime_checkable

Obj = dict[str, Any]

PatchType = Literal["merge", "json", "strategic"]
PropagationPolicy = Literal["Background", "Foreground", "Orphan"]
Subresource = Literal["status", "scale"]
WatchEventType = Literal["ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR"]


class WatchEvent(TypedDict):
    """One watch notification. BOOKMARK carries only ``metadata.resourceVersion``; ERROR a Status."""

    type: WatchEventType
    object: Obj


@dataclass(frozen=True)
class ObjectList:
    """A list result: the items and the collection resourceVersion to start a watch from."""

    items: list[Obj]
    resource_version: str


@runtime_checkable
class KubeClient(Protocol):
    """Async Kubernetes API access, backend-agnostic.

    Semantics follow the API server: ``update`` with a stale ``metadata.resourceVersion`` raises
    Conflict; an empty resourceVersion on update means "last write wins"; ``create`` honours
    ``metadata.generateName``; the main resource ignores ``status`` and the status subresource ignores
    everything but ``status`` for kinds that declare a status subresource.
    """

    async def get(self, api_version: str, kind: str, name: str, namespace: str | None = None) -> Obj: ...

    async def list(
        self,
        api_version: str,
        kind: str,
        namespace: str | None = None,
        *,
        label_selector: str | None = None,
        field_selector: str | None = None,
    ) -> ObjectList: ...

    def watch(
        self,
        api_version: str,
        kind: str,
        namespace: str | None = None,
        *,
        resource_version: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        allow_bookmarks: bool = True,
        timeout_seconds: float | None = None,
    ) -> AsyncIterator[WatchEvent]:
        """Events after ``resource_version`` (exclusive). Raises Gone (410) if it is too old.

        With no resource_version the stream starts at "now" (no synthetic ADDED events). The stream
        ends after ``timeout_seconds`` or when the consumer stops iterating.
        """
        ...

    async def create(self, obj: Obj, *, dry_run: bool = False) -> Obj: ...

    async def update(self, obj: Obj, *, subresource: Literal["status"] | None = None) -> Obj: ...

    async def patch(
        self,
        api_version: str,
        kind: str,
        name: str,
        patch: Any,
        *,
        namespace: str | None = None,
        patch_type: PatchType = "merge",
        subresource: Subresource | None = None,
    ) -> Obj: ...

    async def delete(
        self,
        api_version: str,
        kind: str,
        name: str,
        namespace: str | None = None,
        *,
        propagation_policy: PropagationPolicy | None = None,
        preconditions: dict[str, str] | None = None,
        grace_period_seconds: int | None = None,
    ) -> Obj | None:
        """Returns the object if it still exists (finalizers, foreground, graceful pods), else None."""
        ...

    async def delete_collection(
        self,
        api_version: str,
        kind: str,
        namespace: str | None = None,
        *,
        label_selector: str | None = None,
        field_selector: str | None = None,
        propagation_policy: PropagationPolicy | None = None,
    ) -> None: ...

    async def get_scale(self, api_version: str, kind: str, name: str, namespace: str | None = None) -> Obj:
        """The ``autoscaling/v1`` Scale of a kind that declares a scale subresource."""
        ...

    async def update_scale(
        self, api_version: str, kind: str, name: str, replicas: int, namespace: str | None = None
    ) -> Obj: ...

    async def bind(self, namespace: str, pod_name: str, node_name: str, *, pod_uid: str | None = None) -> None:
        """POST pods/binding: sets ``spec.nodeName`` once; binding a bound pod is a Conflict."""
        ...
