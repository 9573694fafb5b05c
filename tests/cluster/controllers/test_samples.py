"""Every upstream sample settles to the objects of scenarios.md §4, and the documented scale steps work."""

from __future__ import annotations

import pytest

from grove.api import constants as c
from grove.sim.simulation import Simulation
from tests.cluster.helpers import listed, live_pods, load_sample, settle

RBAC = "rbac.authorization.k8s.io/v1"

# sample path, PCS name, PCLQs, PCSGs, pods, PodGangs, HPAs
SAMPLES = [
    ("simple/simple1.yaml", "simple1", 4, 1, 9, 1, 2),
    ("simple/simple2-explicit-startup-order.yaml", "simple2", 4, 0, 9, 1, 1),
    ("simple/simple3-explicit-startup-order.yaml", "simple3", 11, 1, 23, 2, 2),
    ("user-guide/01_core-concepts/single-node-aggregated.yaml", "single-node-aggregated", 1, 0, 2, 1, 0),
    ("user-guide/01_core-concepts/single-node-disaggregated.yaml", "single-node-disaggregated", 2, 0, 5, 1, 0),
    ("user-guide/01_core-concepts/multi-node-aggregated.yaml", "multinode-aggregated", 4, 1, 8, 2, 0),
    ("user-guide/01_core-concepts/multi-node-disaggregated.yaml", "multinode-disaggregated", 6, 2, 13, 2, 0),
    ("user-guide/01_core-concepts/complete-inference-pipeline.yaml", "comp-inf-ppln", 6, 2, 11, 1, 0),
    ("user-guide/02_pod-and-resource-naming-conventions/multinode-disaggregated-with-frontend.yaml",
     "mn-disagg", 7, 2, 13, 2, 0),
    ("user-guide/03_environment-variables-for-pod-discovery/standalone-env-vars.yaml", "env-demo-standalone",
     1, 0, 2, 1, 0),
    ("user-guide/03_environment-variables-for-pod-discovery/pcsg-env-vars.yaml", "env-demo-pcsg", 4, 1, 8, 2, 0),
]


async def apply(sim: Simulation, rel: str) -> str:
    pcs = load_sample(rel)
    await sim.client.create(pcs)
    await settle(sim)
    return str(pcs["metadata"]["name"])


async def counts(sim: Simulation, name: str) -> dict[str, int]:
    return {
        "pclq": len(await listed(sim, c.API_VERSION, c.KIND_PCLQ, part_of=name)),
        "pcsg": len(await listed(sim, c.API_VERSION, c.KIND_PCSG, part_of=name)),
        "pods": len(await live_pods(sim, name)),
        "podgang": len(await listed(sim, c.SCHEDULER_API_VERSION, c.KIND_PODGANG, part_of=name)),
        "svc": len(await listed(sim, "v1", "Service", part_of=name)),
        "hpa": len(await listed(sim, "autoscaling/v2", "HorizontalPodAutoscaler", part_of=name)),
        "sa": len(await listed(sim, "v1", "ServiceAccount", part_of=name)),
        "role": len(await listed(sim, RBAC, "Role", part_of=name)),
        "rb": len(await listed(sim, RBAC, "RoleBinding", part_of=name)),
        "secret": len(await listed(sim, "v1", "Secret", part_of=name)),
    }


@pytest.mark.parametrize(("rel", "name", "pclqs", "pcsgs", "pods", "gangs", "hpas"), SAMPLES,
                         ids=[s[1] for s in SAMPLES])
async def test_sample_settles_to_documented_objects(sim: Simulation, rel: str, name: str, pclqs: int, pcsgs: int,
                                                    pods: int, gangs: int, hpas: int) -> None:
    assert await apply(sim, rel) == name
    assert await counts(sim, name) == {"pclq": pclqs, "pcsg": pcsgs, "pods": pods, "podgang": gangs, "svc": 1,
                                      "hpa": hpas, "sa": 1, "role": 1, "rb": 1, "secret": 1}
    live = await live_pods(sim, name)
    assert all(not p["spec"].get("schedulingGates") for p in live), "every pod released from its gate"
    for gang in await listed(sim, c.SCHEDULER_API_VERSION, c.KIND_PODGANG, part_of=name):
        conds = {cd["type"]: cd["status"] for cd in gang["status"]["conditions"]}
        assert conds["Initialized"] == "True", gang["metadata"]["name"]
    (pcs,) = await listed(sim, c.API_VERSION, c.KIND_PCS, selector=None)
    assert pcs["status"]["availableReplicas"] == 1
    assert pcs["status"]["observedGeneration"] == pcs["metadata"]["generation"]
    assert c.FINALIZER_PCS in pcs["metadata"]["finalizers"]
