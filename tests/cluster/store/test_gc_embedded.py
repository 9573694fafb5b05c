"""Embedded-only GC details: dangling owners at create time, graceful pods holding foreground owners."""

from __future__ import annotations

import pytest

from grove.cluster import EmbeddedCluster
from grove.kube.clock import VirtualClock
from grove.kube.errors import NotFound
from tests.contract.helpers import configmap, pod


async def test_object_created_with_only_missing_owners_is_collected() -> None:
    kube = EmbeddedCluster(clock=VirtualClock(), seed=2).client
    ghost = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ghost", "uid": "no-such-uid"}}
    await kube.create(configmap("orphaned-at-birth", "default", owners=[ghost]))
    with pytest.raises(NotFound):
        await kube.get("v1", "ConfigMap", "orphaned-at-birth", "default")


async def test_foreground_owner_waits_for_graceful_pod() -> None:
    kube = EmbeddedCluster(clock=VirtualClock(), seed=2).client
    owner = await kube.create(configmap("owner", "default"))
    body = pod("p", "default")
    body["metadata"]["ownerReferences"] = [{"apiVersion": "v1", "kind": "ConfigMap", "name": "owner",
                                            "uid": owner["metadata"]["uid"], "blockOwnerDeletion": True}]
    await kube.create(body)
    await kube.bind("default", "p", "n1")
    await kube.delete("v1", "ConfigMap", "owner", "default", propagation_policy="Foreground")
    terminating = await kube.get("v1", "Pod", "p", "default")
    assert terminating["metadata"]["deletionGracePeriodSeconds"] == 30
    assert (await kube.get("v1", "ConfigMap", "owner", "default"))["metadata"]["finalizers"] == ["foregroundDeletion"]
    await kube.delete("v1", "Pod", "p", "default", grace_period_seconds=0)  # the kubelet confirms
    with pytest.raises(NotFound):
        await kube.get("v1", "ConfigMap", "owner", "default")
