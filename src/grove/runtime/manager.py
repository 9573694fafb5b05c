"""The manager: shared informers, the controllers reading them, and exact idleness.

It owns one informer per (apiVersion, kind, namespace, label selector) — every controller asking for
the same watch shares it — and the controllers built on them. ``start`` starts informers, waits until
every cache has synced, then starts controller workers (so a reconcile never reads an unsynced cache);
``stop`` drains controller queues, then stops informers, leaving no task behind.

Idleness is what lets the embedded cluster run "until settled" on virtual time: :meth:`is_idle` is
true iff no controller has queued, in-flight or already-due delayed work and no informer is listing,
dispatching or past a backoff deadline. Future delayed requeues and backoffs are clock sleepers, left to
whoever drives the clock (``VirtualClock.next_deadline``). :meth:`wait_idle` sleeps on a change signal
that every queue and informer pokes, so it costs nothing while work runs.
"""

from __future__ import annotations

import asyncio
import random
from typing import TYPE_CHECKING

from grove.kube.client import KubeClient
from grove.kube.clock import Clock, RealClock
from grove.runtime.cache import Indexer
from grove.runtime.controller import Controller, Reconciler
from grove.runtime.informer import Informer, InformerKey
from grove.runtime.ratelimit import JitteredBackoff, RateLimiter

if TYPE_CHECKING:
    from grove.runtime.builder import Builder


MAX_DEFERRAL_SECONDS = 1.0
"""How long a deferred request (``Builder.defer_dependents``) may wait for the manager to be quiet."""


class Manager:
    def __init__(self, client: KubeClient, clock: Clock | None = None, *,
                 watch_timeout_seconds: float | None = None, rng: random.Random | None = None) -> None:
        """``rng`` seeds the informers' relist jitter (pass one for reproducible virtual-time runs)."""
        self.client = client
        self._rng = rng or random.Random()
        self.clock: Clock = clock or RealClock()
        self._watch_timeout = watch_timeout_seconds
        self._informers: dict[InformerKey, Informer] = {}
        self._controllers: dict[str, Controller] = {}
        self._changed = asyncio.Event()
        self._flush_scheduled = False
        self._started = False

    # -- wiring ------------------------------------------------------------------------------------

    def informer(self, api_version: str, kind: str, namespace: str | None = None,
                 label_selector: str | None = None) -> Informer:
        """The shared informer for this watch (created, and started if the manager runs, on first use)."""
        key = InformerKey(api_version, kind, namespace, label_selector)
        inf = self._informers.get(key)
        if inf is None:
            inf = Informer(self.client, key, self.clock, on_change=self._poke,
                           backoff=JitteredBackoff(rng=random.Random(self._rng.random())),
                           watch_timeout_seconds=self._watch_timeout)
            self._informers[key] = inf
            if self._started:
                inf.start()
        return inf

    def cache(self, api_version: str, kind: str, namespace: str | None = None) -> Indexer:
        """The cache of the all-labels informer for a kind (read-only objects)."""
        return self.informer(api_version, kind, namespace).cache

    def new_controller(self, name: str, reconcile: Reconciler, *, max_concurrent_reconciles: int = 1,
                       rate_limiter: RateLimiter | None = None) -> Controller:
        if name in self._controllers:
            raise ValueError(f"controller {name!r} already registered")
        ctrl = Controller(name, reconcile, self.clock, max_concurrent_reconciles=max_concurrent_reconciles,
                          rate_limiter=rate_limiter, on_change=self._poke)
        self._controllers[name] = ctrl
        if self._started:
            ctrl.start()
        return ctrl

    def builder(self, name: str | None = None) -> Builder:
        from grove.runtime.builder import Builder

        return Builder(self, name)

    @property
    def controllers(self) -> dict[str, Controller]:
        return dict(self._controllers)

    @property
    def informers(self) -> list[Informer]:
        return list(self._informers.values())

    # -- lifecycle ---------------------------------------------------------------------------------

    async def start(self) -> None:
        if self._started:
            return
        self._started = True
        for inf in list(self._informers.values()):
            inf.start()
        await self.wait_for_cache_sync()
        for ctrl in list(self._controllers.values()):
            ctrl.start()

    async def wait_for_cache_sync(self) -> None:
        while True:
            pending = [inf for inf in self._informers.values() if not inf.has_synced()]
            if not pending:
                return
            await asyncio.gather(*(inf.wait_for_sync() for inf in pending))

    async def stop(self) -> None:
        """Drain and stop controllers, then informers. Idempotent."""
        self._started = False
        await asyncio.gather(*(ctrl.stop(drain=True) for ctrl in self._controllers.values()))
        await asyncio.gather(*(inf.stop() for inf in self._informers.values()))

    async def __aenter__(self) -> Manager:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- idleness ----------------------------------------------------------------------------------

    def _poke(self) -> None:
        self._changed.set()
        if not self._flush_scheduled and any(ctrl.queue.deferred for ctrl in self._controllers.values()):
            self._flush_scheduled = True
            asyncio.get_running_loop().call_soon(self._flush_deferred)

    def _flush_deferred(self) -> None:
        """Release parked requests once nothing else is queued, in flight or undelivered; a request parked
        longer than MAX_DEFERRAL_SECONDS is released even while work goes on (no starvation)."""
        self._flush_scheduled = False
        quiet = (all(ctrl.queue.is_idle() for ctrl in self._controllers.values())
                 and all(inf.is_idle() for inf in self._informers.values()))
        older_than = None if quiet else self.clock.now() - MAX_DEFERRAL_SECONDS
        for ctrl in self._controllers.values():
            if ctrl.queue.deferred:
                ctrl.queue.flush_deferred(older_than=older_than)

    def is_idle(self) -> bool:
        for ctrl in self._controllers.values():
            if not ctrl.queue.is_idle() or ctrl.queue.deferred:
                return False
        return all(inf.is_idle() for inf in self._informers.values())

    async def wait_idle(self) -> None:
        """Return once :meth:`is_idle` holds (not advancing any clock)."""
        while True:
            self._changed.clear()
            if self.is_idle():
                return
            await self._changed.wait()
