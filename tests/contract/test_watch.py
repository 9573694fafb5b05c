"""Watch: resume from a resourceVersion, selector transitions, bookmarks and 410 Gone."""

from __future__ import annotations

import pytest

from grove.kube.client import KubeClient
from grove.kube.errors import Gone
from tests.contract.conftest import Backend
from tests.contract.helpers import collect, configmap, next_event


async def test_watch_resumes_after_resource_version(kube: KubeClient, ns: str) -> None:
    first = await kube.create(configmap("w1", ns))
    await kube.create(configmap("w2", ns))
    await kube.patch("v1", "ConfigMap", "w1", {"data": {"k": "changed"}}, namespace=ns)
    await kube.delete("v1", "ConfigMap", "w2", ns)
    stream = kube.watch("v1", "ConfigMap", ns, resource_version=first["metadata"]["resourceVersion"])
    try:
        events = await collect(stream, 3)
    finally:
        await stream.aclose()  # type: ignore[attr-defined]
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [
        ("ADDED", "w2"), ("MODIFIED", "w1"), ("DELETED", "w2")]
    rvs = [int(e["object"]["metadata"]["resourceVersion"]) for e in events]
    assert rvs == sorted(rvs) and rvs[0] > int(first["metadata"]["resourceVersion"])


async def test_label_selector_watch_sees_objects_enter_and_leave(kube: KubeClient, ns: str) -> None:
    listed = await kube.list("v1", "ConfigMap", ns, label_selector="tier=web")
    stream = kube.watch("v1", "ConfigMap", ns, resource_version=listed.resource_version,
                        label_selector="tier=web")
    try:
        await kube.create(configmap("other", ns, labels={"tier": "db"}))
        await kube.create(configmap("site", ns, labels={"tier": "web"}))
        await kube.patch("v1", "ConfigMap", "other", {"metadata": {"labels": {"tier": "web"}}}, namespace=ns)
        await kube.patch("v1", "ConfigMap", "site", {"metadata": {"labels": {"tier": "db"}}}, namespace=ns)
        events = await collect(stream, 3)
    finally:
        await stream.aclose()  # type: ignore[attr-defined]
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [
        ("ADDED", "site"), ("ADDED", "other"), ("DELETED", "site")]


async def test_field_selector_watch(kube: KubeClient, ns: str) -> None:
    listed = await kube.list("v1", "ConfigMap", ns)
    stream = kube.watch("v1", "ConfigMap", ns, resource_version=listed.resource_version,
                        field_selector="metadata.name=pick")
    try:
        await kube.create(configmap("skip", ns))
        await kube.create(configmap("pick", ns))
        [event] = await collect(stream, 1)
    finally:
        await stream.aclose()  # type: ignore[attr-defined]
    assert event["type"] == "ADDED" and event["object"]["metadata"]["name"] == "pick"


async def test_bookmark_carries_current_resource_version(backend: Backend, kube: KubeClient, ns: str) -> None:
    if backend.emit_bookmarks is None:
        pytest.skip(f"{backend.name}: bookmarks cannot be requested on demand")
    listed = await kube.list("v1", "ConfigMap", ns)
    stream = kube.watch("v1", "ConfigMap", ns, resource_version=listed.resource_version, allow_bookmarks=True)
    try:
        made = await kube.create(configmap("b", ns))
        assert (await next_event(stream))["type"] == "ADDED"
        backend.emit_bookmarks()
        bookmark = await next_event(stream)
    finally:
        await stream.aclose()  # type: ignore[attr-defined]
    assert bookmark["type"] == "BOOKMARK"
    assert int(bookmark["object"]["metadata"]["resourceVersion"]) >= int(made["metadata"]["resourceVersion"])


async def test_watch_timeout_ends_stream(kube: KubeClient, ns: str) -> None:
    listed = await kube.list("v1", "ConfigMap", ns)
    stream = kube.watch("v1", "ConfigMap", ns, resource_version=listed.resource_version, timeout_seconds=1)
    seen = [e async for e in stream]
    assert all(e["type"] == "BOOKMARK" for e in seen)


async def test_too_old_resource_version_is_gone(backend: Backend, kube: KubeClient, ns: str) -> None:
    if backend.compact is None:
        pytest.skip(f"{backend.name}: compaction cannot be forced, so 410 cannot be provoked")
    old = await kube.create(configmap("old", ns))
    await kube.patch("v1", "ConfigMap", "old", {"data": {"k": "2"}}, namespace=ns)
    backend.compact()
    with pytest.raises(Gone):
        await next_event(kube.watch("v1", "ConfigMap", ns, resource_version=old["metadata"]["resourceVersion"]))
