"""simple1 on a small CPU-only cluster with the fake kubelet's default (1 s) delays: every pod is bound to
one of the three nodes and the PodCliqueSet becomes available."""

from __future__ import annotations

from grove.api import constants as c
from grove.sim.nodes import uniform_nodes
from grove.sim.simulation import SimOptions
from tests.cluster.helpers import StartSim, listed, live_pods, load_sample, settle

CPU_NODE = {"cpu": "8", "memory": "32Gi", "pods": "110"}


async def test_simple1_with_gang_scheduler_and_kubelet(start_sim: StartSim) -> None:
    sim = await start_sim(SimOptions(objects=tuple(uniform_nodes(3, CPU_NODE, prefix="gpu-"))))
    await sim.client.create(load_sample("simple/simple1.yaml"))
    await settle(sim, 60)
    pods = await live_pods(sim, "simple1")
    assert len(pods) == 9
    assert all(p["spec"].get("nodeName", "").startswith("gpu-") for p in pods)
    (pcs,) = await listed(sim, c.API_VERSION, c.KIND_PCS)
    assert pcs["status"]["availableReplicas"] == 1
