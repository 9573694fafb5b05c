"""Topology-aware placement on the embedded e2e cluster: every upstream tas-*.yaml applied unchanged with
the ``grove-topology`` ClusterTopologyBinding (zone/block/rack/host); after settling, every required pack
of every PodGang (gang, group config, PodGroup, and the PCS-level coupling of scaled gangs to their base
gang) holds on the bound pods, nodes are not over-committed, and an unsatisfiable constraint leaves the
gang Pending with an Unschedulable event that names the failed pack."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest
import yaml

from grove.api import constants as c
from grove.api.quantity import resource_amount
from grove.scheduler.snapshot import pod_requests
from tests.cluster.helpers import StartSim, settle
from tests.pack_checks import required_pack_report

from .scenario import E2E_DIR, E2E_SHAPE, GangScenario

DATA = Path(__file__).resolve().parents[2] / "data"
TAS_FILES = sorted(p.name for p in E2E_DIR.glob("tas-*.yaml"))
UNSATISFIABLE = {"tas-insuffic.yaml": "kubernetes.io/rack"}
NOT_HERE = {
    "tas-topology-condition.yaml": "replicas 0 and a CTB created later: a PCS condition test, nothing to place",
}
NVL_BLOCK = "example.com/nvl-block"
NODES_PER_NVL_BLOCK = 4
"""gb200-topology packs ``block`` on an NVLink-domain label the e2e node shape lacks; like upstream's
multi-topology test, label the nodes first (4 hosts per NVLink domain here)."""


async def label_nvl_blocks(t: GangScenario) -> None:
    for name in await t.workers():
        index = int(name.rsplit("-", 1)[1])
        await t.client.patch("v1", "Node", name,
                             {"metadata": {"labels": {NVL_BLOCK: f"nvl-{index // NODES_PER_NVL_BLOCK}"}}})


@pytest.fixture
async def t(start_sim: StartSim) -> GangScenario:
    sim = await start_sim(E2E_SHAPE)
    for name in ("e2e-topology.yaml", "e2e-multi-topology.yaml"):
        for doc in yaml.safe_load_all((DATA / name).read_text()):
            if doc:
                await sim.client.create(doc)
    await settle(sim)
    return GangScenario(sim)


async def pack_violations(t: GangScenario) -> list[str]:
    client = t.client
    nodes = {n["metadata"]["name"]: n for n in (await client.list("v1", "Node")).items}
    pods = {p["metadata"]["name"]: p for p in await t.pods()}
    gangs = (await client.list(c.SCHEDULER_API_VERSION, c.KIND_PODGANG, "default")).items
    problems = required_pack_report(gangs, pods, nodes).problems
    where = {name: nodes[p["spec"]["nodeName"]] for name, p in pods.items() if p["spec"].get("nodeName")}
    used: dict[str, int] = defaultdict(int)
    for name, node in where.items():
        used[node["metadata"]["name"]] += pod_requests(pods[name]).get("memory", 0)
    for node_name, amount in used.items():
        cap = resource_amount("memory", nodes[node_name]["status"]["allocatable"]["memory"])
        if amount > cap:
            problems.append(f"{node_name} over memory: {amount} > {cap}")
    return problems


@pytest.mark.parametrize("yaml_name", TAS_FILES)
async def test_tas_required_packs_hold(t: GangScenario, yaml_name: str) -> None:
    if yaml_name in NOT_HERE:
        pytest.skip(f"{yaml_name}: {NOT_HERE[yaml_name]}")
    if yaml_name == "tas-multi-topology-gb200.yaml":
        await label_nvl_blocks(t)
    await t.apply(yaml_name)
    counts = await t.counts()
    assert counts["total"] > 0
    assert await pack_violations(t) == []
    if yaml_name in UNSATISFIABLE:
        await t.expect(pending=counts["total"], running=0, unschedulable_events=True)
        for pod in await t.pods():
            event = await t.latest_event(pod)
            assert event is not None
            assert f"pack required: {UNSATISFIABLE[yaml_name]}" in event["message"], event["message"]
    else:
        await t.expect(running=counts["total"], ready=counts["total"], pending=0)
