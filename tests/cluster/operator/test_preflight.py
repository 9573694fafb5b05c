"""Operator start-up checks (spec §10.3 exit codes 3, 5 and 7) against the embedded cluster's API: an
unserved ComputeDomain kind, a Volcano without subGroupPolicy, or a ClusterTopologyBinding whose KAI
Topology cannot be synced stops start-up with the code and a message naming the setting or binding; a
capable cluster passes."""

from __future__ import annotations

from typing import Any

import pytest

from grove.api.crds.generate import generate_crds
from grove.api.models.config import OperatorConfiguration
from grove.cluster import EmbeddedCluster
from grove.kube.clock import VirtualClock
from grove.operator.preflight import (
    EXIT_BACKEND_INIT,
    EXIT_MNNVL,
    EXIT_TOPOLOGY_SYNC,
    PreflightError,
    check_mnnvl,
    init_scheduler_backends,
    run_preflight,
)
from grove.runtime.events import EventRecorder
from tests.builders import E2E_LEVELS, ctb, third_party_crd


def _config(**body: Any) -> OperatorConfiguration:
    return OperatorConfiguration.model_validate({"apiVersion": "operator.config.grove.io/v1alpha1",
                                                 "kind": "OperatorConfiguration", **body})


COMPUTE_DOMAIN_CRD = third_party_crd("resource.nvidia.com", "ComputeDomain", "v1beta1")
VOLCANO_OLD = third_party_crd("scheduling.volcano.sh", "PodGroup", "v1beta1", spec_props={"minMember": {"type": "integer"}})
VOLCANO_NEW = third_party_crd("scheduling.volcano.sh", "PodGroup", "v1beta1",
                              spec_props={"minMember": {"type": "integer"},
                                          "subGroupPolicy": {"type": "array", "items": {"type": "object"}}})
MNNVL_ON = {"network": {"autoMNNVLEnabled": True}}
VOLCANO_ON = {"scheduler": {"profiles": [{"name": "default-scheduler"}, {"name": "volcano"}]}}


@pytest.fixture
def cluster() -> EmbeddedCluster:
    return EmbeddedCluster(clock=VirtualClock())


async def test_mnnvl_needs_the_compute_domain_kind(cluster: EmbeddedCluster) -> None:
    await check_mnnvl(cluster.client, _config())  # off: nothing is checked
    with pytest.raises(PreflightError) as err:
        await check_mnnvl(cluster.client, _config(**MNNVL_ON))
    assert err.value.code == EXIT_MNNVL == 7
    assert "network.autoMNNVLEnabled" in str(err.value) and "computedomains" in str(err.value)
    await cluster.client.create(COMPUTE_DOMAIN_CRD)
    await check_mnnvl(cluster.client, _config(**MNNVL_ON))


@pytest.mark.parametrize("installed", [None, VOLCANO_OLD], ids=["no-volcano-crd", "volcano-before-1.14"])
async def test_volcano_profile_needs_subgroup_policy(cluster: EmbeddedCluster, installed: dict[str, Any] | None
                                                     ) -> None:
    if installed is not None:
        await cluster.client.create(installed)
    config = _config(**VOLCANO_ON)
    recorder = EventRecorder(cluster.client, cluster.clock, "grove-operator")
    with pytest.raises(PreflightError) as err:
        await init_scheduler_backends(cluster.client, config, recorder)
    assert err.value.code == EXIT_BACKEND_INIT == 5
    assert "Volcano 1.14" in str(err.value) and "podgroups.scheduling.volcano.sh" in str(err.value)
    events = (await cluster.client.list("v1", "Event", "default")).items
    assert [(e["type"], e["reason"], e["involvedObject"]["name"]) for e in events] == [
        ("Warning", "VolcanoCapabilityUnavailable", "podgroups.scheduling.volcano.sh")]


async def test_capable_cluster_passes_every_check(cluster: EmbeddedCluster) -> None:
    await run_preflight(cluster.client, _config())  # defaults: no MNNVL, no volcano: nothing to check
    for crd in (COMPUTE_DOMAIN_CRD, VOLCANO_NEW):
        await cluster.client.create(crd)
    await run_preflight(cluster.client, _config(**MNNVL_ON, **VOLCANO_ON))
    assert not (await cluster.client.list("v1", "Event", "default")).items


KAI_ON = {"scheduler": {"profiles": [{"name": "default-scheduler"}, {"name": "kai-scheduler"}]}}
KAI_TOPOLOGY_CRD = third_party_crd("kai.scheduler", "Topology", "v1alpha1", scope="Cluster")


async def test_topology_sync_failure_exits_3_and_success_creates_the_topology(cluster: EmbeddedCluster) -> None:
    for crd in generate_crds():
        await cluster.client.create(crd)
    await run_preflight(cluster.client, _config(**KAI_ON))  # no binding yet: nothing to sync, no KAI needed
    await cluster.client.create(ctb())
    with pytest.raises(PreflightError) as err:
        await run_preflight(cluster.client, _config(**KAI_ON))
    assert err.value.code == EXIT_TOPOLOGY_SYNC == 3
    assert "grove-topology" in str(err.value) and "kai-scheduler" in str(err.value)
    await cluster.client.create(KAI_TOPOLOGY_CRD)
    await run_preflight(cluster.client, _config(**KAI_ON))
    topology = await cluster.client.get("kai.scheduler/v1alpha1", "Topology", "grove-topology")
    assert [lv["nodeLabel"] for lv in topology["spec"]["levels"]] == [key for _, key in E2E_LEVELS]
