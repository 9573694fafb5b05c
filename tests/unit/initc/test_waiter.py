"""The waiter core on the embedded cluster: parent matching, readiness, watch resumption, RBAC surface."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from grove.api import constants as c
from grove.api.models.core import PodCliqueSet
from grove.cluster import EmbeddedCluster
from grove.controllers.podcliqueset.plan_access import plan_role
from grove.initc.embedded import container_args, initc_program
from grove.initc.waiter import is_ready, parent_of, ready_counts, wait_for_parents
from grove.kube.client import KubeClient, WatchEvent
from grove.kube.clock import VirtualClock
from grove.kube.errors import Forbidden, Gone, ServerTimeout

Obj = dict[str, Any]
NS = "ns1"


def pod(name: str, gang: str = "g-0", clique: str | None = None, ready: bool = False) -> Obj:
    labels = {c.LABEL_PODGANG: gang}
    if clique is not None:
        labels[c.LABEL_PODCLIQUE] = clique
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": NS, "labels": labels},
            "spec": {"containers": [{"name": "main", "image": "busybox"}]},
            "status": {"conditions": [{"type": "Ready", "status": "True" if ready else "False"}]}}


def test_parent_is_the_pod_clique_label_when_present() -> None:
    parents = ["x-0-a", "x-0-a-b"]
    assert parent_of(pod("x-0-a-b-abcde", clique="x-0-a-b"), parents) == "x-0-a-b"
    assert parent_of(pod("x-0-a-b-abcde", clique="x-0-a-b"), ["x-0-a"]) is None
    assert parent_of(pod("x-0-a-zzzzz", clique="x-0-a"), parents) == "x-0-a"


def test_without_the_label_the_longest_prefix_followed_by_a_dash_wins() -> None:
    parents = ["x-0-a", "x-0-a-b"]
    assert parent_of(pod("x-0-a-b-abcde"), parents) == "x-0-a-b"
    assert parent_of(pod("x-0-a-abcde"), parents) == "x-0-a"
    assert parent_of(pod("x-0-ab-abcde"), parents) is None
    assert parent_of(pod("x-0-a"), parents) is None


def test_ready_means_condition_true_and_not_deleting() -> None:
    assert is_ready(pod("p", ready=True))
    assert not is_ready(pod("p", ready=False))
    assert not is_ready({"metadata": {"name": "p"}, "status": {}})
    deleting = pod("p", ready=True)
    deleting["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    assert not is_ready(deleting)
    counts = ready_counts([pod("x-0-a-1", ready=True), pod("x-0-a-2"), pod("x-0-b-1", ready=True)],
                          {"x-0-a": 1, "x-0-c": 1})
    assert counts == {"x-0-a": 1, "x-0-c": 0}


async def _cluster() -> tuple[EmbeddedCluster, VirtualClock]:
    clock = VirtualClock()
    cluster = EmbeddedCluster(clock=clock, seed=0)
    await cluster.client.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}})
    return cluster, clock


async def _set_ready(client: KubeClient, name: str, ready: bool = True) -> None:
    await client.patch("v1", "Pod", name, {"status": {"conditions": [
        {"type": "Ready", "status": "True" if ready else "False"}]}}, namespace=NS, subresource="status")


async def _turns(n: int = 50) -> None:
    for _ in range(n):
        await asyncio.sleep(0)


async def test_blocks_until_every_parent_has_its_count_in_the_same_podgang() -> None:
    cluster, clock = await _cluster()
    client = cluster.client
    for name, gang, clique in [("x-0-a-1", "g-0", "x-0-a"), ("x-0-a-2", "g-0", "x-0-a"),
                               ("x-0-b-1", "g-0", "x-0-b"), ("x-0-a-9", "other", "x-0-a")]:
        await client.create(pod(name, gang, clique))
    lines: list[str] = []
    task = asyncio.create_task(wait_for_parents(client, NS, "g-0", {"x-0-a": 2, "x-0-b": 1}, clock,
                                                log=lines.append))
    await _turns()
    await _set_ready(client, "x-0-a-9")
    await _set_ready(client, "x-0-a-1")
    await _set_ready(client, "x-0-b-1")
    await _turns()
    assert not task.done()
    await _set_ready(client, "x-0-a-1", False)
    await _set_ready(client, "x-0-a-2")
    await _turns()
    assert not task.done()
    await _set_ready(client, "x-0-a-1")
    await asyncio.wait_for(task, 5)
    assert lines[-1] == "all parent cliques are ready"
    assert "ready: x-0-a 0/2, x-0-b 0/1" in lines
    assert "ready: x-0-a 1/2, x-0-b 1/1" in lines


async def test_returns_at_once_when_parents_are_already_ready() -> None:
    cluster, clock = await _cluster()
    await cluster.client.create(pod("x-0-a-1", clique="x-0-a", ready=True))
    await _set_ready(cluster.client, "x-0-a-1")
    await asyncio.wait_for(wait_for_parents(cluster.client, NS, "g-0", {"x-0-a": 1}, clock), 5)


class Recording:
    """Wraps a client: records every call as (verb, apiVersion, kind, namespace), and can inject failures."""

    def __init__(self, inner: KubeClient, watch_failures: list[Exception] | None = None) -> None:
        self.inner = inner
        self.calls: list[tuple[str, str, str, str | None]] = []
        self.watch_failures = list(watch_failures or [])

    def __getattr__(self, verb: str) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls.append((verb, *args[:2], args[2] if len(args) > 2 else kwargs.get("namespace")))
            return getattr(self.inner, verb)(*args, **kwargs)
        return call

    async def list(self, *args: Any, **kwargs: Any) -> Any:
        self.calls.append(("list", args[0], args[1], args[2]))
        return await self.inner.list(*args, **kwargs)

    def watch(self, *args: Any, **kwargs: Any) -> AsyncIterator[WatchEvent]:
        self.calls.append(("watch", args[0], args[1], args[2]))
        if self.watch_failures:
            raise self.watch_failures.pop(0)
        return self.inner.watch(*args, **kwargs)


async def test_gone_relists_and_transient_errors_retry_on_the_clock() -> None:
    cluster, clock = await _cluster()
    await cluster.client.create(pod("x-0-a-1", clique="x-0-a"))
    rec = Recording(cluster.client, [Gone("too old"), ServerTimeout("slow")])
    lines: list[str] = []
    task = asyncio.create_task(wait_for_parents(rec, NS, "g-0", {"x-0-a": 1}, clock, log=lines.append))  # type: ignore[arg-type]
    await _turns()
    assert [v for v, *_ in rec.calls] == ["list", "watch", "list", "watch"]
    assert clock.next_deadline() == pytest.approx(clock.now() + 1.0)
    await clock.advance(1.0)
    await _turns()
    assert [v for v, *_ in rec.calls] == ["list", "watch", "list", "watch", "list", "watch"]
    await _set_ready(cluster.client, "x-0-a-1")
    await asyncio.wait_for(task, 5)
    assert any("410 Gone" in line for line in lines)
    assert any("API error (Timeout: slow); retry 1/9 in 1s" in line for line in lines)


async def test_non_transient_errors_propagate() -> None:
    cluster, clock = await _cluster()
    rec = Recording(cluster.client, [Forbidden("pods is forbidden")])
    with pytest.raises(Forbidden):
        await wait_for_parents(rec, NS, "g-0", {"x-0-a": 1}, clock)  # type: ignore[arg-type]


async def test_the_waiter_needs_only_what_the_pcs_role_grants() -> None:
    cluster, clock = await _cluster()
    await cluster.client.create(pod("x-0-a-1", clique="x-0-a"))
    rec = Recording(cluster.client, [Gone("too old")])
    task = asyncio.create_task(wait_for_parents(rec, NS, "g-0", {"x-0-a": 1}, clock))  # type: ignore[arg-type]
    await _turns()
    await _set_ready(cluster.client, "x-0-a-1")
    await asyncio.wait_for(task, 5)
    assert {(verb, api, kind, ns) for verb, api, kind, ns in rec.calls} == {
        ("list", "v1", "Pod", NS), ("watch", "v1", "Pod", NS)}
    role = plan_role(PodCliqueSet.model_validate(
        {"apiVersion": c.API_VERSION, "kind": c.KIND_PCS, "metadata": {"name": "x", "namespace": NS},
         "spec": {"replicas": 1, "template": {"cliques": []}}}))
    assert role["metadata"]["namespace"] == NS
    assert role["rules"] == [{"apiGroups": [""], "resources": ["pods", "pods/status"],
                              "verbs": ["get", "list", "watch"]}]
    assert {verb for verb, *_ in rec.calls} <= set(role["rules"][0]["verbs"])


async def test_embedded_program_parses_the_container_and_uses_the_pod_podgang() -> None:
    cluster, clock = await _cluster()
    await cluster.client.create(pod("x-0-a-1", clique="x-0-a"))
    child = pod("x-0-b-1", clique="x-0-b")
    child["spec"]["initContainers"] = [{"name": c.INITC_CONTAINER_NAME, "image": "grove-initc:0.1.0",
                                        "args": ["--podcliques=x-0-a:1"]}]
    assert container_args(child) == ["--podcliques=x-0-a:1"]
    program = initc_program(clock)
    task = asyncio.create_task(program(child, cluster.client))
    await _turns()
    assert not task.done()
    await _set_ready(cluster.client, "x-0-a-1")
    assert await asyncio.wait_for(task, 5) == 0
    broken = pod("x-0-c-1", clique="x-0-c")
    broken["spec"]["initContainers"] = [{"name": c.INITC_CONTAINER_NAME, "args": ["--podcliques=x-0-a:0"]}]
    assert await program(broken, cluster.client) == 1
