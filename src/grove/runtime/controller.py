"""A controller: a work queue of :class:`Request` keys and N workers running one reconcile function.

Reconciles are level-triggered: the function gets only namespace/name, reads the world from informer
caches and returns a :class:`Result`. Outcomes:

* ``Result()`` / ``None``: done; the key's failure history is forgotten.
* ``Result(requeue_after=s)``: reconcile again after ``s`` seconds on the injected clock.
* ``Result(requeue=True)``: reconcile again with rate-limited backoff.
* an exception: logged and requeued with per-item exponential backoff (5 ms → 1000 s);
  :class:`TerminalError` is logged and not retried.

The queue guarantees one key is never reconciled by two workers at once, so
``max_concurrent_reconciles`` parallelises across keys only.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from grove.kube.clock import Clock
from grove.kube.errors import Conflict
from grove.runtime.handlers import Request
from grove.runtime.ratelimit import RateLimiter, default_controller_rate_limiter
from grove.runtime.workqueue import WorkQueue

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Result:
    requeue_after: float | None = None
    requeue: bool = False


class TerminalError(Exception):
    """A reconcile failure that retrying cannot fix (logged, not requeued)."""


Reconciler = Callable[[Request], Awaitable[Result | None]]


class Controller:
    def __init__(self, name: str, reconcile: Reconciler, clock: Clock, *, max_concurrent_reconciles: int = 1,
                 rate_limiter: RateLimiter | None = None, on_change: Callable[[], None] | None = None) -> None:
        if max_concurrent_reconciles < 1:
            raise ValueError("max_concurrent_reconciles must be >= 1")
        self.name = name
        self.reconcile = reconcile
        self.clock = clock
        self.max_concurrent_reconciles = max_concurrent_reconciles
        self.queue: WorkQueue[Request] = WorkQueue(
            clock, rate_limiter or default_controller_rate_limiter(clock), on_change=on_change, name=name)
        self._workers: list[asyncio.Task[None]] = []
        self.reconciles_total = 0
        self.errors_total = 0
        self.active = 0

    def is_idle(self) -> bool:
        return self.queue.is_idle()

    @property
    def started(self) -> bool:
        return bool(self._workers)

    def start(self) -> None:
        if self._workers:
            return
        loop = asyncio.get_running_loop()
        self._workers = [loop.create_task(self._worker(), name=f"controller:{self.name}:{i}")
                         for i in range(self.max_concurrent_reconciles)]

    async def stop(self, *, drain: bool = True) -> None:
        """Stop taking new work; with ``drain`` finish what is queued and in flight first."""
        if not self._workers:
            await self.queue.shutdown(drain=False)
            return
        await self.queue.shutdown(drain=drain)
        workers, self._workers = self._workers, []
        if not drain:
            for task in workers:
                task.cancel()
        for task in workers:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _worker(self) -> None:
        while True:
            req = await self.queue.get()
            if req is None:
                return
            self.active += 1
            try:
                await self._reconcile_one(req)
            finally:
                self.active -= 1
                self.queue.done(req)

    async def _reconcile_one(self, req: Request) -> None:
        self.reconciles_total += 1
        try:
            result = await self.reconcile(req)
        except asyncio.CancelledError:
            raise
        except TerminalError as exc:
            self.errors_total += 1
            self.queue.forget(req)
            log.error("controller %s: reconcile %s failed terminally: %s", self.name, req, exc)
            return
        except Conflict as exc:
            # Optimistic-concurrency losses are routine (another writer got there first): retry quietly.
            self.errors_total += 1
            log.info("controller %s: reconcile %s hit a conflict, retrying: %s", self.name, req, exc)
            self.queue.add_rate_limited(req)
            return
        except Exception as exc:
            self.errors_total += 1
            requeues = self.queue.num_requeues(req)
            log.warning("controller %s: reconcile %s failed (retry %d): %s", self.name, req, requeues + 1, exc,
                        exc_info=log.isEnabledFor(logging.DEBUG))
            self.queue.add_rate_limited(req)
            return
        if result is None:
            result = Result()
        if result.requeue_after is not None and result.requeue_after > 0:
            self.queue.forget(req)
            self.queue.add_after(req, result.requeue_after)
        elif result.requeue:
            self.queue.add_rate_limited(req)
        else:
            self.queue.forget(req)
