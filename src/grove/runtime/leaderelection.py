"""Leader election on a coordination.k8s.io/v1 Lease, through the KubeClient, on the injected clock.

client-go's algorithm: a candidate takes the lease if nobody holds it, or if the holder's record has not
changed for ``lease_duration`` as *observed locally* (we time the record's last change on our own clock,
so holders' clock skew does not matter). Writes carry the read resourceVersion, so two candidates racing
for an expired lease cannot both win (one gets Conflict). The leader renews every ``retry_period``; if no
renew has succeeded for ``renew_deadline`` it stops leading. On shutdown a leader releases the lease
(empty holder, 1 s duration).

Two refinements over plain polling, so that a dead leader is replaced within ``lease_duration`` of its
last renewal rather than up to two jittered retry periods later: a candidate *watches* the Lease, so it
times each renewal when it happens instead of at its next poll, and it wakes exactly when the observed
record expires (and at once when the lease is released) instead of at its next jittered retry.

Invariant (given renew_deadline < lease_duration): a candidate believes it leads only while its last
successful renew is younger than ``renew_deadline``, and a rival waits ``lease_duration`` from its own
observation of that renew, so two leaders never overlap.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import inspect
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from grove.kube.client import KubeClient
from grove.kube.clock import Clock
from grove.kube.errors import ApiError, NotFound

log = logging.getLogger(__name__)

Obj = dict[str, Any]
LEASE_API = "coordination.k8s.io/v1"
EXPIRY_MARGIN = 0.01  # wake this long after the observed expiry, so the expiry check sees it passed


def micro_time(ts: float) -> str:
    """Kubernetes MicroTime wire format."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class LeaderElectionConfig:
    lease_name: str
    namespace: str
    identity: str
    lease_duration: float = 15.0
    renew_deadline: float = 10.0
    retry_period: float = 2.0
    jitter: float = 1.2  # retry waits retry_period * (1 + jitter * U[0,1)), as client-go's JitterUntil
    release_on_cancel: bool = True

    def __post_init__(self) -> None:
        if not 0 < self.renew_deadline < self.lease_duration:
            raise ValueError("need 0 < renew_deadline < lease_duration")
        if self.retry_period <= 0 or self.retry_period * (1 + self.jitter) > self.renew_deadline:
            raise ValueError("retry_period (with jitter) must fit in renew_deadline")


Callback = Callable[[], Any]


