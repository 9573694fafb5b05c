"""Create/update/patch semantics every backend must share: names, RVs, generation, subresources."""

from __future__ import annotations

import re

import pytest

from grove.kube.client import KubeClient
from grove.kube.errors import AlreadyExists, Conflict, Invalid, NotFound
from tests.contract.helpers import WIDGET, configmap, widget


async def test_generate_name_gives_five_char_suffix_and_unique_names(kube: KubeClient, ns: str) -> None:
    made = [await kube.create({"apiVersion": "v1", "kind": "ConfigMap",
                               "metadata": {"generateName": "gen-", "namespace": ns}}) for _ in range(5)]
    names = {m["metadata"]["name"] for m in made}
    assert len(names) == 5
    assert all(re.fullmatch(r"gen-[bcdfghjklmnpqrstvwxz2456789]{5}", n) for n in names)


async def test_create_existing_name_is_already_exists(kube: KubeClient, ns: str) -> None:
    await kube.create(configmap("a", ns))
    with pytest.raises(AlreadyExists):
        await kube.create(configmap("a", ns))


async def test_invalid_name_and_label_are_rejected(kube: KubeClient, ns: str) -> None:
    with pytest.raises(Invalid) as err:
        await kube.create(configmap("Not_Valid", ns))
    assert any(c.field == "metadata.name" for c in err.value.causes)
    with pytest.raises(Invalid):
        await kube.create(configmap("ok", ns, labels={"app": "bad value!"}))
    with pytest.raises(NotFound):
        await kube.get("v1", "ConfigMap", "ok", ns)


async def test_stale_resource_version_is_conflict_and_empty_is_unconditional(kube: KubeClient, ns: str) -> None:
    first = await kube.create(configmap("cm", ns))
    first["data"] = {"k": "one"}
    second = await kube.update(first)
    assert int(second["metadata"]["resourceVersion"]) > int(first["metadata"]["resourceVersion"])
    first["data"] = {"k": "stale"}
    with pytest.raises(Conflict):
        await kube.update(first)
    assert (await kube.get("v1", "ConfigMap", "cm", ns))["data"] == {"k": "one"}
    del first["metadata"]["resourceVersion"]
    third = await kube.update(first)
    assert third["data"] == {"k": "stale"}


async def test_noop_update_keeps_resource_version(kube: KubeClient, ns: str) -> None:
    made = await kube.create(configmap("same", ns))
    again = await kube.update(made)
    assert again["metadata"]["resourceVersion"] == made["metadata"]["resourceVersion"]


async def test_generation_moves_with_spec_only(kube: KubeClient, ns: str, widgets: str) -> None:
    w = await kube.create(widget("w", ns))
    assert w["metadata"]["generation"] == 1
    w["metadata"]["labels"] = {"touched": "yes"}
    w = await kube.update(w)
    assert w["metadata"]["generation"] == 1
    w = await kube.patch(*WIDGET, "w", {"status": {"replicas": 7}}, namespace=ns, subresource="status")
    assert w["metadata"]["generation"] == 1
    w["spec"]["replicas"] = 3
    w = await kube.update(w)
    assert w["metadata"]["generation"] == 2


async def test_status_subresource_split(kube: KubeClient, ns: str, widgets: str) -> None:
    w = await kube.create({**widget("w", ns, replicas=1), "status": {"replicas": 99}})
    assert "replicas" not in (w.get("status") or {})  # status is dropped on create
    w["status"] = {"replicas": 5}
    w["spec"]["replicas"] = 2
    w = await kube.update(w)
    assert w["spec"]["replicas"] == 2 and (w.get("status") or {}).get("replicas") is None
    w["status"] = {"replicas": 5}
    w["spec"]["replicas"] = 40
    w = await kube.update(w, subresource="status")
    assert w["status"]["replicas"] == 5 and w["spec"]["replicas"] == 2
    got = await kube.get(*WIDGET, "w", ns)
    assert got["spec"]["replicas"] == 2 and got["status"]["replicas"] == 5


