import asyncio

import pytest

from grove.kube.clock import VirtualClock
from grove.runtime.controller import Controller, Result, TerminalError
from grove.runtime.handlers import Request
from grove.runtime.manager import Manager
from grove.runtime.predicates import GenerationChanged
from grove.runtime.ratelimit import ItemExponentialFailureRateLimiter

from .fakes import ScriptedClient, obj, settle


async def test_failing_reconcile_is_retried_with_growing_backoff_then_forgotten() -> None:
    clock = VirtualClock(start=0.0)
    calls: list[float] = []

    async def reconcile(req: Request) -> Result:
        calls.append(clock.now())
        if len(calls) <= 3:
            raise RuntimeError("transient")
        return Result()

    ctrl = Controller("t", reconcile, clock, rate_limiter=ItemExponentialFailureRateLimiter(1.0, 100.0))
    ctrl.start()
    ctrl.queue.add(Request("ns", "a"))
    await settle()
    for _ in range(3):
        await clock.advance_to(clock.next_deadline() or clock.now())
        await settle()
    assert calls == [0.0, 1.0, 3.0, 7.0]
    assert ctrl.errors_total == 3 and ctrl.queue.num_requeues(Request("ns", "a")) == 0
    assert ctrl.is_idle() and clock.next_deadline() is None
    await ctrl.stop()


async def test_requeue_after_and_terminal_error() -> None:
    clock = VirtualClock(start=0.0)
    seen: list[tuple[str, float]] = []

    async def reconcile(req: Request) -> Result:
        seen.append((req.name, clock.now()))
        if req.name == "bad":
            raise TerminalError("invalid spec")
        return Result(requeue_after=30.0) if len(seen) < 3 else Result()

    ctrl = Controller("t", reconcile, clock)
    ctrl.start()
    ctrl.queue.add(Request(None, "bad"))
    ctrl.queue.add(Request(None, "ok"))
    await settle()
    assert clock.next_deadline() == 30.0, "terminal errors are not retried; requeue_after is"
    await clock.advance(30.0)
    await settle()
    assert seen == [("bad", 0.0), ("ok", 0.0), ("ok", 30.0)]
    await ctrl.stop()


async def test_max_concurrent_reconciles_parallelises_keys_but_never_one_key() -> None:
    clock = VirtualClock()
    running: set[str] = set()
    peak = 0
    gate = asyncio.Event()

    async def reconcile(req: Request) -> None:
        nonlocal peak
        assert req.name not in running
        running.add(req.name)
        peak = max(peak, len(running))
        await gate.wait()
        running.discard(req.name)

    ctrl = Controller("t", reconcile, clock, max_concurrent_reconciles=3)
    ctrl.start()
    for name in "abcde":
        ctrl.queue.add(Request(None, name))
    await settle()
    assert peak == 3 and not ctrl.is_idle()
    ctrl.queue.add(Request(None, "a"))
    gate.set()
    await settle(30)
    assert ctrl.is_idle() and ctrl.reconciles_total == 6
    await ctrl.stop()


async def test_builder_wires_for_owns_and_watches_through_shared_informers() -> None:
    clock = VirtualClock()
    client = ScriptedClient()
    owner_ref = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "rs1", "uid": "u", "controller": True}
    client.items = [obj("rs1", 1, kind="ReplicaSet"), obj("child", 2, owners=[owner_ref])]
    mgr = Manager(client, clock)  # type: ignore[arg-type]
    got: list[Request] = []

    async def reconcile(req: Request) -> None:
        got.append(req)

    # ScriptedClient serves the same items for every kind: enough to check the mappings
    mgr.builder().for_("apps/v1", "ReplicaSet", GenerationChanged()) \
        .owns("v1", "ConfigMap") \
        .watches("v1", "Secret", lambda o: [Request("elsewhere", o["metadata"]["name"])]) \
        .complete(reconcile)
    assert len(mgr.informers) == 3
    assert mgr.informer("v1", "ConfigMap") is mgr.informer("v1", "ConfigMap"), "informers are shared"
    await mgr.start()
    await mgr.wait_idle()
    assert set(got) == {Request("default", "rs1"), Request("default", "child"),
                        Request("elsewhere", "rs1"), Request("elsewhere", "child")}
    with pytest.raises(ValueError):
        mgr.builder("replicaset").for_("apps/v1", "ReplicaSet").complete(reconcile)
    await mgr.stop()
    assert mgr.is_idle()
    leftovers = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    assert leftovers == [], f"manager left tasks behind: {leftovers}"


async def test_manager_is_not_idle_while_a_reconcile_runs() -> None:
    clock = VirtualClock()
    client = ScriptedClient()
    client.items = [obj("a", 1)]
    mgr = Manager(client, clock)  # type: ignore[arg-type]
    gate = asyncio.Event()

    async def reconcile(req: Request) -> None:
        await gate.wait()

    mgr.builder("c").for_("v1", "ConfigMap").complete(reconcile)
    await mgr.start()
    await settle()
    assert not mgr.is_idle()
    waiter = asyncio.create_task(mgr.wait_idle())
    await settle()
    assert not waiter.done()
    gate.set()
    await asyncio.wait_for(waiter, 1)
    assert mgr.is_idle()
    await mgr.stop()
