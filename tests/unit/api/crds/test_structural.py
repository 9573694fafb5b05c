"""Every generated schema is structural, as kube-apiserver requires of a v1 CRD (KEP-1002).

The walk visits every node of the five ``openAPIV3Schema``s and checks the rules the API server
enforces when the CRD is created, so a model change that breaks them fails here, not in e2e.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from grove.api.crds import SchemaError, crd_for, generate_crds
from grove.api.crds.structural import ModelOverride, structural_problems, structural_schema
from grove.api.models.base import Int32, KubeDict, WireModel

from .openapi import validate

PRESERVE = "x-kubernetes-preserve-unknown-fields"

# Only RawExtension keeps unknown fields (DRA opaque driver parameters), exactly where upstream's
# controller-gen CRDs have it; the embedded PodSpec, MetricSpec and ResourceClaimTemplateSpec carry
# their full Kubernetes schemas (grove.api.crds.kube_schema).
ALLOWED_PRESERVE_UNKNOWN = {
    "PodCliqueSet": {"spec.template.resourceClaimTemplates[].templateSpec.spec.devices.config[].opaque.parameters"},
    "PodClique": set(),
    "PodCliqueScalingGroup": set(),
    "ClusterTopologyBinding": set(),
    "PodGang": set(),
}

# Where the embedded Kubernetes types sit; their defaults are Kubernetes' (+default markers), not ours.
EMBEDDED_ROOTS = ("spec.template.cliques[].spec.podSpec", "spec.podSpec", "spec.template.cliques[].spec.autoScalingConfig.metrics[]",
                  "spec.autoScalingConfig.metrics[]", "spec.template.podCliqueScalingGroups[].scaleConfig.metrics[]",
                  "spec.template.resourceClaimTemplates[].templateSpec")
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


def embedded(path: str) -> bool:
    return any(path == root or path.startswith((f"{root}.", f"{root}[")) for root in EMBEDDED_ROOTS)


def schemas() -> list[tuple[str, dict[str, Any]]]:
    return [(crd["spec"]["names"]["kind"], crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"])
            for crd in generate_crds()]


@pytest.mark.parametrize(("kind", "schema"), schemas(), ids=[k for k, _ in schemas()])
def test_every_node_is_structural(kind: str, schema: dict[str, Any]) -> None:
    assert structural_problems(schema) == []
    for path, node, _ in walk(schema):
        if "anyOf" in node:  # the only junctor we emit: int-or-string (IntOrString, Quantity)
            assert node.get("x-kubernetes-int-or-string") is True and "type" not in node, path


# --- the structural checker catches what kube-apiserver refuses -------------------------------------

_QTY = {"anyOf": [{"type": "integer"}, {"type": "string"}], "x-kubernetes-int-or-string": True}


@pytest.mark.parametrize(("node", "problem"), [
    ({"type": "object", "properties": {"a": {"$ref": "#/definitions/A"}}}, "a: unsupported keywords ['$ref']"),
    ({"type": "object", "properties": {"a": {"allOf": [{"$ref": "#/x"}]}}}, "a: no type"),
    ({"type": "object", "properties": {"a": {"anyOf": [{"type": "integer"}, {"type": "string"}]}}}, "a: no type"),
    ({"type": "object", "properties": {"a": {"type": "string", "anyOf": [{"type": "string"}]}}},
     "a.anyOf: [0]: ['type'] inside anyOf"),
    ({"type": "object", "properties": {"a": {"type": "object", "anyOf": [{"properties": {"b": {}}}]}}},
     "a.anyOf: [0]: field 'b' not declared outside the junctor"),
    ({"type": "object", "properties": {"a": {**_QTY, "type": "string"}}}, "a: x-kubernetes-int-or-string with a type"),
    ({"type": "object", "properties": {"a": {**_QTY, "anyOf": [{"type": "integer"}, {"type": "number"}]}}},
     "a.anyOf: [0]: ['type'] inside anyOf"),
    ({"type": "array", "items": {"type": "object", "properties": {"k": {"type": "string"}}},
      "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["k"]}, "<root>: map key 'k' is neither required"),
    ({"type": "array", "items": {"type": "object"}, "x-kubernetes-list-type": "set"}, "list-type set of non-scalar"),
    ({"type": "string", "x-kubernetes-map-type": "atomic"}, "x-kubernetes-map-type 'atomic' on a string node"),
    ({"type": "object", "properties": {"n": {"type": "integer"}}}, "n: integer without int32/int64 format"),
    ({"type": "object", "required": ["x"], "properties": {}}, "required 'x' is not a property"),
    ({"type": "array"}, "array without a single items schema"),
])
def test_structural_checker_reports(node: dict[str, Any], problem: str) -> None:
    assert any(problem in p for p in structural_problems(node)), structural_problems(node)


def test_structural_checker_accepts_both_int_or_string_shapes() -> None:
    assert structural_problems({"type": "object", "properties": {"q": _QTY}}) == []
    wrapped = {"allOf": [{"anyOf": [{"type": "integer"}, {"type": "string"}]}], "x-kubernetes-int-or-string": True}
    assert structural_problems({"type": "object", "properties": {"q": wrapped}}) == []


@pytest.mark.parametrize(("kind", "schema"), schemas(), ids=[k for k, _ in schemas()])
def test_preserve_unknown_fields_only_on_raw_extensions(kind: str, schema: dict[str, Any]) -> None:
    found = {path for path, node, _ in walk(schema) if PRESERVE in node}
    assert found == ALLOWED_PRESERVE_UNKNOWN[kind]
    for path, node, _ in walk(schema):
        if path in found:
            assert {k: v for k, v in node.items() if k != "description"} == {"type": "object", PRESERVE: True}, path


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
    found = {path: node["default"] for path, node, _ in walk(schema) if "default" in node and not embedded(path)}
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
