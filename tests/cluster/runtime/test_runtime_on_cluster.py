"""The runtime against the embedded cluster: informer relist after a real 410, owns() mapping end to end,
event aggregation and Lease leader election, all on virtual time."""

from __future__ import annotations

import asyncio
import random

from grove.cluster import EmbeddedCluster
from grove.kube.clock import VirtualClock, parse_rfc3339
from grove.runtime.events import EventRecorder
from grove.runtime.handlers import Request
from grove.runtime.leaderelection import LEASE_API, LeaderElectionConfig, LeaderElector
from grove.runtime.manager import Manager

from .support import CHILD, OWNER, FaultyClient, ReplicaController, deployment, settle


def cm(name: str, **labels: str) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "default",
                                                                   "labels": labels}}


async def test_informer_relists_after_compaction_gone_and_sees_missed_deletes() -> None:
    clock = VirtualClock()
    cluster = EmbeddedCluster(clock=clock, seed=1)
    faulty = FaultyClient(cluster.client, random.Random(0))
    mgr = Manager(faulty, clock, rng=random.Random(0))  # type: ignore[arg-type]
    inf = mgr.informer(*CHILD, label_selector="team=a")
    deleted: list[str] = []
    from grove.runtime.informer import EventHandler
    inf.add_event_handler(EventHandler(on_delete=lambda o: deleted.append(o["metadata"]["name"])))
    for name in ("one", "two"):
        await cluster.client.create(cm(name, team="a"))
    await cluster.client.create(cm("other", team="b"))
    await mgr.start()
    assert sorted(o["metadata"]["name"] for o in inf.cache) == ["one", "two"], "label selector honoured"
    # the watch misses a delete and a create (events dropped), then history is compacted: resume -> 410
    faulty.drop = 1.0
    await cluster.client.delete(*CHILD, "one", "default")
    await cluster.client.create(cm("three", team="a"))
    await settle(clock, mgr, cluster, extra_idle=faulty.is_idle)
    assert len(inf.cache) == 2 and "default/one" in inf.cache
    faulty.drop = 0.0
    cluster.compact()
    faulty.break_streams()  # the stream breaks; resuming from the old RV is now Gone
    await settle(clock, mgr, cluster, extra_idle=faulty.is_idle)
    assert sorted(o["metadata"]["name"] for o in inf.cache) == ["three", "two"]
    assert deleted == ["one"], "an object missing from the relist fires delete"
    assert inf.relists_by_reason.get("Gone", 0) >= 1
    assert inf.cache.by_label("team", "a") and not inf.cache.by_label("team", "b")
    await mgr.stop()


async def test_owns_maps_child_events_to_the_controller_owner_and_gc_cleans_up() -> None:
    clock = VirtualClock()
    cluster = EmbeddedCluster(clock=clock, seed=2)
    mgr = Manager(cluster.client, clock)
    ctrl = ReplicaController(mgr, cluster.client, clock, oracle=cluster.client)  # type: ignore[arg-type]
    reconciled: list[Request] = []
    inner = ctrl.controller.reconcile

    async def spy(req: Request):  # type: ignore[no-untyped-def]
        reconciled.append(req)
        return await inner(req)

    ctrl.controller.reconcile = spy
    await mgr.start()
    await cluster.client.create(deployment("web", 3))
    await settle(clock, mgr, cluster)
    children = mgr.cache(*CHILD).list("default")
    assert len(children) == 3 and ctrl.over_creations == []
    # deleting a child (not the owner) enqueues the owner through owns(), which replaces it
    reconciled.clear()
    await cluster.client.delete(*CHILD, children[0]["metadata"]["name"], "default")
    await settle(clock, mgr, cluster)
    assert Request("default", "web") in reconciled
    assert len(mgr.cache(*CHILD).list("default")) == 3 and ctrl.creates == 4
    await cluster.client.patch(*OWNER, "web", {"spec": {"replicas": 1}}, namespace="default")
    await settle(clock, mgr, cluster)
    assert len(mgr.cache(*CHILD).list("default")) == 1
    await cluster.client.delete(*OWNER, "web", "default")
    await settle(clock, mgr, cluster)
    assert len(mgr.cache(*CHILD)) == 0 and len(mgr.cache(*OWNER)) == 0
    await mgr.stop()


