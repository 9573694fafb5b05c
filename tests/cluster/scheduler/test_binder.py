"""The binder on the embedded cluster: all-or-nothing gangs, one-by-one default-scheduler pods, waiting
for podReferences and gates, gang minimums before extras, coupling to the base gang, events/conditions."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from grove.api import constants as c
from grove.devcluster.nodes import RACK_LABEL

from .support import SchedEnv, make_pod, make_podgang, sched_env


@pytest.fixture
async def env3() -> AsyncIterator[SchedEnv]:
    env = await sched_env(3)
    yield env
    await env.stop()


def _bound(pods: list[dict]) -> dict[str, str]:
    return {p["metadata"]["name"]: p["spec"]["nodeName"] for p in pods if p["spec"].get("nodeName")}


async def test_gang_all_or_nothing_then_binds_on_new_room(env3: SchedEnv) -> None:
    env = env3
    await env.client.create(make_podgang("g", {"a": ([f"p{i}" for i in range(4)], 4)}))
    for i in range(4):
        await env.client.create(make_pod(f"p{i}", gang="g"))
    await env.settle()
    pods = await env.pods()
    assert _bound(pods) == {}
    for pod in pods:
        cond = next(x for x in pod["status"]["conditions"] if x["type"] == "PodScheduled")
        assert (cond["status"], cond["reason"]) == ("False", "Unschedulable")
        assert cond["message"] == "0/3 nodes are available: 3 Insufficient memory; gang needs 4 pods, 3 fit"
        events = await env.events_of(pod["metadata"]["name"])
        assert [(e["type"], e["reason"], e["source"]["component"]) for e in events] == [
            ("Warning", "Unschedulable", "kai-scheduler")]
    passes = env.scheduler.passes
    await env.advance_quiet(120)
    assert env.scheduler.passes == passes, "an idle scheduler must not keep retrying on a timer"

    from grove.devcluster.nodes import kwok_node

    from .support import create_node
    await create_node(env.client, kwok_node(3))
    await env.settle()
    bound = _bound(await env.pods())
    assert len(bound) == 4 and len(set(bound.values())) == 4
    events = await env.events_of("p0")
    assert events[-1]["reason"] == "Scheduled" and events[-1]["type"] == "Normal"
    assert events[-1]["message"] == f"Successfully assigned default/p0 to {bound['p0']}"


async def test_default_scheduler_pods_one_by_one(env3: SchedEnv) -> None:
    env = env3
    for i in range(4):
        await env.client.create(make_pod(f"d{i}", scheduler=c.SCHEDULER_DEFAULT))
    await env.settle()
    bound = _bound(await env.pods())
    assert sorted(bound) == ["d0", "d1", "d2"]  # creation (= name) order, no all-or-nothing
    events = await env.events_of("d3")
    assert [(e["reason"], e["source"]["component"], e["message"]) for e in events] == [
        ("Unschedulable", "default-scheduler", "0/3 nodes are available: 3 Insufficient memory.")]


async def test_unknown_scheduler_is_ignored(env3: SchedEnv) -> None:
    await env3.client.create(make_pod("x", scheduler="someone-else"))
    await env3.settle()
    assert _bound(await env3.pods()) == {} and await env3.events_of("x") == []


async def test_pod_waits_for_podreferences_and_gates(env3: SchedEnv) -> None:
    env = env3
    await env.client.create(make_podgang("g", {"a": (["p0"], 2)}))
    await env.client.create(make_pod("p0", gang="g"))
    await env.client.create(make_pod("p1", gang="g", gated=True))
    await env.settle()
    assert _bound(await env.pods()) == {}
    assert await env.events_of("p0") == []  # waiting is not unschedulable
    await env.client.patch(c.SCHEDULER_API_VERSION, c.KIND_PODGANG, "g", {"spec": {"podgroups": [
        {"name": "a", "minReplicas": 2, "podReferences": [{"namespace": "default", "name": "p0"},
                                                          {"namespace": "default", "name": "p1"}]}]}},
        namespace="default")
    await env.settle()
    assert _bound(await env.pods()) == {}  # p1 still gated
    await env.client.patch("v1", "Pod", "p1", {"spec": {"schedulingGates": None}}, namespace="default")
    await env.settle()
    assert sorted(_bound(await env.pods())) == ["p0", "p1"]


async def test_gang_minimums_before_extras() -> None:
    objects = [make_podgang("a", {"ga": (["a0", "a1", "a2"], 1)}), make_podgang("b", {"gb": (["b0", "b1"], 2)})]
    objects += [make_pod(name, gang="a") for name in ("a0", "a1", "a2")]
    objects += [make_pod(name, gang="b") for name in ("b0", "b1")]
    env = await sched_env(3, objects=objects)
    await env.settle()
    bound = _bound(await env.pods())
    assert sorted(bound) == ["a0", "b0", "b1"]
    for extra in ("a1", "a2"):
        events = await env.events_of(extra)
        assert events and events[-1]["reason"] == "Unschedulable"
        assert "has its minimum; no room for this extra pod" in events[-1]["message"]
    await env.stop()


async def test_scaled_gang_shares_the_base_gang_domain() -> None:
    env = await sched_env(30)
    try:
        await env.client.create(make_podgang("w-0", {"base": (["b0", "b1"], 2)}, required=RACK_LABEL))
        for name in ("b0", "b1"):
            await env.client.create(make_pod(name, gang="w-0", memory="40Mi"))
        await env.settle()
        await env.client.create(make_podgang("w-0-sg-0", {"s": ([f"s{i}" for i in range(4)], 4)},
                                              required=RACK_LABEL))
        for i in range(4):
            await env.client.create(make_pod(f"s{i}", gang="w-0-sg-0", base="w-0", memory="40Mi"))
        await env.settle()
        bound = _bound(await env.pods())
        assert len(bound) == 6
        nodes = {n["metadata"]["name"]: n for n in (await env.client.list("v1", "Node")).items}
        racks = {nodes[node]["metadata"]["labels"][RACK_LABEL] for node in bound.values()}
        assert len(racks) == 1, bound
    finally:
        await env.stop()


async def test_bind_of_a_vanished_pod_is_skipped(env3: SchedEnv) -> None:
    pod = make_pod("ghost")
    pod["metadata"]["uid"] = "nope"
    assert await env3.scheduler._bind(pod, "kwok-node-0") is True
    assert env3.scheduler.bound_total == 0
