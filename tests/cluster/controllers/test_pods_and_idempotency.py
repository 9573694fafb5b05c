"""Pods as the env-demo samples document them, zero-write re-reconciles, and no duplicate pods when the
pod watch is slow (expectations)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest

from grove.api import constants as c
from grove.kube.client import KubeClient, WatchEvent
from grove.sim.simulation import Simulation
from tests.cluster.controllers.test_samples import SAMPLES, apply
from tests.cluster.helpers import (
    ROOMY,
    StartSim,
    listed,
    live_pods,
    load_sample,
    reconcile_everything,
    settle,
)

ENV_DIR = "user-guide/03_environment-variables-for-pod-discovery"


def env_of(container: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container.get("env") or []}


def label_ref(key: str) -> dict[str, Any]:
    return {"fieldRef": {"fieldPath": f"metadata.labels['{key}']"}}


async def test_standalone_env_vars_hostnames_and_fqdn(sim: Simulation) -> None:
    name = await apply(sim, f"{ENV_DIR}/standalone-env-vars.yaml")
    pods = sorted(await live_pods(sim, name), key=lambda p: p["spec"]["hostname"])
    assert [p["spec"]["hostname"] for p in pods] == [f"{name}-0-frontend-0", f"{name}-0-frontend-1"]
    pod0 = pods[0]
    assert pod0["spec"]["subdomain"] == f"{name}-0"
    assert pod0["metadata"]["labels"][c.LABEL_POD_INDEX] == "0"
    env = env_of(pod0["spec"]["containers"][0])
    assert env["GROVE_PCS_NAME"] == name
    assert env["GROVE_PCS_INDEX"] == "0"
    assert env["GROVE_PCLQ_NAME"] == f"{name}-0-frontend"
    assert env["GROVE_HEADLESS_SERVICE"] == f"{name}-0.default.svc.cluster.local"
    assert env["GROVE_PCLQ_POD_INDEX"] == label_ref(c.LABEL_POD_INDEX)
    fqdn = f"{pod0['spec']['hostname']}.{env['GROVE_HEADLESS_SERVICE']}"  # hostname.subdomain.ns.svc...
    assert fqdn == f"{name}-0-frontend-0.{name}-0.default.svc.cluster.local"
    (svc,) = await listed(sim, "v1", "Service", part_of=name)
    assert svc["spec"]["clusterIP"] == "None"
    assert svc["spec"]["selector"][c.LABEL_PCS_REPLICA_INDEX] == "0"


async def test_pcsg_env_vars(sim: Simulation) -> None:
    name = await apply(sim, f"{ENV_DIR}/pcsg-env-vars.yaml")
    pods = await live_pods(sim, name)
    leader = next(p for p in pods if p["spec"]["hostname"] == f"{name}-0-model-instance-0-leader-0")
    env = env_of(leader["spec"]["containers"][0])
    assert env["GROVE_PCLQ_NAME"] == f"{name}-0-model-instance-0-leader"
    assert env["GROVE_PCSG_NAME"] == label_ref(c.LABEL_PCSG)
    assert leader["metadata"]["labels"][c.LABEL_PCSG] == f"{name}-0-model-instance"
    assert env["GROVE_PCSG_INDEX"] == label_ref(c.LABEL_PCSG_REPLICA_INDEX)
    assert leader["metadata"]["labels"][c.LABEL_PCSG_REPLICA_INDEX] == "0"
    assert env["GROVE_PCSG_TEMPLATE_NUM_PODS"] == "4"
    names = list(env)
    assert names[:5] == ["GROVE_PCS_NAME", "GROVE_PCS_INDEX", "GROVE_PCLQ_NAME", "GROVE_HEADLESS_SERVICE",
                         "GROVE_PCLQ_POD_INDEX"]
    leader_fqdn = f"{leader['spec']['hostname']}.{leader['spec']['subdomain']}.default.svc.cluster.local"
    assert leader_fqdn == f"{name}-0-model-instance-0-leader-0.{name}-0.default.svc.cluster.local"
    workers = [p for p in pods if p["metadata"]["labels"][c.LABEL_PODCLIQUE].endswith("-1-worker")]
    assert {p["metadata"]["labels"][c.LABEL_PODGANG] for p in workers} == {f"{name}-0-model-instance-0"}


@pytest.mark.parametrize("rel", [s[0] for s in SAMPLES if s[1] in ("simple1", "simple3", "mn-disagg")])
async def test_settled_world_reconciles_with_zero_writes(sim: Simulation, rel: str) -> None:
    await apply(sim, rel)
    rv = sim.cluster.resource_version
    reconciles = await reconcile_everything(sim)
    assert reconciles >= 5
    assert sim.cluster.resource_version == rv, "a settled world must not be written again"


class SlowPodWatch:
    """Delegates to the cluster client, but holds every Pod watch event until ``release``."""

    def __init__(self, inner: KubeClient) -> None:
        self.inner = inner
        self.open = asyncio.Event()
        self.open.set()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def watch(self, api_version: str, kind: str, *args: Any, **kwargs: Any) -> AsyncIterator[WatchEvent]:
        stream = self.inner.watch(api_version, kind, *args, **kwargs)
        return self._held(stream) if kind == "Pod" else stream

    async def _held(self, stream: AsyncIterator[WatchEvent]) -> AsyncIterator[WatchEvent]:
        async for event in stream:
            await self.open.wait()
            yield event


async def test_slow_pod_watch_never_duplicates_pods(start_sim: StartSim) -> None:
    slow: list[SlowPodWatch] = []

    def wrap(inner: KubeClient) -> SlowPodWatch:
        slow.append(SlowPodWatch(inner))
        return slow[0]

    sim = await start_sim(replace(ROOMY, client_wrapper=wrap))
    slow[0].open.clear()
    await sim.client.create(load_sample("simple/simple1.yaml"))
    await settle(sim, 30)
    for _ in range(3):  # reconcile every PodClique again while no pod has been seen
        assert await reconcile_everything(sim) > 0
    assert len(await listed(sim, "v1", "Pod", part_of="simple1")) == 9
    slow[0].open.set()
    await settle(sim)
    pods = await live_pods(sim, "simple1")
    assert len(pods) == 9
    hostnames = [p["spec"]["hostname"] for p in pods]
    assert len(set(hostnames)) == 9
    assert all(not p["spec"].get("schedulingGates") for p in pods)
