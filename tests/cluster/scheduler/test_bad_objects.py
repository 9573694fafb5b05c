"""One bad object never stalls the gang scheduler: with a garbage pod and a garbage Node in the store
(written past API validation, as a store the scheduler does not control could hold them), every other
gang is still placed and each bad object carries a Warning event naming what is wrong. The embedded
API server itself refuses such objects, as kube-apiserver does."""

from __future__ import annotations

from typing import Any

import pytest

from grove.api import constants as c
from grove.cluster.lifecycle import POD
from grove.kube.errors import Invalid
from grove.sim.simulation import Simulation
from tests.cluster.helpers import ROOMY, StartSim, load_sample, settle

NODE = ("", "Node")


def garbage_pod() -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "garbage", "namespace": "default", "uid": "uid-garbage-pod",
                         "creationTimestamp": "2026-01-01T00:00:00Z"},
            "spec": {"schedulerName": c.SCHEDULER_GROVE,
                     "containers": [{"name": "c", "image": "i", "resources": {"requests": {"cpu": "lots"}}}]},
            "status": {"phase": "Pending"}}


def garbage_node() -> dict[str, Any]:
    res = {"cpu": "a-lot", "memory": "1Gi", "pods": "110"}
    return {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": "garbage-node", "uid": "uid-garbage-node", "labels": {"type": "sim"},
                         "creationTimestamp": "2026-01-01T00:00:00Z"},
            "spec": {}, "status": {"capacity": res, "allocatable": res,
                                   "conditions": [{"type": "Ready", "status": "True"}]}}


async def warnings_on(sim: Simulation, name: str) -> list[dict[str, Any]]:
    events = (await sim.client.list("v1", "Event")).items
    return [e for e in events if e["involvedObject"]["name"] == name and e["type"] == "Warning"]


async def test_garbage_pod_and_node_are_skipped_and_reported(start_sim: StartSim) -> None:
    sim = await start_sim(ROOMY)
    sim.cluster.store.put(POD, garbage_pod())
    sim.cluster.store.put(NODE, garbage_node())
    for sample in ("simple/simple1.yaml", "user-guide/01_core-concepts/single-node-aggregated.yaml"):
        await sim.client.create(load_sample(sample))
    await settle(sim)
    pods = (await sim.client.list("v1", "Pod", "default")).items
    placed = [p for p in pods if p["metadata"]["name"] != "garbage"]
    assert placed and all(p["spec"].get("nodeName") not in (None, "garbage-node") for p in placed)
    assert await sim.all_ready()
    (pod_event,) = await warnings_on(sim, "garbage")
    assert pod_event["reason"] == "FailedScheduling"
    assert "not scheduled: invalid resource quantity" in pod_event["message"] and "'lots'" in pod_event["message"]
    (node_event,) = await warnings_on(sim, "garbage-node")
    assert node_event["reason"] == "InvalidNodeStatus" and "'a-lot'" in node_event["message"]


@pytest.mark.parametrize(("body", "field", "message"), [
    (garbage_pod(), "spec.containers[0].resources.requests[cpu]", "quantities must match"),
    ({**garbage_pod(), "spec": {"containers": [{"name": "c", "image": "i",
                                                "resources": {"requests": {"cpu": "-1"}}}]}},
     "spec.containers[0].resources.requests[cpu]", 'Invalid value: "-1": must be greater than or equal to 0'),
    ({**garbage_pod(), "spec": {"containers": [{"name": "c", "image": "i", "resources": {
        "requests": {"memory": "2Gi"}, "limits": {"memory": "1Gi"}}}]}},
     "spec.containers[0].resources.requests", "must be less than or equal to memory limit of 1Gi"),
    ({**garbage_pod(), "spec": {"containers": [{"name": "Bad Name", "image": "i"}]}},
     "spec.containers[0].name", "a lowercase RFC 1123 label"),
    ({**garbage_pod(), "spec": {"containers": [{"name": "c", "image": ""}]}}, "spec.containers[0].image",
     "Required value"),
    ({**garbage_pod(), "spec": {"containers": []}}, "spec.containers", "Required value"),
    (garbage_node(), "status.capacity[cpu]", "quantities must match"),
])
async def test_embedded_api_server_refuses_what_kube_apiserver_refuses(
        start_sim: StartSim, body: dict[str, Any], field: str, message: str) -> None:
    sim = await start_sim()
    body = {**body, "metadata": {k: v for k, v in body["metadata"].items() if k not in ("uid",)}}
    with pytest.raises(Invalid) as err:
        await sim.client.create(body)
    causes = {cause.field: cause for cause in err.value.causes}
    assert field in causes, err.value.causes
    assert message in causes[field].message and causes[field].reason.startswith("FieldValue")
    assert f'{body["kind"]} "{body["metadata"]["name"]}" is invalid: ' in err.value.message
