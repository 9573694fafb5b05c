"""Spec §5: reconcile failures go to ``status.lastErrors`` and a later success clears them, so a stuck object
says why on ``kubectl get -o yaml``. Conflicts (optimistic-lock retries) are not failures."""

from __future__ import annotations

from typing import Any

import pytest

from grove.api import constants as c
from grove.api.crds.generate import generate_crds
from grove.cluster import EmbeddedCluster
from grove.controllers.common.last_errors import recording_last_errors
from grove.kube.clock import VirtualClock
from grove.kube.errors import Conflict, Forbidden
from grove.runtime.handlers import Request
from grove.sim.simulation import Simulation
from tests.builders import pcs
from tests.cluster.helpers import settle

NS = "default"


def _template(name: str) -> dict[str, object]:
    return {"apiVersion": "resource.k8s.io/v1", "kind": "ResourceClaimTemplate",
            "metadata": {"name": name, "namespace": NS},
            "spec": {"spec": {"devices": {"requests": [{"name": "gpu", "exactly": {
                "deviceClassName": "gpu.nvidia.com", "count": 1}}]}}}}


async def test_a_failing_pcs_says_why_until_it_recovers(sim: Simulation) -> None:
    body = pcs("shared", NS).clique("worker", 1).share("gpus", namespace=NS).build()
    await sim.client.create(body)
    await settle(sim)
    status = (await sim.client.get(c.API_VERSION, c.KIND_PCS, "shared", NS)).get("status") or {}
    (err,) = status["lastErrors"]
    assert err["code"] == "ERR_TemplateNotFoundError"
    assert err["description"] == "ResourceClaimTemplate default/gpus not found" and err["observedAt"]

    await sim.client.create(_template("gpus"))
    await sim.advance(60)  # the failed key is retried with backoff
    await settle(sim)
    status = (await sim.client.get(c.API_VERSION, c.KIND_PCS, "shared", NS)).get("status") or {}
    assert "lastErrors" not in status
    assert await sim.client.get("resource.k8s.io/v1", "ResourceClaim", "shared-all-gpus", NS)


async def test_api_errors_are_coded_by_reason_and_conflicts_are_not_recorded() -> None:
    cluster = EmbeddedCluster(clock=VirtualClock())
    for crd in generate_crds():
        await cluster.client.create(crd)
    await cluster.client.create(pcs("p", NS).clique("w", 1).build())
    seen: dict[str, dict[str, object]] = {}  # the controller's cache, refreshed before each reconcile

    def lookup(ns: str | None, name: str) -> dict[str, object] | None:
        return seen.get(name)

    outcome: list[BaseException | None] = []

    async def reconcile(_req: Request) -> None:
        if outcome[-1] is not None:
            raise outcome[-1]

    wrapped = recording_last_errors(reconcile, client=cluster.client, clock=cluster.clock, lookup=lookup,
                                    api_version=c.API_VERSION, kind=c.KIND_PCS)

    async def status() -> dict[str, Any]:
        seen["p"] = await cluster.client.get(c.API_VERSION, c.KIND_PCS, "p", NS)
        return dict(seen["p"].get("status") or {})

    await status()

    outcome.append(Conflict("the object has been modified"))
    with pytest.raises(Conflict):
        await wrapped(Request(NS, "p"))
    assert "lastErrors" not in await status()
    outcome.append(Forbidden('pods is forbidden: User "grove" cannot create resource "pods"'))
    with pytest.raises(Forbidden):
        await wrapped(Request(NS, "p"))
    (err,) = (await status())["lastErrors"]
    assert err["code"] == "ERR_Forbidden" and "cannot create resource" in err["description"]
    version = seen["p"]["metadata"]["resourceVersion"]
    await cluster.clock.advance(30)
    with pytest.raises(Forbidden):  # the same failure again: no status write, first observedAt kept
        await wrapped(Request(NS, "p"))
    assert (await status())["lastErrors"] == [err] and seen["p"]["metadata"]["resourceVersion"] == version
    outcome.append(None)
    await wrapped(Request(NS, "p"))
    assert "lastErrors" not in await status()
