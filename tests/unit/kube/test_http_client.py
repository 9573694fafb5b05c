"""HttpKubeClient against a scripted local HTTP server: what a real server rarely does on demand
(watch ERROR 410, a JSON frame split over chunks, a non-Status error body), REST paths and discovery,
delete results, the bearer token header and the token bucket."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from grove.kube.errors import ApiError, Conflict, Gone, Invalid, NotFound, ServerTimeout, TooManyRequests
from grove.kube.http import MAX_RETRIES, HttpKubeClient, retry_after
from grove.kube.http_paths import resource_path
from grove.kube.http_throttle import TokenBucket
from grove.kube.kubeconfig import ClusterConfig
from grove.kube.resources import ResourceRegistry

GADGETS = {"kind": "APIResourceList", "groupVersion": "x.io/v1", "resources": [
    {"name": "gadgets", "namespaced": True, "kind": "Gadget", "shortNames": ["gd"]},
    {"name": "gadgets/status", "namespaced": True, "kind": "Gadget"},
    {"name": "gadgets/scale", "namespaced": True, "kind": "Scale"},
]}


class Script:
    """Routes of the fake server and what it saw."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, dict[str, str], dict[str, str]]] = []
        self.watch_frames: list[bytes] = []
        self.bodies: list[Any] = []
        self.discovery_calls = 0
        self.serve_gadgets = False
        self.busy_answers = 0  # 429 "storage is (re)initializing" answers before the real one


@pytest.fixture
async def served() -> AsyncIterator[tuple[Script, HttpKubeClient]]:
    script = Script()

    async def handler(request: web.Request) -> web.StreamResponse:
        script.requests.append((request.method, request.path, dict(request.query), dict(request.headers)))
        if request.path == "/apis/x.io/v1":
            script.discovery_calls += 1
            if not script.serve_gadgets:
                return web.json_response({"kind": "APIResourceList", "groupVersion": "x.io/v1", "resources": []})
            return web.json_response(GADGETS)
        if request.query.get("watch") == "true":
            resp = web.StreamResponse()
            await resp.prepare(request)
            for frame in script.watch_frames:
                await resp.write(frame)
                await asyncio.sleep(0.01)
            return resp
        if request.path.endswith("/configmaps/conflict"):
            return web.json_response({"kind": "Status", "status": "Failure", "reason": "Conflict", "code": 409,
                                      "message": "the object has been modified"}, status=409)
        if request.path.endswith("/configmaps/proxy-timeout"):
            return web.Response(status=504, text="upstream timed out")
        if request.path.endswith("/configmaps/warming-up") and script.busy_answers > 0:
            script.busy_answers -= 1
            return web.json_response({"kind": "Status", "status": "Failure", "reason": "TooManyRequests",
                                      "code": 429, "message": "storage is (re)initializing"},
                                     status=429, headers={"Retry-After": "0"})
        if request.method == "DELETE":
            script.bodies.append(await request.json())
            name = request.path.rsplit("/", 1)[1]
            if name == "held":
                return web.json_response({"kind": "ConfigMap", "metadata": {
                    "name": "held", "deletionTimestamp": "2026-01-01T00:00:00Z", "finalizers": ["x"]}})
            if name == "returned":  # some kinds return the removed object itself
                return web.json_response({"kind": "Pod", "metadata": {
                    "name": "returned", "deletionTimestamp": "2026-01-01T00:00:00Z",
                    "deletionGracePeriodSeconds": 0}})
            return web.json_response({"kind": "Status", "status": "Success"})
        return web.json_response({"kind": "ConfigMapList", "metadata": {"resourceVersion": "77"},
                                  "items": [{"metadata": {"name": "a"}}]})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    client = HttpKubeClient(ClusterConfig(server=f"http://127.0.0.1:{server.port}", token="s3cret"))
    try:
        yield script, client
    finally:
        await client.close()
        await server.close()


def _event(etype: str, obj: dict[str, Any]) -> bytes:
    return json.dumps({"type": etype, "object": obj}).encode() + b"\n"


async def test_watch_error_410_raises_gone_after_earlier_events(served: tuple[Script, HttpKubeClient]) -> None:
    script, client = served
    big = {"metadata": {"name": "big", "resourceVersion": "5"}, "data": {"k": "x" * 300_000}}
    frame = _event("ADDED", big)
    script.watch_frames = [frame[:1000], frame[1000:], _event("BOOKMARK", {"metadata": {"resourceVersion": "9"}}),
                           _event("ERROR", {"kind": "Status", "code": 410, "reason": "Expired",
                                            "message": "too old resource version: 1 (9)"})]
    seen = []
    with pytest.raises(Gone, match="too old"):
        async for ev in client.watch("v1", "ConfigMap", "ns", resource_version="1", timeout_seconds=2.5):
            seen.append(ev)
    assert [e["type"] for e in seen] == ["ADDED", "BOOKMARK"]
    assert len(seen[0]["object"]["data"]["k"]) == 300_000 and seen[0]["object"]["kind"] == "ConfigMap"
    method, path, query, headers = script.requests[-1]
    assert (method, path) == ("GET", "/api/v1/namespaces/ns/configmaps")
    assert query == {"watch": "true", "resourceVersion": "1", "allowWatchBookmarks": "true", "timeoutSeconds": "3"}
    assert headers["Authorization"] == "Bearer s3cret"


async def test_watch_error_other_than_410_raises_the_mapped_error(served: tuple[Script, HttpKubeClient]) -> None:
    script, client = served
    script.watch_frames = [_event("ERROR", {"kind": "Status", "code": 500, "reason": "InternalError",
                                            "message": "etcd is sad"})]
    with pytest.raises(ApiError, match="etcd is sad") as err:
        async for _ in client.watch("v1", "ConfigMap", "ns", resource_version="3"):
            pass
    assert err.value.code == 500 and not isinstance(err.value, Gone)


