"""tests/access_recording.RecordingClient predicts exactly the requests RBAC sees from HttpKubeClient.

Each KubeClient call runs twice: through HttpKubeClient against a local server that resolves every HTTP
request into RBAC attributes the way kube-apiserver's RequestInfo does, and through the recorder (over a
canned client). The two request lists must be equal, so the least-privilege test cannot drift from what
the real client sends. Plus the OwnerReferencesPermissionEnforcement checks the recorder derives.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from urllib.parse import unquote

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from grove.api.crds import generate_crds
from grove.kube.client import KubeClient, ObjectList, WatchEvent
from grove.kube.http import HttpKubeClient
from grove.kube.kubeconfig import ClusterConfig
from grove.kube.rbac import Request
from grove.kube.resources import ResourceRegistry
from tests.access_recording import AccessLog, RecordingClient, field_selector_name

Obj = dict[str, Any]
GROVE = "grove.io/v1alpha1"


@functools.cache
def registry() -> ResourceRegistry:
    reg = ResourceRegistry()
    for crd in generate_crds():
        reg.register_crd(crd)
    return reg


def discovery_doc(reg: ResourceRegistry, group_version: str) -> Obj:
    resources: list[Obj] = []
    for rk in reg.all():
        if rk.api_version != group_version:
            continue
        resources.append({"name": rk.plural, "namespaced": rk.namespaced, "kind": rk.kind})
        resources += [{"name": f"{rk.plural}/{sub}", "namespaced": rk.namespaced, "kind": rk.kind}
                      for sub in ("status", "scale") if rk.has_subresource(sub)]
    return {"kind": "APIResourceList", "groupVersion": group_version, "resources": resources}


def request_info(method: str, path: str, query: dict[str, str]) -> Request | None:
    """kube-apiserver's RequestInfoFactory for the paths HttpKubeClient uses; None for discovery."""
    parts = [unquote(p) for p in path.strip("/").split("/")]
    if parts[0] == "api":
        group, rest = "", parts[2:]
    else:
        group, rest = parts[1], parts[3:]
    if not rest:
        return None
    namespace = ""
    if rest[0] == "namespaces" and len(rest) > 2:
        namespace, rest = rest[1], rest[2:]
    resource, name, sub = rest[0], (rest[1] if len(rest) > 1 else ""), (rest[2] if len(rest) > 2 else "")
    verb = {"POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete", "GET": "get"}[method]
    if not name and verb == "get":
        verb = "watch" if query.get("watch") in ("true", "1") else "list"
        name = field_selector_name(query.get("fieldSelector"))
    if not name and verb == "delete":
        verb = "deletecollection"
    return Request(verb, group, resource, sub, name, namespace)


ITEMS = [{"metadata": {"name": "a", "namespace": "ns-a", "resourceVersion": "1"}},
         {"metadata": {"name": "b", "namespace": "ns-b", "resourceVersion": "1"}}]


@pytest.fixture
async def http() -> AsyncIterator[tuple[list[Request], HttpKubeClient]]:
    seen: list[Request] = []
    reg = registry()

    async def handler(request: web.Request) -> web.StreamResponse:
        if request.path.startswith("/apis/") and request.path.count("/") == 3:
            return web.json_response(discovery_doc(reg, request.path.removeprefix("/apis/")))
        info = request_info(request.method, request.path, dict(request.query))
        if info is not None:
            seen.append(info)
        if request.query.get("watch") == "true":
            resp = web.StreamResponse()
            await resp.prepare(request)
            return resp
        if request.method == "GET" and info is not None and info.verb == "list":
            return web.json_response({"kind": "List", "metadata": {"resourceVersion": "7"}, "items": ITEMS})
        return web.json_response({"kind": "Status", "status": "Success"} if request.method == "DELETE" else
                                 {"metadata": {"name": "x", "resourceVersion": "2"}})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    client = HttpKubeClient(ClusterConfig(server=f"http://127.0.0.1:{server.port}", token="t"))
    try:
        yield seen, client
    finally:
        await client.close()
        await server.close()


class Canned:
    """A KubeClient that answers everything at once (what the recorder wraps in this test)."""

    def __init__(self, stored: Obj | None = None) -> None:
        self.stored = stored

    async def get(self, *args: Any, **kwargs: Any) -> Obj:
        return self.stored or {"metadata": {"name": "x"}}

    async def list(self, *args: Any, **kwargs: Any) -> ObjectList:
        return ObjectList(items=ITEMS, resource_version="7")

    def watch(self, *args: Any, **kwargs: Any) -> AsyncIterator[WatchEvent]:
        async def empty() -> AsyncIterator[WatchEvent]:
            for _ in ():
                yield _
        return empty()

    async def _obj(self, *args: Any, **kwargs: Any) -> Obj:
        obj = next((a for a in args if isinstance(a, dict) and "metadata" in a), None)
        return obj or {"metadata": {"name": "x"}}

    create = update = patch = get_scale = update_scale = _obj

    async def delete(self, *args: Any, **kwargs: Any) -> None:
        return None

    async def delete_collection(self, *args: Any, **kwargs: Any) -> None:
        return None

    async def bind(self, *args: Any, **kwargs: Any) -> None:
        return None


