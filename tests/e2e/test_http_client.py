"""HttpKubeClient behaviour only a real kube-apiserver shows (the shared contract is in tests/contract):
a watch with no resourceVersion starts at "now", discovery of a kind created after the first miss,
strategic merge for built-ins, collection delete across namespaces, the client-side throttle, and the
runtime informer riding out a TCP connection cut in the middle of its watch.

A 410 from a real server is not provoked here: kube-apiserver serves watches from its in-memory watch
cache, which on a fresh cluster still holds every event since start (even resourceVersion "1" replays),
and compacting etcd does not expire it. The ERROR 410 → Gone mapping is covered against a scripted
stream in tests/unit/kube/test_http_client.py; the contract's 410 test runs embedded only."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections.abc import AsyncIterator

import pytest

from grove.kube.clock import RealClock
from grove.kube.errors import AlreadyExists, NotFound
from grove.kube.http import HttpKubeClient, Unreachable
from grove.kube.kubeconfig import load_config
from grove.runtime.informer import EventHandler, Informer, InformerKey
from grove.runtime.ratelimit import JitteredBackoff
from tests.contract.helpers import configmap, eventually
from tests.e2e.harness import E2ECluster

pytestmark = pytest.mark.e2e


@pytest.fixture
async def client(e2e_cluster: E2ECluster) -> AsyncIterator[HttpKubeClient]:
    async with HttpKubeClient.from_kubeconfig(str(e2e_cluster.kubeconfig)) as c:
        yield c


@pytest.fixture
async def ns(client: HttpKubeClient) -> AsyncIterator[str]:
    name = f"http-{secrets.token_hex(4)}"
    await client.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    yield name
    with contextlib.suppress(NotFound):
        await client.delete("v1", "Namespace", name)


async def test_watch_without_resource_version_starts_now(client: HttpKubeClient, ns: str) -> None:
    await client.create(configmap("before", ns))
    stream = client.watch("v1", "ConfigMap", ns, timeout_seconds=20)

    async def first_of_ours() -> dict:  # type: ignore[type-arg]
        # kube-controller-manager may publish kube-root-ca.crt into the new namespace at any moment
        async for ev in stream:
            if ev["object"]["metadata"]["name"] != "kube-root-ca.crt":
                return dict(ev)
        raise AssertionError("watch ended without an event")

    try:
        first = asyncio.ensure_future(first_of_ours())
        await asyncio.sleep(0.5)  # the stream is open at "now"
        await client.create(configmap("after", ns))
        event = await asyncio.wait_for(first, 10)
    finally:
        await stream.aclose()  # type: ignore[attr-defined]
    assert (event["type"], event["object"]["metadata"]["name"]) == ("ADDED", "after")
    assert event["object"]["kind"] == "ConfigMap" and event["object"]["apiVersion"] == "v1"


async def test_kind_created_after_a_discovery_miss_is_found(client: HttpKubeClient, ns: str) -> None:
    group = f"late{secrets.token_hex(3)}.grove.io"
    crd = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
           "metadata": {"name": f"gadgets.{group}"},
           "spec": {"group": group, "scope": "Namespaced",
                    "names": {"plural": "gadgets", "singular": "gadget", "kind": "Gadget"},
                    "versions": [{"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": {
                        "type": "object", "x-kubernetes-preserve-unknown-fields": True}}}]}}
    with pytest.raises(NotFound, match="does not serve kind 'Gadget'"):
        await client.list(f"{group}/v1", "Gadget", ns)
    await client.create(crd)
    try:
        async def served() -> bool:
            try:
                await client.list(f"{group}/v1", "Gadget", ns)
            except NotFound:
                return False
            return True

        await eventually(served, timeout=30, interval=0.5, what="the new kind to be served")
        made = await client.create({"apiVersion": f"{group}/v1", "kind": "Gadget",
                                    "metadata": {"name": "g", "namespace": ns}, "spec": {"x": 1}})
        assert made["spec"] == {"x": 1}
        listed = await client.list(f"{group}/v1", "Gadget", ns)
        assert [(o["kind"], o["metadata"]["name"]) for o in listed.items] == [("Gadget", "g")]
    finally:
        await client.delete("apiextensions.k8s.io/v1", "CustomResourceDefinition", f"gadgets.{group}")


async def test_strategic_merge_patch_merges_containers_by_name(client: HttpKubeClient, ns: str) -> None:
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": ns},
           "spec": {"schedulerName": "nobody", "containers": [
               {"name": "a", "image": "registry.invalid/a:1"}, {"name": "b", "image": "registry.invalid/b:1"}]}}
    await client.create(pod)
    out = await client.patch("v1", "Pod", "p", {"spec": {"containers": [
        {"name": "b", "image": "registry.invalid/b:2"}]}}, namespace=ns, patch_type="strategic")
    assert [(c["name"], c["image"]) for c in out["spec"]["containers"]] == [
        ("a", "registry.invalid/a:1"), ("b", "registry.invalid/b:2")]


async def test_delete_collection_without_namespace_spans_namespaces(client: HttpKubeClient, ns: str) -> None:
    other = f"{ns}-b"
    await client.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": other}})
    try:
        tag = secrets.token_hex(3)
        for where in (ns, other):
            await client.create(configmap("doomed", where, labels={"sweep": tag}))
            await client.create(configmap("kept", where))
        await client.delete_collection("v1", "ConfigMap", label_selector=f"sweep={tag}")
        assert (await client.list("v1", "ConfigMap", label_selector=f"sweep={tag}")).items == []
        for where in (ns, other):
            await client.get("v1", "ConfigMap", "kept", where)
    finally:
        await client.delete("v1", "Namespace", other)


async def test_dry_run_create_persists_nothing(client: HttpKubeClient, ns: str) -> None:
    out = await client.create(configmap("dry", ns), dry_run=True)
    assert out["metadata"]["name"] == "dry"
    with pytest.raises(NotFound):
        await client.get("v1", "ConfigMap", "dry", ns)


async def test_client_side_throttle_holds_requests_to_qps(e2e_cluster: E2ECluster, ns: str) -> None:
    async with HttpKubeClient(load_config(e2e_cluster.kubeconfig), qps=20, burst=5) as slow:
        start = time.monotonic()
        await asyncio.gather(*(slow.get("v1", "Namespace", ns) for _ in range(25)))
        took = time.monotonic() - start
    # 5 from the burst, then 20 at 20/s: about a second; unthrottled this takes a few milliseconds
    assert took >= 0.9, took
    assert slow.throttle.waited_seconds > 0


async def test_unreachable_server_is_an_api_error_not_a_transport_exception(e2e_cluster: E2ECluster) -> None:
    cfg = load_config(e2e_cluster.kubeconfig)
    cfg.server = "https://127.0.0.1:9"  # discard port: nothing listens
    async with HttpKubeClient(cfg, connect_timeout=2) as dead:
        with pytest.raises(Unreachable):
            await dead.get("v1", "Namespace", "default")


class _CuttableProxy:
    """A TCP pass-through to the API server whose live connections the test can cut (TLS goes through)."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.writers: list[asyncio.StreamWriter] = []
        self.server: asyncio.Server | None = None

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return int(self.server.sockets[0].getsockname()[1])

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.target)
        self.writers += [writer, up_writer]

        async def pump(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(Exception):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.close()

        await asyncio.gather(pump(reader, up_writer), pump(up_reader, writer))

    def cut(self) -> None:
        for w in self.writers:
            w.transport.abort()
        self.writers.clear()

    async def stop(self) -> None:
        self.cut()
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()


async def test_informer_lists_watches_and_recovers_from_a_cut_stream(
        e2e_cluster: E2ECluster, client: HttpKubeClient, ns: str) -> None:
    cfg = load_config(e2e_cluster.kubeconfig)
    host, port = cfg.server.removeprefix("https://").rsplit(":", 1)
    proxy = _CuttableProxy(host, int(port))
    cfg.server = f"https://127.0.0.1:{await proxy.start()}"
    await client.create(configmap("pre", ns))
    seen: list[tuple[str, str]] = []
    handler = EventHandler(on_add=lambda o: seen.append(("add", o["metadata"]["name"])),
                           on_update=lambda old, new: seen.append(("update", new["metadata"]["name"])),
                           on_delete=lambda o: seen.append(("delete", o["metadata"]["name"])))
    async with HttpKubeClient(cfg) as via_proxy:
        informer = Informer(via_proxy, InformerKey("v1", "ConfigMap", ns), RealClock(),
                            backoff=JitteredBackoff(initial=0.2, cap=1.0, jitter=0.1))
        informer.add_event_handler(handler)
        informer.start()
        try:
            await asyncio.wait_for(informer.wait_for_sync(), 10)
            assert informer.cache.get(ns, "pre") is not None
            await client.create(configmap("live", ns))
            await client.patch("v1", "ConfigMap", "live", {"data": {"k": "v2"}}, namespace=ns)
            await client.delete("v1", "ConfigMap", "pre", ns)

            async def saw(*wanted: tuple[str, str]) -> bool:
                return all(w in seen for w in wanted)

            await eventually(lambda: saw(("add", "live"), ("update", "live"), ("delete", "pre")),
                             what="add/update/delete through the watch")
            lists_before = informer.lists_total
            proxy.cut()  # the watch's TCP connection dies mid-stream
            with contextlib.suppress(AlreadyExists):
                await client.create(configmap("while-cut", ns))
            await eventually(lambda: saw(("add", "while-cut")), what="the informer to relist after the cut")
            assert informer.lists_total > lists_before
            assert sum(informer.relists_by_reason.values()) >= 1, informer.relists_by_reason
            await client.create(configmap("after", ns))
            await eventually(lambda: saw(("add", "after")), what="the re-opened watch to deliver events")
            assert informer.cache.get(ns, "live")["data"] == {"k": "v2"}  # type: ignore[index]
            assert informer.cache.get(ns, "pre") is None
        finally:
            await informer.stop()
            await proxy.stop()
