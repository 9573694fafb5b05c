"""The ClusterTopologyBinding controller on the embedded cluster (spec §5.4, §10.2 KAI Topology), with a
``topologies.kai.scheduler`` CRD installed: a binding gets its KAI Topology (owner reference, levels),
a level change recreates it, deleting the binding garbage-collects it, an administrator's Topology of the
same name is refused, a bound Topology is only checked for drift; the ``SchedulerTopologyDrift``
condition and the TopologyInSync / TopologyDriftDetected events follow. Without the CRD the binding
reports it is out of sync and nothing crashes; the start-up sync (:func:`sync_all_topologies`) creates
the Topologies before any controller runs, or fails naming the binding."""

from __future__ import annotations

from typing import Any

import pytest

from grove.api import constants as c
from grove.api.models.config import (
    OperatorConfiguration,
    SchedulerConfig,
    SchedulerProfile,
    TopologyAwareScheduling,
)
from grove.controllers.clustertopology.planner import KAI_TOPOLOGY_API_VERSION, KIND_TOPOLOGY
from grove.controllers.clustertopology.reconciler import NAME
from grove.controllers.clustertopology.sync import TopologySyncError, sync_all_topologies
from grove.kube.errors import NotFound
from grove.runtime.handlers import Request
from grove.sim.simulation import SimOptions, Simulation
from tests.builders import third_party_crd
from tests.cluster.helpers import STAGE_FAST, StartSim, settle

Obj = dict[str, Any]
KEYS = ["topology.kubernetes.io/zone", "kubernetes.io/rack", "kubernetes.io/hostname"]

TOPOLOGY_CRD: Obj = third_party_crd("kai.scheduler", "Topology", "v1alpha1", scope="Cluster")


def binding(name: str = "grove-topology", keys: list[str] | None = None,
            bindings: list[tuple[str, str]] | None = None) -> Obj:
    spec: Obj = {"levels": [{"domain": d, "key": k} for d, k in zip(("zone", "rack", "host"), keys or KEYS,
                                                                     strict=False)]}
    if bindings:
        spec["schedulerTopologyBindings"] = [{"schedulerName": s, "topologyReference": r} for s, r in bindings]
    return {"apiVersion": c.API_VERSION, "kind": c.KIND_CTB, "metadata": {"name": name}, "spec": spec}


def kai_topology(name: str, keys: list[str]) -> Obj:
    return {"apiVersion": KAI_TOPOLOGY_API_VERSION, "kind": KIND_TOPOLOGY, "metadata": {"name": name},
            "spec": {"levels": [{"nodeLabel": k} for k in keys]}}


def config(*profiles: str) -> OperatorConfiguration:
    return OperatorConfiguration(
        topology_aware_scheduling=TopologyAwareScheduling(enabled=True),
        scheduler=SchedulerConfig(profiles=[SchedulerProfile(name=p) for p in profiles],
                                  default_profile_name=profiles[0]))


async def start(start_sim: StartSim, *objects: Obj, crd: bool = True,
                cfg: OperatorConfiguration | None = None) -> Simulation:
    return await start_sim(SimOptions(kubelet=STAGE_FAST, config=cfg, serve_scheduler_kinds=crd,
                                      objects=((TOPOLOGY_CRD,) if crd else ()) + objects))


async def get_topology(sim: Simulation, name: str = "grove-topology") -> Obj | None:
    try:
        return await sim.client.get(KAI_TOPOLOGY_API_VERSION, KIND_TOPOLOGY, name)
    except NotFound:
        return None


async def get_ctb(sim: Simulation, name: str = "grove-topology") -> Obj:
    return await sim.client.get(c.API_VERSION, c.KIND_CTB, name)


def drift(ctb: Obj) -> Obj:
    (cond,) = [x for x in ctb["status"]["conditions"] if x["type"] == c.COND_SCHEDULER_TOPOLOGY_DRIFT]
    return cond


async def ctb_events(sim: Simulation, name: str = "grove-topology") -> list[tuple[str, str, int]]:
    items = (await sim.client.list("v1", "Event")).items
    return [(e["type"], e["reason"], e.get("count", 1)) for e in items
            if e["involvedObject"]["kind"] == c.KIND_CTB and e["involvedObject"]["name"] == name]


def levels(topology: Obj) -> list[str]:
    return [lvl["nodeLabel"] for lvl in topology["spec"]["levels"]]


async def test_a_binding_gets_its_kai_topology_owned_by_it_and_reports_in_sync(start_sim: StartSim) -> None:
    sim = await start(start_sim, binding())
    ctb = await get_ctb(sim)
    topo = await get_topology(sim)
    assert topo is not None
    assert levels(topo) == KEYS
    (ref,) = topo["metadata"]["ownerReferences"]
    assert (ref["kind"], ref["name"], ref["uid"], ref["controller"]) == (
        c.KIND_CTB, "grove-topology", ctb["metadata"]["uid"], True)
    assert ctb["status"]["observedGeneration"] == ctb["metadata"]["generation"]
    assert ctb["status"]["schedulerTopologyStatuses"] == [
        {"schedulerName": c.SCHEDULER_KAI, "topologyReference": "grove-topology", "inSync": True}]
    assert (drift(ctb)["status"], drift(ctb)["reason"]) == ("False", "InSync")
    assert await ctb_events(sim) == [("Normal", "TopologyInSync", 1)]