async def test_errors_map_from_status_and_from_plain_text(served: tuple[Script, HttpKubeClient]) -> None:
    _, client = served
    with pytest.raises(Conflict, match="modified"):
        await client.get("v1", "ConfigMap", "conflict", "ns")
    with pytest.raises(ServerTimeout, match="upstream timed out"):
        await client.get("v1", "ConfigMap", "proxy-timeout", "ns")


async def test_list_fills_kind_and_returns_collection_version(served: tuple[Script, HttpKubeClient]) -> None:
    _, client = served
    listed = await client.list("v1", "ConfigMap", "ns", label_selector="app in (a,b)")
    assert listed.resource_version == "77"
    assert listed.items == [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}}]


async def test_delete_returns_the_object_only_while_it_still_exists(served: tuple[Script, HttpKubeClient]) -> None:
    script, client = served
    held = await client.delete("v1", "ConfigMap", "held", "ns", propagation_policy="Foreground",
                               preconditions={"uid": "u1"}, grace_period_seconds=3)
    assert held is not None and held["metadata"]["finalizers"] == ["x"]
    assert script.bodies[0] == {"apiVersion": "v1", "kind": "DeleteOptions", "propagationPolicy": "Foreground",
                                "preconditions": {"uid": "u1"}, "gracePeriodSeconds": 3}
    assert await client.delete("v1", "Pod", "returned", "ns") is None
    assert await client.delete("v1", "ConfigMap", "plain", "ns") is None


async def test_unknown_kind_is_discovered_and_refreshed_once_on_a_miss(served: tuple[Script, HttpKubeClient]) -> None:
    script, client = served
    with pytest.raises(NotFound, match="Gadget"):
        await client.get("x.io/v1", "Gadget", "g", "ns")
    script.serve_gadgets = True  # e.g. the CRD was created meanwhile
    await client.get("x.io/v1", "Gadget", "g", "ns")
    await client.get_scale("x.io/v1", "Gadget", "g", "ns")
    assert script.discovery_calls == 2  # one miss, one refresh; later lookups hit the cache
    assert [r[1] for r in script.requests[-2:]] == ["/apis/x.io/v1/namespaces/ns/gadgets/g",
                                                    "/apis/x.io/v1/namespaces/ns/gadgets/g/scale"]


def test_resource_paths_for_core_grouped_and_cluster_scoped_kinds() -> None:
    reg = ResourceRegistry()
    pod, node = reg.get("v1", "Pod"), reg.get("v1", "Node")
    deploy = reg.get("apps/v1", "Deployment")
    assert pod and node and deploy
    assert resource_path(pod, "ns", "p", "binding") == "/api/v1/namespaces/ns/pods/p/binding"
    assert resource_path(pod) == "/api/v1/pods"
    assert resource_path(node, "ignored", "n1") == "/api/v1/nodes/n1"
    assert resource_path(deploy, "ns", "d", "scale") == "/apis/apps/v1/namespaces/ns/deployments/d/scale"
    with pytest.raises(NotFound):
        resource_path(pod, "ns", "")


async def test_token_bucket_allows_burst_then_qps() -> None:
    now = [0.0]
    bucket = TokenBucket(qps=10, burst=3, now=lambda: now[0])
    for _ in range(3):
        await bucket.acquire()
    assert bucket.waited_seconds == 0
    await bucket.acquire()  # empty: waits a tenth of a second (real sleep, tiny)
    assert bucket.waited_seconds == pytest.approx(0.1)
    with pytest.raises(ValueError):
        TokenBucket(qps=0)


async def test_invalid_is_raised_with_causes(served: tuple[Script, HttpKubeClient]) -> None:
    # not scripted: a 422 Status body maps with its causes
    from grove.kube.http import _error_from

    err = _error_from(422, json.dumps({"kind": "Status", "code": 422, "reason": "Invalid", "message": "bad",
                                       "details": {"causes": [{"field": "metadata.name", "message": "m"}]}}).encode())
    assert isinstance(err, Invalid) and [c.field for c in err.causes] == ["metadata.name"]


async def test_come_back_later_answers_are_retried(served: tuple[Script, HttpKubeClient]) -> None:
    """A kube-apiserver answers 429 while a new CRD's storage initialises; like client-go, the request is
    sent again after Retry-After instead of failing the caller."""
    script, client = served
    script.busy_answers = 3
    got = await client.get("v1", "ConfigMap", "warming-up", "ns")
    assert got["items"][0]["metadata"]["name"] == "a"
    assert client.retries_total == 3
    script.busy_answers = MAX_RETRIES + 1  # a server that never recovers: the 429 reaches the caller
    with pytest.raises(TooManyRequests, match="storage is"):
        await client.get("v1", "ConfigMap", "warming-up", "ns")
    assert client.retries_total == 3 + MAX_RETRIES


def test_retry_after_rule() -> None:
    assert retry_after("POST", 429, None) == 1.0 and retry_after("GET", 429, "3") == 3.0
    assert retry_after("PUT", 429, "x") == 1.0 and retry_after("GET", 429, "3600") == 10.0  # capped
    # a 5xx only when the server says so, and only for reads: a write may have been applied already
    assert retry_after("GET", 503, "2") == 2.0 and retry_after("GET", 503, None) is None
    assert retry_after("POST", 504, "1") is None and retry_after("PATCH", 500, "1") is None
    assert retry_after("GET", 409, "1") is None and retry_after("GET", 200, None) is None
