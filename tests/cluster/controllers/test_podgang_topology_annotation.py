"""Spec §9.2: a PodGang carries ``grove.io/topology-name`` only while some constraint was translated (TAS on
and the ClusterTopologyBinding present); when the binding goes away the constraints become nil and the
annotation is removed from the live PodGang, not left behind for KAI to read."""

from __future__ import annotations

from grove.api import constants as c
from grove.sim.simulation import Simulation
from tests.builders import E2E_LEVELS, ctb, pcs
from tests.cluster.helpers import settle

NS = "default"


async def test_topology_annotation_follows_the_binding(sim: Simulation) -> None:
    await sim.client.create(ctb())
    await sim.client.create(pcs("topo", NS).clique("worker", 2).topology(required="rack").build())
    await settle(sim)
    gang = await sim.client.get(c.SCHEDULER_API_VERSION, c.KIND_PODGANG, "topo-0", NS)
    assert gang["metadata"]["annotations"][c.ANNOTATION_TOPOLOGY_NAME] == "grove-topology"
    assert gang["spec"]["topologyConstraint"]["packConstraint"]["required"] == dict(E2E_LEVELS)["rack"]

    await sim.client.delete("grove.io/v1alpha1", "ClusterTopologyBinding", "grove-topology")
    await settle(sim)
    gang = await sim.client.get(c.SCHEDULER_API_VERSION, c.KIND_PODGANG, "topo-0", NS)
    assert c.ANNOTATION_TOPOLOGY_NAME not in (gang["metadata"].get("annotations") or {})
    assert "topologyConstraint" not in gang["spec"]