async def test_a_second_reconcile_writes_nothing(start_sim: StartSim) -> None:
    sim = await start(start_sim, binding())
    ctrl = sim.manager.controllers[NAME]
    runs, rv = ctrl.reconciles_total, sim.cluster.resource_version
    ctrl.queue.add(Request(None, "grove-topology"))
    await settle(sim)
    assert ctrl.reconciles_total == runs + 1
    assert ctrl.errors_total == 0
    assert sim.cluster.resource_version == rv, "no write at all"


async def test_changing_the_levels_recreates_the_topology(start_sim: StartSim) -> None:
    sim = await start(start_sim, binding())
    old = await get_topology(sim)
    assert old is not None
    await sim.client.patch(c.API_VERSION, c.KIND_CTB, "grove-topology",
                           {"spec": {"levels": [{"domain": "rack", "key": KEYS[1]},
                                                {"domain": "host", "key": KEYS[2]}]}})
    await settle(sim)
    new = await get_topology(sim)
    assert new is not None
    assert levels(new) == KEYS[1:]
    assert new["metadata"]["uid"] != old["metadata"]["uid"], "KAI levels are immutable: a new object"
    ctb = await get_ctb(sim)
    assert ctb["status"]["observedGeneration"] == ctb["metadata"]["generation"] == 2
    assert drift(ctb)["status"] == "False"
    assert await ctb_events(sim) == [("Normal", "TopologyInSync", 1)], "no transition, no new event"


async def test_deleting_the_binding_garbage_collects_its_topology(start_sim: StartSim) -> None:
    sim = await start(start_sim, binding(), binding("other", keys=KEYS[:2]))
    assert await get_topology(sim) is not None and await get_topology(sim, "other") is not None
    await sim.client.delete(c.API_VERSION, c.KIND_CTB, "grove-topology")
    await settle(sim)
    assert await get_topology(sim) is None
    assert await get_topology(sim, "other") is not None, "only the deleted binding's Topology goes"


async def test_a_deleted_topology_is_recreated(start_sim: StartSim) -> None:
    sim = await start(start_sim, binding())
    old = await get_topology(sim)
    assert old is not None
    await sim.client.delete(KAI_TOPOLOGY_API_VERSION, KIND_TOPOLOGY, "grove-topology")
    await settle(sim)
    new = await get_topology(sim)
    assert new is not None and new["metadata"]["uid"] != old["metadata"]["uid"]
    assert levels(new) == KEYS


async def test_an_unowned_topology_is_refused_until_it_goes(start_sim: StartSim) -> None:
    admin = kai_topology("grove-topology", ["admin/label"])
    sim = await start(start_sim, admin, binding())
    topo = await get_topology(sim)
    assert topo is not None and levels(topo) == ["admin/label"], "never taken over"
    assert "ownerReferences" not in topo["metadata"]
    ctb = await get_ctb(sim)
    (entry,) = ctb["status"]["schedulerTopologyStatuses"]
    assert entry["inSync"] is False
    assert "is not owned by ClusterTopologyBinding grove-topology" in entry["message"]
    assert "observedGeneration" not in ctb["status"], "observedGeneration moves only on success"
    assert (drift(ctb)["status"], drift(ctb)["reason"]) == ("True", "Drift")
    assert await ctb_events(sim) == [("Warning", "TopologyDriftDetected", 1)]
    assert sim.manager.controllers[NAME].errors_total == 0, "not retried on a timer"

    await sim.client.delete(KAI_TOPOLOGY_API_VERSION, KIND_TOPOLOGY, "grove-topology")
    await settle(sim)  # the Topology watch reconciles the binding of the same name
    topo = await get_topology(sim)
    assert topo is not None and levels(topo) == KEYS
    ctb = await get_ctb(sim)
    assert (drift(ctb)["status"], drift(ctb)["reason"]) == ("False", "InSync")
    assert ctb["status"]["observedGeneration"] == 1
    assert await ctb_events(sim) == [("Warning", "TopologyDriftDetected", 1), ("Normal", "TopologyInSync", 1)]


