"""Gang termination GT1-GT6 (spec/scenarios.md §2.2) on the embedded cluster, on virtual time.

Ten KWOK-shaped nodes (one e2e pod per node), the upstream ``-gt`` workloads unchanged
(``terminationDelay: 10s``). "Kill a pod" = cordon its node, then delete the pod; KWOK's pod-delete stage
removes a deleted pod at once, so the delete here uses grace 0 and the replacement (created straight
away) cannot schedule until the node is uncordoned. After each kill the test waits 25 s of virtual time.
Besides the upstream verdicts it pins *when*: 9 s after the breach nothing has been torn down yet, 11 s
after it the scope has been (terminationDelay 10 s, requeue at the exact expiry instant).
"""

from __future__ import annotations

from typing import Any

import yaml

from grove.api import constants as c
from grove.devcluster.nodes import kwok_nodes
from grove.sim.runner import apply_manifests
from grove.sim.simulation import Simulation
from tests.upstream import UPSTREAM

Obj = dict[str, Any]
E2E_DIR = UPSTREAM / "e2e"
NS = "default"


def load(name: str) -> list[Obj]:
    return [d for d in yaml.safe_load_all((E2E_DIR / name).read_text()) if d]


class GT:
    def __init__(self, sim: Simulation, pcs: str) -> None:
        self.sim = sim
        self.pcs = pcs
        self.cordoned: list[str] = []

    def pods(self) -> list[Obj]:
        return [o for o in self.sim.objects() if o["kind"] == "Pod"
                and (o["metadata"].get("labels") or {}).get(c.LABEL_PART_OF) == self.pcs]

    def live(self) -> list[Obj]:
        return [p for p in self.pods() if not p["metadata"].get("deletionTimestamp")]

    def uids(self, clique: str | None = None) -> set[str]:
        """UIDs of live pods, optionally of PodClique ``<pcs>-0-<clique>``."""
        want = f"{self.pcs}-0-{clique}" if clique else None
        return {p["metadata"]["uid"] for p in self.live()
                if want is None or p["metadata"]["labels"].get(c.LABEL_PODCLIQUE) == want}

    def pods_of(self, clique: str) -> list[Obj]:
        fqn = f"{self.pcs}-0-{clique}"
        return sorted((p for p in self.live() if p["metadata"]["labels"].get(c.LABEL_PODCLIQUE) == fqn),
                      key=lambda p: p["metadata"]["name"])

    def running(self) -> int:
        return sum(1 for p in self.live() if (p.get("status") or {}).get("phase") == "Running")

    def ready(self) -> int:
        return sum(1 for p in self.live() if any(cd.get("type") == "Ready" and cd.get("status") == "True"
                                                for cd in (p.get("status") or {}).get("conditions") or []))

    async def kill(self, pod: Obj) -> None:
        node = pod["spec"]["nodeName"]
        await self.sim.client.patch("v1", "Node", node, {"spec": {"unschedulable": True}})
        self.cordoned.append(node)
        await self.sim.client.delete("v1", "Pod", pod["metadata"]["name"], NS, grace_period_seconds=0)
        await self.sim.quiesce()

    async def recovery(self) -> None:
        for node in self.cordoned:
            await self.sim.client.patch("v1", "Node", node, {"spec": {"unschedulable": None}})
        self.cordoned = []
        await self.sim.run_until("settled", timeout=120)
        assert len(self.live()) == 10 and self.ready() == 10, (len(self.live()), self.ready())

    async def expect_recreated_at_expiry(self, old: set[str], survivors: set[str] = frozenset()) -> None:
        """9 s after the breach: ``old`` all alive; 11 s: none of ``old`` alive, ``survivors`` intact;
        25 s: exactly 10 non-terminating pods, none of ``old`` among them."""
        await self.sim.advance(9)
        assert old <= self.uids(), "torn down before terminationDelay expired"
        await self.sim.advance(2)
        assert not old & self.uids(), "not torn down once terminationDelay expired"
        assert survivors <= self.uids()
        await self.sim.advance(14)
        assert not old & self.uids()
        assert survivors <= self.uids()
        assert len(self.live()) == 10


