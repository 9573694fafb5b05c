"""A small DSL for the upstream e2e scheduling scenarios (spec/scenarios.md §1.2, §1.4, §2.1) on the
embedded cluster (:class:`grove.sim.simulation.Simulation`): 30 KWOK-shaped nodes, Grove CRDs +
admission, the Grove controllers, the gang scheduler under test and the fake kubelet with zero delays
(bound pods become Running/Ready at once, as KWOK's ``stage-fast``), all on a virtual clock.

Harness semantics reproduced:
- ``prepare(n)``: the workers sorted by name; the first ``n`` stay schedulable, the rest are cordoned;
- ``cordon(k)``: cordons the first ``k`` schedulable workers in API list (name) order and remembers them;
  ``uncordon(k)`` uncordons the next ``k`` of that list (``Uncordon [a:b]`` in the scenario text);
- after each action the cluster settles (every queue drained, timers due within the horizon fired),
  which stands in for the harness' "poll every 5 s for up to 4 min";
- ``sleep(s)`` advances virtual time by ``s`` seconds;
- ``expect(...)`` asserts exact counts; ``unschedulable_events=True`` checks that the most recent event
  of every Pending pod is a Warning ``Unschedulable`` from ``kai-scheduler``.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import yaml

from grove.api import constants as c
from grove.devcluster.nodes import kwok_nodes
from grove.sim.simulation import SimOptions, Simulation
from tests.cluster.helpers import STAGE_FAST, settle
from tests.upstream import UPSTREAM

Obj = dict[str, Any]
E2E_DIR = UPSTREAM / "e2e"
NAMESPACE = "default"


def load_yaml(name: str) -> list[Obj]:
    docs = [d for d in yaml.safe_load_all((E2E_DIR / name).read_text()) if d]
    for doc in docs:
        doc.setdefault("metadata", {}).setdefault("namespace", NAMESPACE)
    return docs


E2E_SHAPE = SimOptions(kubelet=STAGE_FAST, objects=tuple(kwok_nodes(30)))
"""The e2e cluster: 30 KWOK-shaped workers, pods Running/Ready as soon as they are bound (``stage-fast``)."""


class GangScenario:
    """One e2e test: the steps read like the scenario text."""

    def __init__(self, sim: Simulation) -> None:
        self.sim = sim
        self.client = sim.client
        self.cordoned: list[str] = []
        self.uncordoned = 0
        self.pcs: str | None = None

    async def workers(self) -> list[str]:
        items = (await self.client.list("v1", "Node")).items
        return sorted(n["metadata"]["name"] for n in items)

    async def _set_cordon(self, name: str, on: bool) -> None:
        await self.client.patch("v1", "Node", name, {"spec": {"unschedulable": True if on else None}})

    async def prepare(self, n: int) -> None:
        """PrepareTest(n): the first n workers (sorted) schedulable, the rest cordoned."""
        names = await self.workers()
        assert n <= len(names), f"PrepareTest({n}) needs {n} workers, the cluster has {len(names)}"
        for i, name in enumerate(names):
            await self._set_cordon(name, i >= n)
        await settle(self.sim)

    async def cordon(self, k: int) -> None:
        """Cordon the first k schedulable workers (API list order) and remember them for uncordon."""
        items = (await self.client.list("v1", "Node")).items
        free = [n["metadata"]["name"] for n in items if not n["spec"].get("unschedulable")]
        self.cordoned = free[:k]
        self.uncordoned = 0
        for name in self.cordoned:
            await self._set_cordon(name, True)
        await settle(self.sim)

    async def uncordon(self, k: int) -> None:
        """Uncordon the next k of the remembered cordoned workers."""
        batch = self.cordoned[self.uncordoned:self.uncordoned + k]
        assert len(batch) == k, f"only {len(self.cordoned) - self.uncordoned} cordoned workers left"
        self.uncordoned += k
        for name in batch:
            await self._set_cordon(name, False)
        await settle(self.sim)

    async def apply(self, yaml_name: str) -> None:
        for doc in load_yaml(yaml_name):
            if doc["kind"] == c.KIND_PCS:
                self.pcs = doc["metadata"]["name"]
            await self.client.create(doc)
        await settle(self.sim)

    async def scale_pcs(self, replicas: int) -> None:
        assert self.pcs is not None
        await self.client.patch(c.API_VERSION, c.KIND_PCS, self.pcs, {"spec": {"replicas": replicas}},
                                namespace=NAMESPACE)
        await settle(self.sim)

    async def scale_pcsg(self, name: str, replicas: int) -> None:
        await self.client.patch(c.API_VERSION, c.KIND_PCSG, name, {"spec": {"replicas": replicas}},
                                namespace=NAMESPACE)
        await settle(self.sim)

    async def sleep(self, seconds: float) -> None:
        await self.sim.advance(seconds)

    # -- reading and asserting -------------------------------------------------------------------------

    async def pods(self) -> list[Obj]:
        sel = f"{c.LABEL_PART_OF}={self.pcs}" if self.pcs else None
        items = (await self.client.list("v1", "Pod", NAMESPACE, label_selector=sel)).items
        return [p for p in items if not p["metadata"].get("deletionTimestamp")]

    @staticmethod
    def phase(pod: Obj) -> str:
        return str((pod.get("status") or {}).get("phase") or "Pending")

    @staticmethod
    def ready(pod: Obj) -> bool:
        return any(cd.get("type") == "Ready" and cd.get("status") == "True"
                   for cd in (pod.get("status") or {}).get("conditions") or ())

    async def counts(self) -> dict[str, int]:
        pods = await self.pods()
        phases = Counter(self.phase(p) for p in pods)
        return {"total": len(pods), "running": phases["Running"], "pending": phases["Pending"],
                "ready": sum(1 for p in pods if self.ready(p))}

    async def expect(self, *, total: int | None = None, running: int | None = None, pending: int | None = None,
                     ready: int | None = None, unschedulable_events: bool = False) -> None:
        got = await self.counts()
        want = {"total": total, "running": running, "pending": pending, "ready": ready}
        wrong = {k: (got[k], v) for k, v in want.items() if v is not None and got[k] != v}
        assert not wrong, f"(got, want) {wrong}; all counts {got}"
        if unschedulable_events:
            await self.expect_unschedulable_events()

    async def latest_event(self, pod: Obj) -> Obj | None:
        events = (await self.client.list("v1", "Event", NAMESPACE)).items
        mine = [e for e in events if e["involvedObject"].get("uid") == pod["metadata"]["uid"]]
        return max(mine, key=lambda e: (e.get("lastTimestamp") or "", e["metadata"]["resourceVersion"]),
                   default=None)

    async def expect_unschedulable_events(self, component: str = c.SCHEDULER_KAI, *, gated: int = 0) -> None:
        """VerifyPodsArePendingWithUnschedulableEvents: every Pending pod's latest event is a Warning
        ``Unschedulable`` from ``component``; except exactly ``gated`` pods that still carry a scheduling
        gate (a scheduler never sees those, so they have no event at all)."""
        problems = []
        still_gated = 0
        for pod in await self.pods():
            if self.phase(pod) != "Pending":
                continue
            if pod["spec"].get("schedulingGates"):
                still_gated += 1
                if await self.latest_event(pod) is not None:
                    problems.append(f"{pod['metadata']['name']}: gated, yet has an event")
                continue
            event = await self.latest_event(pod)
            got = None if event is None else (event["type"], event["reason"], event["source"].get("component"))
            if got != ("Warning", "Unschedulable", component):
                problems.append(f"{pod['metadata']['name']}: {got}")
        assert not problems, "Pending pods without a latest Unschedulable event: " + ", ".join(problems)
        assert still_gated == gated, f"{still_gated} pending pods are gated, expected {gated}"

    async def expect_all_pending_after(self, seconds: float, total: int) -> None:
        """VerifyAllPodsArePendingWithSleep."""
        await self.sleep(seconds)
        await self.expect(total=total, pending=total, running=0)

    async def expect_distinct_nodes(self) -> None:
        pods = await self.pods()
        nodes = [p["spec"].get("nodeName") for p in pods]
        assert all(nodes), f"unbound pods: {[p['metadata']['name'] for p in pods if not p['spec'].get('nodeName')]}"
        assert len(set(nodes)) == len(nodes), f"pods share nodes: {Counter(nodes).most_common(3)}"
