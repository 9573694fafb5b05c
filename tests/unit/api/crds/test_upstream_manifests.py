"""The CRDs accept every upstream Grove manifest unchanged, and reject what the API server would.

Upstream users apply their manifests to our CRDs, so each PodCliqueSet (and any other Grove kind) in
``../shared/upstream`` must pass the generated schema as a create: types, required fields, enums,
patterns, CEL rules, and no field that pruning would silently drop. The negative cases show the
schema (and the tiny validator in ``openapi.py``) actually rejects bad input.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from grove.api.crds import openapi_schema
from grove.api.kinds import grove_kind, grove_kind_by_name
from grove.api.manifests import load_documents
from tests.upstream import UPSTREAM

from .openapi import validate

DOCS = [d for d in load_documents([str(UPSTREAM)]) if grove_kind(d.body.get("apiVersion"), d.body.get("kind"))]


def schema_of(kind: str) -> dict[str, Any]:
    found = grove_kind_by_name(kind)
    assert found is not None
    return openapi_schema(found)


def test_upstream_corpus_is_present() -> None:
    assert sum(1 for d in DOCS if d.body["kind"] == "PodCliqueSet") >= 50, f"no upstream manifests in {UPSTREAM}"


@pytest.mark.parametrize("doc", DOCS, ids=lambda d: d.where.split("upstream/")[-1])
def test_upstream_manifest_is_accepted_unchanged(doc) -> None:  # type: ignore[no-untyped-def]
    kind = grove_kind(doc.body["apiVersion"], doc.body["kind"])
    assert kind is not None
    assert validate(doc.body, openapi_schema(kind)) == []


def _pcs(**template: Any) -> dict[str, Any]:
    clique = {"name": "worker", "spec": {"roleName": "worker", "replicas": 2, "podSpec": {"containers": []}}}
    return {
        "apiVersion": "grove.io/v1alpha1",
        "kind": "PodCliqueSet",
        "metadata": {"name": "demo"},
        "spec": {"replicas": 1, "template": {"cliques": [clique], **template}},
    }


def test_minimal_pcs_is_accepted() -> None:
    assert validate(_pcs(), schema_of("pcs")) == []


def _broken(path: list[Any], value: Any) -> dict[str, Any]:
    body = copy.deepcopy(_pcs())
    node: Any = body
    for step in path[:-1]:
        node = node[step]
    if value is _DELETE:
        del node[path[-1]]
    elif isinstance(node, list) and path[-1] == len(node):
        node.append(value)
    else:
        node[path[-1]] = value
    return body


_DELETE = object()
_CLIQUE = ["spec", "template", "cliques", 0]


@pytest.mark.parametrize(("path", "value", "error"), [
    (["spec", "template"], _DELETE, "spec.template: required"),
    (["spec", "template", "cliques"], _DELETE, "spec.template.cliques: required"),
    ([*_CLIQUE, "spec", "podSpec"], _DELETE, "spec.podSpec: required"),
    ([*_CLIQUE, "spec", "replicas"], "2", "is not of type integer"),
    ([*_CLIQUE, "spec", "replicas"], 2**31, "is above 2147483647"),
    (["spec", "replicas"], 1.5, "is not of type integer"),
    (["spec", "updateStrategy"], {"type": "Surge"}, "not one of ['RollingRecreate', 'OnDelete']"),
    (["spec", "template", "cliqueStartupType"], "InOrder", "not one of"),
    (["spec", "template", "cliques", 1], {"name": "worker", "spec": {"replicas": 1, "podSpec": {}}},
     "duplicate entry for key ('worker',)"),
    (["spec", "template", "resourceSharing"], [{"name": "gpu", "scope": "Everywhere"}], "not one of"),
    (["spec", "template", "resourceClaimTemplates"], [{"name": "t"}], "templateSpec: required"),
    (["spec", "template", "podCliqueScalingGroups"], [{"name": "g"}], "cliqueNames: required"),
    ([*_CLIQUE, "spec", "autoScalingConfig"], {"minReplicas": 1}, "maxReplicas: required"),
    (["spec", "template", "headlessServicConfig"], {}, "unknown field"),
])
def test_schema_rejects(path: list[Any], value: Any, error: str) -> None:
    errors = validate(_broken(path, value), schema_of("pcs"))
    assert any(error in e for e in errors), errors


_POD = [*_CLIQUE, "spec", "podSpec"]


def test_embedded_pod_spec_prunes_unknown_fields_like_upstreams_crd() -> None:
    # The API server drops (and kubectl warns about) a typo inside the pod template, as with upstream.
    body = _broken(_POD, {"containers": [{"name": "c", "image": "x", "imagePullPolicyy": "Always"}]})
    errors = validate(body, schema_of("pcs"))
    assert errors == ["<root>.spec.template.cliques[0].spec.podSpec.containers[0].imagePullPolicyy: "
                      "unknown field (would be pruned)"]


@pytest.mark.parametrize(("pod_spec", "error"), [
    ({}, "podSpec.containers: required"),
    ({"containers": [{"image": "x"}]}, "containers[0].name: required"),
    ({"containers": [{"name": "c"}, {"name": "c"}]}, "duplicate entry for key ('c',)"),
    ({"containers": [{"name": "c", "resources": {"limits": {"cpu": "lots"}}}]}, "'lots' does not match"),
    ({"containers": [{"name": "c", "resources": {"requests": {"memory": 1.5}}}]}, "must be an integer or a string"),
    ({"containers": [{"name": "c", "ports": [{"containerPort": "80"}]}]}, "'80' is not of type integer"),
    ({"containers": [{"name": "c", "ports": [{"containerPort": 2**31}]}]}, "is above 2147483647"),
    ({"containers": [{"name": "c", "env": {"A": "1"}}]}, "is not of type array"),
    ({"containers": [{"name": "c"}], "affinity": []}, "affinity: [] is not of type object"),
    ({"containers": [{"name": "c"}], "tolerations": [{"key": "k", "tolerationSecondz": 1}]}, "unknown field"),
])
def test_embedded_pod_spec_is_validated(pod_spec: dict[str, Any], error: str) -> None:
    errors = validate(_broken(_POD, pod_spec), schema_of("pcs"))
    assert any(error in e for e in errors), errors


def test_embedded_pod_spec_accepts_quantities_and_int_or_string_ports() -> None:
    container = {"name": "c", "image": "x", "resources": {"limits": {"cpu": 2, "memory": "1.5Gi", "nvidia.com/gpu": "1"}},
                 "readinessProbe": {"httpGet": {"port": "http", "path": "/"}},
                 "livenessProbe": {"tcpSocket": {"port": 8080}}}
    assert validate(_broken(_POD, {"containers": [container]}), schema_of("pcs")) == []


def test_crd_defaults_fill_required_fields() -> None:
    # headlessServiceConfig: {} is valid because publishNotReadyAddresses defaults to true.
    assert validate(_pcs(headlessServiceConfig={}), schema_of("pcs")) == []


def test_explicit_null_is_pruned_not_rejected() -> None:
    assert validate(_pcs(priorityClassName=None), schema_of("pcs")) == []


@pytest.mark.parametrize(("levels", "ok"), [
    ([{"domain": "zone", "key": "topology.kubernetes.io/zone"}], True),
    ([], False),
    ([{"domain": "Zone", "key": "topology.kubernetes.io/zone"}], False),
    ([{"domain": "zone", "key": "-bad"}], False),
    ([{"domain": "z" * 64, "key": "k"}], False),
    ([{"domain": "rack"}], False),
])
def test_cluster_topology_binding_levels(levels: list[dict[str, str]], ok: bool) -> None:
    body = {"apiVersion": "grove.io/v1alpha1", "kind": "ClusterTopologyBinding",
            "metadata": {"name": "t"}, "spec": {"levels": levels}}
    assert (validate(body, schema_of("ct")) == []) is ok


def test_podgang_requires_pod_references_and_min_replicas() -> None:
    group = {"name": "pg-0-worker", "podReferences": [{"namespace": "ns", "name": "p"}], "minReplicas": 1}
    body = {"apiVersion": "scheduler.grove.io/v1alpha1", "kind": "PodGang", "metadata": {"name": "pg"},
            "spec": {"podgroups": [group]}, "status": {"phase": "Pending"}}
    assert validate(body, schema_of("pg")) == []
    body["spec"]["podgroups"] = [{"name": "pg-0-worker"}]
    errors = validate(body, schema_of("pg"))
    assert {e.rsplit(".", 1)[-1] for e in errors} == {"podReferences: required", "minReplicas: required"}
    body["status"] = {"phase": "Lost"}
    assert any("not one of" in e for e in validate(body, schema_of("pg")))
