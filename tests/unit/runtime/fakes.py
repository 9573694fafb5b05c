"""A scripted list/watch client for informer unit tests: the test decides every list result and event."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from grove.kube.client import ObjectList, WatchEvent


def obj(name: str, rv: int, *, ns: str = "default", kind: str = "ConfigMap", labels: dict[str, str] | None = None,
        owners: list[dict[str, Any]] | None = None, generation: int = 1) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": ns, "resourceVersion": str(rv), "uid": f"uid-{name}",
                            "generation": generation}
    if labels:
        meta["labels"] = labels
    if owners:
        meta["ownerReferences"] = owners
    return {"apiVersion": "v1", "kind": kind, "metadata": meta}


class _End:
    pass


END = _End()


class ScriptedClient:
    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []
        self.rv = "1"
        self.list_calls = 0
        self.watch_calls: list[str | None] = []
        self.streams: list[asyncio.Queue[Any]] = []
        self.list_error: Exception | None = None

    async def list(self, api_version: str, kind: str, namespace: str | None = None, *,
                   label_selector: str | None = None, field_selector: str | None = None) -> ObjectList:
        self.list_calls += 1
        if self.list_error is not None:
            err, self.list_error = self.list_error, None
            raise err
        return ObjectList(items=list(self.items), resource_version=self.rv)

    def watch(self, api_version: str, kind: str, namespace: str | None = None, *,
              resource_version: str | None = None, **_: Any) -> AsyncIterator[WatchEvent]:
        self.watch_calls.append(resource_version)
        q: asyncio.Queue[Any] = asyncio.Queue()
        self.streams.append(q)

        async def gen() -> AsyncIterator[WatchEvent]:
            while True:
                item = await q.get()
                if isinstance(item, _End):
                    return
                if isinstance(item, Exception):
                    raise item
                yield item

        return gen()

    def push(self, event_type: str, o: dict[str, Any]) -> None:
        self.streams[-1].put_nowait({"type": event_type, "object": o})

    def push_raw(self, item: Any) -> None:
        self.streams[-1].put_nowait(item)


async def settle(n: int = 10) -> None:
    for _ in range(n):
        await asyncio.sleep(0)