async def test_event_recorder_aggregates_repeats_with_clock_timestamps() -> None:
    clock = VirtualClock(start=1_767_225_600.0)
    cluster = EmbeddedCluster(clock=clock)
    owner = await cluster.client.create(deployment("web", 1))
    rec = EventRecorder(cluster.client, clock, "grove-operator")
    first = await rec.warning(owner, "FailedCreate", "quota exceeded")
    await clock.advance(30)
    await rec.warning(owner, "FailedCreate", "quota exceeded")
    await rec.normal(owner, "Scaled", "scaled to 1")
    events = (await cluster.client.list("v1", "Event", "default")).items
    assert len(events) == 2
    agg = next(e for e in events if e["reason"] == "FailedCreate")
    assert first is not None and agg["metadata"]["name"] == first["metadata"]["name"]
    assert agg["count"] == 2 and agg["type"] == "Warning"
    assert agg["firstTimestamp"] == "2026-01-01T00:00:00Z" and agg["lastTimestamp"] == "2026-01-01T00:00:30Z"
    assert agg["involvedObject"]["uid"] == owner["metadata"]["uid"]
    assert agg["source"] == {"component": "grove-operator"}
    # the aggregated Event vanished (TTL): the next repeat creates a fresh one
    await cluster.client.delete("v1", "Event", agg["metadata"]["name"], "default")
    again = await rec.warning(owner, "FailedCreate", "quota exceeded")
    assert again is not None and again["count"] == 1


async def test_leader_election_handover_on_virtual_time() -> None:
    clock = VirtualClock(start=0.0)
    cluster = EmbeddedCluster(clock=clock)
    log: list[tuple[str, str, float]] = []

    async def step(seconds: float) -> None:
        """Move time in small steps and let every ready task run, so watch events arrive on time."""
        await clock.advance(seconds)
        for _ in range(30):
            await asyncio.sleep(0)

    def elector(identity: str, release: bool = True) -> LeaderElector:
        cfg = LeaderElectionConfig("grove-operator", "default", identity, release_on_cancel=release)
        return LeaderElector(cluster.client, clock, cfg, rng=random.Random(identity),
                             on_started_leading=lambda: log.append(("start", identity, clock.now())),
                             on_stopped_leading=lambda: log.append(("stop", identity, clock.now())))

    a, b = elector("a", release=False), elector("b")
    task_a = asyncio.create_task(a.run())
    await asyncio.sleep(0.01)
    task_b = asyncio.create_task(b.run())
    for _ in range(601):  # both keep running for a minute: exactly one leader, renewing
        await step(0.1)
    assert a.is_leader() and not b.is_leader() and b.current_leader == "a"
    lease = await cluster.client.get(LEASE_API, "Lease", "grove-operator", "default")
    assert lease["spec"]["holderIdentity"] == "a" and lease["spec"]["leaseDurationSeconds"] == 15
    # a crashes (no release) between two renewals: b, which watched every renewal, takes the lease over
    # as soon as it expires, i.e. within leaseDuration of a's last renewal, not at its next jittered poll
    await step(0.5)
    last_renew = parse_rfc3339((await cluster.client.get(LEASE_API, "Lease", "grove-operator",
                                                         "default"))["spec"]["renewTime"])
    killed_at = clock.now()
    task_a.cancel()
    await asyncio.gather(task_a, return_exceptions=True)
    while not b.is_leader():
        await step(0.1)
    takeover = clock.now() - killed_at
    assert takeover <= 15.0, takeover
    lease = await cluster.client.get(LEASE_API, "Lease", "grove-operator", "default")
    assert lease["spec"]["holderIdentity"] == "b" and lease["spec"]["leaseTransitions"] == 1
    assert 15.0 <= parse_rfc3339(lease["spec"]["acquireTime"]) - last_renew <= 15.0 + 0.2
    # c waits; b shuts down gracefully (releases): c sees the release on its watch and takes over at once
    c = elector("c")
    task_c = asyncio.create_task(c.run())
    for _ in range(50):
        await step(0.1)
    assert not c.is_leader()
    released_at = clock.now()
    task_b.cancel()
    await asyncio.gather(task_b, return_exceptions=True)
    while not c.is_leader():
        await step(0.1)
    assert clock.now() - released_at <= 0.2
    assert [(e, who) for e, who, _ in log] == [("start", "a"), ("stop", "a"), ("start", "b"), ("stop", "b"),
                                                ("start", "c")]
    task_c.cancel()
    await asyncio.gather(task_c, return_exceptions=True)


async def test_leader_steps_down_when_renewals_fail_past_the_deadline() -> None:
    clock = VirtualClock(start=0.0)
    cluster = EmbeddedCluster(clock=clock)
    faulty = FaultyClient(cluster.client, random.Random(0))
    stopped: list[float] = []
    cfg = LeaderElectionConfig("l", "default", "a")
    el = LeaderElector(faulty, clock, cfg, rng=random.Random(1),  # type: ignore[arg-type]
                       on_stopped_leading=lambda: stopped.append(clock.now()))
    task = asyncio.create_task(el.run())
    for _ in range(50):  # no virtual time passes: creating the Lease is enough
        if el.is_leader():
            break
        await asyncio.sleep(0)
    assert el.is_leader()
    await clock.advance(4.0)
    assert el.is_leader()

    async def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        from grove.kube.errors import ServerTimeout
        raise ServerTimeout("apiserver unreachable")

    faulty.update = broken  # type: ignore[method-assign]
    failing_since = clock.now()
    while not task.done():
        await clock.advance(1.0)
    assert not el.is_leader() and stopped
    assert 10.0 - 2.0 <= stopped[0] - failing_since <= 10.0 + 2.0
