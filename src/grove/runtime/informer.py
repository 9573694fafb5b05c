"""A shared informer: LIST, then WATCH from the list's resourceVersion, into an indexed cache.

One informer exists per (apiVersion, kind, namespace, label selector) and feeds every controller that
asks for it (see :class:`grove.runtime.manager.Manager`). The loop is client-go's reflector:

* LIST, replace the cache (objects missing from the new list fire ``on_delete``; changed ones
  ``on_update``; new ones ``on_add``), mark synced, then WATCH from the list resourceVersion with
  bookmarks, advancing the resourceVersion on every event and bookmark.
* A watch that simply ends (server timeout) is re-opened from the last resourceVersion.
* Gone (410, raised or as an ERROR event), any other ERROR event, or a broken stream (an exception)
  cause a fresh LIST. Failures back off with jitter on the injected clock; a 410 relists at once
  unless it is the second in a row with no event in between. (Relisting at once matters on virtual
  time: a backoff is a clock sleeper, and a controller spinning on a stale cache would never let the
  clock reach it.)

Duplicate deliveries are harmless: an ADDED/MODIFIED event whose object has the resourceVersion already
cached fires nothing. A DELETED event always fires ``on_delete`` (client-go does the same), so an
object whose ADDED was missed still lowers expectations when it goes.

The cache holds the very objects the client returned (no extra copies). Handlers and readers must
treat them as read-only. Handlers are synchronous and should be cheap (typically: enqueue a key).

Idleness (:meth:`Informer.is_idle`) is exact for what the informer holds: it is busy while listing,
while dispatching an event to handlers, before its first list, and when a backoff deadline is already
due; waiting for the next watch event or for a future backoff deadline is idle.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from grove.kube.client import KubeClient, Obj
from grove.kube.clock import Clock
from grove.kube.errors import Gone
from grove.runtime.cache import Indexer, object_key
from grove.runtime.ratelimit import JitteredBackoff

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class InformerKey:
    api_version: str
    kind: str
    namespace: str | None = None
    label_selector: str | None = None


@dataclass
class EventHandler:
    """Callbacks for cache changes; ``on_update`` gets (old, new)."""

    on_add: Callable[[Obj], None] | None = None
    on_update: Callable[[Obj, Obj], None] | None = None
    on_delete: Callable[[Obj], None] | None = None


class _Relist(Exception):
    """Internal: the watch must be abandoned and a fresh LIST made."""

    def __init__(self, reason: str, *, backoff: bool) -> None:
        super().__init__(reason)
        self.backoff = backoff


def _rv(obj: Obj) -> str | None:
    rv = (obj.get("metadata") or {}).get("resourceVersion")
    return str(rv) if rv is not None else None


class Informer:
    def __init__(self, client: KubeClient, key: InformerKey, clock: Clock, *,
                 on_change: Callable[[], None] | None = None, backoff: JitteredBackoff | None = None,
                 watch_timeout_seconds: float | None = None) -> None:
        self.client = client
        self.key = key
        self.clock = clock
        self.cache = Indexer()
        self._handlers: list[EventHandler] = []
        self._on_change = on_change
        self._backoff = backoff or JitteredBackoff()
        self._watch_timeout = watch_timeout_seconds
        self._synced = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._busy = False
        self._sleep_until: float | None = None
        self.resource_version: str | None = None
        self._empty_gones = 0
        self.lists_total = 0
        self.relists_by_reason: dict[str, int] = {}

    # -- wiring ------------------------------------------------------------------------------------

    def add_event_handler(self, handler: EventHandler) -> EventHandler:
        """Register a handler; objects already cached are replayed to it as adds."""
        self._handlers.append(handler)
        if handler.on_add is not None:
            for obj in self.cache:
                self._call(handler.on_add, obj)
        return handler

    def has_synced(self) -> bool:
        return self._synced.is_set()

    async def wait_for_sync(self) -> None:
        await self._synced.wait()

    def is_idle(self) -> bool:
        if self._busy:
            return False
        return self._sleep_until is None or self._sleep_until > self.clock.now()

    def start(self) -> None:
        if self._task is None:
            self._busy = True
            k = self.key
            self._task = asyncio.get_running_loop().create_task(
                self._run(), name=f"informer:{k.api_version}/{k.kind}:{k.namespace or '*'}")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._busy = False
        self._sleep_until = None
        self._changed()

    # -- dispatch ----------------------------------------------------------------------------------

    def _changed(self) -> None:
        if self._on_change is not None:
            self._on_change()

    def _call(self, fn: Callable[..., None], *args: Any) -> None:
        try:
            fn(*args)
        except Exception:
            log.exception("event handler for %s/%s failed", self.key.api_version, self.key.kind)

    def _upsert(self, obj: Obj) -> None:
        old = self.cache.put(obj)
        if old is None:
            for h in self._handlers:
                if h.on_add is not None:
                    self._call(h.on_add, obj)
        elif _rv(old) != _rv(obj) or _rv(obj) is None:
            for h in self._handlers:
                if h.on_update is not None:
                    self._call(h.on_update, old, obj)

    def _delete(self, key: str, final: Obj | None) -> None:
        old = self.cache.remove(key)
        if old is None and final is None:
            return
        # like client-go, a DELETED event fires on_delete even for a key never cached (its ADDED may have
        # been missed); a repeat is harmless to level-triggered consumers
        for h in self._handlers:
            if h.on_delete is not None:
                self._call(h.on_delete, final if final is not None else old)

    def _replace(self, items: list[Obj]) -> None:
        seen: set[str] = set()
        for obj in items:
            seen.add(object_key(obj))
            self._upsert(obj)
        for key in [k for k in self.cache.list_keys() if k not in seen]:
            self._delete(key, None)

    # -- reflector loop ----------------------------------------------------------------------------

    async def _run(self) -> None:
        while True:
            try:
                await self._list_and_watch()
            except asyncio.CancelledError:
                raise
            except _Relist as relist:
                self.relists_by_reason[str(relist)] = self.relists_by_reason.get(str(relist), 0) + 1
                if relist.backoff:
                    await self._sleep_backoff()
                else:
                    self._busy = True
            except Exception as exc:
                reason = type(exc).__name__
                self.relists_by_reason[reason] = self.relists_by_reason.get(reason, 0) + 1
                log.warning("list/watch of %s/%s failed (%s); relisting after backoff",
                            self.key.api_version, self.key.kind, exc)
                await self._sleep_backoff()

    async def _sleep_backoff(self) -> None:
        delay = self._backoff.next()
        self._busy = False
        self._sleep_until = self.clock.now() + delay
        self._changed()
        try:
            await self.clock.sleep(delay)
        finally:
            self._sleep_until = None
            self._busy = True

    async def _list_and_watch(self) -> None:
        k = self.key
        self._busy = True
        listed = await self.client.list(k.api_version, k.kind, k.namespace, label_selector=k.label_selector)
        self.lists_total += 1
        self._replace(listed.items)
        self.resource_version = listed.resource_version
        self._synced.set()
        self._backoff.reset()
        events_since_list = 0
        while True:
            self._busy = False
            self._changed()
            stream = self.client.watch(k.api_version, k.kind, k.namespace,
                                       resource_version=self.resource_version,
                                       label_selector=k.label_selector, allow_bookmarks=True,
                                       timeout_seconds=self._watch_timeout)
            received = 0
            try:
                async for event in stream:
                    self._busy = True
                    received += 1
                    self._handle(event)
                    events_since_list += 1
                    self._busy = False
                    self._changed()
            except Gone as exc:
                # the first 410 relists at once; only a 410 straight after a list that already followed
                # an empty 410 backs off (a server that expires every watch must not make us spin)
                self._empty_gones = self._empty_gones + 1 if events_since_list == 0 else 0
                raise _Relist("Gone", backoff=self._empty_gones > 1) from exc
            finally:
                self._busy = True
                aclose = getattr(stream, "aclose", None)
                if aclose is not None:
                    with contextlib.suppress(Exception):
                        await aclose()
            if received == 0:
                # the stream ended at once without news: do not spin re-opening it
                await self._sleep_backoff()
            self._busy = True

    def _handle(self, event: Any) -> None:
        etype = event["type"]
        obj = event["object"]
        if etype == "BOOKMARK":
            self.resource_version = _rv(obj) or self.resource_version
            return
        if etype == "ERROR":
            code = obj.get("code") if isinstance(obj, dict) else None
            if code == 410:
                raise Gone(str(obj.get("message") or "watch expired"))
            raise _Relist(f"ERROR {code}", backoff=True)
        if etype in ("ADDED", "MODIFIED"):
            self._upsert(obj)
        elif etype == "DELETED":
            self._delete(object_key(obj), obj)
        else:
            log.warning("unknown watch event type %r for %s/%s", etype, self.key.api_version, self.key.kind)
            return
        self.resource_version = _rv(obj) or self.resource_version
