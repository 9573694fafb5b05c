from grove.kube.clock import VirtualClock
from grove.runtime.expectations import ExpectationsStore, controller_owner_key

from .fakes import obj


def test_expected_creation_is_lowered_by_the_informer_event() -> None:
    store = ExpectationsStore()
    store.expect_creations("ns/rs", "u1", "u2")
    assert store.create_expectations("ns/rs") == {"u1", "u2"}
    handler = store.event_handler(controller_owner_key)
    owner = [{"apiVersion": "v1", "kind": "RS", "name": "rs", "uid": "rs", "controller": True}]
    child = obj("c1", 1, ns="ns", owners=owner)
    child["metadata"]["uid"] = "u1"
    assert handler.on_add is not None
    handler.on_add(child)
    assert store.create_expectations("ns/rs") == {"u2"}
    assert not store.satisfied("ns/rs")


def test_sync_lowers_expectations_even_when_watch_events_were_dropped() -> None:
    store = ExpectationsStore()
    store.expect_creations("k", "new1", "new2")
    store.expect_deletions("k", "old1", "old2")
    # cache now shows new1 (event dropped) and old2 (not yet gone); old1 is gone; t1 terminating
    store.sync("k", existing_uids=["new1", "old2", "t1"], terminating_uids=["t1"])
    assert store.create_expectations("k") == {"new2"}
    assert store.delete_expectations("k") == {"old2", "t1"}
    assert store.has_delete_expectation("k", "t1")


def test_uid_is_never_both_expected_created_and_deleted() -> None:
    store = ExpectationsStore()
    store.expect_creations("k", "u")
    store.expect_deletions("k", "u")
    assert store.create_expectations("k") == set() and store.delete_expectations("k") == {"u"}
    store.expect_creations("k", "u")  # a late create expectation cannot resurrect a deleted uid
    assert store.create_expectations("k") == set()
    store.observe_deletions("k", "u")
    assert store.satisfied("k")
    store.forget("k")
    assert len(store) == 0


def test_unknown_owner_has_no_expectations() -> None:
    store = ExpectationsStore()
    store.observe_creations("nobody", "u")
    store.sync("nobody", ["u"])
    assert store.satisfied("nobody") and store.create_expectations("nobody") == set()
    assert len(store) == 0


def test_create_expectation_expires_after_ttl_on_the_clock() -> None:
    clock = VirtualClock(start=0.0)
    store = ExpectationsStore(clock, ttl=300.0)
    store.expect_creations("k", "lost")  # created, then deleted, both events lost
    clock._now = 299.0
    store.sync("k", existing_uids=[])
    assert store.create_expectations("k") == {"lost"}
    clock._now = 300.0
    store.sync("k", existing_uids=[])
    assert store.satisfied("k")
