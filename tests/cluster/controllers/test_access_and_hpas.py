"""G1 details: the token-Secret wait (off in the embedded cluster, on for real ones) and stray HPAs."""

from __future__ import annotations

import base64

from grove.api import constants as c
from tests.cluster.controllers.harness import Operator, load_sample


async def test_waiting_for_the_token_holds_podcliques_until_it_is_filled() -> None:
    op = Operator(wait_for_sa_token=True)
    await op.start()
    try:
        await op.cluster.client.create(load_sample("simple/simple1.yaml"))
        await op.settle(horizon=20)
        assert await op.names("v1", "Secret", "simple1") == ["simple1-ic-sat"]
        assert await op.names("v1", "Service", "simple1") == ["simple1-0"], "the rest of G1 still runs"
        assert await op.names(c.API_VERSION, c.KIND_PCLQ, "simple1") == []
        assert await op.names(c.SCHEDULER_API_VERSION, c.KIND_PODGANG, "simple1") == []
        # what the token controller does in a real cluster
        await op.cluster.client.patch("v1", "Secret", "simple1-ic-sat",
                                      {"data": {"token": base64.b64encode(b"t").decode()}}, namespace="default")
        await op.settle(horizon=20)
        assert len(await op.live_pods("simple1")) == 9
    finally:
        await op.stop()


async def test_hpa_of_a_removed_autoscaling_config_is_deleted(op: Operator) -> None:
    await op.cluster.client.create(load_sample("simple/simple1.yaml"))
    await op.settle()
    assert await op.names("autoscaling/v2", "HorizontalPodAutoscaler", "simple1") == ["simple1-0-pca",
                                                                                     "simple1-0-sga"]
    live = await op.cluster.client.get(c.API_VERSION, c.KIND_PCS, "simple1", "default")
    for clique in live["spec"]["template"]["cliques"]:
        clique["spec"].pop("autoScalingConfig", None)
    await op.cluster.client.update(live)
    await op.settle()
    assert await op.names("autoscaling/v2", "HorizontalPodAutoscaler", "simple1") == ["simple1-0-sga"]
    hpa = await op.cluster.client.get("autoscaling/v2", "HorizontalPodAutoscaler", "simple1-0-sga", "default")
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": c.API_VERSION, "kind": c.KIND_PCSG,
                                             "name": "simple1-0-sga"}
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (1, 6)
