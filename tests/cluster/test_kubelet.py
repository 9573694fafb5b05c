"""The fake kubelet on virtual time: startup, readiness, init containers, kills, deletion, node failure."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from grove.cluster import EmbeddedCluster
from grove.cluster.kubelet import FakeKubelet
from grove.kube.client import KubeClient, Obj
from grove.kube.clock import VirtualClock
from grove.kube.errors import NotFound
from grove.kube.objects import condition_true, get_condition


class Sim:
    def __init__(self) -> None:
        self.clock = VirtualClock()
        self.cluster = EmbeddedCluster(clock=self.clock, seed=11)
        self.kube: KubeClient = self.cluster.client
        self.kubelet = FakeKubelet(self.kube, self.clock, start_delay=2, ready_delay=3, unprobed_ready_delay=0,
                                   backoff=10)

    async def settle(self) -> None:
        for _ in range(60):
            await asyncio.sleep(0)

    async def advance(self, seconds: float) -> None:
        """Move virtual time in 0.5 s steps, letting every woken task run to its next wait."""
        target = self.clock.now() + seconds
        while self.clock.now() < target:
            await self.clock.advance(min(0.5, target - self.clock.now()))
            await self.settle()

    async def pod(self, name: str, *, node: str = "n1", **spec: Any) -> Obj:
        body = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "default"},
                "spec": {"containers": [{"name": "main", "image": "app:1"}], **spec}}
        await self.kube.create(body)
        await self.kube.bind("default", name, node)
        await self.settle()
        return await self.get(name)

    async def get(self, name: str) -> Obj:
        return await self.kube.get("v1", "Pod", name, "default")


@pytest.fixture
async def sim() -> AsyncIterator[Sim]:
    s = Sim()
    await s.kube.create({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1"},
                         "status": {"capacity": {"cpu": "8"}, "allocatable": {"cpu": "8"},
                                    "conditions": [{"type": "Ready", "status": "True"}]}})
    s.kubelet.start()
    await s.settle()
    yield s
    await s.kubelet.stop()


async def test_bound_pod_without_probes_is_ready_once_it_runs(sim: Sim) -> None:
    """As a real kubelet: a container without a readiness or startup probe is ready as soon as it started."""
    await sim.kube.create({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "unbound", "namespace": "default"},
                           "spec": {"containers": [{"name": "main", "image": "x"}]}})
    p = await sim.pod("p")
    assert p["status"]["phase"] == "Pending"
    await sim.advance(1.5)
    assert (await sim.get("p"))["status"]["phase"] == "Pending"
    await sim.advance(0.5)
    p = await sim.get("p")
    assert p["status"]["phase"] == "Running" and condition_true(p, "Ready") and condition_true(p, "ContainersReady")
    assert p["status"]["containerStatuses"][0]["started"] is True
    assert p["status"]["containerStatuses"][0]["ready"] is True
    assert (await sim.get("unbound"))["status"]["phase"] == "Pending"


async def test_bound_pod_with_a_readiness_probe_runs_then_becomes_ready(sim: Sim) -> None:
    probe = {"httpGet": {"path": "/healthz", "port": 8080}}
    await sim.kube.create({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "default"},
                           "spec": {"containers": [{"name": "main", "image": "app:1", "readinessProbe": probe}]}})
    await sim.kube.bind("default", "p", "n1")
    await sim.settle()
    await sim.advance(2)
    p = await sim.get("p")
    assert p["status"]["phase"] == "Running" and not condition_true(p, "Ready")
    assert p["status"]["containerStatuses"][0]["started"] is True
    assert p["status"]["containerStatuses"][0]["ready"] is False
    await sim.advance(3)
    p = await sim.get("p")
    assert condition_true(p, "Ready") and condition_true(p, "ContainersReady")
    assert p["status"]["containerStatuses"][0]["ready"] is True


async def test_init_containers_run_in_order_and_failures_restart_with_backoff(sim: Sim) -> None:
    order: list[str] = []
    attempts = {"wait": 0}

    async def waiter(pod: Obj, kube: KubeClient) -> int:
        order.append("wait")
        attempts["wait"] += 1
        return 1 if attempts["wait"] == 1 else 0

    async def setup(pod: Obj, kube: KubeClient) -> int:
        order.append("setup")
        return 0

    sim.kubelet.register_program("grove-initc", waiter)
    sim.kubelet.register_program("setup", setup)
    await sim.pod("p", initContainers=[{"name": "wait", "image": "grove-initc"}, {"name": "setup", "image": "s"}])
    p = await sim.get("p")
    waiting = p["status"]["initContainerStatuses"][0]
    assert order == ["wait"] and waiting["lastState"]["terminated"]["exitCode"] == 1
    assert waiting["restartCount"] == 1 and not condition_true(p, "Initialized")
    await sim.advance(9.5)
    assert order == ["wait"]  # backoff is 10 s
    await sim.advance(1)
    assert order == ["wait", "wait", "setup"]
    p = await sim.get("p")
    assert [s["state"]["terminated"]["reason"] for s in p["status"]["initContainerStatuses"]] == ["Completed"] * 2
    assert condition_true(p, "Initialized") and not condition_true(p, "Ready")
    await sim.advance(5)
    assert condition_true(await sim.get("p"), "Ready")


async def test_init_failure_with_restart_policy_never_fails_the_pod(sim: Sim) -> None:
    async def broken(pod: Obj, kube: KubeClient) -> int:
        return 2

    sim.kubelet.register_program("broken", broken)
    p = await sim.pod("p", restartPolicy="Never", initContainers=[{"name": "broken", "image": "b"}])
    assert p["status"]["phase"] == "Failed"
    assert p["status"]["initContainerStatuses"][0]["state"]["terminated"]["exitCode"] == 2


async def test_kill_pod_restarts_container_and_recovers(sim: Sim) -> None:
    await sim.pod("p")
    await sim.advance(5)
    assert condition_true(await sim.get("p"), "Ready")
    sim.kubelet.kill_pod("p")
    await sim.settle()
    p = await sim.get("p")
    cs = p["status"]["containerStatuses"][0]
    assert not condition_true(p, "Ready") and cs["restartCount"] == 1
    assert cs["lastState"]["terminated"]["exitCode"] == 1 and cs["ready"] is False
    await sim.advance(3)
    assert condition_true(await sim.get("p"), "Ready")


async def test_deletion_honours_termination_grace_period(sim: Sim) -> None:
    await sim.pod("slow", terminationGracePeriodSeconds=20)
    await sim.pod("quick", terminationGracePeriodSeconds=0)
    await sim.advance(5)
    await sim.kube.delete("v1", "Pod", "slow", "default")
    await sim.kube.delete("v1", "Pod", "quick", "default")
    await sim.settle()
    with pytest.raises(NotFound):
        await sim.get("quick")
    await sim.advance(19)
    assert (await sim.get("slow"))["metadata"]["deletionTimestamp"]
    await sim.advance(1.5)
    with pytest.raises(NotFound):
        await sim.get("slow")


async def test_failed_node_taints_unreadies_and_evicts_after_toleration(sim: Sim) -> None:
    await sim.pod("default-toleration")
    await sim.pod("short", tolerations=[{"key": "node.kubernetes.io/unreachable", "operator": "Exists",
                                         "effect": "NoExecute", "tolerationSeconds": 10}])
    await sim.pod("forever", tolerations=[{"operator": "Exists"}])
    await sim.advance(5)
    await sim.kubelet.fail_node("n1")
    await sim.settle()
    node = await sim.kube.get("v1", "Node", "n1")
    assert get_condition(node, "Ready")["status"] == "False"  # type: ignore[index]
    assert {"key": "node.kubernetes.io/unreachable", "effect": "NoExecute"}.items() <= node["spec"]["taints"][0].items()
    for name in ("default-toleration", "short", "forever"):
        assert not condition_true(await sim.get(name), "Ready"), name
    await sim.advance(10 + 31)
    with pytest.raises(NotFound):
        await sim.get("short")
    await sim.get("default-toleration")
    await sim.advance(300 - 41 + 31)
    with pytest.raises(NotFound):
        await sim.get("default-toleration")
    await sim.get("forever")
