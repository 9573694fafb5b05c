"""Names, scope, printer columns and subresources exactly as spec §1.1 lists them.

The expected table is written out here from the spec, not derived from the code under test.
"""

from __future__ import annotations

from typing import Any

import pytest

from grove.api.crds import crd_for, generate_crds

AGE = ("Age", ".metadata.creationTimestamp", "date", 0)
MIN_BREACHED = ("MinBreached", '.status.conditions[?(@.type=="MinAvailableBreached")].status', "string", 1)

# kind: (group, plural, short name, scope, scale labelSelectorPath or None, [(name, jsonPath, type, priority)])
SPEC_1_1: dict[str, tuple[str, str, str, str, str | None, list[tuple[str, str, str, int]]]] = {
    "PodCliqueSet": ("grove.io", "podcliquesets", "pcs", "Namespaced", ".status.hpaPodSelector", [
        ("Replicas", ".spec.replicas", "integer", 0),
        ("Available", ".status.availableReplicas", "integer", 0),
        ("Updated", ".status.updatedReplicas", "integer", 0),
        ("PCLQs-Updated", ".status.updateProgress.updatedPodCliquesCount", "integer", 0),
        ("PCLQs-Total", ".status.updateProgress.totalPodCliquesCount", "integer", 0),
        ("PCSGs-Updated", ".status.updateProgress.updatedPodCliqueScalingGroupsCount", "integer", 0),
        ("PCSGs-Total", ".status.updateProgress.totalPodCliqueScalingGroupsCount", "integer", 0),
        AGE,
    ]),
    "PodClique": ("grove.io", "podcliques", "pclq", "Namespaced", ".status.hpaPodSelector", [
        ("MinAvail", ".spec.minAvailable", "integer", 0),
        ("Replicas", ".spec.replicas", "integer", 0),
        ("Ready", ".status.readyReplicas", "integer", 0),
        ("Scheduled", ".status.scheduledReplicas", "integer", 0),
        ("Updated", ".status.updatedReplicas", "integer", 0),
        ("Gated", ".status.scheduleGatedReplicas", "integer", 1),
        MIN_BREACHED,
        AGE,
    ]),
    "PodCliqueScalingGroup": ("grove.io", "podcliquescalinggroups", "pcsg", "Namespaced", ".status.selector", [
        ("MinAvail", ".spec.minAvailable", "integer", 0),
        ("Replicas", ".spec.replicas", "integer", 0),
        ("Available", ".status.availableReplicas", "integer", 0),
        ("Scheduled", ".status.scheduledReplicas", "integer", 0),
        ("Updated", ".status.updatedReplicas", "integer", 0),
        ("PCLQs-Updated", ".status.updateProgress.updatedPodCliquesCount", "integer", 0),
        ("PCLQs-Total", ".status.updateProgress.totalPodCliquesCount", "integer", 0),
        MIN_BREACHED,
        AGE,
    ]),
    "ClusterTopologyBinding": ("grove.io", "clustertopologybindings", "ct", "Cluster", None, [
        ("Domains", ".spec.levels[*].domain", "string", 0),
        AGE,
    ]),
    "PodGang": ("scheduler.grove.io", "podgangs", "pg", "Namespaced", None, [
        ("Phase", ".status.phase", "string", 0),
        AGE,
    ]),
}


def test_five_crds_in_spec_order() -> None:
    assert [c["spec"]["names"]["kind"] for c in generate_crds()] == list(SPEC_1_1)


@pytest.mark.parametrize("kind", list(SPEC_1_1))
def test_names_scope_and_version(kind: str) -> None:
    group, plural, short, scope, _, _ = SPEC_1_1[kind]
    crd = crd_for(short)
    assert crd["apiVersion"] == "apiextensions.k8s.io/v1"
    assert crd["kind"] == "CustomResourceDefinition"
    assert crd["metadata"] == {"name": f"{plural}.{group}"}
    spec = crd["spec"]
    assert spec["group"] == group and spec["scope"] == scope
    assert spec["names"]["kind"] == kind
    assert spec["names"]["plural"] == plural
    assert spec["names"]["singular"] == kind.lower()
    assert spec["names"]["listKind"] == f"{kind}List"
    assert spec["names"]["shortNames"] == [short]
    [version] = spec["versions"]
    assert (version["name"], version["served"], version["storage"]) == ("v1alpha1", True, True)


@pytest.mark.parametrize("kind", list(SPEC_1_1))
def test_printer_columns(kind: str) -> None:
    columns: list[dict[str, Any]] = crd_for(kind)["spec"]["versions"][0]["additionalPrinterColumns"]
    got = [(c["name"], c["jsonPath"], c["type"], c.get("priority", 0)) for c in columns]
    assert got == SPEC_1_1[kind][5]


@pytest.mark.parametrize("kind", list(SPEC_1_1))
def test_printer_columns_point_at_fields_of_the_schema(kind: str) -> None:
    version = crd_for(kind)["spec"]["versions"][0]
    schema = version["schema"]["openAPIV3Schema"]
    for col in version["additionalPrinterColumns"]:
        path = col["jsonPath"]
        if path.startswith(".metadata."):
            continue
        node = schema
        for part in path.split("[?(")[0].lstrip(".").split("."):
            node = node["properties"][part.removesuffix("[*]")]
            if part.endswith("[*]"):
                node = node["items"]
        if col["type"] == "integer":
            assert node["type"] == "integer", path


@pytest.mark.parametrize("kind", list(SPEC_1_1))
def test_subresources(kind: str) -> None:
    selector = SPEC_1_1[kind][4]
    subresources = crd_for(kind)["spec"]["versions"][0]["subresources"]
    expected: dict[str, Any] = {"status": {}}
    if selector is not None:
        expected["scale"] = {
            "specReplicasPath": ".spec.replicas",
            "statusReplicasPath": ".status.replicas",
            "labelSelectorPath": selector,
        }
    assert subresources == expected


@pytest.mark.parametrize("kind", ["PodCliqueSet", "PodClique", "PodCliqueScalingGroup"])
def test_scale_paths_exist_in_the_schema(kind: str) -> None:
    version = crd_for(kind)["spec"]["versions"][0]
    props = version["schema"]["openAPIV3Schema"]["properties"]
    scale = version["subresources"]["scale"]
    assert props["spec"]["properties"]["replicas"]["type"] == "integer"
    assert props["status"]["properties"]["replicas"]["type"] == "integer"
    selector_field = scale["labelSelectorPath"].removeprefix(".status.")
    assert props["status"]["properties"][selector_field]["type"] == "string"


def test_crd_for_accepts_kind_plural_and_short_names_and_rejects_others() -> None:
    assert crd_for("PodGang") == crd_for("pg") == crd_for("podgangs")
    with pytest.raises(KeyError, match="unknown Grove kind"):
        crd_for("deployment")
