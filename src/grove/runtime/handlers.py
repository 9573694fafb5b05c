"""Turning informer events into reconcile requests (controller-runtime ``pkg/handler``).

Three mappings cover Grove's controllers: the object itself (``for_``), its owner (``owns``: a Pod event
enqueues its PodClique), and an arbitrary function (``watches``: a PodGang event enqueues the
PodCliqueSet named in a label). :func:`enqueue_handler` glues a mapping and predicates to a queue.

On update both the old and the new object are mapped, so moving an object between owners (or changing
the label a map function reads) reconciles both sides.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from grove.runtime.informer import EventHandler
from grove.runtime.predicates import Predicate
from grove.runtime.workqueue import WorkQueue

Obj = dict[str, Any]


@dataclass(frozen=True, order=True)
class Request:
    """What to reconcile: a namespace/name only (level-triggered: no event payload)."""

    namespace: str | None
    name: str

    def __str__(self) -> str:
        return f"{self.namespace}/{self.name}" if self.namespace else self.name


MapFunc = Callable[[Obj], Iterable[Request]]


def group_of(api_version: str) -> str:
    return api_version.rpartition("/")[0] if "/" in api_version else ""


def request_for_object(obj: Obj) -> list[Request]:
    meta = obj.get("metadata") or {}
    return [Request(meta.get("namespace"), meta["name"])]


def requests_for_owner(owner_api_version: str, owner_kind: str, *, only_controller: bool = True) -> MapFunc:
    """Map an object to its owner(s) of the given kind (API group must match; version may differ)."""
    group = group_of(owner_api_version)

    def mapper(obj: Obj) -> list[Request]:
        meta = obj.get("metadata") or {}
        out: list[Request] = []
        for ref in meta.get("ownerReferences") or ():
            if only_controller and not ref.get("controller"):
                continue
            if ref.get("kind") == owner_kind and group_of(str(ref.get("apiVersion", ""))) == group:
                out.append(Request(meta.get("namespace"), ref["name"]))
        return out

    return mapper


def enqueue_handler(queue: WorkQueue[Request], mapper: MapFunc, predicates: Sequence[Predicate] = (),
                    deferred: bool = False) -> EventHandler:
    """``deferred`` parks requests until the manager is quiet (:meth:`WorkQueue.defer`)."""
    def add_all(objs: Iterable[Obj]) -> None:
        for obj in objs:
            for req in mapper(obj):
                if deferred:
                    queue.defer(req)
                else:
                    queue.add(req)

    def on_add(obj: Obj) -> None:
        if all(p.create(obj) for p in predicates):
            add_all((obj,))

    def on_update(old: Obj, new: Obj) -> None:
        if all(p.update(old, new) for p in predicates):
            add_all((old, new))

    def on_delete(obj: Obj) -> None:
        if all(p.delete(obj) for p in predicates):
            add_all((obj,))

    return EventHandler(on_add=on_add, on_update=on_update, on_delete=on_delete)
