"""G1 details: the token-Secret wait (off in the embedded cluster, on for real ones) and stray HPAs."""

from __future__ import annotations

import base64
from dataclasses import replace

from grove.api import constants as c
from grove.sim.simulation import Simulation
from tests.cluster.helpers import ROOMY, StartSim, live_pods, load_sample, names, settle


async def test_waiting_for_the_token_holds_podcliques_until_it_is_filled(start_sim: StartSim) -> None:
    sim = await start_sim(replace(ROOMY, wait_for_sa_token=True))
    await sim.client.create(load_sample("simple/simple1.yaml"))
    await settle(sim, 20)
    assert await names(sim, "v1", "Secret", "simple1") == ["simple1-ic-sat"]
    assert await names(sim, "v1", "Service", "simple1") == ["simple1-0"], "the rest of G1 still runs"
    assert await names(sim, c.API_VERSION, c.KIND_PCLQ, "simple1") == []
    assert await names(sim, c.SCHEDULER_API_VERSION, c.KIND_PODGANG, "simple1") == []
    # what the token controller does in a real cluster
    await sim.client.patch("v1", "Secret", "simple1-ic-sat",
                           {"data": {"token": base64.b64encode(b"t").decode()}}, namespace="default")
    await settle(sim, 20)
    assert len(await live_pods(sim, "simple1")) == 9


async def test_hpa_of_a_removed_autoscaling_config_is_deleted(sim: Simulation) -> None:
    await sim.client.create(load_sample("simple/simple1.yaml"))
    await settle(sim)
    assert await names(sim, "autoscaling/v2", "HorizontalPodAutoscaler", "simple1") == ["simple1-0-pca",
                                                                                     "simple1-0-sga"]
    live = await sim.client.get(c.API_VERSION, c.KIND_PCS, "simple1", "default")
    for clique in live["spec"]["template"]["cliques"]:
        clique["spec"].pop("autoScalingConfig", None)
    await sim.client.update(live)
    await settle(sim)
    assert await names(sim, "autoscaling/v2", "HorizontalPodAutoscaler", "simple1") == ["simple1-0-sga"]
    hpa = await sim.client.get("autoscaling/v2", "HorizontalPodAutoscaler", "simple1-0-sga", "default")
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": c.API_VERSION, "kind": c.KIND_PCSG,
                                             "name": "simple1-0-sga"}
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (1, 6)
