"""Deferred requests (``Builder.defer_dependents``): a burst of child events costs one parent reconcile."""

from __future__ import annotations

import asyncio

from grove.cluster import EmbeddedCluster
from grove.kube.clock import VirtualClock
from grove.runtime.controller import Result
from grove.runtime.handlers import Request
from grove.runtime.manager import MAX_DEFERRAL_SECONDS, Manager
from grove.runtime.workqueue import WorkQueue


async def settle(mgr: Manager) -> None:
    """Let watch deliveries reach the informers, then wait for the manager to go idle."""
    for _ in range(3):
        for _ in range(20):
            await asyncio.sleep(0)
        await mgr.wait_idle()


async def test_deferred_items_wait_for_a_flush_and_are_deduplicated() -> None:
    clock = VirtualClock()
    q: WorkQueue[str] = WorkQueue(clock)
    for _ in range(5):
        q.defer("parent")
    assert len(q) == 0 and q.deferred == 1
    assert q.flush_deferred() == 1
    assert len(q) == 1 and q.deferred == 0
    assert await q.get() == "parent"


async def test_flush_older_than_releases_only_items_parked_long_enough() -> None:
    clock = VirtualClock(start=100.0)
    q: WorkQueue[str] = WorkQueue(clock)
    q.defer("old")
    await clock.advance(2)
    q.defer("new")
    assert q.flush_deferred(older_than=clock.now() - 1.0) == 1
    assert await q.get() == "old" and q.deferred == 1


async def test_parent_reconciles_once_for_a_burst_of_child_events() -> None:
    clock = VirtualClock()
    cluster = EmbeddedCluster(clock=clock, seed=1)
    mgr = Manager(cluster.client, clock)
    seen: list[Request] = []

    async def reconcile(req: Request) -> Result:
        seen.append(req)
        return Result()

    (mgr.builder("parents").defer_dependents()
        .for_("v1", "ConfigMap", label_selector="role=parent")
        .watches("v1", "Secret", lambda obj: [Request("default", "p")])
        .complete(reconcile))
    await mgr.start()
    await cluster.client.create({"apiVersion": "v1", "kind": "ConfigMap",
                                 "metadata": {"name": "p", "namespace": "default", "labels": {"role": "parent"}}})
    await settle(mgr)
    assert seen == [Request("default", "p")], "events of the for_ kind are not deferred"
    seen.clear()
    await asyncio.gather(*(cluster.client.create({"apiVersion": "v1", "kind": "Secret",
                                                  "metadata": {"name": f"s{i}", "namespace": "default"}})
                           for i in range(50)))
    await settle(mgr)
    assert seen == [Request("default", "p")], f"50 child events gave {len(seen)} reconciles"
    assert mgr.is_idle()
    await mgr.stop()


async def test_deferral_is_bounded_while_other_work_keeps_the_manager_busy() -> None:
    clock = VirtualClock()
    cluster = EmbeddedCluster(clock=clock, seed=2)
    mgr = Manager(cluster.client, clock)
    parents: list[float] = []

    async def busy(req: Request) -> Result:
        return Result(requeue_after=0.25)  # a controller that never goes quiet

    async def parent(req: Request) -> Result:
        parents.append(clock.now())
        return Result()

    mgr.builder("busy").for_("v1", "ConfigMap").complete(busy)
    mgr.builder("parent").defer_dependents().watches("v1", "Secret", lambda o: [Request("default", "p")]) \
        .complete(parent)
    await mgr.start()
    await cluster.client.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "default"}})
    start = clock.now()
    await cluster.client.create({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "default"}})
    for _ in range(12):
        await clock.advance(0.25)
        for _ in range(5):
            await asyncio.sleep(0)
    assert parents, "a deferred request must not starve while other controllers stay busy"
    assert parents[0] - start <= MAX_DEFERRAL_SECONDS + 0.5
    await mgr.stop()
