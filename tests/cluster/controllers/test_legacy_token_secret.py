"""Migration of the init-container token Secret's old name (spec §5.1, §12.9): once ``<pcs>-ic-sat`` is
ready, ``<pcs>-initc-sa-token-secret`` is deleted if the PodCliqueSet controls it and no pod mounts it;
one that a pod still mounts, or that someone else owns, is kept."""

from __future__ import annotations

from typing import Any

import pytest

from grove.api import constants as c
from grove.kube.errors import NotFound
from grove.sim.simulation import Simulation
from tests.builders import pcs
from tests.cluster.helpers import settle

NS = "default"
LEGACY = "mig-initc-sa-token-secret"
MANAGED = {"app.kubernetes.io/managed-by": "grove-operator", "app.kubernetes.io/part-of": "mig"}


def _secret(owner: dict[str, Any] | None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": LEGACY, "namespace": NS, "labels": dict(MANAGED)}
    if owner is not None:
        meta["ownerReferences"] = [{"apiVersion": c.API_VERSION, "kind": c.KIND_PCS, "name": owner["metadata"]["name"],
                                    "uid": owner["metadata"]["uid"], "controller": True}]
    return {"apiVersion": "v1", "kind": "Secret", "metadata": meta, "type": "Opaque", "data": {"token": "eA=="}}


async def _legacy_exists(sim: Simulation) -> bool:
    try:
        await sim.client.get("v1", "Secret", LEGACY, NS)
    except NotFound:
        return False
    return True


async def _start(sim: Simulation) -> dict[str, Any]:
    await sim.client.create(pcs("mig", NS).clique("w", 1).build())
    await settle(sim)
    return await sim.client.get(c.API_VERSION, c.KIND_PCS, "mig", NS)


async def test_an_owned_unmounted_legacy_secret_is_deleted(sim: Simulation) -> None:
    owner = await _start(sim)
    await sim.client.create(_secret(owner))
    await settle(sim)
    assert not await _legacy_exists(sim)
    assert await sim.client.get("v1", "Secret", "mig-ic-sat", NS)
    events = [e["reason"] for e in (await sim.client.list("v1", "Event", NS)).items
              if e["involvedObject"]["name"] == "mig"]
    assert "LegacyTokenSecretDeleted" in events


@pytest.mark.parametrize("case", ["mounted", "not-owned"])
async def test_a_mounted_or_foreign_legacy_secret_is_kept(sim: Simulation, case: str) -> None:
    owner = await _start(sim)
    if case == "mounted":
        await sim.client.create({"apiVersion": "v1", "kind": "Pod",
                                 "metadata": {"name": "old-pod", "namespace": NS, "labels": dict(MANAGED)},
                                 "spec": {"containers": [{"name": "c", "image": "busybox"}],
                                          "volumes": [{"name": "t", "secret": {"secretName": LEGACY}}]}})
    await sim.client.create(_secret(owner if case == "mounted" else None))
    await sim.client.patch(c.API_VERSION, c.KIND_PCS, "mig", {"spec": {"replicas": 2}}, namespace=NS)
    await settle(sim)
    assert await _legacy_exists(sim)
