"""Fluent builders for Grove wire objects in tests: ``pcs("x").clique("a", replicas=2).build()``.

Builders produce plain wire dicts (camelCase, as a user writes them), never models, so tests exercise
the same parsing path as a manifest. Every method returns the builder. ``set``/``delete`` take a
Kubernetes field path (``spec.template.cliques[0].spec.replicas``), the same notation validation
errors use, so a table test can break a field and expect an error at exactly that path.
"""

from __future__ import annotations

import copy
import itertools
import re
from typing import Any

E2E_LEVELS: tuple[tuple[str, str], ...] = (
    ("zone", "kubernetes.io/zone"),
    ("block", "kubernetes.io/block"),
    ("rack", "kubernetes.io/rack"),
    ("host", "kubernetes.io/hostname"),
)
TOPOLOGY = "grove-topology"
_STARTUP = {"AnyOrder": "CliqueStartupTypeAnyOrder", "InOrder": "CliqueStartupTypeInOrder",
            "Explicit": "CliqueStartupTypeExplicit"}
_TOKEN = re.compile(r"([^.\[\]]+)|\[([^\]]*)\]")


def _tokens(path: str) -> list[str | int]:
    out: list[str | int] = []
    for name, bracket in _TOKEN.findall(path):
        if name:
            out.append(name)
        else:
            out.append(int(bracket) if bracket.lstrip("-").isdigit() else bracket)
    return out


def set_path(body: Any, path: str, value: Any) -> None:
    """Set ``path`` in a nested dict/list, creating missing maps on the way."""
    tokens = _tokens(path)
    node = body
    for tok, nxt in itertools.pairwise(tokens):
        if isinstance(node, list):
            node = node[int(tok)]
            continue
        if tok not in node or node[tok] is None:
            node[tok] = [] if isinstance(nxt, int) else {}
        node = node[tok]
    last = tokens[-1]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value


def delete_path(body: Any, path: str) -> None:
    tokens = _tokens(path)
    node = body
    for tok in tokens[:-1]:
        node = node[tok]
    del node[tokens[-1]]


def tc(required: str | None = None, preferred: str | None = None, *, name: str | None = TOPOLOGY,
       pack_domain: str | None = None) -> dict[str, Any]:
    """A TopologyConstraint wire dict."""
    out: dict[str, Any] = {}
    if name:
        out["topologyName"] = name
    pack = {k: v for k, v in (("required", required), ("preferred", preferred)) if v}
    if pack:
        out["pack"] = pack
    if pack_domain:
        out["packDomain"] = pack_domain
    return out


def container(name: str = "main", *, image: str = "busybox:latest", gpus: int = 0,
              env: dict[str, str] | list[dict[str, Any]] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name, "image": image, "command": ["sleep", "infinity"]}
    if gpus:
        out["resources"] = {"limits": {"nvidia.com/gpu": str(gpus)}}
    if env is not None:
        out["env"] = [{"name": k, "value": v} for k, v in env.items()] if isinstance(env, dict) else env
    return out


