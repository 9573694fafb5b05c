"""Test support for runtime-on-cluster tests: settling on virtual time, a fault-injecting client, and a
sample ReplicaSet-like controller (a Deployment owning ``spec.replicas`` ConfigMaps)."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator
from typing import Any

from grove.cluster import EmbeddedCluster
from grove.kube.client import KubeClient, Obj, WatchEvent
from grove.kube.clock import VirtualClock
from grove.kube.errors import Gone, NotFound
from grove.runtime.controller import Result
from grove.runtime.expectations import ExpectationsStore, controller_owner_key
from grove.runtime.handlers import Request
from grove.runtime.manager import Manager

OWNER = ("apps/v1", "Deployment")
CHILD = ("v1", "ConfigMap")


def watch_backlog(cluster: EmbeddedCluster) -> int:
    """Events the cluster has queued for watchers but nobody has read yet."""
    hub = cluster.hub
    return sum(w.queue.qsize() for ws in hub._watchers.values() for w in ws)


async def settle(clock: VirtualClock, mgr: Manager, cluster: EmbeddedCluster, *, horizon: float = 600.0,
                 extra_idle: Any = None, max_steps: int = 200_000, busy_budget: int = 2_000) -> None:
    """Run until nothing is left to do within ``horizon`` virtual seconds from now.

    Time normally moves only when everything is idle. A controller spinning on a stale cache (possible
    only after silently dropped watch events) is never idle, so after ``busy_budget`` busy rounds the
    clock moves to its next deadline anyway, as real time would pass while the CPU works; that lets a
    pending relist backoff fire and heal the cache.
    """
    limit = clock.now() + horizon
    quiet = busy = 0
    for _ in range(max_steps):
        idle = mgr.is_idle() and watch_backlog(cluster) == 0 and (extra_idle is None or extra_idle())
        if not idle:
            quiet = 0
            busy += 1
            if busy >= busy_budget and (deadline := clock.next_deadline()) is not None and deadline <= limit:
                busy = 0
                await clock.advance_to(deadline)
            await asyncio.sleep(0)
            continue
        busy = 0
        quiet += 1
        if quiet < 4:  # a delivery may be between two tasks: make sure idleness holds across yields
            await asyncio.sleep(0)
            continue
        deadline = clock.next_deadline()
        if deadline is None or deadline > limit:
            return
        await clock.advance_to(deadline)
        quiet = 0
    raise AssertionError("did not settle")


class FaultyClient:
    """Delegates to a real client; watch streams drop / duplicate events, or fail with Gone on open or
    on :meth:`break_streams` (which also reaches streams idly waiting for their next event)."""

    def __init__(self, inner: KubeClient, rng: random.Random) -> None:
        self.inner = inner
        self.rng = rng
        self.drop = 0.0
        self.duplicate = 0.0
        self.gone_on_open = 0.0
        self.dropped = self.duplicated = self.gones = 0
        self._breakers: set[asyncio.Event] = set()
        self._pending: set[asyncio.Future[Any]] = set()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def calm(self) -> None:
        self.drop = self.duplicate = self.gone_on_open = 0.0

    def is_idle(self) -> bool:
        """No event taken from the inner stream and not yet handed on, no break not yet raised."""
        return not any(f.done() for f in self._pending) and not any(b.is_set() for b in self._breakers)

    def break_streams(self) -> None:
        for brk in self._breakers:
            brk.set()

    def watch(self, *args: Any, **kwargs: Any) -> AsyncIterator[WatchEvent]:
        return self._watch(args, kwargs)

    async def _watch(self, args: Any, kwargs: Any) -> AsyncIterator[WatchEvent]:
        if self.rng.random() < self.gone_on_open:
            self.gones += 1
            raise Gone("injected: too old resource version")
        brk = asyncio.Event()
        self._breakers.add(brk)
        it = self.inner.watch(*args, **kwargs).__aiter__()
        try:
            while True:
                nxt = asyncio.ensure_future(it.__anext__())
                stop = asyncio.ensure_future(brk.wait())
                self._pending.add(nxt)
                try:
                    await asyncio.wait((nxt, stop), return_when=asyncio.FIRST_COMPLETED)
                    if brk.is_set():
                        self.gones += 1
                        raise Gone("injected: stream broken")
                finally:
                    stop.cancel()
                    self._pending.discard(nxt)
                    if not nxt.done():
                        nxt.cancel()
                        await asyncio.wait((nxt,))  # let the inner generator finish before closing it
                try:
                    event = nxt.result()
                except StopAsyncIteration:
                    return
                if self.rng.random() < self.drop:
                    self.dropped += 1
                    continue
                yield event
                if self.rng.random() < self.duplicate:
                    self.duplicated += 1
                    yield event
        finally:
            self._breakers.discard(brk)
            aclose = getattr(it, "aclose", None)
            if aclose is not None:
                with contextlib.suppress(RuntimeError):
                    await aclose()


def deployment(name: str, replicas: int, namespace: str = "default") -> Obj:
    labels = {"app": name}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": namespace},
            "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels},
                                  "spec": {"containers": [{"name": "c", "image": "busybox"}]}}}}


class InjectedFailure(Exception):
    pass


class ReplicaController:
    """Keeps ``spec.replicas`` ConfigMaps (generateName, controller-owned) per Deployment.

    Reads only from informer caches; expectations stop a lagging cache from causing extra creates.
    ``fail_rate`` makes reconciles fail at random, before or in the middle of their writes.
    ``oracle`` (a direct client) counts over-creations: a create issued while the live children in
    the store already reached the replicas the controller believed in.
    """

    def __init__(self, mgr: Manager, client: KubeClient, clock: VirtualClock, *, rng: random.Random | None = None,
                 oracle: KubeClient | None = None) -> None:
        self.mgr = mgr
        self.client = client
        self.rng = rng or random.Random(0)
        self.fail_rate = 0.0
        self.oracle = oracle
        self.over_creations: list[str] = []
        self.creates = 0
        self.expectations = ExpectationsStore(clock)
        self.owners = mgr.informer(*OWNER)
        self.children = mgr.informer(*CHILD)
        self.children.add_event_handler(self.expectations.event_handler(controller_owner_key))
        self.controller = mgr.builder("replicas").for_(*OWNER).owns(*CHILD).complete(self.reconcile)

    def _maybe_fail(self, where: str) -> None:
        if self.rng.random() < self.fail_rate:
            raise InjectedFailure(where)

    async def reconcile(self, req: Request) -> Result | None:
        key = str(req)
        self._maybe_fail("start")
        owner = self.owners.cache.get(req.namespace, req.name)
        if owner is None or owner["metadata"].get("deletionTimestamp"):
            self.expectations.forget(key)
            return None
        uid = owner["metadata"]["uid"]
        desired = int(owner["spec"].get("replicas") or 0)
        children = self.children.cache.by_controller_uid(uid)
        live = [c for c in children if not c["metadata"].get("deletionTimestamp")]
        terminating = [c["metadata"]["uid"] for c in children if c["metadata"].get("deletionTimestamp")]
        self.expectations.sync(key, [c["metadata"]["uid"] for c in live], terminating)
        pending_delete = self.expectations.delete_expectations(key)
        counted = [c for c in live if c["metadata"]["uid"] not in pending_delete]
        have = len(counted) + len(self.expectations.create_expectations(key))
        for _ in range(desired - have):
            await self._check_oracle(req, uid, desired)
            created = await self.client.create({
                "apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"generateName": f"{req.name}-", "namespace": req.namespace,
                             "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": req.name,
                                                  "uid": uid, "controller": True, "blockOwnerDeletion": True}]},
                "data": {"owner": req.name}})
            self.creates += 1
            self.expectations.expect_creations(key, created["metadata"]["uid"])
            self._maybe_fail("after create")
        if have > desired:
            victims = sorted(counted, key=lambda c: c["metadata"]["name"])[: have - desired]
            for victim in victims:
                vuid = victim["metadata"]["uid"]
                self.expectations.expect_deletions(key, vuid)
                try:
                    await self.client.delete(*CHILD, victim["metadata"]["name"], req.namespace,
                                             preconditions={"uid": vuid})
                except NotFound:
                    self.expectations.observe_deletions(key, vuid)
                self._maybe_fail("after delete")
        if not self.expectations.satisfied(key):
            return Result(requeue_after=60.0)
        return None

    async def _check_oracle(self, req: Request, owner_uid: str, desired: int) -> None:
        if self.oracle is None:
            return
        truth = await self.oracle.list(*CHILD, req.namespace)
        live = [c for c in truth.items
                if any(r.get("uid") == owner_uid and r.get("controller")
                       for r in c["metadata"].get("ownerReferences") or [])
                and not c["metadata"].get("deletionTimestamp")]
        if len(live) >= desired:
            self.over_creations.append(f"{req}: create with {len(live)} live >= {desired}")
