"""End to end with the real gang scheduler and fake kubelet (instead of MiniNode): simple1 comes up."""

from __future__ import annotations

import pytest

from grove.api import constants as c
from tests.cluster.controllers.harness import Operator, load_sample

binder = pytest.importorskip("grove.scheduler.binder", reason="gang scheduler not available")
kubelet_mod = pytest.importorskip("grove.cluster.kubelet", reason="fake kubelet not available")


async def test_simple1_with_gang_scheduler_and_kubelet() -> None:
    op = Operator(auto_ready=False)
    binder.setup_scheduler(op.manager, config=op.config)
    kubelet = kubelet_mod.FakeKubelet(op.cluster.client, op.clock)
    for i in range(3):
        await op.cluster.client.create({
            "apiVersion": "v1", "kind": "Node", "metadata": {"name": f"gpu-{i}", "labels": {}},
        })
        await op.cluster.client.patch("v1", "Node", f"gpu-{i}", {"status": {
            "capacity": {"cpu": "8", "memory": "32Gi", "pods": "110"},
            "allocatable": {"cpu": "8", "memory": "32Gi", "pods": "110"},
            "conditions": [{"type": "Ready", "status": "True"}]}}, subresource="status")
    await op.start()
    kubelet.start()
    try:
        await op.cluster.client.create(load_sample("simple/simple1.yaml"))
        await op.settle(horizon=60)
        pods = await op.live_pods("simple1")
        assert len(pods) == 9
        assert all(p["spec"].get("nodeName", "").startswith("gpu-") for p in pods)
        (pcs,) = await op.list(c.API_VERSION, c.KIND_PCS)
        assert pcs["status"]["availableReplicas"] == 1
    finally:
        await kubelet.stop()
        await op.stop()
