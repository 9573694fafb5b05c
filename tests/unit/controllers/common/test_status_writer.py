"""StatusWriter: a status computed while the informer cache lags behind this controller's own last write
is diffed against that write, so a flip back is never dropped (the lost update behind the auto-MNNVL
pod churn: a PodClique stuck at MinAvailableBreached=True while its pod was Ready)."""

from __future__ import annotations

import copy
from typing import Any

from grove.cluster.cluster import EmbeddedCluster
from grove.controllers.common.status_writer import KEEP, StatusWriter
from grove.kube.clock import VirtualClock

Obj = dict[str, Any]

API = "v1"


async def _pod(cluster: EmbeddedCluster) -> Obj:
    # a built-in kind with a status subresource: a Pod
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "default"},
           "spec": {"containers": [{"name": "c", "image": "x"}]}}
    return await cluster.client.create(pod)


def cond(status: str) -> dict[str, Any]:
    return {"conditions": [{"type": "Ready", "status": status, "lastTransitionTime": "2026-01-01T00:00:00Z"}]}


async def test_a_flip_back_against_a_stale_cache_is_written() -> None:
    cluster = EmbeddedCluster(clock=VirtualClock(), seed=1)
    await _pod(cluster)
    stale = await cluster.client.patch("v1", "Pod", "p", {"status": cond("False")}, namespace="default",
                                       subresource="status")  # what the cache holds: Ready=False
    writer = StatusWriter(cluster.client)
    assert await writer.write(stale, cond("True"))
    # the cache has not seen that write; the next computation flips the condition back to what the cache
    # shows: a diff against the cache would be empty, and the server would keep True
    assert await writer.write(copy.deepcopy(stale), cond("False"))
    live = await cluster.client.get("v1", "Pod", "p", "default")
    assert live["status"]["conditions"][0]["status"] == "False"


async def test_nothing_is_written_when_the_newest_known_status_already_matches() -> None:
    cluster = EmbeddedCluster(clock=VirtualClock(), seed=1)
    stale = await _pod(cluster)
    writer = StatusWriter(cluster.client)
    assert await writer.write(stale, cond("True"))
    assert not await writer.write(copy.deepcopy(stale), cond("True"))  # stale cache, but our write holds it


async def test_the_cache_wins_once_it_caught_up_or_the_object_was_replaced() -> None:
    cluster = EmbeddedCluster(clock=VirtualClock(), seed=1)
    stale = await _pod(cluster)
    writer = StatusWriter(cluster.client)
    await writer.write(stale, cond("True"))
    fresh = await cluster.client.get("v1", "Pod", "p", "default")
    assert writer.newest(fresh) is fresh
    other = {**fresh, "metadata": {**fresh["metadata"], "uid": "another", "resourceVersion": "1"}}
    assert writer.newest(other) is other


async def test_memory_is_bounded() -> None:
    cluster = EmbeddedCluster(clock=VirtualClock(), seed=1)
    writer = StatusWriter(cluster.client)
    obj = await _pod(cluster)
    for i in range(KEEP + 5):
        writer._written[("default", f"p{i}")] = obj  # as many objects as a big cluster's writes
    await writer.write(copy.deepcopy(obj), cond("True"))
    assert len(writer._written) <= KEEP
