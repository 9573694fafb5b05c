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


def _render(ns: str) -> list[dict[str, Any]]:
    import yaml

    out = helm("template", "grove", str(CHART), "-n", ns, "--include-crds").stdout
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
    docs = _render(ns)
    crds = [d for d in docs if d["kind"] == "CustomResourceDefinition"]
    rbac = [d for d in docs if d["kind"] in ("ServiceAccount", "ClusterRole", "ClusterRoleBinding")]
    rest = [d for d in docs if d not in crds and d not in rbac]
    assert len(crds) == 5 and len(rbac) == 3
    out = _apply(e2e_cluster, crds, "--force-conflicts")
    assert out.count("serverside-applied") == 5, out
    e2e_cluster.kubectl("wait", "--for=condition=Established", "--timeout=60s",
                        *[f"crd/{d['metadata']['name']}" for d in crds])
    # Renamed RBAC so this test never grants to another test's service account.
    for d in rbac:
        if d["kind"] != "ServiceAccount":
            d["metadata"]["name"] = f"{d['metadata']['name']}-{ns}"
        if d["kind"] == "ClusterRoleBinding":
            d["roleRef"]["name"] = f"grove-operator-{ns}"
    try:
        out = _apply(e2e_cluster, rbac)
        assert out.count("serverside-applied") == 3, out
        # The ServiceAccount really holds the rules (RBAC authorizer of the real API server).
        sa = f"system:serviceaccount:{ns}:grove-operator"
        for verb, resource in (("create", "pods/binding"), ("deletecollection", "podcliques.grove.io"),
                               ("delete", "podgangs.scheduler.grove.io"), ("create", "leases")):
            res = e2e_cluster.kubectl("auth", "can-i", verb, resource, f"--as={sa}", "-A", check=False)
            assert res.stdout.strip() == "yes", (verb, resource, res.stdout, res.stderr)
        for verb, resource in (("delete", "nodes"), ("create", "customresourcedefinitions"),
                               ("update", "podcliquesets.grove.io/scale"),
                               ("update", "validatingwebhookconfigurations/some-other-webhook")):
            res = e2e_cluster.kubectl("auth", "can-i", verb, resource, f"--as={sa}", check=False)
            assert res.stdout.strip() == "no", (verb, resource, res.stdout)
        # Everything else (Deployments, Service, ConfigMap, webhook configurations) passes server dry-run.
        out = _apply(e2e_cluster, rest, "--dry-run=server")
        assert out.count("serverside-applied (server dry run)") == len(rest), out
    finally:
        for d in rbac:
            if d["kind"] != "ServiceAccount":
                e2e_cluster.kubectl("delete", d["kind"].lower(), d["metadata"]["name"], "--ignore-not-found",
                                    check=False)
        e2e_cluster.kubectl("delete", "namespace", ns, "--wait=false", check=False)