async def deploy(sim: Simulation, name: str) -> GT:
    await apply_manifests(sim, [*kwok_nodes(10), *load(f"{name}.yaml")])
    assert await sim.run_until("ready", timeout=120)
    await sim.advance(10)  # well past the 5 s "ever scheduled" grace after creation
    gt = GT(sim, name)
    assert len(gt.live()) == 10 and gt.ready() == 10
    return gt


def events(sim: Simulation, reason: str) -> list[Obj]:
    return [e for e in sim.events() if e.get("reason") == reason]


async def test_gt1_full_replica_pcs_owned(sim: Simulation) -> None:
    gt = await deploy(sim, "workload1-gt")
    victim = gt.pods_of("pc-a")[0]
    old = gt.uids() - {victim["metadata"]["uid"]}
    await gt.kill(victim)
    pclq = next(o for o in sim.objects() if o["kind"] == c.KIND_PCLQ and o["metadata"]["name"] == "workload1-gt-0-pc-a")
    breach = next(cd for cd in pclq["status"]["conditions"] if cd["type"] == c.COND_MIN_AVAILABLE_BREACHED)
    assert (breach["status"], breach["reason"]) == ("True", c.REASON_SCHEDULED_BELOW_MIN)
    await gt.expect_recreated_at_expiry(old)
    assert len(events(sim, "PodCliqueSetReplicaDeleteSuccessful")) == 1
    assert not events(sim, "PodCliqueScalingGroupReplicaDeleteSuccessful")
    await gt.recovery()


async def test_gt2_full_replica_pcsg_owned(sim: Simulation) -> None:
    gt = await deploy(sim, "workload1-gt")
    victim = gt.pods_of("sg-x-0-pc-c")[0]
    old = gt.uids() - {victim["metadata"]["uid"]}
    await gt.kill(victim)
    pcsg = next(o for o in sim.objects() if o["kind"] == c.KIND_PCSG)
    breach = next(cd for cd in pcsg["status"]["conditions"] if cd["type"] == c.COND_MIN_AVAILABLE_BREACHED)
    assert (breach["status"], breach["reason"]) == ("True", c.REASON_INSUFFICIENT_AVAILABLE_PCSG_REPLICAS)
    await gt.expect_recreated_at_expiry(old)
    assert len(events(sim, "PodCliqueSetReplicaDeleteSuccessful")) == 1
    assert not events(sim, "PodCliqueScalingGroupReplicaDeleteSuccessful")
    pcsg = next(o for o in sim.objects() if o["kind"] == c.KIND_PCSG)
    gtip = [cd for cd in pcsg["status"]["conditions"] if cd["type"] == c.COND_GANG_TERMINATION_IN_PROGRESS]
    assert [(cd["status"], cd["reason"]) for cd in gtip] == [("True", c.REASON_GANG_TERMINATION_ACTIVE)]
    await gt.recovery()
    pcsg = next(o for o in sim.objects() if o["kind"] == c.KIND_PCSG)
    conds = {cd["type"]: cd["status"] for cd in pcsg["status"]["conditions"]}
    assert conds.get(c.COND_MIN_AVAILABLE_BREACHED) == "False"
    assert c.COND_GANG_TERMINATION_IN_PROGRESS not in conds


async def test_gt3_min_replicas_pcs_owned(sim: Simulation) -> None:
    gt = await deploy(sim, "workload2-gt")
    first, second = gt.pods_of("pc-a")
    await gt.kill(first)
    survivors = gt.uids() - {first["metadata"]["uid"]}
    await sim.advance(25)
    assert survivors <= gt.uids() and gt.running() >= 9
    old = gt.uids() - {second["metadata"]["uid"]}
    await gt.kill(second)
    await gt.expect_recreated_at_expiry(old)
    await gt.recovery()


