from __future__ import annotations

import pytest

from grove.kube.objects import (
    AlreadyOwnedError,
    controller_owner,
    deep_copy,
    get_condition,
    pod_ready,
    set_condition,
    set_controller_owner,
)
from grove.kube.resources import ResourceRegistry, kinds_from_crd

OWNER = {"apiVersion": "grove.io/v1alpha1", "kind": "PodClique", "metadata": {"name": "o", "uid": "u1"}}


def test_set_controller_owner_is_idempotent_and_refuses_a_second_controller() -> None:
    obj: dict = {"metadata": {"name": "p"}}
    set_controller_owner(obj, OWNER)
    set_controller_owner(obj, OWNER)
    assert obj["metadata"]["ownerReferences"] == [{"apiVersion": "grove.io/v1alpha1", "kind": "PodClique",
                                                   "name": "o", "uid": "u1", "controller": True,
                                                   "blockOwnerDeletion": True}]
    assert controller_owner(obj) == obj["metadata"]["ownerReferences"][0]
    with pytest.raises(AlreadyOwnedError):
        set_controller_owner(obj, {**OWNER, "metadata": {"name": "other", "uid": "u2"}})


def test_condition_transition_time_moves_only_on_status_change() -> None:
    pod: dict = {}
    assert set_condition(pod, "Ready", "False", now="t1")
    assert not set_condition(pod, "Ready", "False", now="t2")
    assert set_condition(pod, "Ready", "False", now="t3", reason="Waiting")
    assert get_condition(pod, "Ready")["lastTransitionTime"] == "t1"  # type: ignore[index]
    assert not pod_ready(pod)
    assert set_condition(pod, "Ready", "True", now="t4")
    assert get_condition(pod, "Ready")["lastTransitionTime"] == "t4"  # type: ignore[index]
    assert pod_ready(pod)


def test_deep_copy_is_independent() -> None:
    src = {"a": [{"b": 1}], "c": {"d": [1, 2]}}
    out = deep_copy(src)
    out["a"][0]["b"] = 2
    out["c"]["d"].append(3)
    assert src == {"a": [{"b": 1}], "c": {"d": [1, 2]}}


CRD = {"metadata": {"name": "podcliquesets.grove.io"},
       "spec": {"group": "grove.io", "scope": "Namespaced",
                "names": {"kind": "PodCliqueSet", "plural": "podcliquesets", "shortNames": ["pcs"]},
                "versions": [{"name": "v1alpha1", "served": True, "storage": True,
                              "subresources": {"status": {}, "scale": {
                                  "specReplicasPath": ".spec.replicas", "statusReplicasPath": ".status.replicas",
                                  "labelSelectorPath": ".status.hpaPodSelector"}}},
                             {"name": "v0", "served": False, "storage": False}]}}


def test_kinds_from_crd_and_registry() -> None:
    [rk] = kinds_from_crd(CRD)
    assert (rk.api_version, rk.kind, rk.plural, rk.namespaced, rk.status) == \
        ("grove.io/v1alpha1", "PodCliqueSet", "podcliquesets", True, True)
    assert rk.scale is not None and rk.scale.label_selector_path == ".status.hpaPodSelector"
    assert rk.short_names == ("pcs",)
    reg = ResourceRegistry()
    assert reg.get("v1", "Pod") is not None and reg.get("v1", "Pod").status  # type: ignore[union-attr]
    assert reg.get("grove.io/v1alpha1", "PodCliqueSet") is None
    reg.register_crd(CRD)
    assert reg.by_plural("grove.io", "v1alpha1", "podcliquesets") == rk
    reg.unregister_crd("podcliquesets.grove.io")
    assert reg.get("grove.io/v1alpha1", "PodCliqueSet") is None
