"""Stateful chaos on the embedded cluster: scaling at all three levels, template updates, pod kills
(containers crash), pod deletes and node failures, in any order, on virtual time.

After every ``settle`` step and at teardown the cluster must hold: every Grove-managed object's controller
owner chain ends at the PodCliqueSet; no PodGang without its PodCliqueSet; every PodClique has exactly
``spec.replicas`` non-terminating pods and every PCSG ``replicas x len(cliqueNames)`` members; no
``status.observedGeneration`` ahead of ``metadata.generation``. CI runs up to 10 examples x 25 steps
(``EXAMPLES=10``, ``STEPS_PER_EXAMPLE=25``; the test asserts at least 100 steps actually ran).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    precondition,
    rule,
    run_state_machine_as_test,
)

from grove.api import constants as c
from grove.sim.nodes import uniform_nodes
from grove.sim.runner import apply_manifests
from grove.sim.simulation import Simulation
from tests.builders import pcs

Obj = dict[str, Any]
NS = "default"
NAME = "chaos"
NODES = 8
STEPS: Counter[str] = Counter()
MIN_STEPS = 100
EXAMPLES = 10
STEPS_PER_EXAMPLE = 25


def workload() -> Obj:
    body = (pcs(NAME).replicas(1)
            .clique("a", 2, min_available=1).clique("b", 1).clique("c", 2, min_available=1)
            .group("sg", ["b", "c"], replicas=2, min_available=1)
            .termination_delay("20s").build())
    body["metadata"]["namespace"] = NS
    return body


class ChaosMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.sim = Simulation()
        self.image_version = 0
        self.failed: set[str] = set()

    def run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(coro)

    @initialize()
    def start(self) -> None:
        async def go() -> None:
            await self.sim.start()
            await apply_manifests(self.sim, [*uniform_nodes(NODES), workload()])
            assert await self.sim.run_until("ready", timeout=120)
        self.run(go())

    def objs(self, kind: str) -> list[Obj]:
        return [o for o in self.sim.objects() if o["kind"] == kind]

    def live(self, kind: str) -> list[Obj]:
        return [o for o in self.objs(kind) if not o["metadata"].get("deletionTimestamp")]

    # -- actions -------------------------------------------------------------------------------------

    @rule(replicas=st.integers(1, 2))
    def scale_pcs(self, replicas: int) -> None:
        STEPS["scale_pcs"] += 1
        self.run(self.sim.client.patch(c.API_VERSION, c.KIND_PCS, NAME, {"spec": {"replicas": replicas}},
                                       namespace=NS, subresource="scale"))
        self.run(self.sim.quiesce())

    @rule(data=st.data(), replicas=st.integers(1, 3))
    def scale_pcsg(self, data: st.DataObject, replicas: int) -> None:
        STEPS["scale_pcsg"] += 1
        groups = sorted(o["metadata"]["name"] for o in self.live(c.KIND_PCSG))
        if groups:
            name = data.draw(st.sampled_from(groups))
            self.run(self.sim.client.patch(c.API_VERSION, c.KIND_PCSG, name, {"spec": {"replicas": replicas}},
                                           namespace=NS, subresource="scale"))
            self.run(self.sim.quiesce())

    @rule(data=st.data(), replicas=st.integers(1, 3))
    def scale_pclq(self, data: st.DataObject, replicas: int) -> None:
        STEPS["scale_pclq"] += 1
        standalone = sorted(o["metadata"]["name"] for o in self.live(c.KIND_PCLQ)
                            if o["metadata"]["labels"].get(c.LABEL_COMPONENT) == c.COMPONENT_PCS_PODCLIQUE)
        if standalone:
            name = data.draw(st.sampled_from(standalone))
            self.run(self.sim.client.patch(c.API_VERSION, c.KIND_PCLQ, name, {"spec": {"replicas": replicas}},
                                           namespace=NS, subresource="scale"))
            self.run(self.sim.quiesce())

    @rule()
    def update_template(self) -> None:
        STEPS["update_template"] += 1
        self.image_version += 1

        async def go() -> None:
            body = await self.sim.client.get(c.API_VERSION, c.KIND_PCS, NAME, NS)
            for clique in body["spec"]["template"]["cliques"]:
                clique["spec"]["podSpec"]["containers"][0]["image"] = f"busybox:{self.image_version}"
            await self.sim.client.update(body)
            await self.sim.quiesce()
        self.run(go())

    @rule(data=st.data())
    def kill_pod(self, data: st.DataObject) -> None:
        STEPS["kill_pod"] += 1
        pods = sorted(p["metadata"]["name"] for p in self.live("Pod") if p["spec"].get("nodeName"))
        if pods:
            self.sim.kubelet.kill_pod(data.draw(st.sampled_from(pods)), NS)
            self.run(self.sim.quiesce())

    @rule(data=st.data())
    def delete_pod(self, data: st.DataObject) -> None:
        STEPS["delete_pod"] += 1
        pods = sorted(p["metadata"]["name"] for p in self.live("Pod"))
        if pods:
            name = data.draw(st.sampled_from(pods))
            self.run(self.sim.client.delete("v1", "Pod", name, NS))
            self.run(self.sim.quiesce())

    @precondition(lambda self: len(self.failed) < 2)
    @rule(index=st.integers(0, NODES - 1))
    def fail_node(self, index: int) -> None:
        STEPS["fail_node"] += 1
        name = f"node-{index}"
        if name not in self.failed:
            self.failed.add(name)
            self.run(self.sim.kubelet.fail_node(name))
            self.run(self.sim.quiesce())

    @rule(seconds=st.sampled_from([1, 5, 15, 60]))
    def advance(self, seconds: int) -> None:
        STEPS["advance"] += 1
        self.run(self.sim.advance(seconds))

    @rule()
    def settle(self) -> None:
        STEPS["settle"] += 1
        self.run(self.sim.run_until("settled", timeout=900))
        self.check()

    # -- invariants ----------------------------------------------------------------------------------

    def check(self) -> None:
        everything = self.sim.objects()
        by_uid = {o["metadata"]["uid"]: o for o in everything if o["metadata"].get("uid")}
        pcs_obj = next(o for o in everything if o["kind"] == c.KIND_PCS)
        for o in everything:
            gen, observed = o["metadata"].get("generation"), (o.get("status") or {}).get("observedGeneration")
            if gen is not None and observed is not None:
                assert observed <= gen, f"{o['kind']}/{o['metadata']['name']} observed {observed} > {gen}"
            labels = o["metadata"].get("labels") or {}
            if labels.get(c.LABEL_MANAGED_BY) != c.MANAGED_BY_VALUE or o["kind"] in (c.KIND_PCS, "Event"):
                continue
            node, hops = o, 0
            while node["kind"] != c.KIND_PCS:
                refs = [r for r in node["metadata"].get("ownerReferences") or [] if r.get("controller")]
                assert refs, f"{o['kind']}/{o['metadata']['name']}: {node['kind']} has no controller owner"
                parent = by_uid.get(refs[0]["uid"])
                if parent is None:  # owner already gone: GC must be deleting this object
                    assert node["metadata"].get("deletionTimestamp") or o["metadata"].get("deletionTimestamp"), (
                        f"{o['kind']}/{o['metadata']['name']}: owner {refs[0]['name']} missing")
                    break
                node, hops = parent, hops + 1
                assert hops < 5
            else:
                assert node["metadata"]["uid"] == pcs_obj["metadata"]["uid"]
        for gang in self.live(c.KIND_PODGANG):
            owners = [r["uid"] for r in gang["metadata"].get("ownerReferences") or []]
            assert pcs_obj["metadata"]["uid"] in owners, f"orphan PodGang {gang['metadata']['name']}"
        pods = self.live("Pod")
        for q in self.live(c.KIND_PCLQ):
            n = sum(1 for p in pods if p["metadata"]["labels"].get(c.LABEL_PODCLIQUE) == q["metadata"]["name"])
            assert n == q["spec"]["replicas"], f"{q['metadata']['name']}: {n} pods != {q['spec']['replicas']}"
        members = self.live(c.KIND_PCLQ)
        for g in self.live(c.KIND_PCSG):
            n = sum(1 for m in members if m["metadata"]["labels"].get(c.LABEL_PCSG) == g["metadata"]["name"])
            assert n == g["spec"]["replicas"] * len(g["spec"]["cliqueNames"]), g["metadata"]["name"]
        assert len([g for g in self.live(c.KIND_PCSG)]) == pcs_obj["spec"]["replicas"]

    def teardown(self) -> None:
        try:
            if self.sim._started:
                self.run(self.sim.run_until("settled", timeout=900))
                self.check()
                self.run(self.sim.stop())
        finally:
            self.loop.close()


def test_chaos_stateful() -> None:
    """Runs the machine and checks that at least MIN_STEPS rule steps were taken in total."""
    STEPS.clear()
    run_state_machine_as_test(ChaosMachine, settings=settings(
        max_examples=EXAMPLES, stateful_step_count=STEPS_PER_EXAMPLE, deadline=None, derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]))
    total = sum(STEPS.values())
    print(f"chaos: {total} steps over {EXAMPLES} examples: {dict(STEPS)}")
    assert total >= MIN_STEPS, f"only {total} chaos steps ran: {dict(STEPS)}"
    assert all(STEPS[r] for r in ("scale_pcs", "scale_pcsg", "scale_pclq", "update_template", "kill_pod",
                                  "delete_pod", "fail_node", "settle")), dict(STEPS)
