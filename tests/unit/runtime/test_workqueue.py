import asyncio

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grove.kube.clock import VirtualClock
from grove.runtime.ratelimit import ItemExponentialFailureRateLimiter
from grove.runtime.workqueue import WorkQueue


async def test_adds_of_a_queued_item_are_deduplicated() -> None:
    q: WorkQueue[str] = WorkQueue(VirtualClock())
    for item in ["a", "b", "a", "a", "b", "c"]:
        q.add(item)
    assert len(q) == 3
    assert [await q.get(), await q.get(), await q.get()] == ["a", "b", "c"]


async def test_item_added_while_processing_is_requeued_only_after_done() -> None:
    q: WorkQueue[str] = WorkQueue(VirtualClock())
    q.add("a")
    assert await q.get() == "a"
    q.add("a")
    q.add("a")
    assert len(q) == 0, "a key being processed must not be handed to a second worker"
    q.done("a")
    assert len(q) == 1
    assert await q.get() == "a"
    q.done("a")
    assert q.is_idle()


async def test_workers_never_process_the_same_key_concurrently() -> None:
    q: WorkQueue[int] = WorkQueue(VirtualClock())
    in_flight: set[int] = set()
    overlaps: list[int] = []
    processed: list[int] = []

    async def worker() -> None:
        while (item := await q.get()) is not None:
            if item in in_flight:
                overlaps.append(item)
            in_flight.add(item)
            await asyncio.sleep(0)
            if len(processed) < 200:
                q.add(item)  # re-add while processing
            await asyncio.sleep(0)
            in_flight.discard(item)
            processed.append(item)
            q.done(item)

    workers = [asyncio.create_task(worker()) for _ in range(4)]
    for i in range(3):
        q.add(i)
    while not q.is_idle():
        await asyncio.sleep(0)
    await q.shutdown()
    await asyncio.gather(*workers)
    assert overlaps == []
    assert len(processed) >= 200


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["add", "get", "done"]), st.integers(0, 3)), max_size=60))
def test_queue_model(ops: list[tuple[str, int]]) -> None:
    """Against a model: queued items are unique, processing and queued are disjoint, no add is lost."""

    async def run() -> None:
        q: WorkQueue[int] = WorkQueue(VirtualClock())
        processing: set[int] = set()
        pending: set[int] = set()  # added since last get of that item (must be delivered eventually)
        for op, item in ops:
            if op == "add":
                q.add(item)
                pending.add(item)
            elif op == "get" and len(q):
                got = await q.get()
                assert got is not None
                assert got not in processing
                processing.add(got)
                pending.discard(got)
            elif op == "done" and item in processing:
                processing.discard(item)
                q.done(item)
            assert len(set(q._queue)) == len(q._queue)
            assert not (set(q._queue) & processing)
        for item in list(processing):
            q.done(item)
        delivered = set()
        while len(q):
            got = await q.get()
            assert got is not None
            delivered.add(got)
            q.done(got)
        assert pending <= delivered

    asyncio.run(run())


async def test_add_after_fires_on_virtual_time_and_keeps_earliest() -> None:
    clock = VirtualClock(start=100.0)
    q: WorkQueue[str] = WorkQueue(clock)
    q.add_after("x", 10)
    q.add_after("x", 30)  # later: ignored, earliest wins
    q.add_after("y", 5)
    await asyncio.sleep(0)
    assert len(q) == 0 and q.waiting == 2
    assert q.is_idle(), "items delayed into the future are clock sleepers, not work"
    assert clock.next_deadline() == 105.0
    await clock.advance(5)
    await asyncio.sleep(0)
    assert [await q.get()] == ["y"]
    q.done("y")
    await clock.advance(4.9)
    assert len(q) == 0
    await clock.advance(0.1)
    await asyncio.sleep(0)
    assert await q.get() == "x"
    q.done("x")
    assert q.waiting == 0
    await q.shutdown()


async def test_earlier_add_after_rearms_the_sleeper() -> None:
    clock = VirtualClock(start=0.0)
    q: WorkQueue[str] = WorkQueue(clock)
    q.add_after("late", 1000)
    await asyncio.sleep(0)
    q.add_after("soon", 1)
    for _ in range(5):
        await asyncio.sleep(0)
    assert clock.next_deadline() == 1.0
    await clock.advance(1)
    for _ in range(3):
        await asyncio.sleep(0)
    assert await q.get() == "soon"
    await q.shutdown(drain=False)


async def test_due_delayed_item_makes_queue_busy_before_the_waiter_runs() -> None:
    clock = VirtualClock(start=0.0)
    q: WorkQueue[str] = WorkQueue(clock)
    q.add_after("x", 1)
    clock._now = 2.0  # time moved but the waiter has not run yet
    assert not q.is_idle()
    await q.shutdown(drain=False)


def test_exponential_backoff_grows_and_forget_resets() -> None:
    rl = ItemExponentialFailureRateLimiter(0.005, 1000.0)
    delays = [rl.when("k") for _ in range(20)]
    assert delays[:4] == [0.005, 0.01, 0.02, 0.04]
    assert delays == sorted(delays)
    assert delays[-1] == 1000.0
    assert rl.num_requeues("k") == 20
    assert rl.when("other") == 0.005, "backoff is per item"
    rl.forget("k")
    assert rl.num_requeues("k") == 0
    assert rl.when("k") == 0.005


async def test_add_rate_limited_waits_the_backoff_on_the_clock() -> None:
    clock = VirtualClock(start=0.0)
    q: WorkQueue[str] = WorkQueue(clock, ItemExponentialFailureRateLimiter(1.0, 60.0))
    q.add_rate_limited("k")
    q.add_rate_limited("k")  # 2nd failure: 2 s, but the 1 s entry is earlier and wins
    await asyncio.sleep(0)
    assert q.num_requeues("k") == 2
    await clock.advance(1.0)
    await asyncio.sleep(0)
    assert len(q) == 1
    await q.shutdown(drain=False)


async def test_shutdown_drains_queued_and_in_flight_work_then_get_returns_none() -> None:
    q: WorkQueue[str] = WorkQueue(VirtualClock())
    done: list[str] = []

    async def worker() -> None:
        while (item := await q.get()) is not None:
            await asyncio.sleep(0)
            done.append(item)
            q.done(item)

    for item in "abc":
        q.add(item)
    task = asyncio.create_task(worker())
    await q.shutdown(drain=True)
    assert sorted(done) == ["a", "b", "c"]
    q.add("d")
    assert len(q) == 0, "adds after shutdown are ignored"
    await asyncio.wait_for(task, 1)


async def test_cancelled_getter_does_not_swallow_a_wakeup() -> None:
    q: WorkQueue[str] = WorkQueue(VirtualClock())
    g1 = asyncio.create_task(q.get())
    g2 = asyncio.create_task(q.get())
    await asyncio.sleep(0)
    q.add("a")
    g1.cancel()
    await asyncio.sleep(0)
    with pytest.raises(asyncio.CancelledError):
        await g1
    assert await asyncio.wait_for(g2, 1) == "a"
