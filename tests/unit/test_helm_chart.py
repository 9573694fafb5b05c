"""The Helm chart (deploy/helm/grove): CRDs never drift from the models, values match spec §10.3, and the
rendered objects (``helm template`` with the control-plane cache's helm) have the admission
configurations of spec §2, two replicas with probes and env, and least-privilege RBAC."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from grove.api.crds import generate_crds, to_yaml
from grove.devcluster import ControlPlaneBinaries
from grove.operator.config import load_operator_config
from grove.webhook.authorizer import PROTECTED
from grove.webhook.certs import VALIDATING_CONFIGS

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "deploy" / "helm" / "grove"
NS = "grove-system"


def helm_binary() -> Path:
    helm = ControlPlaneBinaries.default().path("helm")
    if not helm.exists():
        reason = f"helm is not built at {helm} (build the control plane: hack/build-control-plane.sh)"
        print(reason, file=sys.stderr)
        pytest.skip(reason)
    return helm


def helm(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([str(helm_binary()), *args], capture_output=True, text=True, timeout=60, check=False)
    if check and proc.returncode != 0:
        raise AssertionError(f"helm {' '.join(args)} failed: {proc.stderr}")
    return proc


def render(*set_args: str) -> list[dict[str, Any]]:
    sets = [a for s in set_args for a in ("--set", s)]
    out = helm("template", "grove", str(CHART), "-n", NS, "--include-crds", *sets).stdout
    return [d for d in yaml.safe_load_all(out) if d]


@pytest.fixture(scope="module")
def rendered() -> list[dict[str, Any]]:
    return render()


def one(docs: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    found = [d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind}/{name}: {len(found)} rendered"
    return found[0]


def test_chart_crds_equal_generated_crds() -> None:
    expected = {f"{crd['metadata']['name']}.yaml": to_yaml([crd]) for crd in generate_crds()}
    actual = {p.name: p.read_text(encoding="utf-8") for p in (CHART / "crds").glob("*.yaml")}
    assert actual.keys() == expected.keys()
    drifted = [n for n in expected if actual[n] != expected[n]]
    assert not drifted, f"{drifted} differ from generate_crds(); run .venv/bin/python deploy/helm/sync_crds.py"


def test_values_are_the_upstream_chart_values() -> None:
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    cfg = values["config"]
    server = cfg["server"]
    assert (server["webhooks"]["port"], server["healthProbes"]["port"], server["metrics"]["port"]) == (9443, 9444, 9445)
    assert cfg["runtimeClientConnection"]["burst"] == 150
    assert {k: v["concurrentSyncs"] for k, v in cfg["controllers"].items()} == \
        {"podCliqueSet": 3, "podClique": 3, "podCliqueScalingGroup": 3}
    assert cfg["leaderElection"]["enabled"] is True
    assert [p["name"] for p in cfg["scheduler"]["profiles"]] == ["default-scheduler", "kai-scheduler"]
    assert "defaultProfileName" not in cfg["scheduler"]
    assert cfg["topologyAwareScheduling"]["enabled"] is False
    assert cfg["authorizer"]["enabled"] is False
    assert cfg["network"]["autoMNNVLEnabled"] is False
    assert values["replicaCount"] == 2 and values["image"]["repository"] and values["image"]["tag"]


def test_helm_lint() -> None:
    proc = helm("lint", str(CHART))
    assert "0 chart(s) failed" in proc.stdout


def test_rendered_config_is_a_valid_operator_configuration(rendered: list[dict[str, Any]], tmp_path: Path) -> None:
    cm = one(rendered, "ConfigMap", "grove-operator-config")
    path = tmp_path / "config.yaml"
    path.write_text(cm["data"]["config.yaml"])
    cfg = load_operator_config(path)
    assert cfg.controllers.pod_gang.concurrent_syncs == 5  # unset in the chart => Go default
    assert cfg.scheduler.default_profile_name == "default-scheduler"
    assert cfg.leader_election.resource_namespace == NS
    assert cfg.server.webhooks.cert_provision_mode == "auto"


WEBHOOKS = {
    ("MutatingWebhookConfiguration", "podcliqueset-defaulting-webhook"):
        ("pcs.defaulting.webhooks.grove.io", "/webhooks/default-podcliqueset", "podcliquesets"),
    ("ValidatingWebhookConfiguration", "podcliqueset-validating-webhook"):
        ("pcs.validating.webhooks.grove.io", "/webhooks/validate-podcliqueset", "podcliquesets"),
    ("ValidatingWebhookConfiguration", "clustertopology-validating-webhook"):
        ("clustertopology.validating.webhooks.grove.io", "/webhooks/validate-clustertopology",
         "clustertopologybindings"),
}


def test_admission_configurations_follow_spec_section_2(rendered: list[dict[str, Any]]) -> None:
    configs = [d for d in rendered if d["kind"].endswith("WebhookConfiguration")]
    assert {(d["kind"], d["metadata"]["name"]) for d in configs} == set(WEBHOOKS)
    for (kind, name), (hook_name, path, resource) in WEBHOOKS.items():
        (hook,) = one(rendered, kind, name)["webhooks"]
        assert hook["name"] == hook_name
        assert hook["clientConfig"]["service"] == {"name": "grove-operator", "namespace": NS, "path": path,
                                                   "port": 443}
        assert (hook["failurePolicy"], hook["matchPolicy"], hook["sideEffects"], hook["timeoutSeconds"]) == \
            ("Fail", "Exact", "None", 10)
        (rule,) = hook["rules"]
        assert rule["operations"] == ["CREATE", "UPDATE"] and rule["resources"] == [resource]
        assert rule["apiGroups"] == ["grove.io"] and hook["admissionReviewVersions"] == ["v1"]


def test_service_routes_443_to_the_webhook_port(rendered: list[dict[str, Any]]) -> None:
    svc = one(rendered, "Service", "grove-operator")
    assert {"name": "webhooks", "port": 443, "targetPort": "webhooks", "protocol": "TCP"} in svc["spec"]["ports"]
    dep = one(rendered, "Deployment", "grove-operator")
    assert svc["spec"]["selector"].items() <= dep["spec"]["template"]["metadata"]["labels"].items()


def test_operator_deployment(rendered: list[dict[str, Any]]) -> None:
    dep = one(rendered, "Deployment", "grove-operator")
    assert dep["spec"]["replicas"] == 2
    pod = dep["spec"]["template"]["spec"]
    (ctr,) = pod["containers"]
    assert ctr["image"] == "grove:0.1.0"
    assert ctr["args"][:2] == ["operator", "--config"]
    env = {e["name"]: e.get("value") for e in ctr["env"]}
    assert env["GROVE_OPERATOR_SERVICE_ACCOUNT_NAME"] == pod["serviceAccountName"] == "grove-operator"
    assert env["GROVE_INIT_CONTAINER_IMAGE"] == "grove-initc"
    assert ctr["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert ctr["readinessProbe"]["httpGet"]["path"] == "/readyz"
    ports = {p["name"]: p["containerPort"] for p in ctr["ports"]}
    assert ports == {"webhooks": 9443, "probes": 9444, "metrics": 9445}
    mounts = {m["mountPath"] for m in ctr["volumeMounts"]}
    assert "/etc/grove-operator/webhook-certs" in mounts


def test_scheduler_deployment_uses_its_own_ports(rendered: list[dict[str, Any]]) -> None:
    dep = one(rendered, "Deployment", "grove-scheduler")
    assert dep["spec"]["replicas"] == 2
    (ctr,) = dep["spec"]["template"]["spec"]["containers"]
    assert ctr["args"][0] == "scheduler"
    assert {p["containerPort"] for p in ctr["ports"]}.isdisjoint({9443, 9444, 9445})
    names = render("scheduler.schedulerNames={grove-scheduler,kai-scheduler}")
    (ctr,) = one(names, "Deployment", "grove-scheduler")["spec"]["template"]["spec"]["containers"]
    assert ctr["args"][-4:] == ["--scheduler-name", "grove-scheduler", "--scheduler-name", "kai-scheduler"]
    assert not [d for d in render("scheduler.enabled=false") if d["metadata"]["name"] == "grove-scheduler"]


def _verbs(role: dict[str, Any], group: str, resource: str) -> set[str]:
    return {v for r in role["rules"] if group in r["apiGroups"] and resource in r["resources"] for v in r["verbs"]}


def test_rbac_is_least_privilege(rendered: list[dict[str, Any]]) -> None:
    role = one(rendered, "ClusterRole", "grove-operator")
    for rule in role["rules"]:
        assert "*" not in rule["verbs"] and "*" not in rule["resources"] and "*" not in rule["apiGroups"], rule
    # the exact verbs are measured by tests/cluster/operator/test_operator_access.py; these pin the shape
    assert _verbs(role, "", "pods") == {"get", "list", "watch", "create", "patch", "delete"}
    assert _verbs(role, "", "pods/binding") == {"create"}
    assert _verbs(role, "", "pods/status") == {"get", "list", "watch", "patch"}  # the waiter's Role grants get/list/watch
    for res in ("services", "serviceaccounts"):
        assert _verbs(role, "", res) == {"get", "list", "watch", "create", "patch"}, res
    assert _verbs(role, "", "secrets") == {"get", "list", "watch", "create", "update", "delete"}
    assert _verbs(role, "rbac.authorization.k8s.io", "roles") == {"list", "watch", "create"}
    assert _verbs(role, "coordination.k8s.io", "leases") >= {"get", "create", "update"}
    assert _verbs(role, "", "events") == {"create", "patch"}
    for res in ("podcliquesets", "podcliques", "podcliquescalinggroups"):
        assert {"list", "watch", "patch"} <= _verbs(role, "grove.io", res)
        assert _verbs(role, "grove.io", f"{res}/status") == {"patch"}
        assert not _verbs(role, "grove.io", f"{res}/scale"), "the HPA controller scales with its own identity"
    assert _verbs(role, "grove.io", "podcliques") >= {"create", "delete", "deletecollection"}
    assert _verbs(role, "grove.io", "clustertopologybindings") == {"list", "watch"}
    hooks = [r for r in role["rules"] if r["apiGroups"] == ["admissionregistration.k8s.io"]]
    assert hooks and all(r.get("resourceNames") and "create" not in r["verbs"] for r in hooks)
    # nothing cluster-admin-like: no nodes writes, no CRD management, no escalate/bind/impersonate
    assert _verbs(role, "", "nodes") <= {"get", "list", "watch"}
    crd_rules = [r for r in role["rules"] if "apiextensions.k8s.io" in r["apiGroups"]]
    assert [(r.get("resourceNames"), r["verbs"]) for r in crd_rules] == [(["podgroups.scheduling.volcano.sh"], ["get"])]
    # the backends' objects (spec §10.2) and ComputeDomains (§11.3) are written by the operator
    for group in ("scheduling.run.ai", "scheduling.volcano.sh"):
        assert _verbs(role, group, "podgroups") == {"get", "create", "patch"}, group
    assert _verbs(role, "scheduling.volcano.sh", "queues") == {"list"}
    assert _verbs(role, "kai.scheduler", "topologies") >= {"get", "create", "delete"}
    assert _verbs(role, "resource.nvidia.com", "computedomains") >= {"create", "patch", "delete"}
    assert not {v for r in role["rules"] for v in r["verbs"]} & {"escalate", "bind", "impersonate"}
    binding = one(rendered, "ClusterRoleBinding", "grove-operator")
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "grove-operator", "namespace": NS}]
    assert binding["roleRef"]["name"] == "grove-operator"


def test_rendered_crds_are_the_chart_crds(rendered: list[dict[str, Any]]) -> None:
    crds = {d["metadata"]["name"] for d in rendered if d["kind"] == "CustomResourceDefinition"}
    assert crds == {c["metadata"]["name"] for c in generate_crds()}


def test_authorizer_webhook_renders_only_when_enabled(rendered: list[dict[str, Any]]) -> None:
    """Spec §2/§2.4: the configuration, its rules equal to the authorizer's rule table, the objectSelector, the
    common settings; the operator may inject its caBundle (certs list + RBAC resourceNames); exempt users reach
    the operator configuration."""
    assert not [d for d in rendered if d["metadata"]["name"] == "authorizer-webhook"]
    docs = render("config.authorizer.enabled=true", "config.authorizer.exemptServiceAccountUserNames={u1,u2}")
    (hook,) = one(docs, "ValidatingWebhookConfiguration", "authorizer-webhook")["webhooks"]
    assert hook["name"] == "authorizer.webhooks.grove.io"
    assert hook["clientConfig"]["service"] == {"name": "grove-operator", "namespace": NS,
                                               "path": "/webhooks/authorizer-webhook", "port": 443}
    assert (hook["failurePolicy"], hook["matchPolicy"], hook["sideEffects"], hook["timeoutSeconds"]) == \
        ("Fail", "Exact", "None", 10)
    assert hook["admissionReviewVersions"] == ["v1"]
    assert hook["objectSelector"] == {"matchLabels": {"app.kubernetes.io/managed-by": "grove-operator"}}
    rules: dict[tuple[str, str], set[str]] = {}
    for rule in hook["rules"]:
        assert rule["apiVersions"] == ["*"] and rule["scope"] == "Namespaced"
        for group in rule["apiGroups"]:
            for res in rule["resources"]:
                rules.setdefault((group, res), set()).update(rule["operations"])
    assert rules == {key: set(ops) for key, ops in PROTECTED.items()}
    assert rules[("", "pods")] == {"UPDATE"} and rules[("scheduler.grove.io", "podgangs")] == \
        {"CREATE", "UPDATE", "DELETE"}
    assert "authorizer-webhook" in VALIDATING_CONFIGS
    role = one(docs, "ClusterRole", "grove-operator")
    assert any("authorizer-webhook" in r.get("resourceNames", []) and "update" in r["verbs"] for r in role["rules"])
    cfg = yaml.safe_load(one(docs, "ConfigMap", "grove-operator-config")["data"]["config.yaml"])
    assert cfg["authorizer"] == {"enabled": True, "exemptServiceAccountUserNames": ["u1", "u2"]}
