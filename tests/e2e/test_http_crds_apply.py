"""``grove crds apply`` installs Grove's five CRDs on a real cluster with server-side apply: afterwards
kubectl knows the kinds and short names, and a second apply is a no-op (same resourceVersions)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from grove.api.crds import generate_crds
from tests.e2e.harness import E2ECluster

pytestmark = pytest.mark.e2e

CRD_NAMES = sorted(c["metadata"]["name"] for c in generate_crds())


def _apply(e2e: E2ECluster) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([sys.executable, "-m", "grove", "crds", "apply", "--kubeconfig", str(e2e.kubeconfig)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def _resource_versions(e2e: E2ECluster) -> dict[str, str]:
    crds = e2e.kubectl_json("get", "crd", *CRD_NAMES)["items"]
    return {c["metadata"]["name"]: c["metadata"]["resourceVersion"] for c in crds}


def test_crds_apply_installs_established_crds_and_is_idempotent(e2e_cluster: E2ECluster) -> None:
    first = _apply(e2e_cluster)
    assert sorted(line.split("/")[1].split()[0] for line in first.stdout.splitlines()) == CRD_NAMES
    assert "established:" in first.stderr
    crds = e2e_cluster.kubectl_json("get", "crd", *CRD_NAMES, "--show-managed-fields")["items"]
    assert len(crds) == 5
    for crd in crds:
        conds = {c["type"]: c["status"] for c in crd["status"]["conditions"]}
        assert conds.get("Established") == "True", crd["metadata"]["name"]
        managers = {m["manager"]: m["operation"] for m in crd["metadata"]["managedFields"]}
        assert managers.get("grove-crd-installer") == "Apply", managers
    # kubectl resolves the short names through discovery; an empty list is the expected answer
    got = e2e_cluster.kubectl("get", "pcs,pclq,pcsg,pg", "-A", "-o", "wide", check=False)
    assert got.returncode == 0, got.stderr
    assert "No resources found" in got.stderr
    explained = e2e_cluster.kubectl("explain", "podcliqueset.spec.template").stdout
    assert "cliques" in explained

    before = _resource_versions(e2e_cluster)
    _apply(e2e_cluster)
    assert _resource_versions(e2e_cluster) == before  # nothing changed, nothing written