class PCSBuilder:
    def __init__(self, name: str, namespace: str | None = None) -> None:
        meta: dict[str, Any] = {"name": name}
        if namespace:
            meta["namespace"] = namespace
        self._body: dict[str, Any] = {
            "apiVersion": "grove.io/v1alpha1", "kind": "PodCliqueSet", "metadata": meta,
            "spec": {"replicas": 1, "template": {"cliques": []}},
        }

    @property
    def _tmpl(self) -> dict[str, Any]:
        tmpl: dict[str, Any] = self._body["spec"]["template"]
        return tmpl

    def replicas(self, n: Any) -> PCSBuilder:
        self._body["spec"]["replicas"] = n
        return self

    def startup(self, kind: str) -> PCSBuilder:
        """``AnyOrder``, ``InOrder``, ``Explicit`` (or a full/raw value)."""
        self._tmpl["cliqueStartupType"] = _STARTUP.get(kind, kind)
        return self

    def label(self, key: str, value: str) -> PCSBuilder:
        self._body["metadata"].setdefault("labels", {})[key] = value
        return self

    def annotate(self, key: str, value: str) -> PCSBuilder:
        self._body["metadata"].setdefault("annotations", {})[key] = value
        return self

    def clique(self, name: str, replicas: Any = 1, *, min_available: Any = None, role: str | None = "",
               scheduler: str | None = None, starts_after: list[str] | None = None, gpus: int = 0,
               env: dict[str, str] | list[dict[str, Any]] | None = None, labels: dict[str, str] | None = None,
               annotations: dict[str, str] | None = None, topology: dict[str, Any] | None = None,
               autoscaling: dict[str, Any] | None = None, pod_spec: dict[str, Any] | None = None,
               sharing: list[dict[str, Any]] | None = None) -> PCSBuilder:
        """A clique; ``role`` defaults to the clique name (None leaves roleName out)."""
        pod: dict[str, Any] = {"containers": [container(name, gpus=gpus, env=env)]}
        if scheduler is not None:
            pod["schedulerName"] = scheduler
        pod.update(pod_spec or {})
        spec: dict[str, Any] = {"replicas": replicas, "podSpec": pod}
        if role is not None:
            spec["roleName"] = role or name
        if min_available is not None:
            spec["minAvailable"] = min_available
        if starts_after is not None:
            spec["startsAfter"] = starts_after
        if autoscaling is not None:
            spec["autoScalingConfig"] = autoscaling
        entry: dict[str, Any] = {"name": name, "spec": spec}
        for key, value in (("labels", labels), ("annotations", annotations), ("topologyConstraint", topology),
                           ("resourceSharing", sharing)):
            if value is not None:
                entry[key] = value
        self._tmpl["cliques"].append(entry)
        return self

    def group(self, name: str, cliques: list[str], *, replicas: Any = None, min_available: Any = None,
              scale: dict[str, Any] | None = None, annotations: dict[str, str] | None = None,
              topology: dict[str, Any] | None = None, sharing: list[dict[str, Any]] | None = None) -> PCSBuilder:
        entry: dict[str, Any] = {"name": name, "cliqueNames": cliques}
        for key, value in (("replicas", replicas), ("minAvailable", min_available), ("scaleConfig", scale),
                           ("annotations", annotations), ("topologyConstraint", topology),
                           ("resourceSharing", sharing)):
            if value is not None:
                entry[key] = value
        self._tmpl.setdefault("podCliqueScalingGroups", []).append(entry)
        return self

    def topology(self, required: str | None = None, preferred: str | None = None, *,
                 name: str | None = TOPOLOGY, pack_domain: str | None = None) -> PCSBuilder:
        self._tmpl["topologyConstraint"] = tc(required, preferred, name=name, pack_domain=pack_domain)
        return self

    def termination_delay(self, value: Any) -> PCSBuilder:
        self._tmpl["terminationDelay"] = value
        return self

    def claim_template(self, name: str, device_class: str = "gpu.nvidia.com", count: int = 1) -> PCSBuilder:
        requests = [{"name": "gpus", "exactly": {"deviceClassName": device_class, "count": count}}]
        self._tmpl.setdefault("resourceClaimTemplates", []).append(
            {"name": name, "templateSpec": {"spec": {"devices": {"requests": requests}}}})
        return self

    def share(self, name: str, scope: str = "AllReplicas", *, namespace: str | None = None,
              cliques: list[str] | None = None, groups: list[str] | None = None) -> PCSBuilder:
        self._tmpl.setdefault("resourceSharing", []).append(sharing(name, scope, namespace=namespace,
                                                                    cliques=cliques, groups=groups))
        return self

    def set(self, path: str, value: Any) -> PCSBuilder:
        set_path(self._body, path, value)
        return self

    def delete(self, path: str) -> PCSBuilder:
        delete_path(self._body, path)
        return self

    def build(self) -> dict[str, Any]:
        return copy.deepcopy(self._body)


def sharing(name: str, scope: str = "AllReplicas", *, namespace: str | None = None,
            cliques: list[str] | None = None, groups: list[str] | None = None) -> dict[str, Any]:
    """A resourceSharing entry; ``cliques``/``groups`` make a filter."""
    out: dict[str, Any] = {"name": name, "scope": scope}
    if namespace:
        out["namespace"] = namespace
    if cliques is not None or groups is not None:
        flt: dict[str, Any] = {}
        if cliques is not None:
            flt["childCliqueNames"] = cliques
        if groups is not None:
            flt["childScalingGroupNames"] = groups
        out["filter"] = flt
    return out


def pcs(name: str = "demo", namespace: str | None = None) -> PCSBuilder:
    return PCSBuilder(name, namespace)


def ctb(name: str = TOPOLOGY, levels: tuple[tuple[str, str], ...] = E2E_LEVELS,
        bindings: list[tuple[str, str]] | None = None) -> dict[str, Any]:
    """A ClusterTopologyBinding; defaults to the e2e cluster's zone/block/rack/host levels."""
    spec: dict[str, Any] = {"levels": [{"domain": d, "key": k} for d, k in levels]}
    if bindings is not None:
        spec["schedulerTopologyBindings"] = [{"schedulerName": s, "topologyReference": r} for s, r in bindings]
    return {"apiVersion": "grove.io/v1alpha1", "kind": "ClusterTopologyBinding", "metadata": {"name": name},
            "spec": spec}


def volcano_queue(name: str, state: str | None = "Open") -> dict[str, Any]:
    body: dict[str, Any] = {"apiVersion": "scheduling.volcano.sh/v1beta1", "kind": "Queue",
                            "metadata": {"name": name}, "spec": {"weight": 1}}
    if state:
        body["status"] = {"state": state}
    return body


def third_party_crd(group: str, kind: str, version: str, *, scope: str = "Namespaced",
                    spec_props: dict[str, Any] | None = None) -> dict[str, Any]:
    """A CRD for another project's kind (KAI, Volcano, NVIDIA DRA) as the cluster would serve it; its
    schema is open unless ``spec_props`` names the ``spec`` properties a test looks for."""
    singular = kind.lower()
    plural = f"{singular[:-1]}ies" if singular.endswith("y") else f"{singular}s"
    schema: dict[str, Any] = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
    if spec_props is not None:
        schema["properties"] = {"spec": {"type": "object", "properties": spec_props,
                                         "x-kubernetes-preserve-unknown-fields": True}}
    return {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": f"{plural}.{group}"},
            "spec": {"group": group, "scope": scope,
                     "names": {"kind": kind, "plural": plural, "singular": singular, "listKind": f"{kind}List"},
                     "versions": [{"name": version, "served": True, "storage": True,
                                   "schema": {"openAPIV3Schema": schema}}]}}
