"""Builders and real-time polling helpers for the contract tests (no virtual time: a real server too)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from grove.kube.client import KubeClient, Obj, WatchEvent
from grove.kube.errors import NotFound

WIDGET = ("contract.grove.io/v1", "Widget")

WIDGET_CRD: Obj = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.contract.grove.io"},
    "spec": {
        "group": "contract.grove.io",
        "scope": "Namespaced",
        "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "listKind": "WidgetList",
                  "shortNames": ["wdg"]},
        "versions": [{
            "name": "v1", "served": True, "storage": True,
            "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                "spec": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}}},
            "subresources": {"status": {}, "scale": {
                "specReplicasPath": ".spec.replicas", "statusReplicasPath": ".status.replicas",
                "labelSelectorPath": ".status.selector"}},
        }],
    },
}


def widget(name: str, ns: str, *, replicas: int = 1, labels: dict[str, str] | None = None) -> Obj:
    md: dict[str, Any] = {"name": name, "namespace": ns}
    if labels:
        md["labels"] = labels
    return {"apiVersion": WIDGET[0], "kind": WIDGET[1], "metadata": md, "spec": {"replicas": replicas}}


def configmap(name: str, ns: str, *, owners: list[Obj] | None = None, labels: dict[str, str] | None = None,
              finalizers: list[str] | None = None, block: bool = True) -> Obj:
    md: dict[str, Any] = {"name": name, "namespace": ns}
    if owners:
        md["ownerReferences"] = [{"apiVersion": o["apiVersion"], "kind": o["kind"], "name": o["metadata"]["name"],
                                  "uid": o["metadata"]["uid"], "blockOwnerDeletion": block} for o in owners]
    if labels:
        md["labels"] = labels
    if finalizers:
        md["finalizers"] = finalizers
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": md, "data": {"k": name}}


def pod(name: str, ns: str, *, grace: int | None = None, labels: dict[str, str] | None = None) -> Obj:
    # bound by the tests themselves: no scheduler may race them (a real kube-scheduler would set
    # PodScheduled=False on these untolerated pods right after a test's binding)
    spec: dict[str, Any] = {"schedulerName": "contract-tests-bind-by-hand",
                            "containers": [{"name": "main", "image": "registry.k8s.io/pause:3.10"}]}
    if grace is not None:
        spec["terminationGracePeriodSeconds"] = grace
    md: dict[str, Any] = {"name": name, "namespace": ns}
    if labels:
        md["labels"] = labels
    return {"apiVersion": "v1", "kind": "Pod", "metadata": md, "spec": spec}


async def eventually(check: Callable[[], Awaitable[bool]], *, timeout: float = 15.0,
                     interval: float = 0.05, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while True:
        if await check():
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(interval)


async def gone(kube: KubeClient, api_version: str, kind: str, name: str, ns: str | None) -> bool:
    try:
        await kube.get(api_version, kind, name, ns)
    except NotFound:
        return True
    return False


async def next_event(stream: AsyncIterator[WatchEvent], timeout: float = 10.0) -> WatchEvent:
    return await asyncio.wait_for(stream.__anext__(), timeout)


async def collect(stream: AsyncIterator[WatchEvent], count: int, timeout: float = 10.0,
                  skip_bookmarks: bool = True) -> list[WatchEvent]:
    out: list[WatchEvent] = []
    while len(out) < count:
        ev = await next_event(stream, timeout)
        if skip_bookmarks and ev["type"] == "BOOKMARK":
            continue
        out.append(ev)
    return out
