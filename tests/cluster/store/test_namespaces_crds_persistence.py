"""Embedded-only behaviour: namespace lifecycle, CRD serving, SQLite persistence, determinism."""

from __future__ import annotations

from pathlib import Path

import pytest

from grove.cluster import EmbeddedCluster
from grove.kube.clock import VirtualClock
from grove.kube.errors import Forbidden, Gone, Invalid, NotFound
from tests.contract.helpers import WIDGET, WIDGET_CRD, configmap, widget


async def test_namespace_deletion_removes_contents_and_waits_for_finalizers() -> None:
    cluster = EmbeddedCluster(clock=VirtualClock(), seed=3)
    kube = cluster.client
    with pytest.raises(NotFound):
        await kube.create(configmap("a", "team"))
    await kube.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}})
    await kube.create(configmap("a", "team"))
    await kube.create(configmap("held", "team", finalizers=["example.com/hold"]))
    await kube.create(configmap("elsewhere", "default"))
    ns = await kube.delete("v1", "Namespace", "team")
    assert ns is not None and ns["status"]["phase"] == "Terminating"
    with pytest.raises(Forbidden):
        await kube.create(configmap("late", "team"))
    with pytest.raises(NotFound):
        await kube.get("v1", "ConfigMap", "a", "team")
    await kube.patch("v1", "ConfigMap", "held", {"metadata": {"finalizers": None}}, namespace="team")
    with pytest.raises(NotFound):
        await kube.get("v1", "Namespace", "team")
    await kube.get("v1", "ConfigMap", "elsewhere", "default")
    with pytest.raises(Forbidden):
        await kube.delete("v1", "Namespace", "default")


async def test_crd_serves_kinds_until_deleted_and_takes_instances_along() -> None:
    cluster = EmbeddedCluster(clock=VirtualClock(), seed=3)
    kube = cluster.client
    with pytest.raises(NotFound):
        await kube.create(widget("w", "default"))
    crd = await kube.create(WIDGET_CRD)
    assert any(c["type"] == "Established" and c["status"] == "True" for c in crd["status"]["conditions"])
    await kube.create(widget("w", "default"))
    await kube.delete("apiextensions.k8s.io/v1", "CustomResourceDefinition", "widgets.contract.grove.io")
    with pytest.raises(NotFound):
        await kube.get("apiextensions.k8s.io/v1", "CustomResourceDefinition", "widgets.contract.grove.io")
    with pytest.raises(NotFound):
        await kube.list(*WIDGET)


async def test_sqlite_persistence_survives_restart(tmp_path: Path) -> None:
    path = str(tmp_path / "cluster.db")
    first = EmbeddedCluster(clock=VirtualClock(), path=path, seed=5)
    await first.client.create(WIDGET_CRD)
    await first.client.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "keep"}})
    made = await first.client.create(widget("w", "keep", replicas=4))
    await first.client.create(configmap("gone-soon", "keep"))
    await first.client.delete("v1", "ConfigMap", "gone-soon", "keep")
    rv = first.resource_version
    first.close()

    second = EmbeddedCluster(clock=VirtualClock(), path=path, seed=5)
    assert second.resource_version == rv
    got = await second.client.get(*WIDGET, "w", "keep")
    assert got == made
    with pytest.raises(NotFound):
        await second.client.get("v1", "ConfigMap", "gone-soon", "keep")
    after = await second.client.create(configmap("next", "keep"))
    assert int(after["metadata"]["resourceVersion"]) == rv + 1
    with pytest.raises(Gone):
        await second.client.watch("v1", "ConfigMap", "keep", resource_version=str(rv - 1)).__anext__()
    second.close()


async def test_same_seed_same_names_and_uids() -> None:
    async def run() -> list[tuple[str, str]]:
        kube = EmbeddedCluster(clock=VirtualClock(), seed=42).client
        out = []
        for _ in range(3):
            obj = await kube.create({"apiVersion": "v1", "kind": "ConfigMap",
                                     "metadata": {"generateName": "x-", "namespace": "default"}})
            out.append((obj["metadata"]["name"], obj["metadata"]["uid"]))
        return out

    assert await run() == await run()


async def test_crds_can_be_updated_and_unqualified_finalizers_are_refused_on_core_kinds_only() -> None:
    """A served CRD carries the apiextensions cleanup finalizer, so updating it (re-applying a manifest)
    must pass metadata validation; the "standard finalizer name" rule is core validation's, not generic."""
    cluster = EmbeddedCluster(clock=VirtualClock(), seed=3)
    kube = cluster.client
    crd = await kube.create(WIDGET_CRD)
    assert crd["metadata"]["finalizers"] == ["customresourcecleanup.apiextensions.k8s.io"]
    crd["metadata"]["labels"] = {"touched": "yes"}
    updated = await kube.update(crd)
    assert updated["metadata"]["labels"] == {"touched": "yes"}
    with pytest.raises(Invalid, match="neither a standard finalizer name nor is it fully qualified"):
        await kube.create(configmap("cm", "default", finalizers=["hold"]))
    made = await kube.create({**widget("w", "default"), "metadata": {"name": "w", "namespace": "default",
                                                                     "finalizers": ["hold"]}})
    assert made["metadata"]["finalizers"] == ["hold"]
