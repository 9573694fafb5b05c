"""Rate limiters and backoff for retries, all reading the injected :class:`~grove.kube.clock.Clock`.

Ports of client-go's ``workqueue`` rate limiters: a per-item exponential limiter (5 ms doubling to
1000 s, reset by ``forget``), an overall token bucket (10 qps, burst 100), and ``MaxOf`` combining them
(client-go's ``DefaultTypedControllerRateLimiter``). :class:`JitteredBackoff` is the informer's relist
backoff (client-go's reflector uses 800 ms → 30 s with jitter).

Invariant: ``when(item)`` never returns a negative delay, and the exponential delay for an item grows
monotonically until ``forget(item)`` (capped at ``max_delay``).
"""

from __future__ import annotations

import random
from collections.abc import Hashable
from typing import Protocol

from grove.kube.clock import Clock


class RateLimiter(Protocol):
    def when(self, item: Hashable) -> float:
        """Seconds to wait before the item may be retried; records one more failure."""
        ...

    def forget(self, item: Hashable) -> None:
        """The item succeeded: reset its failure history."""
        ...

    def num_requeues(self, item: Hashable) -> int: ...


class ItemExponentialFailureRateLimiter:
    """``base_delay * 2**failures`` per item, capped at ``max_delay``."""

    def __init__(self, base_delay: float = 0.005, max_delay: float = 1000.0) -> None:
        self.base_delay = base_delay
        self.max_delay = max_delay
        self._failures: dict[Hashable, int] = {}

    def when(self, item: Hashable) -> float:
        n = self._failures.get(item, 0)
        self._failures[item] = n + 1
        if n > 64:  # 2**64 * 5ms is far past any cap; avoid float overflow
            return self.max_delay
        return float(min(self.base_delay * (2.0**n), self.max_delay))

    def forget(self, item: Hashable) -> None:
        self._failures.pop(item, None)

    def num_requeues(self, item: Hashable) -> int:
        return self._failures.get(item, 0)


class BucketRateLimiter:
    """An overall token bucket: ``qps`` tokens per second, at most ``burst`` banked.

    ``when`` reserves a token and returns how long until it is available, so many failing items
    together are held to ``qps`` retries per second.
    """

    def __init__(self, clock: Clock, qps: float = 10.0, burst: int = 100) -> None:
        self._clock = clock
        self.qps = qps
        self.burst = burst
        self._tokens = float(burst)
        self._last = clock.now()

    def when(self, item: Hashable) -> float:
        now = self._clock.now()
        self._tokens = min(float(self.burst), self._tokens + (now - self._last) * self.qps)
        self._last = now
        self._tokens -= 1.0
        return 0.0 if self._tokens >= 0 else -self._tokens / self.qps

    def forget(self, item: Hashable) -> None:
        return None

    def num_requeues(self, item: Hashable) -> int:
        return 0


class MaxOfRateLimiter:
    """The longest delay of several limiters (every limiter records the failure)."""

    def __init__(self, *limiters: RateLimiter) -> None:
        self.limiters = limiters

    def when(self, item: Hashable) -> float:
        return max(limiter.when(item) for limiter in self.limiters)

    def forget(self, item: Hashable) -> None:
        for limiter in self.limiters:
            limiter.forget(item)

    def num_requeues(self, item: Hashable) -> int:
        return max(limiter.num_requeues(item) for limiter in self.limiters)


def default_controller_rate_limiter(clock: Clock) -> RateLimiter:
    """client-go's default: per-item 5 ms → 1000 s, and overall 10 qps with a burst of 100."""
    return MaxOfRateLimiter(ItemExponentialFailureRateLimiter(0.005, 1000.0), BucketRateLimiter(clock, 10.0, 100))


class JitteredBackoff:
    """Exponential backoff with multiplicative jitter, reset after a success.

    ``next()`` returns ``min(initial * factor**n, cap) * (1 + jitter * U[0,1))``.
    """

    def __init__(self, initial: float = 0.8, cap: float = 30.0, factor: float = 2.0, jitter: float = 1.0,
                 rng: random.Random | None = None) -> None:
        self.initial = initial
        self.cap = cap
        self.factor = factor
        self.jitter = jitter
        self._rng = rng or random.Random()
        self._steps = 0

    def next(self) -> float:
        base = min(self.initial * (self.factor**min(self._steps, 64)), self.cap)
        self._steps += 1
        return base * (1.0 + self.jitter * self._rng.random())

    def reset(self) -> None:
        self._steps = 0
