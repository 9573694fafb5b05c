"""The pod template inside Grove's CRDs, as a real kube-apiserver serves it (as with upstream's CRDs, which
embed the full PodSpec schema): ``kubectl explain`` shows the container fields with their descriptions,
a typo'd container field is named by the API server's field validation (a warning with
``--validate=warn``, an error with ``--validate=strict``, kubectl's default, and then nothing is stored),
pruned when only warned about, and a malformed quantity or a container without a name is refused by the
schema itself, no webhook involved."""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.harness import E2ECluster
from tests.e2e.operator_support import install_crds

pytestmark = pytest.mark.e2e

TYPO = "imagePullPolicyy"
PCS_TYPO_PATH = f"spec.template.cliques[0].spec.podSpec.containers[0].{TYPO}"
PCLQ_TYPO_PATH = f"spec.podSpec.containers[0].{TYPO}"


@pytest.fixture(scope="module")
def crds(e2e_cluster: E2ECluster) -> E2ECluster:
    """The chart's CRDs, installed as the e2e suite installs them (server-side apply) and Established."""
    install_crds(e2e_cluster)
    return e2e_cluster


@pytest.fixture
def namespace(crds: E2ECluster) -> Iterator[str]:
    ns = f"podspec-{uuid.uuid4().hex[:6]}"
    crds.kubectl("create", "namespace", ns)
    yield ns
    crds.kubectl("delete", "namespace", ns, "--wait=false", check=False)


def _container(**extra: Any) -> dict[str, Any]:
    return {"name": "worker", "image": "registry.local/worker:1", **extra}


def _pcs(name: str, ns: str, container: dict[str, Any]) -> dict[str, Any]:
    clique = {"name": "worker", "spec": {"roleName": "worker", "replicas": 1,
                                         "podSpec": {"containers": [container]}}}
    return {"apiVersion": "grove.io/v1alpha1", "kind": "PodCliqueSet", "metadata": {"name": name, "namespace": ns},
            "spec": {"replicas": 1, "template": {"cliques": [clique]}}}


def _pclq(name: str, ns: str, container: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "grove.io/v1alpha1", "kind": "PodClique", "metadata": {"name": name, "namespace": ns},
            "spec": {"roleName": "worker", "replicas": 1, "podSpec": {"containers": [container]}}}


def _apply(c: E2ECluster, manifest: dict[str, Any], *flags: str) -> tuple[int, str]:
    proc = c.kubectl("apply", *flags, "-f", "-", input=json.dumps(manifest), check=False)
    return proc.returncode, proc.stdout + proc.stderr


def _exists(c: E2ECluster, kind: str, name: str, ns: str) -> bool:
    proc = c.kubectl("get", kind, name, "-n", ns, "--ignore-not-found", "-o", "name", check=False)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip() != ""


@pytest.mark.parametrize("resource", ["podcliquesets.spec.template.cliques.spec.podSpec.containers",
                                      "podcliques.spec.podSpec.containers"])
def test_kubectl_explain_shows_the_container_fields(crds: E2ECluster, resource: str) -> None:
    out = crds.kubectl("explain", resource).stdout
    assert "FIELDS:" in out, out
    fields = {line.split()[0] for line in out.splitlines() if line.startswith("  ") and not line.startswith("    ")}
    assert {"name", "image", "imagePullPolicy", "resources", "env", "ports", "command", "args",
            "livenessProbe", "readinessProbe", "volumeMounts"} <= fields, out
    assert "A single application container that you want to run within a pod." in out
    assert "-required-" in out  # containers[].name
    limits = crds.kubectl("explain", f"{resource}.resources.limits").stdout
    assert "Limits describes the maximum amount of compute resources allowed." in limits


@pytest.mark.parametrize(("kind", "build", "typo_path"), [
    ("podcliqueset", _pcs, PCS_TYPO_PATH), ("podclique", _pclq, PCLQ_TYPO_PATH)])
def test_typo_in_a_container_is_a_warning_with_validate_warn_and_is_pruned(
        crds: E2ECluster, namespace: str, kind: str, build: Any, typo_path: str) -> None:
    rc, out = _apply(crds, build("warned", namespace, _container(**{TYPO: "Always"})), "--validate=warn")
    assert rc == 0, out
    assert f'Warning: unknown field "{typo_path}"' in out, out
    stored = crds.kubectl_json("get", kind, "warned", "-n", namespace)
    pod_spec = stored["spec"]["template"]["cliques"][0]["spec"]["podSpec"] if kind == "podcliqueset" \
        else stored["spec"]["podSpec"]
    assert pod_spec["containers"] == [_container()]  # the typo is pruned, the rest kept


@pytest.mark.parametrize("flags", [("--validate=strict",), ()], ids=["strict", "kubectl-default"])
def test_typo_in_a_container_fails_strict_apply_and_nothing_is_stored(
        crds: E2ECluster, namespace: str, flags: tuple[str, ...]) -> None:
    rc, out = _apply(crds, _pcs("strict", namespace, _container(**{TYPO: "Always"})), *flags)
    assert rc != 0, out
    assert f'unknown field "{PCS_TYPO_PATH}"' in out, out
    assert not _exists(crds, "podcliqueset", "strict", namespace)


@pytest.mark.parametrize(("container", "named"), [
    (_container(resources={"limits": {"cpu": "lots"}}),
     'spec.template.cliques[0].spec.podSpec.containers[0].resources.limits.cpu: Invalid value: "lots"'),
    ({"image": "registry.local/worker:1"}, "spec.template.cliques[0].spec.podSpec.containers[0].name: Required value"),
    (_container(ports=[{"containerPort": "http"}]),
     'spec.template.cliques[0].spec.podSpec.containers[0].ports[0].containerPort: Invalid value: "string"'),
])
def test_the_schema_itself_refuses_a_malformed_pod_template(crds: E2ECluster, namespace: str,
                                                            container: dict[str, Any], named: str) -> None:
    rc, out = _apply(crds, _pcs("bad", namespace, copy.deepcopy(container)))
    assert rc != 0, out
    assert named in out, out
    assert not _exists(crds, "podcliqueset", "bad", namespace)


def test_every_grove_crd_fits_the_api_servers_limits(crds: E2ECluster) -> None:
    crd_list = crds.kubectl_json("get", "crd")["items"]
    sizes = {c["metadata"]["name"]: len(json.dumps(c, separators=(",", ":"))) for c in crd_list
             if c["spec"]["group"] in ("grove.io", "scheduler.grove.io")}
    assert len(sizes) == 5, sizes
    assert max(sizes.values()) < 1_000_000, sizes  # etcd's request limit is 1.5 MiB
    for c in crd_list:
        if c["spec"]["group"] in ("grove.io", "scheduler.grove.io"):
            conds = {x["type"]: x["status"] for x in c["status"]["conditions"]}
            assert conds.get("Established") == "True" and conds.get("NonStructuralSchema") is None, conds