async def test_merge_patch_sets_and_deletes_keys(kube: KubeClient, ns: str) -> None:
    await kube.create(configmap("p", ns, labels={"a": "1", "b": "2"}))
    out = await kube.patch("v1", "ConfigMap", "p", {"metadata": {"labels": {"a": None, "c": "3"}},
                                                    "data": {"x": "y"}}, namespace=ns)
    assert out["metadata"]["labels"] == {"b": "2", "c": "3"}
    assert out["data"] == {"k": "p", "x": "y"}


async def test_json_patch_and_failed_test_op_changes_nothing(kube: KubeClient, ns: str) -> None:
    made = await kube.create(configmap("j", ns))
    out = await kube.patch("v1", "ConfigMap", "j", [
        {"op": "test", "path": "/data/k", "value": "j"},
        {"op": "add", "path": "/data/n", "value": "1"},
        {"op": "remove", "path": "/data/k"},
    ], namespace=ns, patch_type="json")
    assert out["data"] == {"n": "1"}
    with pytest.raises(Invalid):
        await kube.patch("v1", "ConfigMap", "j", [
            {"op": "replace", "path": "/data/n", "value": "2"},
            {"op": "test", "path": "/data/n", "value": "1"},
            {"op": "test", "path": "/data/missing", "value": "x"},
        ], namespace=ns, patch_type="json")
    assert (await kube.get("v1", "ConfigMap", "j", ns))["data"] == {"n": "1"}
    assert made["metadata"]["uid"] == out["metadata"]["uid"]


async def test_patch_with_stale_resource_version_is_conflict(kube: KubeClient, ns: str) -> None:
    made = await kube.create(configmap("rv", ns))
    await kube.patch("v1", "ConfigMap", "rv", {"data": {"k": "new"}}, namespace=ns)
    with pytest.raises(Conflict):
        await kube.patch("v1", "ConfigMap", "rv", {"metadata": {"resourceVersion":
                                                                 made["metadata"]["resourceVersion"]},
                                                    "data": {"k": "lost"}}, namespace=ns)
    assert (await kube.get("v1", "ConfigMap", "rv", ns))["data"]["k"] == "new"


async def test_scale_subresource_of_a_crd(kube: KubeClient, ns: str, widgets: str) -> None:
    await kube.create(widget("s", ns, replicas=2))
    await kube.patch(*WIDGET, "s", {"status": {"replicas": 1, "selector": "app=s"}}, namespace=ns,
                     subresource="status")
    scale = await kube.get_scale(*WIDGET, "s", ns)
    assert scale["kind"] == "Scale" and scale["apiVersion"] == "autoscaling/v1"
    assert scale["spec"]["replicas"] == 2
    assert scale["status"] == {"replicas": 1, "selector": "app=s"}
    scale = await kube.update_scale(*WIDGET, "s", 5, ns)
    assert scale["spec"]["replicas"] == 5
    got = await kube.get(*WIDGET, "s", ns)
    assert got["spec"]["replicas"] == 5 and got["metadata"]["generation"] == 2
    await kube.patch(*WIDGET, "s", {"spec": {"replicas": 3}}, namespace=ns, subresource="scale")
    assert (await kube.get(*WIDGET, "s", ns))["spec"]["replicas"] == 3


async def test_delete_preconditions(kube: KubeClient, ns: str) -> None:
    made = await kube.create(configmap("pre", ns))
    with pytest.raises(Conflict):
        await kube.delete("v1", "ConfigMap", "pre", ns, preconditions={"uid": "not-the-uid"})
    with pytest.raises(Conflict):
        await kube.delete("v1", "ConfigMap", "pre", ns, preconditions={"resourceVersion": "1"})
    await kube.get("v1", "ConfigMap", "pre", ns)
    gone = await kube.delete("v1", "ConfigMap", "pre", ns,
                             preconditions={"uid": made["metadata"]["uid"],
                                            "resourceVersion": made["metadata"]["resourceVersion"]})
    assert gone is None
    with pytest.raises(NotFound):
        await kube.get("v1", "ConfigMap", "pre", ns)
