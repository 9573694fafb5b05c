"""Client-side rate limit for API requests: a token bucket, as client-go's ``flowcontrol`` does.

A controller that falls into a hot loop must not flatten the API server. Each request (watch opens
included) takes one token; tokens refill at ``qps`` per second up to ``burst``. Waiters are served in
arrival order, so no request starves. The defaults (100 QPS, burst 120) match the operator config.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


class TokenBucket:
    def __init__(self, qps: float = 100.0, burst: int = 120, *,
                 now: Callable[[], float] = time.monotonic) -> None:
        if qps <= 0 or burst < 1:
            raise ValueError(f"qps must be > 0 and burst >= 1 (got qps={qps}, burst={burst})")
        self.qps = qps
        self.burst = burst
        self._now = now
        self._tokens = float(burst)
        self._stamp = now()
        self._lock = asyncio.Lock()
        self.waited_seconds = 0.0
        """Total time requests spent throttled (a figure for benchmarks and logs)."""

    def _refill(self) -> None:
        now = self._now()
        self._tokens = min(float(self.burst), self._tokens + (now - self._stamp) * self.qps)
        self._stamp = now

    async def acquire(self) -> None:
        """Take one token, sleeping until one is available."""
        async with self._lock:  # FIFO: the lock's waiters queue in arrival order
            self._refill()
            if self._tokens < 1.0:
                delay = (1.0 - self._tokens) / self.qps
                self.waited_seconds += delay
                await asyncio.sleep(delay)
                self._refill()
            self._tokens -= 1.0
