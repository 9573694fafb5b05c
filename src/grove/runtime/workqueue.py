"""A rate-limited, delaying work queue for reconcile keys (client-go ``workqueue`` semantics, asyncio).

Invariants (the same as client-go's):

* **Dedup.** An item is queued at most once however often it is added before a worker takes it.
* **No concurrent processing of one item.** ``get`` moves an item to *processing*; adding it again while
  it is processed only marks it *dirty*, and ``done`` re-queues it then. So two workers never reconcile
  the same key at once, yet no add is lost.
* **Delays read the injected clock.** ``add_after`` parks items in a heap (keeping the earliest ready
  time per item) and a single waiter task sleeps on the clock until the next one is due, so on a
  :class:`~grove.kube.clock.VirtualClock` those waits are ordinary clock sleepers.
* **Idleness is exact.** :meth:`is_idle` is true iff nothing is queued, nothing is being processed and
  no delayed item is already due (``ready_at <= clock.now()``). Delayed items not yet due do not count:
  they are clock sleepers that whoever drives virtual time can see via ``next_deadline``.

``shutdown(drain=True)`` stops accepting new items, drops delayed ones, lets workers finish everything
already queued or dirty, and returns once processing is empty; ``get`` then returns ``None``.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
from collections import deque
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from grove.kube.clock import Clock
from grove.runtime.ratelimit import ItemExponentialFailureRateLimiter, RateLimiter

T = TypeVar("T", bound=Hashable)


class WorkQueue(Generic[T]):
    def __init__(self, clock: Clock, rate_limiter: RateLimiter | None = None, *,
                 on_change: Callable[[], None] | None = None, name: str = "") -> None:
        self.name = name
        self._clock = clock
        self.rate_limiter: RateLimiter = rate_limiter or ItemExponentialFailureRateLimiter()
        self._on_change = on_change
        self._queue: deque[T] = deque()
        self._dirty: set[T] = set()
        self._deferred: dict[T, float] = {}  # parked until the manager is quiet
        self._processing: set[T] = set()
        self._getters: deque[asyncio.Future[None]] = deque()
        self._shutting_down = False
        self._drained: asyncio.Event | None = None
        # delayed items: heap of (ready_at, seq, item); _waiting[item] = (ready_at, seq) of the live entry
        self._heap: list[tuple[float, int, T]] = []
        self._waiting: dict[T, tuple[float, int]] = {}
        self._seq = itertools.count()
        self._waiter_task: asyncio.Task[None] | None = None
        self.adds_total = 0

    # -- basic queue -------------------------------------------------------------------------------

    def add(self, item: T) -> None:
        if self._shutting_down:
            return
        self.adds_total += 1
        if item in self._dirty:
            return
        self._dirty.add(item)
        if item in self._processing:
            return
        self._queue.append(item)
        self._wake_getter()

    async def get(self) -> T | None:
        """The next item (now marked processing), or ``None`` once shut down and empty."""
        while not self._queue:
            if self._shutting_down:
                return None
            fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._getters.append(fut)
            try:
                await fut
            except asyncio.CancelledError:
                if fut.done() and not fut.cancelled() and self._queue:
                    self._wake_getter()  # we were woken but will not take the item: pass it on
                raise
        item = self._queue.popleft()
        self._dirty.discard(item)
        self._processing.add(item)
        return item

    def done(self, item: T) -> None:
        """Processing of ``item`` finished; if it was re-added meanwhile it goes back in the queue."""
        self._processing.discard(item)
        if item in self._dirty:
            self._queue.append(item)
            self._wake_getter()
        if self._drained is not None and not self._processing and not self._queue:
            self._drained.set()
        self._changed()

    def _wake_getter(self) -> None:
        while self._getters:
            fut = self._getters.popleft()
            if not fut.done():
                fut.set_result(None)
                return

    def _wake_all_getters(self) -> None:
        while self._getters:
            fut = self._getters.popleft()
            if not fut.done():
                fut.set_result(None)

    def _changed(self) -> None:
        if self._on_change is not None:
            self._on_change()

    # -- rate limiting -----------------------------------------------------------------------------

    def add_rate_limited(self, item: T) -> None:
        self.add_after(item, self.rate_limiter.when(item))

    def forget(self, item: T) -> None:
        self.rate_limiter.forget(item)

    def num_requeues(self, item: T) -> int:
        return self.rate_limiter.num_requeues(item)

    # -- deferral ----------------------------------------------------------------------------------

    def defer(self, item: T) -> None:
        """Park ``item`` until :meth:`flush_deferred`: the manager flushes when every queue and informer
        is quiet (or the item has waited too long), so a burst of events costs one reconcile."""
        if self._shutting_down or (item in self._dirty and item not in self._processing):
            return
        if item not in self._deferred:
            self._deferred[item] = self._clock.now()
            self._changed()

    def flush_deferred(self, *, older_than: float | None = None) -> int:
        """Queue parked items (all, or those parked before ``older_than``); returns how many moved."""
        items = [i for i, t in self._deferred.items() if older_than is None or t <= older_than]
        for item in items:
            del self._deferred[item]
            self.add(item)
        return len(items)

    @property
    def deferred(self) -> int:
        return len(self._deferred)

    # -- delays ------------------------------------------------------------------------------------

    def add_after(self, item: T, delay: float) -> None:
        if self._shutting_down:
            return
        if delay <= 0:
            self.add(item)
            return
        ready_at = self._clock.now() + delay
        current = self._waiting.get(item)
        if current is not None and current[0] <= ready_at:
            return  # already waiting for an earlier (or equal) time
        seq = next(self._seq)
        self._waiting[item] = (ready_at, seq)
        heapq.heappush(self._heap, (ready_at, seq, item))
        if self._heap[0][1] == seq or self._waiter_task is None:
            self._rearm()  # new earliest deadline: restart the single sleeper

    def _next_due(self) -> float | None:
        while self._heap:
            ready_at, seq, item = self._heap[0]
            if self._waiting.get(item) == (ready_at, seq):
                return ready_at
            heapq.heappop(self._heap)  # superseded entry
        return None

    def _move_due(self) -> None:
        now = self._clock.now()
        moved = False
        while (due := self._next_due()) is not None and due <= now:
            _, _, item = heapq.heappop(self._heap)
            del self._waiting[item]
            self.add(item)
            moved = True
        if moved:
            self._changed()

    def _rearm(self) -> None:
        if self._waiter_task is not None:
            self._waiter_task.cancel()
        self._waiter_task = asyncio.get_running_loop().create_task(
            self._waiting_loop(), name=f"workqueue-delay:{self.name}")

    async def _waiting_loop(self) -> None:
        # awaits the clock sleeper directly (no helper tasks), so a VirtualClock advance wakes it at once
        while (due := self._next_due()) is not None and not self._shutting_down:
            await self._clock.sleep(due - self._clock.now())
            self._move_due()
        if self._waiter_task is asyncio.current_task():
            self._waiter_task = None

    # -- state -------------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._queue)

    @property
    def processing(self) -> int:
        return len(self._processing)

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    def is_idle(self) -> bool:
        if self._queue or self._processing:
            return False
        due = self._next_due()
        return due is None or due > self._clock.now()

    @property
    def shutting_down(self) -> bool:
        return self._shutting_down

    async def shutdown(self, *, drain: bool = True) -> None:
        """Stop accepting items and wake every getter; with ``drain`` wait until processing is empty."""
        self._shutting_down = True
        self._heap.clear()
        self._waiting.clear()
        if self._waiter_task is not None:
            self._waiter_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._waiter_task
            self._waiter_task = None
        self._wake_all_getters()
        if drain and (self._processing or self._queue):
            self._drained = asyncio.Event()
            await self._drained.wait()
        self._changed()
