from typing import Any

from grove.kube.clock import VirtualClock
from grove.kube.errors import Gone, ServerTimeout
from grove.runtime.informer import EventHandler, Informer, InformerKey
from grove.runtime.ratelimit import JitteredBackoff

from .fakes import END, ScriptedClient, obj, settle


def recording_informer(client: ScriptedClient, clock: VirtualClock) -> tuple[Informer, list[tuple[Any, ...]]]:
    inf = Informer(client, InformerKey("v1", "ConfigMap"), clock,  # type: ignore[arg-type]
                   backoff=JitteredBackoff(1.0, 8.0, jitter=0.0))
    log: list[tuple[Any, ...]] = []
    inf.add_event_handler(EventHandler(
        on_add=lambda o: log.append(("add", o["metadata"]["name"])),
        on_update=lambda a, b: log.append(("update", b["metadata"]["name"], a["metadata"]["resourceVersion"],
                                           b["metadata"]["resourceVersion"])),
        on_delete=lambda o: log.append(("delete", o["metadata"]["name"]))))
    return inf, log


async def test_list_then_watch_from_list_resource_version_with_bookmarks() -> None:
    client, clock = ScriptedClient(), VirtualClock()
    client.items = [obj("a", 5), obj("b", 6)]
    client.rv = "10"
    inf, log = recording_informer(client, clock)
    inf.start()
    assert not inf.has_synced() and not inf.is_idle(), "started but not listed yet: busy"
    await settle()
    assert inf.has_synced() and inf.is_idle()
    assert client.watch_calls == ["10"]
    assert sorted(log) == [("add", "a"), ("add", "b")]
    client.push("MODIFIED", obj("a", 11))
    client.push("BOOKMARK", {"metadata": {"resourceVersion": "15"}})
    client.push("ADDED", obj("c", 16))
    client.push("DELETED", obj("b", 17))
    await settle()
    assert log[2:] == [("update", "a", "5", "11"), ("add", "c"), ("delete", "b")]
    assert inf.resource_version == "17"
    assert sorted(o["metadata"]["name"] for o in inf.cache) == ["a", "c"]
    # a stream that ends normally is resumed from the last resourceVersion, without a relist
    client.push("BOOKMARK", {"metadata": {"resourceVersion": "20"}})
    client.push_raw(END)
    await settle()
    assert client.watch_calls == ["10", "20"] and client.list_calls == 1
    await inf.stop()


async def test_duplicate_adds_fire_nothing_and_deletes_always_fire() -> None:
    client, clock = ScriptedClient(), VirtualClock()
    inf, log = recording_informer(client, clock)
    inf.start()
    await settle()
    client.push("ADDED", obj("a", 2))
    client.push("ADDED", obj("a", 2))
    client.push("MODIFIED", obj("a", 2))
    client.push("DELETED", obj("a", 3))
    client.push("DELETED", obj("a", 3))
    await settle()
    client.push("DELETED", obj("never-seen", 4))
    await settle()
    assert log == [("add", "a"), ("delete", "a"), ("delete", "a"), ("delete", "never-seen")]
    assert len(inf.cache) == 0
    await inf.stop()


async def test_gone_relists_and_fires_deletes_for_objects_missing_from_the_new_list() -> None:
    client, clock = ScriptedClient(), VirtualClock()
    client.items = [obj("a", 1), obj("b", 2), obj("c", 3)]
    client.rv = "3"
    inf, log = recording_informer(client, clock)
    inf.start()
    await settle()
    client.push("MODIFIED", obj("a", 4))
    await settle()
    # meanwhile (events dropped): b deleted, c changed, d created; the watch then expires
    client.items = [obj("a", 4), obj("c", 9), obj("d", 8)]
    client.rv = "9"
    client.push_raw(Gone("too old resource version"))
    await settle()
    assert client.list_calls == 2, "410 after events relists at once (no backoff)"
    assert log[4:] == [("update", "c", "3", "9"), ("add", "d"), ("delete", "b")]
    assert client.watch_calls[-1] == "9"
    assert inf.relists_by_reason == {"Gone": 1}
    await inf.stop()


