"""The embedded Kubernetes types in the CRDs: the full PodSpec (and MetricSpec, ResourceClaimTemplateSpec)
as controller-gen writes them for upstream, from the same checked-in OpenAPI files Grove's own field
checks read (grove.api.validation.pod_schema)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from grove.api.crds import SchemaError, crd_for
from grove.api.crds.kube_schema import (
    METRIC_SPEC,
    POD_SPEC,
    QUANTITY_PATTERN,
    RESOURCE_CLAIM_TEMPLATE_SPEC,
    _Converter,
    kube_schema,
)
from grove.api.crds.structural import schema_nodes
from grove.api.validation.errors import ROOT
from grove.api.validation.pod_schema import unknown_pod_spec_fields

from .openapi import validate


def _schema(kind: str) -> dict[str, Any]:
    schema: dict[str, Any] = crd_for(kind)["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    return schema


def _at(schema: dict[str, Any], path: str) -> dict[str, Any]:
    nodes = dict(schema_nodes(schema))
    return nodes[path]


PCS_POD = "spec.template.cliques[].spec.podSpec"
PCLQ_POD = "spec.podSpec"


def test_pcs_and_podclique_embed_the_same_full_pod_spec() -> None:
    pcs, pclq = _at(_schema("pcs"), PCS_POD), _at(_schema("pclq"), PCLQ_POD)
    assert pcs == pclq == kube_schema(POD_SPEC)
    assert pcs["required"] == ["containers"]
    assert {"containers", "initContainers", "volumes", "affinity", "tolerations", "nodeSelector",
            "schedulerName", "resourceClaims"} <= set(pcs["properties"])


def test_containers_are_a_list_map_by_name_with_described_fields() -> None:
    containers = _at(_schema("pcs"), f"{PCS_POD}.containers")
    assert containers["x-kubernetes-list-type"] == "map" and containers["x-kubernetes-list-map-keys"] == ["name"]
    item = containers["items"]
    assert item["required"] == ["name"]
    assert {"name", "image", "imagePullPolicy", "resources", "env", "ports", "command", "args",
            "livenessProbe", "readinessProbe", "volumeMounts"} <= set(item["properties"])
    assert item["description"].startswith("A single application container")
    assert item["properties"]["image"]["description"].startswith("Container image name.")
    assert "description" in containers  # kubectl explain shows it


def test_quantities_and_int_or_string_are_written_as_controller_gen_does() -> None:
    item = _at(_schema("pcs"), f"{PCS_POD}.containers[]")
    limits = item["properties"]["resources"]["properties"]["limits"]
    assert limits["type"] == "object"
    assert limits["additionalProperties"] == {"anyOf": [{"type": "integer"}, {"type": "string"}],
                                              "pattern": QUANTITY_PATTERN, "x-kubernetes-int-or-string": True}
    port = item["properties"]["readinessProbe"]["properties"]["httpGet"]["properties"]["port"]
    assert {k: v for k, v in port.items() if k != "description"} == {
        "anyOf": [{"type": "integer"}, {"type": "string"}], "x-kubernetes-int-or-string": True}
    ports = item["properties"]["ports"]
    assert ports["x-kubernetes-list-map-keys"] == ["containerPort", "protocol"]
    assert ports["items"]["properties"]["protocol"]["default"] == "TCP"
    assert ports["items"]["properties"]["containerPort"]["format"] == "int32"


def test_map_types_and_marker_defaults_survive_and_generated_zero_defaults_do_not() -> None:
    pod = kube_schema(POD_SPEC)
    nodes = dict(schema_nodes(pod))
    assert nodes["nodeSelector"]["x-kubernetes-map-type"] == "atomic"
    for inlined in ("containers[].envFrom[].configMapRef", "containers[].envFrom[].secretRef", "volumes[].configMap",
                    "volumes[].projected.sources[].secret", "containers[].env[].valueFrom.configMapKeyRef"):
        assert nodes[inlined]["x-kubernetes-map-type"] == "atomic", inlined  # LocalObjectReference is atomic
    assert nodes["imagePullSecrets"]["x-kubernetes-list-type"] == "map"
    assert nodes["imagePullSecrets[]"]["properties"]["name"]["default"] == ""  # a list-map key needs it
    defaults = {path: node["default"] for path, node in nodes.items() if "default" in node}
    assert all(value not in ({}, []) for value in defaults.values()), defaults
    assert "containers[].resources" not in defaults and "volumes[].awsElasticBlockStore.volumeID" not in defaults
    assert defaults["containers[].ports[].protocol"] == "TCP"


def test_embedded_object_meta_and_raw_extension_are_what_controller_gen_writes() -> None:
    pod = dict(schema_nodes(kube_schema(POD_SPEC)))
    meta = pod["volumes[].ephemeral.volumeClaimTemplate.metadata"]
    assert {k: v for k, v in meta.items() if k != "description"} == {"type": "object"}
    claim = dict(schema_nodes(kube_schema(RESOURCE_CLAIM_TEMPLATE_SPEC)))
    assert claim["metadata"]["type"] == "object" and "properties" not in claim["metadata"]
    params = claim["spec.devices.config[].opaque.parameters"]
    assert params["x-kubernetes-preserve-unknown-fields"] is True and params["type"] == "object"


def test_metrics_and_resource_claim_templates_embed_their_types() -> None:
    pcs = _schema("pcs")
    metrics = _at(pcs, "spec.template.cliques[].spec.autoScalingConfig.metrics")
    assert metrics["x-kubernetes-list-type"] == "atomic"
    assert metrics["items"] == kube_schema(METRIC_SPEC) and metrics["items"]["required"] == ["type"]
    assert _at(pcs, "spec.template.podCliqueScalingGroups[].scaleConfig.metrics") == metrics
    template = _at(pcs, "spec.template.resourceClaimTemplates[].templateSpec")
    assert template == kube_schema(RESOURCE_CLAIM_TEMPLATE_SPEC) and template["required"] == ["spec"]


def test_every_call_gives_a_fresh_copy() -> None:
    first = kube_schema(POD_SPEC)
    first["properties"].clear()
    assert "containers" in kube_schema(POD_SPEC)["properties"]
    assert json.dumps(kube_schema(POD_SPEC), sort_keys=True) == json.dumps(kube_schema(POD_SPEC), sort_keys=True)


# --- one source: the CRD schema and Grove's own unknown-field check agree ---------------------------

def _object_paths(schema: dict[str, Any]) -> Iterator[str]:
    for path, node in schema_nodes(schema):
        if node.get("type") == "object" and "properties" in node and ".*" not in path:
            yield path


def _with_extra_key(path: str) -> tuple[dict[str, Any], str]:
    """A pod spec with ``zzz`` added at ``path`` (``containers[].ports[]``) and the wire path of it."""
    root: dict[str, Any] = {}
    node: Any = root
    wire = ""
    for step in path.split(".") if path else []:
        name, is_list = (step[:-2], True) if step.endswith("[]") else (step, False)
        child: dict[str, Any] = {}
        node[name] = [child] if is_list else child
        wire += f".{name}[0]" if is_list else f".{name}"
        node = child
    node["zzz"] = 1
    return root, f"{wire}.zzz".lstrip(".")


@pytest.mark.parametrize("path", list(_object_paths(kube_schema(POD_SPEC))))
def test_an_unknown_field_anywhere_in_the_pod_spec_is_named_by_both_checks(path: str) -> None:
    pod_spec, wire = _with_extra_key(path)
    crd_unknown = [e.split(": ")[0] for e in validate(pod_spec, kube_schema(POD_SPEC), "podSpec")
                   if e.endswith("unknown field (would be pruned)")]
    assert crd_unknown == [f"podSpec.{wire}"]
    ours = [str(u.path) for u in unknown_pod_spec_fields(pod_spec, ROOT.child("podSpec"))]
    assert ours == [f"podSpec.{wire}"]


# --- the converter refuses what it cannot write structurally ----------------------------------------

def test_converter_rejects_unknown_keywords_recursion_and_unions() -> None:
    with pytest.raises(SchemaError, match="unsupported OpenAPI keys"):
        _Converter({"A": {"type": "object", "properties": {"a": {"type": "string", "x-new-thing": 1}}}}).type_node("A", ())
    recursive = {"A": {"type": "object", "properties": {"a": {"allOf": [{"$ref": "#/components/schemas/A"}]}}}}
    with pytest.raises(SchemaError, match="recursive"):
        _Converter(recursive).type_node("A", ())
    with pytest.raises(SchemaError, match="oneOf"):
        _Converter({"A": {"oneOf": [{"type": "string"}, {"type": "number"}]}}).type_node("A", ())
    with pytest.raises(SchemaError, match="unresolvable"):
        _Converter({"A": {"type": "object", "properties": {"b": {"$ref": "#/components/schemas/B"}}}}).type_node("A", ())