class LeaderElector:
    def __init__(self, client: KubeClient, clock: Clock, config: LeaderElectionConfig, *,
                 on_started_leading: Callback | None = None, on_stopped_leading: Callback | None = None,
                 on_new_leader: Callable[[str], Any] | None = None, rng: random.Random | None = None) -> None:
        self.client = client
        self.clock = clock
        self.config = config
        self._on_started = on_started_leading
        self._on_stopped = on_stopped_leading
        self._on_new_leader = on_new_leader
        self._rng = rng or random.Random()
        self._leading = False
        self._observed_spec: dict[str, Any] | None = None
        self._observed_time = 0.0
        self._leader_task: asyncio.Task[Any] | None = None
        self._released = asyncio.Event()
        self.current_leader: str | None = None

    def is_leader(self) -> bool:
        return self._leading

    async def run(self) -> None:
        """Acquire, lead until renewal fails past renew_deadline (then return), release on cancel."""
        try:
            await self._acquire()
            await self._start_leading()
            await self._renew_until_lost()
        except asyncio.CancelledError:
            if self._leading and self.config.release_on_cancel:
                with contextlib.suppress(ApiError):
                    await self.release()
            raise
        finally:
            await self._stop_leading()

    # -- loops -------------------------------------------------------------------------------------

    def _retry_wait(self) -> float:
        return self.config.retry_period * (1.0 + self.config.jitter * self._rng.random())

    async def _acquire(self) -> None:
        watcher = asyncio.ensure_future(self._watch_lease())
        try:
            while not await self.try_acquire_or_renew():
                await self._wait_for_next_attempt()
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await watcher

    async def _wait_for_next_attempt(self) -> None:
        """The jittered retry period, cut short by the observed record's expiry or by a release."""
        self._released.clear()
        wait = self._retry_wait()
        spec = self._observed_spec or {}
        if spec.get("holderIdentity"):
            until_expiry = self._observed_time + self._duration(spec) - self.clock.now()
            wait = min(wait, max(until_expiry, 0.0) + EXPIRY_MARGIN)
        sleeper = asyncio.ensure_future(self.clock.sleep(wait))
        released = asyncio.ensure_future(self._released.wait())
        try:
            await asyncio.wait({sleeper, released}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (sleeper, released):
                task.cancel()
            await asyncio.gather(sleeper, released, return_exceptions=True)

    async def _watch_lease(self) -> None:
        """Observe every change of the Lease as it happens (see the module docstring). A failed or
        ended watch is restarted after a retry period; meanwhile the polls still observe the lease."""
        cfg = self.config
        while True:
            try:
                async for event in self.client.watch(LEASE_API, "Lease", cfg.namespace,
                                                     field_selector=f"metadata.name={cfg.lease_name}",
                                                     allow_bookmarks=False, timeout_seconds=300):
                    if event["type"] in ("ADDED", "MODIFIED"):
                        self._observe(event["object"], self.clock.now())
                        if not (self._observed_spec or {}).get("holderIdentity"):
                            self._released.set()
            except Exception as exc:  # any failure only degrades us to polling until the retry
                log.debug("watch of lease %s/%s failed: %s", cfg.namespace, cfg.lease_name, exc)
            await self.clock.sleep(cfg.retry_period)

    async def _renew_until_lost(self) -> None:
        last_renew = self.clock.now()
        while True:
            await self.clock.sleep(self.config.retry_period)
            if await self.try_acquire_or_renew():
                last_renew = self.clock.now()
            elif self.clock.now() - last_renew >= self.config.renew_deadline or not self._held_by_me():
                log.warning("%s lost leadership of lease %s/%s", self.config.identity, self.config.namespace,
                            self.config.lease_name)
                return

    def _held_by_me(self) -> bool:
        return (self._observed_spec or {}).get("holderIdentity") == self.config.identity

    async def _start_leading(self) -> None:
        self._leading = True
        log.info("%s became leader of lease %s/%s", self.config.identity, self.config.namespace,
                 self.config.lease_name)
        if self._on_started is not None:
            result = self._on_started()
            if inspect.isawaitable(result):
                self._leader_task = asyncio.ensure_future(result)

    async def _stop_leading(self) -> None:
        if not self._leading:
            return
        self._leading = False
        task, self._leader_task = self._leader_task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._on_stopped is not None:
            result = self._on_stopped()
            if inspect.isawaitable(result):
                await result

    # -- one attempt -------------------------------------------------------------------------------

    async def try_acquire_or_renew(self) -> bool:
        cfg = self.config
        now = self.clock.now()
        try:
            lease = await self.client.get(LEASE_API, "Lease", cfg.lease_name, cfg.namespace)
        except NotFound:
            lease = None
        except ApiError as exc:
            log.debug("get lease failed: %s", exc)
            return False
        mine = {"holderIdentity": cfg.identity, "leaseDurationSeconds": round(cfg.lease_duration),
                "acquireTime": micro_time(now), "renewTime": micro_time(now), "leaseTransitions": 0}
        if lease is None:
            try:
                created = await self.client.create({"apiVersion": LEASE_API, "kind": "Lease",
                                                    "metadata": {"name": cfg.lease_name, "namespace": cfg.namespace},
                                                    "spec": mine})
            except ApiError as exc:
                log.debug("create lease failed: %s", exc)
                return False
            self._observe(created, now)
            return True
        spec = lease.get("spec") or {}
        self._observe(lease, now)
        holder = spec.get("holderIdentity") or ""
        if holder and holder != cfg.identity and self._observed_time + self._duration(spec) > now:
            return False  # held by someone else and not expired
        new = copy.deepcopy(lease)
        new_spec = dict(spec)
        if holder == cfg.identity:
            new_spec["renewTime"] = micro_time(now)
            new_spec["leaseDurationSeconds"] = round(cfg.lease_duration)
        else:
            new_spec.update(mine, leaseTransitions=int(spec.get("leaseTransitions") or 0) + 1)
        new["spec"] = new_spec
        try:
            updated = await self.client.update(new)
        except ApiError as exc:
            log.debug("update lease failed: %s", exc)
            return False
        self._observe(updated, now)
        return True

    def _duration(self, spec: dict[str, Any]) -> float:
        return float(spec.get("leaseDurationSeconds") or self.config.lease_duration)

    def _observe(self, lease: Obj, now: float) -> None:
        spec = dict(lease.get("spec") or {})
        if spec != self._observed_spec:
            self._observed_spec = spec
            self._observed_time = now
            holder = spec.get("holderIdentity") or None
            if holder != self.current_leader:
                self.current_leader = holder
                if holder and self._on_new_leader is not None:
                    self._on_new_leader(holder)

    async def release(self) -> None:
        """Give the lease up (only if we hold it): empty holder, 1 s duration."""
        cfg = self.config
        lease = await self.client.get(LEASE_API, "Lease", cfg.lease_name, cfg.namespace)
        spec = lease.get("spec") or {}
        if spec.get("holderIdentity") != cfg.identity:
            return
        now = micro_time(self.clock.now())
        new = copy.deepcopy(lease)
        new["spec"] = {**spec, "holderIdentity": "", "leaseDurationSeconds": 1, "renewTime": now, "acquireTime": now}
        await self.client.update(new)
        log.info("%s released lease %s/%s", cfg.identity, cfg.namespace, cfg.lease_name)
