"""The crafted hostile inputs of the table test: every one is invalid, and ``grove validate`` and
``grove sim run`` must both say so (exit 1) naming the field, the line or the limit.

A case is its text (or bytes), the strings its error must contain, and which commands it is for (both
unless said). Most are one mutation of a valid PodCliqueSet, written as a function of its wire dict, so
the case list reads as what is wrong rather than as YAML blobs.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import yaml

from tests.unit.api.test_bounded_yaml import alias_bomb

Obj = dict[str, Any]
BOTH = ("validate", "sim")


@dataclass(frozen=True)
class Case:
    id: str
    text: str | bytes
    needles: tuple[str, ...]
    commands: tuple[str, ...] = BOTH
    args: tuple[str, ...] = ()


def base_pcs(name: str = "x") -> Obj:
    return {"apiVersion": "grove.io/v1alpha1", "kind": "PodCliqueSet", "metadata": {"name": name},
            "spec": {"replicas": 1, "template": {"cliqueStartupType": "CliqueStartupTypeAnyOrder", "cliques": [
                {"name": "a", "spec": {"roleName": "a", "replicas": 2, "minAvailable": 1,
                                       "podSpec": {"containers": [{"name": "c", "image": "i"}]}}},
                {"name": "b", "spec": {"roleName": "b", "replicas": 1,
                                       "podSpec": {"containers": [{"name": "c", "image": "i"}]}}}]}}}


def mutated(change: Callable[[Obj], Any]) -> str:
    body = base_pcs()
    out = change(body)
    return yaml.safe_dump(out if out is not None else body, sort_keys=False)


def mutated_json(change: Callable[[Obj], Any]) -> str:
    """As :func:`mutated`, written as JSON (for bodies too deep for the YAML emitter)."""
    body = base_pcs()
    change(body)
    return json.dumps(body)


def _tmpl(b: Obj) -> Obj:
    tmpl: Obj = b["spec"]["template"]
    return tmpl


def _clique(b: Obj, i: int = 0) -> Obj:
    clique: Obj = _tmpl(b)["cliques"][i]
    return clique


def _cspec(b: Obj, i: int = 0) -> Obj:
    spec: Obj = _clique(b, i)["spec"]
    return spec


def _container(b: Obj, i: int = 0) -> Obj:
    container: Obj = _cspec(b, i)["podSpec"]["containers"][0]
    return container


def _set(target: Callable[[Obj], Obj], key: str, value: Any) -> Callable[[Obj], None]:
    def change(b: Obj) -> None:
        target(b)[key] = copy.deepcopy(value)
    return change


def _del(target: Callable[[Obj], Obj], key: str) -> Callable[[Obj], None]:
    def change(b: Obj) -> None:
        del target(b)[key]
    return change


def _root(b: Obj) -> Obj:
    return b


def _meta(b: Obj) -> Obj:
    meta: Obj = b["metadata"]
    return meta


def _spec(b: Obj) -> Obj:
    spec: Obj = b["spec"]
    return spec


def _resources(b: Obj) -> Obj:
    res: Obj = _container(b).setdefault("resources", {})
    return res


def _group(b: Obj, **fields: Any) -> None:
    _tmpl(b)["podCliqueScalingGroups"] = [{"name": "g", "cliqueNames": ["b"], **fields}]


C0 = "spec.template.cliques[0]"
POD0 = f"{C0}.spec.podSpec"
CTR0 = f"{POD0}.containers[0]"
DEEP = "[" * 5000 + "]" * 5000

PCS_CASES: list[Case] = [
    # identity and metadata
    Case("no-api-version", mutated(_del(_root, "apiVersion")), ("apiVersion",)),
    Case("no-kind", mutated(_del(_root, "kind")), ("kind",)),
    Case("kind-int", mutated(_set(_root, "kind", 5)), ("kind",)),
    Case("api-version-list", mutated(_set(_root, "apiVersion", ["grove.io/v1alpha1"])), ("apiVersion",)),
    Case("unknown-grove-kind", mutated(_set(_root, "kind", "PodCliqueSett")), ("PodCliqueSett",)),
    Case("unknown-grove-version", mutated(_set(_root, "apiVersion", "grove.io/v9")), ("grove.io/v9",)),
    Case("metadata-list", mutated(_set(_root, "metadata", ["x"])), ("metadata",)),
    Case("no-metadata", mutated(_del(_root, "metadata")), ("metadata.name",)),
    Case("no-name", mutated(_set(_root, "metadata", {})), ("metadata.name",)),
    Case("name-int", mutated(_set(_meta, "name", 42)), ("metadata.name",)),
    Case("name-uppercase", mutated(_set(_meta, "name", "Bad_Name")), ("metadata.name",)),
    Case("name-too-long", mutated(_set(_meta, "name", "a" * 300)), ("metadata.name",)),
    Case("namespace-invalid", mutated(_set(_meta, "namespace", "Bad NS")), ("metadata.namespace",)),
    Case("namespace-int", mutated(_set(_meta, "namespace", 7)), ("metadata.namespace",)),
    Case("label-key-invalid", mutated(_set(_meta, "labels", {"bad key!": "v"})), ("metadata.labels",)),
    Case("label-value-invalid", mutated(_set(_meta, "labels", {"k": "bad value!"})), ("metadata.labels",)),
    Case("label-value-int", mutated(_set(_meta, "labels", {"k": 5})), ("metadata.labels",)),
    Case("annotations-list", mutated(_set(_meta, "annotations", ["a"])), ("metadata.annotations",)),
    # spec shape
    Case("no-spec", mutated(_del(_root, "spec")), ("spec",)),
    Case("spec-string", mutated(_set(_root, "spec", "x")), ("spec",)),
    Case("no-template", mutated(_del(_spec, "template")), ("spec.template",)),
    Case("cliques-not-list", mutated(_set(_tmpl, "cliques", {"a": 1})), ("spec.template.cliques",)),
    Case("cliques-empty", mutated(_set(_tmpl, "cliques", [])), ("spec.template.cliques",)),
    Case("clique-not-object", mutated(_set(_tmpl, "cliques", [5])), ("spec.template.cliques[0]",)),
    Case("pcs-replicas-negative", mutated(_set(_spec, "replicas", -1)), ("spec.replicas",)),
    Case("pcs-replicas-string", mutated(_set(_spec, "replicas", "2")), ("spec.replicas",)),
    Case("pcs-replicas-float", mutated(_set(_spec, "replicas", 1.5)), ("spec.replicas",)),
    Case("pcs-replicas-beyond-int32", mutated(_set(_spec, "replicas", 2**40)), ("spec.replicas",)),
    Case("update-strategy-unknown", mutated(_set(_spec, "updateStrategy", {"type": "Yolo"})),
         ("spec.updateStrategy.type",)),
    Case("startup-type-unknown", mutated(_set(_tmpl, "cliqueStartupType", "Whenever")),
         ("spec.template.cliqueStartupType",)),
    Case("termination-delay-garbage", mutated(_set(_tmpl, "terminationDelay", "soonish")),
         ("spec.template.terminationDelay",)),
    Case("termination-delay-negative", mutated(_set(_tmpl, "terminationDelay", "-5m")),
         ("spec.template.terminationDelay",)),
    # cliques
    Case("clique-name-invalid", mutated(_set(_clique, "name", "Not OK")), (f"{C0}.name",)),
    Case("clique-name-empty", mutated(_set(_clique, "name", "")), (f"{C0}.name",)),
    Case("clique-names-duplicate", mutated(lambda b: _clique(b, 1).update(name="a")),
         ("spec.template.cliques[1].name",)),
    Case("clique-replicas-zero-min-zero", mutated(_set(_cspec, "minAvailable", 0)), (f"{C0}.spec.minAvailable",)),
    Case("clique-replicas-negative", mutated(_set(_cspec, "replicas", -3)), (f"{C0}.spec.replicas",)),
    Case("clique-replicas-bool", mutated(_set(_cspec, "replicas", True)), (f"{C0}.spec.replicas",)),
    Case("clique-replicas-null", mutated(_set(_cspec, "replicas", None)), (f"{C0}.spec.replicas",)),
    Case("min-available-above-replicas", mutated(_set(_cspec, "minAvailable", 5)), (f"{C0}.spec.minAvailable",)),
    Case("role-names-duplicate", mutated(lambda b: _cspec(b, 1).update(roleName="a")),
         ("spec.template.cliques[1].spec.roleName",)),
    Case("starts-after-unknown", mutated(lambda b: (_tmpl(b).update(cliqueStartupType="CliqueStartupTypeExplicit"),
                                                    _cspec(b).update(startsAfter=["zzz"]))[-1]),
         (f"{C0}.spec.startsAfter[0]",)),
    Case("starts-after-cycle", mutated(lambda b: (_tmpl(b).update(cliqueStartupType="CliqueStartupTypeExplicit"),
                                                  _cspec(b).update(startsAfter=["b"]),
                                                  _cspec(b, 1).update(startsAfter=["a"]))[-1]),
         ("circular",)),
    Case("starts-after-self", mutated(lambda b: (_tmpl(b).update(cliqueStartupType="CliqueStartupTypeExplicit"),
                                                 _cspec(b).update(startsAfter=["a"]))[-1]),
         (f"{C0}.spec.startsAfter[0]",)),
    Case("autoscaling-max-below-min", mutated(_set(_cspec, "autoScalingConfig", {"minReplicas": 3, "maxReplicas": 2})),
         (f"{C0}.spec.autoScalingConfig",)),
    Case("autoscaling-no-max", mutated(_set(_cspec, "autoScalingConfig", {"minReplicas": 1})),
         (f"{C0}.spec.autoScalingConfig.maxReplicas",)),
    Case("pod-name-budget", mutated(lambda b: (_meta(b).update(name="p" * 30), _clique(b).update(name="q" * 30))[-1]),
         ("budget",)),
    # pod template
    Case("pod-spec-missing", mutated(_del(_cspec, "podSpec")), (f"{C0}.spec.podSpec",)),
    Case("pod-spec-string", mutated(_set(_cspec, "podSpec", "x")), (f"{C0}.spec.podSpec",)),
    Case("containers-missing", mutated(lambda b: _cspec(b).update(podSpec={})), (f"{POD0}.containers",)),
    Case("containers-not-list", mutated(lambda b: _cspec(b).update(podSpec={"containers": {"a": 1}})),
         (f"{POD0}.containers",)),
    Case("container-not-object", mutated(lambda b: _cspec(b).update(podSpec={"containers": ["c"]})),
         (f"{POD0}.containers[0]",)),
    Case("container-no-name", mutated(_del(_container, "name")), (f"{CTR0}.name",)),
    Case("env-duplicate", mutated(_set(_container, "env", [{"name": "A"}, {"name": "A"}])), (f"{CTR0}.env[1].name",)),
    Case("env-invalid-name", mutated(_set(_container, "env", [{"name": "1 bad"}])), (f"{CTR0}.env[0].name",)),
    Case("node-name-set", mutated(lambda b: _cspec(b)["podSpec"].update(nodeName="n1")), (f"{POD0}.nodeName",)),
    Case("topology-spread-set", mutated(lambda b: _cspec(b)["podSpec"].update(topologySpreadConstraints=[])),
         (f"{POD0}.topologySpreadConstraints",)),
    Case("scheduler-unknown", mutated(lambda b: _cspec(b)["podSpec"].update(schedulerName="my-scheduler")),
         (f"{POD0}.schedulerName",)),
    Case("schedulers-mixed", mutated(lambda b: _cspec(b, 1)["podSpec"].update(schedulerName="volcano")),
         ("spec.template.cliques[1].spec.podSpec.schedulerName",)),
    Case("scheduler-not-string", mutated(lambda b: _cspec(b)["podSpec"].update(schedulerName=5)),
         (f"{POD0}.schedulerName",)),
    # scaling groups
    Case("group-unknown-clique", mutated(lambda b: _group(b, cliqueNames=["nope"])),
         ("spec.template.podCliqueScalingGroups[0].cliqueNames[0]",)),
    Case("group-no-cliques", mutated(lambda b: _group(b, cliqueNames=[])),
         ("spec.template.podCliqueScalingGroups[0].cliqueNames",)),
    Case("group-replicas-zero", mutated(lambda b: _group(b, replicas=0)),
         ("spec.template.podCliqueScalingGroups[0].replicas",)),
    Case("group-min-above-replicas", mutated(lambda b: _group(b, replicas=1, minAvailable=3)),
         ("spec.template.podCliqueScalingGroups[0].minAvailable",)),
    Case("group-name-invalid", mutated(lambda b: _group(b) or _tmpl(b)["podCliqueScalingGroups"][0].update(name="G!")),
         ("spec.template.podCliqueScalingGroups[0].name",)),
    Case("group-autoscaled-member", mutated(lambda b: (_group(b), _cspec(b, 1).update(
        autoScalingConfig={"minReplicas": 1, "maxReplicas": 2}))[-1]),
         ("spec.template.cliques[1].spec.autoScalingConfig",)),
    # topology
    Case("topology-unknown", mutated(_set(_tmpl, "topologyConstraint", {"topologyName": "nope",
                                                                       "pack": {"required": "rack"}})),
         ("spec.template.topologyConstraint",)),
    # limits (bounded work)
    Case("replicas-int32-max", mutated(_set(_cspec, "replicas", 2**31 - 1)), (f"{C0}.spec.replicas", "limit of 10000")),
    Case("pcs-replicas-int32-max", mutated(_set(_spec, "replicas", 2**31 - 1)), ("spec.replicas", "limit of 10000")),
    Case("product-over-limit", mutated(lambda b: (_spec(b).update(replicas=200), _cspec(b).update(replicas=100))[-1]),
         ("limit of 10000",)),
    Case("group-replicas-huge", mutated(lambda b: _group(b, replicas=2**31 - 1)),
         ("spec.template.podCliqueScalingGroups[0].replicas", "limit of 10000")),
    Case("autoscaling-max-huge", mutated(_set(_cspec, "autoScalingConfig", {"minReplicas": 1,
                                                                           "maxReplicas": 2**31 - 1})),
         (f"{C0}.spec.autoScalingConfig.maxReplicas", "limit of 10000")),
    # nesting
    Case("deep-nesting-in-template", mutated(lambda b: _cspec(b)["podSpec"].update(
        affinity=json.loads("[" * 150 + "]" * 150))), ("nested more than 100 levels",)),
    Case("deep-nesting-in-metadata", mutated_json(lambda b: _meta(b).update(x=json.loads("[" * 900 + "]" * 900))),
         ("nested more than 100 levels",)),
    Case("affinity-wrong-type", mutated(lambda b: _cspec(b)["podSpec"].update(affinity=[1])),
         (f"{POD0}.affinity", "must be of type object")),
    Case("container-port-string", mutated(_set(_container, "ports", [{"containerPort": "80"}])),
         (f"{CTR0}.ports[0].containerPort", "must be of type integer")),
    Case("host-network-string", mutated(lambda b: _cspec(b)["podSpec"].update(hostNetwork="yes")),
         (f"{POD0}.hostNetwork", "must be of type boolean")),
    Case("image-int", mutated(_set(_container, "image", 5)), (f"{CTR0}.image", "must be of type string")),
    # strictness (--strict)
    Case("strict-unknown-top", mutated(_set(_spec, "replicaz", 2)), ("spec.replicaz",), args=("--strict",)),
    Case("strict-unknown-clique", mutated(_set(_cspec, "minAvalable", 1)), (f"{C0}.spec.minAvalable",),
         args=("--strict",)),
    Case("strict-unknown-container", mutated(_set(_container, "imagee", "x")), (f"{CTR0}.imagee",), args=("--strict",)),
    Case("strict-unknown-resources", mutated(_set(_container, "resources", {"limts": {"cpu": "1"}})),
         (f"{CTR0}.resources.limts",), args=("--strict",)),
    Case("strict-unknown-meta", mutated(_set(_meta, "lables", {"a": "b"})), ("metadata.lables",), args=("--strict",)),
]

POD = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
       "spec": {"containers": [{"name": "c", "image": "i"}]}}
NODE = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n"},
        "status": {"capacity": {"cpu": "8", "memory": "8Gi", "pods": "110"},
                   "allocatable": {"cpu": "8", "memory": "8Gi", "pods": "110"}}}


def pod(change: Callable[[Obj], Any]) -> str:
    body = copy.deepcopy(POD)
    change(body)
    return yaml.safe_dump(body)


def node(change: Callable[[Obj], Any]) -> str:
    body = copy.deepcopy(NODE)
    change(body)
    return yaml.safe_dump(body)


def _pc(b: Obj) -> Obj:
    container: Obj = b["spec"]["containers"][0]
    return container


CORE_CASES: list[Case] = [
    Case("pod-cpu-lots", pod(lambda b: _pc(b).update(resources={"requests": {"cpu": "lots"}})),
         ("spec.containers[0].resources.requests[cpu]",)),
    Case("pod-cpu-negative", pod(lambda b: _pc(b).update(resources={"requests": {"cpu": "-1"}})),
         ("spec.containers[0].resources.requests[cpu]", "greater than or equal to 0")),
    Case("pod-memory-list", pod(lambda b: _pc(b).update(resources={"limits": {"memory": [1]}})),
         ("spec.containers[0].resources.limits[memory]",)),
    Case("pod-request-above-limit", pod(lambda b: _pc(b).update(resources={"requests": {"cpu": "2"},
                                                                           "limits": {"cpu": "1"}})),
         ("spec.containers[0].resources.requests", "cpu limit of 1")),
    Case("pod-quantity-too-long", pod(lambda b: _pc(b).update(resources={"requests": {"cpu": "1" * 100}})),
         ("spec.containers[0].resources.requests[cpu]",)),
    Case("pod-container-name-space", pod(lambda b: _pc(b).update(name="Bad Name")), ("spec.containers[0].name",)),
    Case("pod-empty-image", pod(lambda b: _pc(b).update(image="")), ("spec.containers[0].image",)),
    Case("pod-no-containers", pod(lambda b: b["spec"].update(containers=[])), ("spec.containers",)),
    Case("pod-duplicate-containers", pod(lambda b: b["spec"]["containers"].append({"name": "c", "image": "j"})),
         ("spec.containers[1].name",)),
    Case("pod-node-selector-list", pod(lambda b: b["spec"].update(nodeSelector=["a"])), ("spec.nodeSelector",)),
    Case("pod-affinity-list", pod(lambda b: b["spec"].update(affinity=[])), ("spec.affinity", "of type object")),
    Case("pod-tolerations-object", pod(lambda b: b["spec"].update(tolerations={"a": 1})), ("spec.tolerations",)),
    Case("pod-overhead-garbage", pod(lambda b: b["spec"].update(overhead={"cpu": "x"})), ("spec.overhead[cpu]",)),
    Case("node-capacity-garbage", node(lambda b: b["status"]["capacity"].update(cpu="a lot")),
         ("status.capacity[cpu]",)),
    Case("node-allocatable-negative", node(lambda b: b["status"]["allocatable"].update(memory="-8Gi")),
         ("status.allocatable[memory]",)),
    Case("node-taint-effect", node(lambda b: b.update(spec={"taints": [{"key": "k", "effect": "Sometimes"}]})),
         ("spec.taints[0].effect",)),
    Case("node-conditions-string", node(lambda b: b["status"].update(conditions="Ready")), ("status.conditions",)),
]

OTHER_KIND_CASES: list[Case] = [
    Case("pclq-replicas-string", yaml.safe_dump({"apiVersion": "grove.io/v1alpha1", "kind": "PodClique",
                                                 "metadata": {"name": "q"}, "spec": {"replicas": "3", "podSpec": {}}}),
         ("spec.replicas",)),
    Case("pclq-replicas-huge", yaml.safe_dump({"apiVersion": "grove.io/v1alpha1", "kind": "PodClique",
                                               "metadata": {"name": "q"}, "spec": {"replicas": 2**31, "podSpec": {}}}),
         ("spec.replicas",)),
    Case("podgang-no-groups", yaml.safe_dump({"apiVersion": "scheduler.grove.io/v1alpha1", "kind": "PodGang",
                                              "metadata": {"name": "g"}, "spec": {}}), ("spec.podgroups",)),
    Case("pcsg-no-clique-names", yaml.safe_dump({"apiVersion": "grove.io/v1alpha1", "kind": "PodCliqueScalingGroup",
                                                 "metadata": {"name": "s"}, "spec": {"replicas": 1}}),
         ("spec.cliqueNames",)),
    Case("ctb-no-levels", yaml.safe_dump({"apiVersion": "grove.io/v1alpha1", "kind": "ClusterTopologyBinding",
                                          "metadata": {"name": "t"}, "spec": {"levels": []}}), ("spec.levels",)),
    Case("ctb-bad-domain", yaml.safe_dump({"apiVersion": "grove.io/v1alpha1", "kind": "ClusterTopologyBinding",
                                           "metadata": {"name": "t"},
                                           "spec": {"levels": [{"domain": "Zone!", "key": "k"}]}}),
         ("spec.levels[0].domain",)),
    Case("ctb-duplicate-keys", yaml.safe_dump({"apiVersion": "grove.io/v1alpha1", "kind": "ClusterTopologyBinding",
                                               "metadata": {"name": "t"}, "spec": {"levels": [
                                                   {"domain": "zone", "key": "k/z"}, {"domain": "rack", "key": "k/z"}]}}),
         ("spec.levels[1]",)),
    Case("operator-config-bad-field", yaml.safe_dump({"apiVersion": "operator.config.grove.io/v1alpha1",
                                                      "kind": "OperatorConfiguration", "logLevel": 5}),
         ("logLevel",), commands=("validate",)),
]

TEXT_CASES: list[Case] = [
    Case("yaml-unclosed", "a: [unclosed\n", ("invalid YAML",)),
    Case("yaml-tab-indent", "apiVersion: v1\n\tkind: Pod\n", ("invalid YAML",)),
    Case("yaml-bad-indent", "a:\n  b: 1\n c: 2\n", ("invalid YAML",)),
    Case("yaml-python-tag", "a: !!python/object/apply:os.system ['true']\n", ("invalid YAML",)),
    Case("yaml-unhashable-key", "? [a]\n: 1\n", ("invalid YAML",)),
    Case("yaml-deep-flow", DEEP, ("invalid YAML",)),
    Case("yaml-alias-bomb", "x:\n" + "".join(f"  {line}\n" for line in alias_bomb().splitlines()),
         ("excessive aliasing",)),
    Case("yaml-alias-bomb-merge", "a0: &a0 {k0: v, k1: v, k2: v, k3: v, k4: v, k5: v, k6: v, k7: v, k8: v}\n" + "".join(
        f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]\n" for i in range(1, 9)), ("excessive aliasing",)),
    Case("yaml-recursive-alias", "apiVersion: v1\nkind: ConfigMap\nmetadata: &m {name: a, x: [*m]}\n",
         ("recursive alias",)),
    Case("yaml-undefined-alias", "a: *nope\n", ("invalid YAML",)),
    Case("json-truncated", '{"apiVersion": "v1", "kind": ', ("invalid YAML",)),
    Case("bytes-latin1", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: caf\xe9}\n".encode("latin-1"),
         ("not UTF-8", "offset")),
    Case("bytes-binary", bytes(range(256)), ("not UTF-8",)),
    Case("bytes-nul", b"apiVersion: v1\x00\n", ("invalid YAML",)),
    Case("utf16", "apiVersion: v1\nkind: Pod\n".encode("utf-16"), ("not UTF-8",)),
    Case("doc-scalar", "42\n", ("must be a Kubernetes object",)),
    Case("doc-string", "just some words\n", ("must be a Kubernetes object",)),
    Case("doc-bool", "true\n", ("must be a Kubernetes object",)),
    Case("doc-list", "- a\n- b\n", ("must be a Kubernetes object",)),
    Case("doc-json-array", '[{"apiVersion": "v1"}, 2]\n', ("must be a Kubernetes object",)),
    Case("doc-null-then-scalar", "---\nnull\n---\n3\n", ("must be a Kubernetes object",)),
    Case("list-items-scalars", "apiVersion: v1\nkind: List\nitems: [1, x]\n", ("items[0]",)),
    Case("list-items-not-list", "apiVersion: v1\nkind: List\nitems: {a: 1}\n", ("items: must be an array",)),
    Case("typed-list-bad-item", "apiVersion: v1\nkind: NodeList\nitems: [[]]\n", ("items[0]",)),
    Case("list-item-bad-pod", yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": [
        {**POD, "spec": {"containers": [{"name": "c", "image": ""}]}}]}), ("spec.containers[0].image",)),
    Case("empty", "", ("no objects passed",)),
    Case("comments-only", "# nothing here\n# at all\n", ("no objects passed",)),
    Case("separators-only", "---\n---\n...\n", ("no objects passed",)),
    Case("empty-list", "apiVersion: v1\nkind: List\nitems: []\n", ("no objects passed",)),
    Case("strict-duplicate-key", "apiVersion: v1\nkind: ConfigMap\nkind: ConfigMap\nmetadata: {name: a}\n",
         ("line 3",), args=("--strict",)),
    Case("strict-duplicate-key-pcs", mutated(lambda b: None).replace("  replicas: 1\n", "  replicas: 1\n  replicas: 2\n",
                                                                      1), ("line",), args=("--strict",)),
]

CASES: list[Case] = [*PCS_CASES, *CORE_CASES, *OTHER_KIND_CASES, *TEXT_CASES]
