"""The binder on the embedded cluster: all-or-nothing gangs, one-by-one default-scheduler pods, waiting
for podReferences and gates, gang minimums before extras, coupling to the base gang, events/conditions."""

from __future__ import annotations

import pytest

from grove.api import constants as c
from grove.devcluster.nodes import RACK_LABEL, kwok_node
from grove.sim.simulation import Simulation
from tests.cluster.helpers import StartSim, settle

from .support import events_of, kwok_shape, list_pods, make_pod, make_podgang


@pytest.fixture
async def sim(start_sim: StartSim) -> Simulation:
    """Three KWOK workers (room for three 80Mi pods: the 4-pod gangs below do not fit)."""
    return await start_sim(kwok_shape(3))


def _bound(pods: list[dict]) -> dict[str, str]:
    return {p["metadata"]["name"]: p["spec"]["nodeName"] for p in pods if p["spec"].get("nodeName")}


async def test_gang_all_or_nothing_then_binds_on_new_room(sim: Simulation) -> None:
    await sim.client.create(make_podgang("g", {"a": ([f"p{i}" for i in range(4)], 4)}))
    for i in range(4):
        await sim.client.create(make_pod(f"p{i}", gang="g"))
    await settle(sim)
    pods = await list_pods(sim)
    assert _bound(pods) == {}
    for pod in pods:
        cond = next(x for x in pod["status"]["conditions"] if x["type"] == "PodScheduled")
        assert (cond["status"], cond["reason"]) == ("False", "Unschedulable")
        assert cond["message"] == "0/3 nodes are available: 3 Insufficient memory; gang needs 4 pods, 3 fit"
        events = await events_of(sim, pod["metadata"]["name"])
        assert [(e["type"], e["reason"], e["source"]["component"]) for e in events] == [
            ("Warning", "Unschedulable", "kai-scheduler")]
    passes = sim.scheduler.passes
    await sim.advance(120)
    assert sim.scheduler.passes == passes, "an idle scheduler must not keep retrying on a timer"

    await sim.apply([kwok_node(3)])
    await settle(sim)
    bound = _bound(await list_pods(sim))
    assert len(bound) == 4 and len(set(bound.values())) == 4
    events = await events_of(sim, "p0")
    assert events[-1]["reason"] == "Scheduled" and events[-1]["type"] == "Normal"
    assert events[-1]["message"] == f"Successfully assigned default/p0 to {bound['p0']}"


async def test_default_scheduler_pods_one_by_one(sim: Simulation) -> None:
    for i in range(4):
        await sim.client.create(make_pod(f"d{i}", scheduler=c.SCHEDULER_DEFAULT))
    await settle(sim)
    bound = _bound(await list_pods(sim))
    assert sorted(bound) == ["d0", "d1", "d2"]  # creation (= name) order, no all-or-nothing
    events = await events_of(sim, "d3")
    assert [(e["reason"], e["source"]["component"], e["message"]) for e in events] == [
        ("Unschedulable", "default-scheduler", "0/3 nodes are available: 3 Insufficient memory.")]


async def test_unknown_scheduler_is_ignored(sim: Simulation) -> None:
    await sim.client.create(make_pod("x", scheduler="someone-else"))
    await settle(sim)
    assert _bound(await list_pods(sim)) == {} and await events_of(sim, "x") == []


async def test_pod_waits_for_podreferences_and_gates(sim: Simulation) -> None:
    await sim.client.create(make_podgang("g", {"a": (["p0"], 2)}))
    await sim.client.create(make_pod("p0", gang="g"))
    await sim.client.create(make_pod("p1", gang="g", gated=True))
    await settle(sim)
    assert _bound(await list_pods(sim)) == {}
    assert await events_of(sim, "p0") == []  # waiting is not unschedulable
    await sim.client.patch(c.SCHEDULER_API_VERSION, c.KIND_PODGANG, "g", {"spec": {"podgroups": [
        {"name": "a", "minReplicas": 2, "podReferences": [{"namespace": "default", "name": "p0"},
                                                          {"namespace": "default", "name": "p1"}]}]}},
        namespace="default")
    await settle(sim)
    assert _bound(await list_pods(sim)) == {}  # p1 still gated
    await sim.client.patch("v1", "Pod", "p1", {"spec": {"schedulingGates": None}}, namespace="default")
    await settle(sim)
    assert sorted(_bound(await list_pods(sim))) == ["p0", "p1"]


async def test_gang_minimums_before_extras(start_sim: StartSim) -> None:
    objects = [make_podgang("a", {"ga": (["a0", "a1", "a2"], 1)}), make_podgang("b", {"gb": (["b0", "b1"], 2)})]
    objects += [make_pod(name, gang="a") for name in ("a0", "a1", "a2")]
    objects += [make_pod(name, gang="b") for name in ("b0", "b1")]
    sim = await start_sim(kwok_shape(3, *objects))
    await settle(sim)
    bound = _bound(await list_pods(sim))
    assert sorted(bound) == ["a0", "b0", "b1"]
    for extra in ("a1", "a2"):
        events = await events_of(sim, extra)
        assert events and events[-1]["reason"] == "Unschedulable"
        assert "has its minimum; no room for this extra pod" in events[-1]["message"]


async def test_scaled_gang_shares_the_base_gang_domain(start_sim: StartSim) -> None:
    sim = await start_sim(kwok_shape(30))
    await sim.client.create(make_podgang("w-0", {"base": (["b0", "b1"], 2)}, required=RACK_LABEL))
    for name in ("b0", "b1"):
        await sim.client.create(make_pod(name, gang="w-0", memory="40Mi"))
    await settle(sim)
    await sim.client.create(make_podgang("w-0-sg-0", {"s": ([f"s{i}" for i in range(4)], 4)},
                                      required=RACK_LABEL))
    for i in range(4):
        await sim.client.create(make_pod(f"s{i}", gang="w-0-sg-0", base="w-0", memory="40Mi"))
    await settle(sim)
    bound = _bound(await list_pods(sim))
    assert len(bound) == 6
    nodes = {n["metadata"]["name"]: n for n in (await sim.client.list("v1", "Node")).items}
    racks = {nodes[node]["metadata"]["labels"][RACK_LABEL] for node in bound.values()}
    assert len(racks) == 1, bound


async def test_bind_of_a_vanished_pod_is_skipped(sim: Simulation) -> None:
    pod = make_pod("ghost")
    pod["metadata"]["uid"] = "nope"
    assert await sim.scheduler._bind(pod, "kwok-node-0") is True
    assert sim.scheduler.bound_total == 0
