"""Every generated schema is structural, as kube-apiserver requires of a v1 CRD (KEP-1002).

The walk visits every node of the five ``openAPIV3Schema``s and checks the rules the API server
enforces when the CRD is created, so a model change that breaks them fails here, not in e2e.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from grove.api.crds import SchemaError, crd_for, generate_crds
from grove.api.crds.structural import ModelOverride, structural_schema
from grove.api.models.base import Int32, KubeDict, WireModel

from .openapi import validate

PRESERVE = "x-kubernetes-preserve-unknown-fields"

# The embedded Kubernetes types, and nothing else, keep unknown fields (spec §1.2).
ALLOWED_PRESERVE_UNKNOWN = {
    "PodCliqueSet": {
        "spec.template.cliques[].spec.podSpec",
        "spec.template.cliques[].spec.autoScalingConfig.metrics[]",
        "spec.template.podCliqueScalingGroups[].scaleConfig.metrics[]",
        "spec.template.resourceClaimTemplates[].templateSpec",
    },
    "PodClique": {"spec.podSpec", "spec.autoScalingConfig.metrics[]"},
    "PodCliqueScalingGroup": set(),
    "ClusterTopologyBinding": set(),
    "PodGang": set(),
}

FORBIDDEN_KEYS = {"$ref", "$defs", "definitions", "anyOf", "oneOf", "allOf", "not", "title", "const", "examples"}
TYPES = {"object", "array", "string", "integer", "number", "boolean"}
LIST_TYPES = {"atomic", "set", "map"}


def walk(node: dict[str, Any], path: str = "", lists: tuple[str | None, ...] = ()) -> Iterator[
    tuple[str, dict[str, Any], tuple[str | None, ...]]
]:
    """(path, node, list-types of the array ancestors) for every schema node."""
    yield path, node, lists
    for name, sub in node.get("properties", {}).items():
        yield from walk(sub, f"{path}.{name}" if path else name, lists)
    if isinstance(node.get("additionalProperties"), dict):
        yield from walk(node["additionalProperties"], f"{path}.*", lists)
    if "items" in node:
        yield from walk(node["items"], f"{path}[]", (*lists, node.get("x-kubernetes-list-type")))


def schemas() -> list[tuple[str, dict[str, Any]]]:
    return [(crd["spec"]["names"]["kind"], crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"])
            for crd in generate_crds()]


@pytest.mark.parametrize(("kind", "schema"), schemas(), ids=[k for k, _ in schemas()])
def test_every_node_is_structural(kind: str, schema: dict[str, Any]) -> None:
    problems: list[str] = []
    for path, node, _ in walk(schema):
        where = path or "<root>"
        if FORBIDDEN_KEYS & set(node):
            problems.append(f"{where}: has {sorted(FORBIDDEN_KEYS & set(node))}")
        untyped_ok = node.get(PRESERVE) is True or node.get("x-kubernetes-int-or-string") is True
        if "type" not in node and not untyped_ok:
            problems.append(f"{where}: no type")
        if "type" in node and node["type"] not in TYPES:
            problems.append(f"{where}: bad type {node['type']!r}")
        if "nullable" in node and "type" not in node:
            problems.append(f"{where}: nullable without a type")
        if "properties" in node and "additionalProperties" in node:
            problems.append(f"{where}: properties and additionalProperties together")
        if ("properties" in node or "additionalProperties" in node) and node.get("type") != "object":
            problems.append(f"{where}: properties on a non-object")
        if node.get("type") == "array" and "items" not in node:
            problems.append(f"{where}: array without items")
        if node.get("type") == "integer" and node.get("format") not in ("int32", "int64"):
            problems.append(f"{where}: integer without int32/int64 format")
        for req in node.get("required", []):
            if req not in node.get("properties", {}):
                problems.append(f"{where}: required {req!r} is not a property")
    assert problems == []


@pytest.mark.parametrize(("kind", "schema"), schemas(), ids=[k for k, _ in schemas()])
def test_preserve_unknown_fields_only_on_embedded_kubernetes_types(kind: str, schema: dict[str, Any]) -> None:
    found = {path for path, node, _ in walk(schema) if PRESERVE in node}
    assert found == ALLOWED_PRESERVE_UNKNOWN[kind]
    for path, node, _ in walk(schema):
        if path in found:
            assert node == {"type": "object", PRESERVE: True}, path


@pytest.mark.parametrize(("kind", "schema"), schemas(), ids=[k for k, _ in schemas()])
def test_root_is_a_kubernetes_object(kind: str, schema: dict[str, Any]) -> None:
    assert schema["properties"]["metadata"] == {"type": "object"}
    assert schema["properties"]["apiVersion"] == {"type": "string"}
    assert schema["properties"]["kind"] == {"type": "string"}
    assert set(schema["properties"]) == {"apiVersion", "kind", "metadata", "spec", "status"}


@pytest.mark.parametrize(("kind", "schema"), schemas(), ids=[k for k, _ in schemas()])
def test_list_map_keys_are_required_scalar_properties_of_their_items(kind: str, schema: dict[str, Any]) -> None:
    for path, node, _ in walk(schema):
        list_type = node.get("x-kubernetes-list-type")
        if list_type is None:
            assert "x-kubernetes-list-map-keys" not in node, path
            continue
        assert node["type"] == "array" and list_type in LIST_TYPES, path
        if list_type != "map":
            continue
        items = node["items"]
        assert items["type"] == "object", path
        for key in node["x-kubernetes-list-map-keys"]:
            assert key in items["properties"], f"{path}: map key {key} is not a property"
            assert key in items.get("required", []) or "default" in items["properties"][key], path
            assert items["properties"][key]["type"] in ("string", "integer", "boolean"), path


@pytest.mark.parametrize(("kind", "schema"), schemas(), ids=[k for k, _ in schemas()])
def test_defaults_are_valid_for_their_node(kind: str, schema: dict[str, Any]) -> None:
    defaults = [(path, node) for path, node, _ in walk(schema) if "default" in node]
    for path, node in defaults:
        assert validate(node["default"], node, path) == [], path


# spec §1.2-§1.4 and §2.1: the defaults the API server applies before the defaulting webhook, and no others.
EXPECTED_DEFAULTS = {
    "PodCliqueSet": {
        "spec.replicas": 0,
        "spec.updateStrategy.type": "RollingRecreate",
        "spec.template.cliqueStartupType": "CliqueStartupTypeAnyOrder",
        "spec.template.headlessServiceConfig.publishNotReadyAddresses": True,
        "spec.template.podCliqueScalingGroups[].replicas": 1,
        "spec.template.podCliqueScalingGroups[].minAvailable": 1,
        "status.updatedReplicas": 0,
        "status.availableReplicas": 0,
        # Grove extension (docs/spread.md): Kubernetes topologySpreadConstraints' defaults
        **{f"{site}.topologyConstraint.spreadConstraints[].{field}": value
           for site in ("spec.template", "spec.template.cliques[]", "spec.template.podCliqueScalingGroups[]")
           for field, value in (("maxSkew", 1), ("whenUnsatisfiable", "DoNotSchedule"))},
    },
    "PodClique": {f"status.{n}": 0 for n in
                  ("readyReplicas", "updatedReplicas", "scheduleGatedReplicas", "scheduledReplicas")},
    "PodCliqueScalingGroup": {
        "spec.replicas": 1,
        "spec.minAvailable": 1,
        **{f"status.{n}": 0 for n in ("scheduledReplicas", "availableReplicas", "updatedReplicas")},
    },
    "ClusterTopologyBinding": {},
    "PodGang": {},
}


@pytest.mark.parametrize(("kind", "schema"), schemas(), ids=[k for k, _ in schemas()])
def test_crd_defaults_are_exactly_the_specified_ones(kind: str, schema: dict[str, Any]) -> None:
    found = {path: node["default"] for path, node, _ in walk(schema) if "default" in node}
    assert found == EXPECTED_DEFAULTS[kind]
    for path in found:
        if path.startswith("status."):
            parent, name = path.rsplit(".", 1)
            assert name in dict((p, n) for p, n, _ in walk(schema))[parent]["required"], path


@pytest.mark.parametrize(("kind", "schema"), schemas(), ids=[k for k, _ in schemas()])
def test_transition_rules_sit_where_the_api_server_can_correlate_old_objects(
    kind: str, schema: dict[str, Any]
) -> None:
    # kube-apiserver rejects a CRD with an oldSelf rule below an atomic or set list.
    for path, node, lists in walk(schema):
        for rule in node.get("x-kubernetes-validations", []):
            if "oldSelf" in rule["rule"]:
                assert all(t == "map" for t in lists), f"{path}: transition rule under a non-map list"
            else:
                assert "optionalOldSelf" not in rule, path


def test_the_specified_required_fields_are_required() -> None:
    # spec §1.2-§1.6: required lists (roleName stays optional on purpose: an upstream sample omits it).
    pcs = crd_for("pcs")["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    nodes = dict((p, n) for p, n, _ in walk(pcs))
    assert nodes["spec"]["required"] == ["template"]
    assert nodes["spec.template"]["required"] == ["cliques"]
    assert nodes["spec.template.cliques[]"]["required"] == ["name", "spec"]
    assert nodes["spec.template.cliques[].spec"]["required"] == ["podSpec", "replicas"]
    assert nodes["spec.template.podCliqueScalingGroups[]"]["required"] == ["cliqueNames", "name"]
    assert nodes["spec.template.resourceSharing[]"]["required"] == ["name", "scope"]
    assert nodes["spec.template.resourceClaimTemplates[]"]["required"] == ["name", "templateSpec"]
    assert nodes["spec.template.cliques[].spec.autoScalingConfig"]["required"] == ["maxReplicas"]
    assert nodes["status"]["required"] == ["availableReplicas", "updatedReplicas"]
    pg = dict((p, n) for p, n, _ in walk(crd_for("pg")["spec"]["versions"][0]["schema"]["openAPIV3Schema"]))
    assert pg["spec"]["required"] == ["podgroups"]
    assert pg["spec.podgroups[]"]["required"] == ["minReplicas", "name", "podReferences"]
    assert pg["status"]["required"] == ["phase"]
    assert pg["status.phase"]["enum"] == ["Pending", "Starting", "Running", "Failed", "Succeeded"]
    ct = dict((p, n) for p, n, _ in walk(crd_for("ct")["spec"]["versions"][0]["schema"]["openAPIV3Schema"]))
    assert ct["spec.levels"]["minItems"] == 1
    assert ct["spec.schedulerTopologyBindings[]"]["required"] == ["schedulerName", "topologyReference"]


# --- the rewriter refuses what a structural schema cannot say ---------------------------------------

class _Union(WireModel):
    value: int | str


class _Ok(WireModel):
    count: Int32 | None = None
    raw: KubeDict
    tags: dict[str, str] | None = None


def test_rewriter_rejects_unions() -> None:
    with pytest.raises(SchemaError, match="unions"):
        structural_schema(_Union, {})


def test_rewriter_turns_optionals_and_embedded_objects_into_structural_nodes() -> None:
    schema, used = structural_schema(_Ok, {"_Ok": ModelOverride(properties={"count": {"default": 3}})})
    assert used == {"_Ok"}
    assert schema == {
        "type": "object",
        "properties": {
            "count": {"type": "integer", "format": "int32", "default": 3},
            "raw": {"type": "object", PRESERVE: True},
            "tags": {"type": "object", "additionalProperties": {"type": "string"}},
        },
        "required": ["raw"],
    }


def test_override_naming_an_unknown_property_fails() -> None:
    with pytest.raises(SchemaError, match="unknown properties"):
        structural_schema(_Ok, {"_Ok": ModelOverride(required=("nope",))})
