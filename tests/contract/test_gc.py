"""Finalizers and owner-reference garbage collection, three levels deep, for every propagation policy."""

from __future__ import annotations

from grove.kube.client import KubeClient, Obj
from tests.contract.helpers import configmap, eventually, gone

FIN = "contract.grove.io/hold"


async def _chain(kube: KubeClient, ns: str, *, leaf_finalizer: bool = False) -> tuple[Obj, Obj, Obj]:
    """root ← mid ← leaf (each owned by the previous, blockOwnerDeletion on)."""
    root = await kube.create(configmap("root", ns))
    mid = await kube.create(configmap("mid", ns, owners=[root]))
    leaf = await kube.create(configmap("leaf", ns, owners=[mid], finalizers=[FIN] if leaf_finalizer else None))
    return root, mid, leaf


async def _all_gone(kube: KubeClient, ns: str, *names: str) -> bool:
    return all([await gone(kube, "v1", "ConfigMap", n, ns) for n in names])


async def test_finalizer_holds_delete_until_removed(kube: KubeClient, ns: str) -> None:
    await kube.create(configmap("held", ns, finalizers=[FIN]))
    still = await kube.delete("v1", "ConfigMap", "held", ns)
    assert still is not None and still["metadata"]["deletionTimestamp"]
    got = await kube.get("v1", "ConfigMap", "held", ns)
    assert got["metadata"]["deletionTimestamp"] and got["metadata"]["finalizers"] == [FIN]
    got["metadata"]["finalizers"] = []
    await kube.update(got)
    await eventually(lambda: gone(kube, "v1", "ConfigMap", "held", ns), what="held configmap removal")


async def test_background_gc_through_three_levels(kube: KubeClient, ns: str) -> None:
    await _chain(kube, ns)
    await kube.create(configmap("bystander", ns))
    assert await kube.delete("v1", "ConfigMap", "root", ns, propagation_policy="Background") is None
    await eventually(lambda: _all_gone(kube, ns, "root", "mid", "leaf"), what="background cascade")
    await kube.get("v1", "ConfigMap", "bystander", ns)


async def test_dependent_with_another_live_owner_survives(kube: KubeClient, ns: str) -> None:
    a = await kube.create(configmap("a", ns))
    b = await kube.create(configmap("b", ns))
    await kube.create(configmap("shared", ns, owners=[a, b]))
    await kube.delete("v1", "ConfigMap", "a", ns)

    async def only_b_left() -> bool:
        refs = (await kube.get("v1", "ConfigMap", "shared", ns))["metadata"].get("ownerReferences") or []
        return [r["name"] for r in refs] == ["b"]

    await eventually(only_b_left, what="dangling owner reference removed")


async def test_foreground_waits_for_blocking_dependents_through_three_levels(kube: KubeClient, ns: str) -> None:
    await _chain(kube, ns, leaf_finalizer=True)
    held = await kube.delete("v1", "ConfigMap", "root", ns, propagation_policy="Foreground")
    assert held is not None and "foregroundDeletion" in held["metadata"]["finalizers"]

    async def leaf_marked() -> bool:
        leaf = await kube.get("v1", "ConfigMap", "leaf", ns)
        return bool(leaf["metadata"].get("deletionTimestamp"))

    await eventually(leaf_marked, what="leaf marked for deletion")
    for name in ("root", "mid"):
        obj = await kube.get("v1", "ConfigMap", name, ns)
        assert obj["metadata"]["deletionTimestamp"], name
        assert "foregroundDeletion" in obj["metadata"]["finalizers"], name
    await kube.patch("v1", "ConfigMap", "leaf", {"metadata": {"finalizers": None}}, namespace=ns)
    await eventually(lambda: _all_gone(kube, ns, "root", "mid", "leaf"), what="foreground cascade")


async def test_orphan_keeps_dependents_and_strips_owner_reference(kube: KubeClient, ns: str) -> None:
    await _chain(kube, ns)
    await kube.delete("v1", "ConfigMap", "root", ns, propagation_policy="Orphan")
    await eventually(lambda: gone(kube, "v1", "ConfigMap", "root", ns), what="owner removal")

    async def mid_orphaned() -> bool:
        mid = await kube.get("v1", "ConfigMap", "mid", ns)
        return not mid["metadata"].get("ownerReferences")

    await eventually(mid_orphaned, what="owner reference stripped")
    leaf = await kube.get("v1", "ConfigMap", "leaf", ns)
    assert [r["name"] for r in leaf["metadata"]["ownerReferences"]] == ["mid"]
