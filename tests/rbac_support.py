"""What the Helm chart lets each Grove process do, read from ``helm template`` output as the API server
would resolve it: the process's Deployment names its ServiceAccount, bindings name roles, roles hold rules.

Nothing here relies on object names (they may become ``fullname``-based): the operator is the Deployment
whose container runs ``grove operator``; only when no such Deployment renders does it fall back to a
ClusterRole labelled ``app.kubernetes.io/component: operator``, then to the ClusterRole that grants
creating PodCliques. Also: the chart values of every operator feature flag that could change what the
operator creates or calls, and every PodCliqueSet manifest we ship or replay from upstream.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from grove.api import constants as c
from grove.kube.rbac import PolicyRule, Request, allows, rules_of
from tests.unit.test_helm_chart import CHART, helm_binary
from tests.upstream import UPSTREAM

Obj = dict[str, Any]
ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "src" / "grove" / "examples"
RELEASE, RELEASE_NS = "grove", "grove-system"

_PROFILES_ALL = [{"name": "default-scheduler"}, {"name": "kai-scheduler"}, {"name": "volcano"}]
FLAGS: dict[str, Obj] = {
    "defaults": {},
    "authorizer": {"config": {"authorizer": {"enabled": True}}},
    "topologyAwareScheduling": {"config": {"topologyAwareScheduling": {"enabled": True}}},
    "autoMNNVL": {"config": {"network": {"autoMNNVLEnabled": True}}},
    "kai-scheduler-only": {"config": {"scheduler": {"profiles": [{"name": "kai-scheduler"}]}}},
    "volcano": {"config": {"scheduler": {"profiles": _PROFILES_ALL}}},
    "everything": {"config": {"authorizer": {"enabled": True}, "topologyAwareScheduling": {"enabled": True},
                              "network": {"autoMNNVLEnabled": True}, "scheduler": {"profiles": _PROFILES_ALL}}},
}
"""Chart values per operator feature flag (``everything`` turns them all on at once)."""


_RENDERED: dict[str, list[Obj]] = {}


def render_chart(values: Mapping[str, Any] | None = None) -> list[Obj]:
    """``helm template`` of the chart with ``values`` (a values file: maps merge, lists replace); cached."""
    text = yaml.safe_dump(dict(values or {}), sort_keys=True)
    if text not in _RENDERED:
        with tempfile.NamedTemporaryFile("w", suffix=".yaml") as f:
            f.write(text)
            f.flush()
            proc = subprocess.run([str(helm_binary()), "template", RELEASE, str(CHART), "-n", RELEASE_NS, "-f", f.name],
                                  capture_output=True, text=True, timeout=60, check=False)
        if proc.returncode != 0:
            raise AssertionError(f"helm template with {dict(values or {})} failed: {proc.stderr}")
        _RENDERED[text] = [d for d in yaml.safe_load_all(proc.stdout) if d]
    return _RENDERED[text]


def rendered_config(docs: list[Obj]) -> str:
    """The OperatorConfiguration text of the chart's ConfigMap (the one with ``config.yaml``)."""
    (text,) = [d["data"]["config.yaml"] for d in docs if d["kind"] == "ConfigMap" and "config.yaml" in
               (d.get("data") or {})]
    return str(text)


@dataclass
class Grants:
    """The RBAC rules one identity holds: cluster-wide (ClusterRoleBindings) and per namespace
    (RoleBindings). ``sources`` says which roles, for messages."""

    subject: str
    cluster: list[PolicyRule] = field(default_factory=list)
    namespaced: dict[str, list[PolicyRule]] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)
    roles: list[Obj] = field(default_factory=list)

    def rules_in(self, namespace: str | None) -> list[PolicyRule]:
        """What the API server resolves for a request in ``namespace`` (cluster scope: None)."""
        return self.cluster + (self.namespaced.get(namespace, []) if namespace else [])

    def allows(self, req: Request) -> bool:
        return allows(self.rules_in(req.namespace or None), req)


def _deployment_sa(docs: list[Obj], component: str) -> tuple[str, str] | None:
    for d in docs:
        if d["kind"] != "Deployment":
            continue
        pod = d["spec"]["template"]["spec"]
        if any((ctr.get("args") or [None])[0] == component for ctr in pod.get("containers") or []):
            return d["metadata"].get("namespace") or RELEASE_NS, pod.get("serviceAccountName") or "default"
    return None


