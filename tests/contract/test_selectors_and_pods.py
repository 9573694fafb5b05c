"""List selectors, pod binding and pod graceful deletion."""

from __future__ import annotations

import contextlib

import pytest

from grove.kube.client import KubeClient
from grove.kube.errors import Conflict, NotFound
from tests.contract.helpers import configmap, eventually, gone, pod


async def _names(kube: KubeClient, ns: str, **selectors: str) -> list[str]:
    listed = (await kube.list("v1", "ConfigMap", ns, **selectors)).items  # type: ignore[arg-type]
    # a real cluster's root-ca-cert-publisher puts kube-root-ca.crt into every namespace
    return [o["metadata"]["name"] for o in listed if o["metadata"]["name"] != "kube-root-ca.crt"]


async def test_label_selectors(kube: KubeClient, ns: str) -> None:
    await kube.create(configmap("a", ns, labels={"app": "x", "tier": "web"}))
    await kube.create(configmap("b", ns, labels={"app": "y", "tier": "db"}))
    await kube.create(configmap("c", ns, labels={"app": "z"}))
    assert await _names(kube, ns, label_selector="app=x") == ["a"]
    assert await _names(kube, ns, label_selector="app!=x") == ["b", "c"]
    assert await _names(kube, ns, label_selector="tier in (web,db)") == ["a", "b"]
    assert await _names(kube, ns, label_selector="tier notin (web)") == ["b", "c"]
    assert await _names(kube, ns, label_selector="tier") == ["a", "b"]
    assert await _names(kube, ns, label_selector="!tier") == ["c"]
    assert await _names(kube, ns, label_selector="app in (x,y),tier=db") == ["b"]


async def test_field_selectors(kube: KubeClient, ns: str) -> None:
    await kube.create(configmap("a", ns))
    await kube.create(configmap("b", ns))
    assert await _names(kube, ns, field_selector="metadata.name=b") == ["b"]
    assert await _names(kube, ns, field_selector="metadata.name!=b") == ["a"]
    everywhere = await kube.list("v1", "ConfigMap", field_selector=f"metadata.namespace={ns}")
    assert sorted(o["metadata"]["name"] for o in everywhere.items if o["metadata"]["name"] != "kube-root-ca.crt"
                  ) == ["a", "b"]


async def test_binding_sets_node_once(kube: KubeClient, ns: str) -> None:
    made = await kube.create(pod("p", ns))
    assert not made["spec"].get("nodeName")
    await kube.bind(ns, "p", "node-a", pod_uid=made["metadata"]["uid"])
    bound = await kube.get("v1", "Pod", "p", ns)
    assert bound["spec"]["nodeName"] == "node-a"
    assert any(c["type"] == "PodScheduled" and c["status"] == "True" for c in bound["status"]["conditions"])
    with pytest.raises(Conflict):
        await kube.bind(ns, "p", "node-b")
    on_a = await kube.list("v1", "Pod", ns, field_selector="spec.nodeName=node-a")
    assert [p["metadata"]["name"] for p in on_a.items] == ["p"]


async def test_unbound_pod_is_removed_at_once(kube: KubeClient, ns: str) -> None:
    await kube.create(pod("u", ns))
    await kube.delete("v1", "Pod", "u", ns)
    await eventually(lambda: gone(kube, "v1", "Pod", "u", ns), what="unbound pod removal")


async def test_bound_pod_waits_for_grace_zero_confirmation(kube: KubeClient, ns: str) -> None:
    # The node must exist (a real cluster's pod GC force-deletes pods bound to missing nodes) and have no
    # kubelet (KWOK only manages nodes annotated kwok.x-k8s.io/node=fake), so nobody confirms the delete.
    node = f"no-kubelet-{ns}"
    await kube.create({"apiVersion": "v1", "kind": "Node", "metadata": {"name": node},
                       "spec": {"unschedulable": True}})
    try:
        await kube.create(pod("g", ns, grace=600))
        await kube.bind(ns, "g", node)
        still = await kube.delete("v1", "Pod", "g", ns)
        assert still is not None
        assert still["metadata"]["deletionGracePeriodSeconds"] == 600 and still["metadata"]["deletionTimestamp"]
        got = await kube.get("v1", "Pod", "g", ns)
        assert got["metadata"]["deletionTimestamp"]
        await kube.delete("v1", "Pod", "g", ns, grace_period_seconds=0)
        with pytest.raises(NotFound):
            await kube.get("v1", "Pod", "g", ns)
    finally:
        with contextlib.suppress(NotFound):
            await kube.delete("v1", "Node", node)
