"""Watch fan-out and the bounded event history that makes resume (and 410 Gone) possible.

Every committed change becomes one :class:`Change` (cluster-wide RV, group-kind, type, new object, previous
object) appended to a ring of at most ``history`` entries and pushed to the watchers of that group-kind.
Stored objects are never mutated after commit, so a Change holds references, not copies; each watcher
copies an object only when its consumer actually reads the event.

Selector semantics follow the API server's watch cache: an object that starts matching yields ADDED,
one that stops matching yields DELETED (its previous content, carrying the new resourceVersion).
Resuming below the oldest kept change raises :class:`Gone`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncGenerator, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from grove.kube.client import Obj, WatchEvent, WatchEventType
from grove.kube.clock import Clock
from grove.kube.errors import Gone
from grove.kube.objects import deep_copy
from grove.kube.selectors import FieldSelector, LabelSelector

GroupKind = tuple[str, str]


@dataclass(frozen=True, slots=True)
class Change:
    rv: int
    gk: GroupKind
    type: WatchEventType
    obj: Obj
    prev: Obj | None


_TIMEOUT = object()


@dataclass(eq=False)
class Watcher:
    gk: GroupKind
    api_version: str
    kind: str
    namespace: str | None
    labels: LabelSelector
    fields: FieldSelector
    allow_bookmarks: bool
    queue: asyncio.Queue[Any] = field(default_factory=asyncio.Queue)

    def _matches(self, obj: Obj | None) -> bool:
        if obj is None:
            return False
        md = obj.get("metadata") or {}
        if self.namespace and md.get("namespace") != self.namespace:
            return False
        return self.labels.matches(md.get("labels")) and self.fields.matches(obj)

    def translate(self, change: Change) -> tuple[WatchEventType, Obj] | None:
        """The event this watcher sees for ``change`` (None if it sees nothing)."""
        if change.type == "ADDED":
            return ("ADDED", change.obj) if self._matches(change.obj) else None
        if change.type == "DELETED":
            return ("DELETED", change.obj) if self._matches(change.obj) else None
        now, before = self._matches(change.obj), self._matches(change.prev)
        if now:
            return ("MODIFIED" if before else "ADDED", change.obj)
        if before and change.prev is not None:
            gone = {**change.prev, "metadata": {**change.prev["metadata"], "resourceVersion": str(change.rv)}}
            return ("DELETED", gone)
        return None

    def offer(self, change: Change) -> None:
        event = self.translate(change)
        if event is not None:
            self.queue.put_nowait(event)


class WatchHub:
    """History ring plus registered watchers, indexed by group-kind."""

    def __init__(self, clock: Clock, history: int = 10_000) -> None:
        self.clock = clock
        self._history: deque[Change] = deque(maxlen=max(1, history))
        self._compacted_rv = 0
        self._watchers: dict[GroupKind, set[Watcher]] = {}
        self.current_rv: Callable[[], int] = lambda: 0

    @property
    def oldest_resumable_rv(self) -> int:
        """Resuming from any RV at or above this works; below it raises Gone."""
        return self._compacted_rv

    def record(self, change: Change) -> None:
        if len(self._history) == self._history.maxlen:
            self._compacted_rv = self._history[0].rv
        self._history.append(change)
        for watcher in self._watchers.get(change.gk, ()):
            watcher.offer(change)

    def compact(self) -> None:
        """Forget all history (tests use this to force 410 on the next resume)."""
        if self._history:
            self._compacted_rv = self._history[-1].rv
        self._compacted_rv = max(self._compacted_rv, self.current_rv())
        self._history.clear()

    def emit_bookmarks(self) -> int:
        """Send a BOOKMARK at the current RV to every watcher that allows them; returns how many."""
        count = 0
        for watchers in self._watchers.values():
            for w in watchers:
                if w.allow_bookmarks:
                    w.queue.put_nowait(("BOOKMARK", self.current_rv()))
                    count += 1
        return count

    def watcher_count(self) -> int:
        return sum(len(ws) for ws in self._watchers.values())

    def open(self, watcher: Watcher, resource_version: str | None,
             current: Callable[[], Iterable[Obj]]) -> None:
        """Register ``watcher`` and queue the backlog it is owed; raises Gone if that is unavailable.

        Runs without awaiting, so no change can slip between the backlog and the live stream.
        """
        if resource_version == "0":
            for obj in current():
                if watcher._matches(obj):
                    watcher.queue.put_nowait(("ADDED", obj))
        elif resource_version:
            try:
                since = int(resource_version)
            except ValueError as err:
                raise Gone(f"invalid resourceVersion {resource_version!r}") from err
            if since < self._compacted_rv:
                raise Gone(f"too old resource version: {since} ({self._compacted_rv + 1})")
            backlog = []
            for change in reversed(self._history):
                if change.rv <= since:
                    break
                if change.gk == watcher.gk:
                    backlog.append(change)
            for change in reversed(backlog):
                watcher.offer(change)
        self._watchers.setdefault(watcher.gk, set()).add(watcher)

    def close(self, watcher: Watcher) -> None:
        watchers = self._watchers.get(watcher.gk)
        if watchers is not None:
            watchers.discard(watcher)

    async def stream(self, watcher: Watcher, timeout_seconds: float | None) -> AsyncGenerator[WatchEvent, None]:
        """Yield the watcher's events (copied, in the requested apiVersion) until timeout or close."""
        timer: asyncio.Task[None] | None = None
        if timeout_seconds is not None:
            async def fire() -> None:
                await self.clock.sleep(timeout_seconds)
                watcher.queue.put_nowait((_TIMEOUT, self.current_rv()))
            timer = asyncio.get_running_loop().create_task(fire())
        try:
            while True:
                etype, obj = await watcher.queue.get()
                if etype is _TIMEOUT:
                    if watcher.allow_bookmarks:
                        yield self._bookmark(watcher, obj)
                    return
                if etype == "BOOKMARK":
                    yield self._bookmark(watcher, obj)
                    continue
                out = deep_copy(obj)
                out["apiVersion"] = watcher.api_version
                yield {"type": etype, "object": out}
        finally:
            self.close(watcher)
            if timer is not None:
                timer.cancel()
                with contextlib.suppress(asyncio.CancelledError, RuntimeError):
                    await timer

    @staticmethod
    def _bookmark(watcher: Watcher, rv: int) -> WatchEvent:
        """Bookmarks carry the RV current when they were queued, so they never overtake events."""
        return {"type": "BOOKMARK", "object": {
            "apiVersion": watcher.api_version, "kind": watcher.kind,
            "metadata": {"resourceVersion": str(rv)}}}
