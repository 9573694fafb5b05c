"""Admission chain in the embedded cluster: order, mutation, rejection leaves no trace."""

from __future__ import annotations

import asyncio

import pytest

from grove.cluster import AdmissionRequest, EmbeddedCluster, UserInfo
from grove.kube.client import Obj
from grove.kube.clock import VirtualClock
from grove.kube.errors import Forbidden, Invalid, NotFound, StatusCause


def cm(name: str, **data: str) -> Obj:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "default"},
            "data": dict(data)}


async def test_mutating_runs_before_validating_and_sees_user() -> None:
    cluster = EmbeddedCluster(clock=VirtualClock(), seed=1)
    seen: list[tuple[str, str, str | None]] = []

    async def add_label(req: AdmissionRequest) -> Obj | None:
        assert req.object is not None
        req.object.setdefault("metadata", {}).setdefault("labels", {})["mutated"] = "yes"
        seen.append(("mutate", req.operation, req.user.username))
        return req.object

    async def require_label(req: AdmissionRequest) -> None:
        assert req.object is not None
        seen.append(("validate", req.operation, req.object["metadata"]["labels"].get("mutated")))

    cluster.add_mutating(add_label)
    cluster.add_validating(require_label)
    client = cluster.client_for(UserInfo(username="alice"))
    made = await client.create(cm("a"))
    assert made["metadata"]["labels"] == {"mutated": "yes"}
    assert seen == [("mutate", "CREATE", "alice"), ("validate", "CREATE", "yes")]


async def test_rejected_writes_change_nothing_not_even_the_resource_version() -> None:
    cluster = EmbeddedCluster(clock=VirtualClock(), seed=1)
    client = cluster.client
    original = await client.create(cm("keep", v="1"))
    rv_before = cluster.resource_version
    stream = client.watch("v1", "ConfigMap", "default", resource_version=str(rv_before))
    first_event = asyncio.ensure_future(stream.__anext__())
    await asyncio.sleep(0)  # the watch registers when first iterated

    async def reject_v2(req: AdmissionRequest) -> None:
        if req.operation == "DELETE":
            raise Forbidden("deletes are not allowed here")
        if req.object is not None and (req.object.get("data") or {}).get("v") == "2":
            raise Invalid("v may not be 2", causes=[StatusCause("data.v", "may not be 2")])

    cluster.add_validating(reject_v2)
    with pytest.raises(Invalid):
        await client.create(cm("new", v="2"))
    with pytest.raises(Invalid):
        await client.patch("v1", "ConfigMap", "keep", {"data": {"v": "2"}}, namespace="default")
    with pytest.raises(Forbidden):
        await client.delete("v1", "ConfigMap", "keep", "default")
    assert cluster.resource_version == rv_before
    assert await client.get("v1", "ConfigMap", "keep", "default") == original
    with pytest.raises(NotFound):
        await client.get("v1", "ConfigMap", "new", "default")
    cluster.emit_bookmarks()
    event = await asyncio.wait_for(first_event, 5)
    assert event["type"] == "BOOKMARK"  # no ADDED/MODIFIED/DELETED was ever queued
    assert event["object"]["metadata"]["resourceVersion"] == str(rv_before)


async def test_mutation_cannot_change_server_owned_metadata() -> None:
    cluster = EmbeddedCluster(clock=VirtualClock(), seed=1)

    async def meddle(req: AdmissionRequest) -> Obj | None:
        assert req.object is not None
        req.object["metadata"]["uid"] = "forged"
        req.object["metadata"]["resourceVersion"] = "999999"
        return req.object

    cluster.add_mutating(meddle)
    made = await cluster.client.create(cm("x"))
    assert made["metadata"]["uid"] != "forged"
    assert int(made["metadata"]["resourceVersion"]) == cluster.resource_version


async def test_scale_admission_sees_scale_objects() -> None:
    cluster = EmbeddedCluster(clock=VirtualClock(), seed=1)
    client = cluster.client
    await client.create({"apiVersion": "apps/v1", "kind": "Deployment",
                         "metadata": {"name": "d", "namespace": "default"},
                         "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "d"}}}})
    seen: list[tuple[str | None, int]] = []

    async def cap(req: AdmissionRequest) -> None:
        assert req.object is not None
        seen.append((req.subresource, req.object["spec"]["replicas"]))
        if req.object["spec"]["replicas"] > 3:
            raise Invalid("too many replicas")

    cluster.add_validating(cap)
    await client.update_scale("apps/v1", "Deployment", "d", 3, "default")
    with pytest.raises(Invalid):
        await client.update_scale("apps/v1", "Deployment", "d", 4, "default")
    assert seen == [("scale", 3), ("scale", 4)]
    scale = await client.get_scale("apps/v1", "Deployment", "d", "default")
    assert scale["spec"]["replicas"] == 3 and scale["status"]["selector"] == "app=d"
