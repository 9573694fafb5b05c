"""The Helm chart against the real API server: the rendered CRDs and RBAC apply (server-side), and every
other rendered object passes server-side dry-run (schema, defaulting and admission of the real server)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from tests.e2e.harness import E2ECluster
from tests.unit.test_helm_chart import CHART, helm

pytestmark = pytest.mark.e2e


def _render(ns: str, release: str = "grove") -> list[dict[str, Any]]:
    import yaml

    out = helm("template", release, str(CHART), "-n", ns, "--include-crds").stdout
    return [d for d in yaml.safe_load_all(out) if d]


def _apply(c: E2ECluster, docs: list[dict[str, Any]], *extra: str) -> str:
    body = json.dumps({"apiVersion": "v1", "kind": "List", "items": docs})
    return c.kubectl("apply", "--server-side", "--field-manager=grove-helm-test", "-f", "-", *extra,
                     input=body).stdout


def test_helm_lint_and_template_with_the_built_helm() -> None:
    out = helm("lint", str(CHART)).stdout
    assert "1 chart(s) linted, 0 chart(s) failed" in out


def test_rendered_crds_and_rbac_apply_server_side(e2e_cluster: E2ECluster) -> None:
    ns = f"grove-helm-{uuid.uuid4().hex[:6]}"
    e2e_cluster.kubectl("create", "namespace", ns)
    # Release name = namespace: the chart's fullname-based names never touch another test's RBAC objects.
    docs = _render(ns, release=ns)
    crds = [d for d in docs if d["kind"] == "CustomResourceDefinition"]
    rbac = [d for d in docs if d["kind"] in ("ServiceAccount", "ClusterRole", "ClusterRoleBinding")]
    rest = [d for d in docs if d not in crds and d not in rbac]
    assert len(crds) == 5 and len(rbac) == 6  # operator and scheduler: one of each
    assert {d["metadata"]["name"] for d in rbac} == {f"{ns}-operator", f"{ns}-scheduler"}
    out = _apply(e2e_cluster, crds, "--force-conflicts")
    assert out.count("serverside-applied") == 5, out
    e2e_cluster.kubectl("wait", "--for=condition=Established", "--timeout=60s",
                        *[f"crd/{d['metadata']['name']}" for d in crds])
    try:
        out = _apply(e2e_cluster, rbac)
        assert out.count("serverside-applied") == 6, out
        # The ServiceAccounts really hold the rules (RBAC authorizer of the real API server).
        sa = f"system:serviceaccount:{ns}:{ns}-operator"
        for verb, resource in (("create", "pods"), ("deletecollection", "podcliques.grove.io"),
                               ("delete", "podgangs.scheduler.grove.io"), ("create", "leases")):
            res = e2e_cluster.kubectl("auth", "can-i", verb, resource, f"--as={sa}", "-A", check=False)
            assert res.stdout.strip() == "yes", (verb, resource, res.stdout, res.stderr)
        for verb, resource in (("delete", "nodes"), ("create", "customresourcedefinitions"),
                               ("update", "podcliquesets.grove.io/scale"),
                               ("update", "validatingwebhookconfigurations/some-other-webhook")):
            res = e2e_cluster.kubectl("auth", "can-i", verb, resource, f"--as={sa}", check=False)
            assert res.stdout.strip() == "no", (verb, resource, res.stdout)
        sched = f"system:serviceaccount:{ns}:{ns}-scheduler"
        # (kubectl reads "pods/binding" as the pod named binding: a subresource needs --subresource)
        for args, expected in ((("create", "pods", "--subresource=binding"), "yes"), (("list", "nodes"), "yes"),
                               (("get", "secrets"), "no"), (("create", "pods"), "no")):
            res = e2e_cluster.kubectl("auth", "can-i", *args, f"--as={sched}", "-A", check=False)
            assert res.stdout.strip() == expected, (args, res.stdout)
        # Everything else (Deployments, Service, ConfigMap, PDBs, the scheduler's lease Role, webhook
        # configurations) passes server dry-run.
        out = _apply(e2e_cluster, rest, "--dry-run=server")
        assert out.count("serverside-applied (server dry run)") == len(rest), out
        assert {d["kind"] for d in rest} >= {"Deployment", "Service", "ConfigMap", "PodDisruptionBudget", "Role",
                                             "RoleBinding", "ValidatingWebhookConfiguration"}
    finally:
        for d in rbac:
            if d["kind"] != "ServiceAccount":
                e2e_cluster.kubectl("delete", d["kind"].lower(), d["metadata"]["name"], "--ignore-not-found",
                                    check=False)
        e2e_cluster.kubectl("delete", "namespace", ns, "--wait=false", check=False)
