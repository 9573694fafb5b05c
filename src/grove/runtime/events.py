"""An event recorder: core/v1 Events about objects, written through the KubeClient.

What ``kubectl describe`` shows is the aggregate, so repeats of one (object, type, reason, message)
from this recorder do not create new Events: the existing Event's ``count`` goes up and its
``lastTimestamp`` moves (client-go's ``EventCorrelator`` does the same). Timestamps read the injected
clock, so virtual-time runs have deterministic Events.

Recording never fails the caller: an API error is logged and dropped (Events are best effort). If the
aggregated Event has disappeared (Event TTL), a fresh one is created with count 1.
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass
from typing import Any, Literal

from grove.kube.client import KubeClient
from grove.kube.clock import Clock, rfc3339
from grove.kube.errors import AlreadyExists, ApiError, NotFound

log = logging.getLogger(__name__)

Obj = dict[str, Any]
EventType = Literal["Normal", "Warning"]


@dataclass
class _Seen:
    namespace: str
    name: str
    count: int


class EventRecorder:
    def __init__(self, client: KubeClient, clock: Clock, component: str, *, host: str | None = None,
                 max_remembered: int = 4096) -> None:
        self.client = client
        self.clock = clock
        self.component = component
        self.host = host
        self._seen: dict[tuple[str, ...], _Seen] = {}
        self._seq = itertools.count()
        self._max = max_remembered

    async def event(self, obj: Obj, event_type: EventType, reason: str, message: str) -> Obj | None:
        """Record an Event about ``obj``; returns the written Event, or None if the write failed."""
        meta = obj.get("metadata") or {}
        namespace = meta.get("namespace") or "default"
        key = (str(obj.get("apiVersion")), str(obj.get("kind")), namespace, str(meta.get("name")),
               str(meta.get("uid", "")), event_type, reason, message)
        now = rfc3339(self.clock.now())
        try:
            seen = self._seen.get(key)
            if seen is not None:
                try:
                    written = await self.client.patch(
                        "v1", "Event", seen.name, {"count": seen.count + 1, "lastTimestamp": now},
                        namespace=seen.namespace)
                    seen.count += 1
                    return written
                except NotFound:
                    del self._seen[key]
            return await self._create(key, obj, namespace, event_type, reason, message, now)
        except ApiError as exc:
            log.warning("could not record event %s/%s on %s/%s: %s", event_type, reason, namespace,
                        meta.get("name"), exc)
            return None

    async def normal(self, obj: Obj, reason: str, message: str) -> Obj | None:
        return await self.event(obj, "Normal", reason, message)

    async def warning(self, obj: Obj, reason: str, message: str) -> Obj | None:
        return await self.event(obj, "Warning", reason, message)

    async def _create(self, key: tuple[str, ...], obj: Obj, namespace: str, event_type: EventType, reason: str,
                      message: str, now: str) -> Obj:
        meta = obj.get("metadata") or {}
        involved = {"apiVersion": obj.get("apiVersion"), "kind": obj.get("kind"), "name": meta.get("name"),
                    "namespace": meta.get("namespace"), "uid": meta.get("uid"),
                    "resourceVersion": meta.get("resourceVersion")}
        source: dict[str, str] = {"component": self.component}
        if self.host:
            source["host"] = self.host
        for _ in range(5):
            name = f"{meta.get('name')}.{int(self.clock.now() * 1e9) + next(self._seq):x}"
            event: Obj = {
                "apiVersion": "v1", "kind": "Event",
                "metadata": {"name": name, "namespace": namespace},
                "involvedObject": {k: v for k, v in involved.items() if v is not None},
                "reason": reason, "message": message, "type": event_type,
                "source": source, "reportingComponent": self.component, "reportingInstance": self.host or "",
                "firstTimestamp": now, "lastTimestamp": now, "count": 1,
            }
            try:
                written = await self.client.create(event)
            except AlreadyExists:
                continue
            if len(self._seen) >= self._max:
                self._seen.pop(next(iter(self._seen)))
            self._seen[key] = _Seen(namespace, name, 1)
            return written
        raise AlreadyExists(f"could not find a free Event name for {meta.get('name')}")