async def test_gt4_min_replicas_pcsg_owned(sim: Simulation) -> None:
    gt = await deploy(sim, "workload2-gt")
    c0 = gt.pods_of("sg-x-0-pc-c")
    await gt.kill(c0[0])
    survivors = gt.uids() - {c0[0]["metadata"]["uid"]}
    await sim.advance(25)
    assert survivors <= gt.uids() and gt.running() >= 9
    # Step 2: the rest of sg-x-0-pc-c ⇒ only PCSG replica 0 is recreated.
    replica0 = gt.uids("sg-x-0-pc-b") | gt.uids("sg-x-0-pc-c")
    keep = gt.uids("pc-a") | gt.uids("sg-x-1-pc-b") | gt.uids("sg-x-1-pc-c")
    await gt.kill(c0[1])
    await gt.kill(c0[2])
    await gt.expect_recreated_at_expiry(replica0 - {c0[1]["metadata"]["uid"], c0[2]["metadata"]["uid"]},
                                        survivors=keep)
    assert len(gt.pods_of("sg-x-0-pc-b")) == 1 and len(gt.pods_of("sg-x-0-pc-c")) == 3
    assert all(p["status"].get("phase", "Pending") == "Pending"
               for p in gt.pods_of("sg-x-0-pc-b") + gt.pods_of("sg-x-0-pc-c"))
    assert len(events(sim, "PodCliqueScalingGroupReplicaDeleteSuccessful")) == 1
    assert not events(sim, "PodCliqueSetReplicaDeleteSuccessful")
    # Step 3: one pod of sg-x-1-pc-c ⇒ no PCS-level termination.
    c1 = gt.pods_of("sg-x-1-pc-c")
    pc_a = gt.uids("pc-a")
    await gt.kill(c1[0])
    await sim.advance(25)
    assert pc_a <= gt.uids() and gt.running() >= 5
    # Step 4: the rest of sg-x-1-pc-c ⇒ both PCSG replicas breached, below sg-x min 1 ⇒ whole replica.
    before = gt.uids()
    await gt.kill(c1[1])
    await gt.kill(c1[2])
    await sim.advance(25)
    assert not before & gt.uids() and len(gt.live()) == 10
    assert len(events(sim, "PodCliqueSetReplicaDeleteSuccessful")) == 1
    await gt.recovery()


async def test_gt5_individual_pcsg_replica(sim: Simulation) -> None:
    gt = await deploy(sim, "workload5-gt")
    replica0 = gt.uids("sg-x-0-pc-b") | gt.uids("sg-x-0-pc-c")
    keep = gt.uids("pc-a") | gt.uids("sg-x-1-pc-b") | gt.uids("sg-x-1-pc-c")
    victims = gt.pods_of("sg-x-0-pc-c")
    for pod in victims:
        await gt.kill(pod)
    await gt.expect_recreated_at_expiry(replica0 - {p["metadata"]["uid"] for p in victims}, survivors=keep)
    assert len(events(sim, "PodCliqueScalingGroupReplicaDeleteSuccessful")) == 1
    assert not events(sim, "PodCliqueSetReplicaDeleteSuccessful")
    await gt.recovery()
    assert keep <= gt.uids()


async def test_gt6_scaled_podgang_pod_deletion(sim: Simulation) -> None:
    gt = await deploy(sim, "workload2-gt")
    scaled = [p for p in gt.pods_of("sg-x-1-pc-c") if c.LABEL_BASE_PODGANG in p["metadata"]["labels"]]
    assert scaled, "sg-x-1-pc-c pods carry grove.io/base-podgang"
    victim = scaled[0]
    pc_a = gt.uids("pc-a")
    survivors = gt.uids() - {victim["metadata"]["uid"]}
    await gt.kill(victim)
    await sim.advance(25)
    assert pc_a <= gt.uids() and survivors <= gt.uids() and gt.running() >= 9
    assert not events(sim, "PodCliqueSetReplicaDeleteSuccessful")
    assert not events(sim, "PodCliqueScalingGroupReplicaDeleteSuccessful")
    await gt.recovery()
    assert survivors <= gt.uids()
