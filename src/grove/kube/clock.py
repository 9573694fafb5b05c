"""One injected clock for every wait, delay, lease and backoff.

The embedded cluster and tests use :class:`VirtualClock` so a 4-hour ``terminationDelay`` costs
milliseconds; processes talking to a real API server use :class:`RealClock`.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the epoch."""
        ...

    async def sleep(self, seconds: float) -> None: ...

    def utcnow(self) -> datetime: ...


def rfc3339(ts: float) -> str:
    """Kubernetes wire timestamp (second precision, ``Z``)."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_rfc3339(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


class RealClock:
    def now(self) -> float:
        return time.time()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))

    def utcnow(self) -> datetime:
        return datetime.now(UTC)


class VirtualClock:
    """Time moves only when :meth:`advance` (or :meth:`advance_to`) is called.

    Sleepers are futures in a heap keyed by wake-up time; advancing resolves those that fall due in
    order, yielding to the event loop between them so woken tasks run at their own instant.
    """

    def __init__(self, start: float = 1_767_225_600.0) -> None:  # 2026-01-01T00:00:00Z
        self._now = start
        self._heap: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()

    def now(self) -> float:
        return self._now

    def utcnow(self) -> datetime:
        return datetime.fromtimestamp(self._now, UTC)

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._heap, (self._now + seconds, next(self._seq), fut))
        try:
            await fut
        finally:
            if not fut.done():
                fut.cancel()

    def next_deadline(self) -> float | None:
        """The earliest pending wake-up, ignoring sleepers that were cancelled."""
        while self._heap and self._heap[0][2].done():
            heapq.heappop(self._heap)
        return self._heap[0][0] if self._heap else None

    async def advance(self, seconds: float) -> None:
        await self.advance_to(self._now + seconds)

    async def advance_to(self, target: float) -> None:
        for _ in range(3):  # let tasks that are ready run first: they may be about to sleep
            await asyncio.sleep(0)
        while True:
            deadline = self.next_deadline()
            if deadline is None or deadline > target:
                break
            self._now = max(self._now, deadline)
            while self._heap and self._heap[0][0] <= self._now:
                _, _, fut = heapq.heappop(self._heap)
                if not fut.done():
                    fut.set_result(None)
            for _ in range(3):
                await asyncio.sleep(0)
        self._now = max(self._now, target)
