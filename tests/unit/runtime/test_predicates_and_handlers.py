from grove.kube.clock import VirtualClock
from grove.runtime.handlers import Request, enqueue_handler, request_for_object, requests_for_owner
from grove.runtime.predicates import (
    AnnotationsChanged,
    Funcs,
    GenerationChanged,
    LabelsChanged,
    all_of,
    any_of,
    matching,
    not_,
)
from grove.runtime.workqueue import WorkQueue

from .fakes import obj


def test_generation_changed_filters_status_only_updates() -> None:
    p = GenerationChanged()
    assert not p.update(obj("a", 1, generation=1), obj("a", 2, generation=1))
    assert p.update(obj("a", 1, generation=1), obj("a", 2, generation=2))
    assert p.create(obj("a", 1)) and p.delete(obj("a", 1))


def test_labels_and_annotations_changed() -> None:
    a, b = obj("a", 1, labels={"x": "1"}), obj("a", 2, labels={"x": "2"})
    assert LabelsChanged().update(a, b) and not LabelsChanged().update(a, obj("a", 3, labels={"x": "1"}))
    a["metadata"]["annotations"] = {"k": "1", "other": "1"}
    b["metadata"]["annotations"] = {"k": "1", "other": "2"}
    assert AnnotationsChanged().update(a, b)
    assert not AnnotationsChanged(keys=["k"]).update(a, b)
    assert AnnotationsChanged(keys=["other"]).update(a, b)


def test_combinators_and_custom() -> None:
    named_a = matching(lambda o: o["metadata"]["name"] == "a")
    gen = GenerationChanged()
    old, new = obj("a", 1, generation=1), obj("a", 2, generation=1)
    assert not all_of(named_a, gen).update(old, new)
    assert any_of(named_a, gen).update(old, new)
    assert not_(named_a).create(obj("b", 1))
    never_delete = Funcs(delete=lambda o: False)
    assert never_delete.create(obj("a", 1)) and not never_delete.delete(obj("a", 1))


def test_owner_mapping_matches_group_and_kind_of_the_controller_owner_only() -> None:
    mapper = requests_for_owner("apps/v1", "ReplicaSet")
    owners = [{"apiVersion": "apps/v1beta2", "kind": "ReplicaSet", "name": "rs", "uid": "1", "controller": True},
              {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "not-controller", "uid": "2"},
              {"apiVersion": "other.io/v1", "kind": "ReplicaSet", "name": "wrong-group", "uid": "3"}]
    assert mapper(obj("p", 1, ns="ns", owners=owners)) == [Request("ns", "rs")]
    assert requests_for_owner("apps/v1", "ReplicaSet", only_controller=False)(
        obj("p", 1, ns="ns", owners=owners)) == [Request("ns", "rs"), Request("ns", "not-controller")]
    assert mapper(obj("orphan", 1)) == []
    core = requests_for_owner("v1", "ConfigMap")
    assert core(obj("p", 1, owners=[{"apiVersion": "v1", "kind": "ConfigMap", "name": "cm", "uid": "u",
                                     "controller": True}])) == [Request("default", "cm")]


async def test_enqueue_handler_applies_predicates_and_maps_old_and_new() -> None:
    q: WorkQueue[Request] = WorkQueue(VirtualClock())
    h = enqueue_handler(q, lambda o: [Request(None, o["metadata"]["labels"]["owner"])], [LabelsChanged()])
    assert h.on_update is not None and h.on_add is not None
    h.on_update(obj("a", 1, labels={"owner": "x"}), obj("a", 2, labels={"owner": "x"}))
    assert len(q) == 0, "predicate filtered the update"
    h.on_update(obj("a", 1, labels={"owner": "x"}), obj("a", 2, labels={"owner": "y"}))
    assert sorted([await q.get(), await q.get()]) == [Request(None, "x"), Request(None, "y")]
    h2 = enqueue_handler(q, request_for_object)
    assert h2.on_add is not None
    h2.on_add(obj("z", 1, ns="ns"))
    assert await q.get() == Request("ns", "z")