async def test_error_event_410_relists_and_other_errors_back_off_on_the_clock() -> None:
    client, clock = ScriptedClient(), VirtualClock(start=0.0)
    inf, _ = recording_informer(client, clock)
    inf.start()
    await settle()
    client.push("ADDED", obj("a", 2))
    client.push("ERROR", {"kind": "Status", "code": 410, "reason": "Expired"})
    await settle()
    assert client.list_calls == 2
    # broken stream: relist only after the (unjittered) 1 s backoff on virtual time
    client.push_raw(ServerTimeout("connection reset"))
    await settle()
    assert client.list_calls == 2
    assert inf.is_idle(), "sleeping on a future backoff deadline is idle"
    assert clock.next_deadline() == 1.0
    await clock.advance(1.0)
    await settle()
    assert client.list_calls == 3
    # failing lists back off exponentially: 1 s (reset after last success), then 2 s
    client.list_error = ServerTimeout("apiserver down")
    client.push("ERROR", {"kind": "Status", "code": 500, "reason": "InternalError"})
    await settle()
    assert clock.next_deadline() == 2.0
    await clock.advance(1.0)
    await settle()
    assert client.list_calls == 4 and clock.next_deadline() == 4.0
    await clock.advance(2.0)
    await settle()
    assert client.list_calls == 5 and inf.has_synced()
    await inf.stop()


async def test_indexes_by_owner_controller_label_and_custom_function() -> None:
    client, clock = ScriptedClient(), VirtualClock()
    owner = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "rs", "uid": "rs-uid", "controller": True}
    other = {"apiVersion": "v1", "kind": "Node", "name": "n", "uid": "n-uid"}
    client.items = [obj("p1", 1, labels={"app": "x"}, owners=[owner, other]),
                    obj("p2", 2, labels={"app": "y"}, owners=[other]),
                    obj("p3", 3, ns="other", labels={"app": "x"})]
    inf, _ = recording_informer(client, clock)
    inf.cache.add_indexer("first-letter-of-app", lambda o: [o["metadata"].get("labels", {}).get("app", "")[:1]])
    inf.start()
    await settle()
    names = lambda objs: [o["metadata"]["name"] for o in objs]  # noqa: E731
    assert names(inf.cache.by_owner_uid("n-uid")) == ["p1", "p2"]
    assert names(inf.cache.by_controller_uid("rs-uid")) == ["p1"]
    assert names(inf.cache.by_controller_uid("n-uid")) == []
    assert names(inf.cache.by_label("app", "x")) == ["p1", "p3"]
    assert names(inf.cache.list("other")) == ["p3"]
    assert names(inf.cache.by_index("first-letter-of-app", "y")) == ["p2"]
    # indexes follow updates and deletes
    client.push("MODIFIED", obj("p1", 5, labels={"app": "y"}))
    client.push("DELETED", obj("p2", 6))
    await settle()
    assert names(inf.cache.by_label("app", "y")) == ["p1"]
    assert names(inf.cache.by_controller_uid("rs-uid")) == []
    assert names(inf.cache.by_owner_uid("n-uid")) == []
    assert inf.cache.get("default", "p1") is not None and inf.cache.get("default", "p2") is None
    await inf.stop()


async def test_late_handler_gets_cached_objects_replayed_as_adds() -> None:
    client, clock = ScriptedClient(), VirtualClock()
    client.items = [obj("a", 1)]
    inf, _ = recording_informer(client, clock)
    inf.start()
    await settle()
    seen: list[str] = []
    inf.add_event_handler(EventHandler(on_add=lambda o: seen.append(o["metadata"]["name"])))
    assert seen == ["a"]
    await inf.stop()


async def test_failing_handler_does_not_stop_the_informer() -> None:
    client, clock = ScriptedClient(), VirtualClock()
    inf, log = recording_informer(client, clock)

    def boom(_: Any) -> None:
        raise RuntimeError("handler bug")

    inf.add_event_handler(EventHandler(on_add=boom))
    inf.start()
    await settle()
    client.push("ADDED", obj("a", 2))
    client.push("ADDED", obj("b", 3))
    await settle()
    assert log == [("add", "a"), ("add", "b")]
    await inf.stop()