async def test_a_bound_topology_is_only_checked_for_drift(start_sim: StartSim) -> None:
    admin = kai_topology("admin-topology", KEYS[:2])
    sim = await start(start_sim, admin, binding(bindings=[(c.SCHEDULER_KAI, "admin-topology")]))
    assert await get_topology(sim) is None, "no auto-managed Topology for a bound backend"
    ctb = await get_ctb(sim)
    (entry,) = ctb["status"]["schedulerTopologyStatuses"]
    assert entry == {"schedulerName": c.SCHEDULER_KAI, "topologyReference": "admin-topology", "inSync": False,
                     "schedulerBackendTopologyObservedGeneration": 1,
                     "message": "KAI Topology levels differ from ClusterTopologyBinding levels"}
    assert drift(ctb)["status"] == "True"
    assert ctb["status"]["observedGeneration"] == 1, "a drift is a successful check"

    await sim.client.patch(KAI_TOPOLOGY_API_VERSION, KIND_TOPOLOGY, "admin-topology",
                           {"spec": {"levels": [{"nodeLabel": k} for k in KEYS]}})
    await settle(sim)  # the Topology watch maps the admin's object to the binding that names it
    ctb = await get_ctb(sim)
    (entry,) = ctb["status"]["schedulerTopologyStatuses"]
    assert entry["inSync"] is True and entry["schedulerBackendTopologyObservedGeneration"] == 2
    assert (drift(ctb)["status"], drift(ctb)["reason"]) == ("False", "InSync")
    assert await ctb_events(sim) == [("Warning", "TopologyDriftDetected", 1), ("Normal", "TopologyInSync", 1)]
    topo = await get_topology(sim, "admin-topology")
    assert topo is not None and "ownerReferences" not in topo["metadata"], "left to its administrator"


async def test_a_missing_bound_topology_is_drift(start_sim: StartSim) -> None:
    sim = await start(start_sim, binding(bindings=[(c.SCHEDULER_KAI, "nowhere")]))
    (entry,) = (await get_ctb(sim))["status"]["schedulerTopologyStatuses"]
    assert (entry["inSync"], entry["message"]) == (False, "KAI Topology 'nowhere' not found")


async def test_without_the_kai_topology_crd_the_binding_says_so(start_sim: StartSim) -> None:
    sim = await start(start_sim, binding(), crd=False)
    ctb = await get_ctb(sim)
    (entry,) = ctb["status"]["schedulerTopologyStatuses"]
    assert entry["inSync"] is False
    assert "does not serve kai.scheduler/v1alpha1 Topology" in entry["message"]
    assert (drift(ctb)["status"], drift(ctb)["reason"]) == ("True", "Drift")
    assert "observedGeneration" not in ctb["status"]
    assert await ctb_events(sim) == [("Warning", "TopologyDriftDetected", 1)]
    ctrl = sim.manager.controllers[NAME]
    assert ctrl.errors_total == 0
    assert all(inf.key.kind != KIND_TOPOLOGY for inf in sim.manager.informers), "no watch on an unserved kind"


async def test_without_a_kai_profile_there_is_no_controller_and_no_topology(start_sim: StartSim) -> None:
    sim = await start(start_sim, binding(), cfg=config(c.SCHEDULER_GROVE, c.SCHEDULER_DEFAULT))
    assert NAME not in sim.manager.controllers
    assert await get_topology(sim) is None
    assert "status" not in await get_ctb(sim)


# --- start-up sync ------------------------------------------------------------------------------------------

NO_KAI = config(c.SCHEDULER_GROVE, c.SCHEDULER_DEFAULT)
WITH_KAI = config(c.SCHEDULER_GROVE, c.SCHEDULER_DEFAULT, c.SCHEDULER_KAI)


async def test_startup_sync_creates_every_auto_managed_topology(start_sim: StartSim) -> None:
    sim = await start(start_sim, cfg=WITH_KAI)
    await sim.manager.stop()  # the operator before its controllers start
    for ctb in (binding("a"), binding("b", keys=KEYS[:1]), binding("c", bindings=[(c.SCHEDULER_KAI, "admin")])):
        await sim.client.create(ctb)
    await sync_all_topologies(sim.client, WITH_KAI.model_copy(update={
        "topology_aware_scheduling": TopologyAwareScheduling(enabled=False)}))  # whatever the TAS flag says
    a, b = await get_topology(sim, "a"), await get_topology(sim, "b")
    assert a is not None and levels(a) == KEYS
    assert b is not None and levels(b) == KEYS[:1]
    assert a["metadata"]["ownerReferences"][0]["uid"] == (await get_ctb(sim, "a"))["metadata"]["uid"]
    assert await get_topology(sim, "c") is None, "a bound backend is not synced"
    rv = sim.cluster.resource_version
    await sync_all_topologies(sim.client, WITH_KAI)
    assert sim.cluster.resource_version == rv, "in sync: no write"


async def test_startup_sync_fails_naming_the_binding(start_sim: StartSim) -> None:
    sim = await start(start_sim, kai_topology("a", KEYS), binding("a"), cfg=NO_KAI)
    with pytest.raises(TopologySyncError, match=r"failed to sync topology a for backend kai-scheduler: .*not owned"):
        await sync_all_topologies(sim.client, WITH_KAI)


async def test_startup_sync_fails_when_the_kind_is_not_served(start_sim: StartSim) -> None:
    sim = await start(start_sim, binding("a"), crd=False, cfg=NO_KAI)
    with pytest.raises(TopologySyncError, match=r"does not serve kai\.scheduler/v1alpha1 Topology"):
        await sync_all_topologies(sim.client, WITH_KAI)
    await sync_all_topologies(sim.client, NO_KAI)  # no topology-keeping profile: nothing to do


async def test_startup_sync_with_no_bindings_needs_no_kai_crd(start_sim: StartSim) -> None:
    sim = await start(start_sim, crd=False, cfg=NO_KAI)
    await sync_all_topologies(sim.client, WITH_KAI)