def _binds(binding: Obj, namespace: str, name: str, binding_ns: str | None) -> bool:
    for s in binding.get("subjects") or []:
        if s.get("kind") == "ServiceAccount" and s.get("name") == name and \
                (s.get("namespace") or binding_ns) == namespace:
            return True
    return False


def _role(docs: list[Obj], kind: str, name: str, namespace: str | None) -> Obj | None:
    for d in docs:
        if d["kind"] == kind and d["metadata"]["name"] == name and \
                (kind == "ClusterRole" or (d["metadata"].get("namespace") or RELEASE_NS) == namespace):
            return d
    return None


def grants_of(docs: list[Obj], component: str) -> Grants:
    """The rules the chart gives the Deployment running ``grove <component>`` (operator, scheduler)."""
    sa = _deployment_sa(docs, component)
    if sa is None:
        return _fallback(docs, component)
    ns, name = sa
    grants = Grants(f"system:serviceaccount:{ns}:{name}")
    for b in docs:
        if b["kind"] not in ("ClusterRoleBinding", "RoleBinding"):
            continue
        b_ns = b["metadata"].get("namespace") or RELEASE_NS if b["kind"] == "RoleBinding" else None
        if not _binds(b, ns, name, b_ns):
            continue
        ref = b["roleRef"]
        role = _role(docs, ref["kind"], ref["name"], b_ns)
        assert role is not None, f"{b['kind']}/{b['metadata']['name']} refers to missing {ref['kind']}/{ref['name']}"
        rules = rules_of(role.get("rules") or [])
        if b_ns is None:
            grants.cluster += rules
        else:
            grants.namespaced.setdefault(b_ns, []).extend(rules)
        grants.sources.append(f"{ref['kind']}/{ref['name']} via {b['kind']}/{b['metadata']['name']}")
        grants.roles.append(role)
    return grants


def _fallback(docs: list[Obj], component: str) -> Grants:
    roles = [d for d in docs if d["kind"] == "ClusterRole"
             and (d["metadata"].get("labels") or {}).get("app.kubernetes.io/component") == component]
    if not roles and component == "operator":
        creates_pclq = Request("create", c.GROUP, "podcliques", namespace="x")
        roles = [d for d in docs if d["kind"] == "ClusterRole" and allows(rules_of(d.get("rules") or []), creates_pclq)]
    assert len(roles) == 1, f"cannot tell the chart's {component} ClusterRole: no Deployment runs `grove {component}` " \
                            f"and {len(roles)} ClusterRoles match"
    (role,) = roles
    return Grants(f"(ClusterRole/{role['metadata']['name']})", cluster=rules_of(role.get("rules") or []),
                  sources=[f"ClusterRole/{role['metadata']['name']}"], roles=[role])


def runs_as(docs: list[Obj], component: str) -> tuple[str, str] | None:
    """(namespace, ServiceAccount) of the Deployment running ``grove <component>``; None if none renders."""
    return _deployment_sa(docs, component)


# -- every PodCliqueSet we ship or replay ------------------------------------------------------------------


def _docs(path: Path) -> list[Obj]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def manifest_files() -> list[Path]:
    """Bundled samples, then every upstream sample and e2e manifest (fails when upstream is missing)."""
    upstream = sorted((UPSTREAM / "samples").rglob("*.yaml")) + sorted((UPSTREAM / "e2e").rglob("*.yaml"))
    assert upstream, f"no upstream manifests under {UPSTREAM}"
    return sorted(EXAMPLES.glob("*.yaml")) + upstream


def podcliquesets() -> Iterator[tuple[str, Obj]]:
    """(where, body) of every PodCliqueSet in :func:`manifest_files`, namespace ``default`` when unset."""
    for path in manifest_files():
        for doc in _docs(path):
            if doc.get("kind") == c.KIND_PCS:
                doc["metadata"].setdefault("namespace", "default")
                where = path.relative_to(ROOT / "src") if path.is_relative_to(ROOT) else path.relative_to(UPSTREAM)
                yield f"{where}:{doc['metadata']['name']}", doc