POD: Obj = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "ns", "resourceVersion": "1"}}
PCLQ: Obj = {"apiVersion": GROVE, "kind": "PodClique", "metadata": {"name": "q", "namespace": "ns"}}
CRD: Obj = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition", "metadata": {"name": "c"}}
Call = Callable[[KubeClient], Awaitable[Any]]


async def _drain(stream: AsyncIterator[WatchEvent]) -> None:
    async for _ in stream:
        pass


CALLS: dict[str, Call] = {
    "get": lambda k: k.get("v1", "Secret", "s", "ns"),
    "get cluster-scoped": lambda k: k.get("apiextensions.k8s.io/v1", "CustomResourceDefinition", "c"),
    "list all namespaces": lambda k: k.list("v1", "Pod", label_selector="a=b"),
    "list named by field selector": lambda k: k.list("v1", "Secret", "ns", field_selector="metadata.name=s"),
    "watch from now lists first": lambda k: _drain(k.watch("coordination.k8s.io/v1", "Lease", "ns",
                                                           field_selector="metadata.name=l", timeout_seconds=1)),
    "watch from a resourceVersion": lambda k: _drain(k.watch(GROVE, "PodClique", resource_version="5",
                                                             timeout_seconds=1)),
    "create": lambda k: k.create(POD),
    "create cluster-scoped": lambda k: k.create(CRD),
    "update": lambda k: k.update(PCLQ),
    "update status": lambda k: k.update(PCLQ, subresource="status"),
    "patch": lambda k: k.patch("v1", "Event", "e", {"count": 2}, namespace="ns"),
    "patch status": lambda k: k.patch("v1", "Pod", "p", {"status": {}}, namespace="ns", subresource="status"),
    "delete": lambda k: k.delete("v1", "Pod", "p", "ns", grace_period_seconds=0),
    "delete collection in a namespace": lambda k: k.delete_collection(GROVE, "PodClique", "ns", label_selector="a=b"),
    "delete collection everywhere": lambda k: k.delete_collection(GROVE, "PodClique", label_selector="a=b"),
    "get scale": lambda k: k.get_scale(GROVE, "PodCliqueScalingGroup", "g", "ns"),
    "update scale": lambda k: k.update_scale(GROVE, "PodClique", "q", 3, "ns"),
    "bind": lambda k: k.bind("ns", "p", "node-1", pod_uid="u"),
}


@pytest.mark.parametrize("call", CALLS, ids=list(CALLS))
async def test_recorder_predicts_the_http_requests(http: tuple[list[Request], HttpKubeClient], call: str) -> None:
    seen, client = http
    await CALLS[call](client)
    log = AccessLog()
    # the update's own read of the stored object is the server's, not a request: keep it out of the log
    recorder = RecordingClient(Canned(), registry().get, log)
    await CALLS[call](recorder)
    predicted = [r for r, a in log.accesses.items() if not a.why]
    assert predicted == list(dict.fromkeys(seen)), f"{call}: recorder {predicted} vs HTTP {seen}"
    assert predicted, call


def _owned(refs: list[Obj]) -> Obj:
    return {**POD, "metadata": {**POD["metadata"], "ownerReferences": refs}}


REF = {"apiVersion": GROVE, "kind": "PodClique", "name": "q", "uid": "u1", "controller": True,
       "blockOwnerDeletion": True}
CTB_REF = {"apiVersion": GROVE, "kind": "ClusterTopologyBinding", "name": "t", "uid": "u2", "blockOwnerDeletion": True}


async def derived(stored: Obj | None, call: Callable[[KubeClient], Awaitable[Any]]) -> list[str]:
    log = AccessLog()
    await call(RecordingClient(Canned(stored), registry().get, log))
    return [str(a.request) for a in log.accesses.values() if a.why]


async def test_owner_reference_enforcement_is_derived_as_the_admission_plugin_does() -> None:
    assert await derived(None, lambda k: k.create(_owned([REF, CTB_REF]))) == [
        "update podcliques/finalizers.grove.io 'q' in namespace ns",
        "update clustertopologybindings/finalizers.grove.io 't' (cluster scope)"]
    assert await derived(None, lambda k: k.create(_owned([{**REF, "blockOwnerDeletion": False}]))) == []
    assert await derived(_owned([REF]), lambda k: k.update(_owned([REF]))) == [], "unchanged references: no check"
    assert await derived(_owned([]), lambda k: k.update(_owned([REF]))) == [
        "delete pods.core 'p' in namespace ns", "update podcliques/finalizers.grove.io 'q' in namespace ns"]
    assert await derived(_owned([REF]), lambda k: k.patch("v1", "Pod", "p", {"metadata": {"labels": {}}},
                                                          namespace="ns")) == []
