"""The Helm chart (deploy/helm/grove): CRDs never drift from the models, values match spec §10.3, and the
rendered objects (``helm template`` with the control-plane cache's helm) have the admission
configurations of spec §2, two replicas with probes and env, and least-privilege RBAC per component.
Chart conventions: values.schema.json refuses bad values naming their path, fullname-based names, PDBs,
ServiceMonitor, Pod Security "restricted" settings, placement values, images by tag or digest, the
leader-election refusal and the out-of-cluster development mode (webhooks.url)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from grove.api.crds import generate_crds, to_yaml
from grove.devcluster import ControlPlaneBinaries
from grove.operator.config import ConfigError, load_operator_config
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


def render(*set_args: str, release: str = "grove", namespace: str = NS) -> list[dict[str, Any]]:
    sets = [a for s in set_args for a in ("--set", s)]
    out = helm("template", release, str(CHART), "-n", namespace, "--include-crds", *sets).stdout
    return [d for d in yaml.safe_load_all(out) if d]


def render_error(*set_args: str, values: Path | None = None) -> str:
    """``helm template`` that must fail; returns its error output."""
    sets = [a for s in set_args for a in ("--set", s)]
    extra = ["-f", str(values)] if values is not None else []
    proc = helm("template", "grove", str(CHART), "-n", NS, *sets, *extra, check=False)
    assert proc.returncode != 0, f"helm template {set_args} rendered:\n{proc.stdout[:400]}"
    return proc.stderr


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
    assert cfg.leader_election.resource_name == "grove-operator-leader-election"
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
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
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
    # safe by default: only grove-scheduler, always explicit (never the operator's profile list)
    assert ctr["args"][-2:] == ["--scheduler-name", "grove-scheduler"] and ctr["args"].count("--scheduler-name") == 1
    assert dep["spec"]["template"]["spec"]["serviceAccountName"] == "grove-scheduler"
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
    assert _verbs(role, "", "pods/binding") == set()  # binding is the scheduler's (its own ClusterRole)
    assert _verbs(role, "", "nodes") == set()
    assert _verbs(role, "", "pods/status") == {"get", "list", "watch"}  # the waiter's Role grants get/list/watch
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


# -- the gang scheduler's own identity ------------------------------------------------------------------

SCHEDULER_RULES = {
    ("", "pods"): {"list", "watch"},
    ("", "nodes"): {"list", "watch"},
    ("", "pods/binding"): {"create"},
    ("", "pods/status"): {"patch"},
    ("", "events"): {"create", "patch"},
    ("scheduler.grove.io", "podgangs"): {"list", "watch"},
    ("grove.io", "clustertopologybindings"): {"list", "watch"},
    # the start-up scheduler-name conflict check (src/grove/operator/scheduler_conflicts.py)
    ("apps", "deployments"): {"list"},
    ("coordination.k8s.io", "leases"): {"list"},
}


def _rule_table(role: dict[str, Any]) -> dict[tuple[str, str], set[str]]:
    table: dict[tuple[str, str], set[str]] = {}
    for rule in role["rules"]:
        assert not rule.get("resourceNames"), rule
        for group in rule["apiGroups"]:
            for res in rule["resources"]:
                table.setdefault((group, res), set()).update(rule["verbs"])
    return table


def test_scheduler_has_its_own_service_account_and_least_privilege_rules(rendered: list[dict[str, Any]]) -> None:
    """grove scheduler (src/grove/scheduler/binder.py, operator/process.py): informers list+watch pods, nodes,
    PodGangs, ClusterTopologyBindings; pods/binding create; pods/status patch (PodScheduled=False); core Events
    create+patch; its Lease get/list/watch/update by name (+create) in the release
    namespace only; list Deployments and Leases for the start-up conflict check. Nothing else."""
    one(rendered, "ServiceAccount", "grove-scheduler")
    role = one(rendered, "ClusterRole", "grove-scheduler")
    assert _rule_table(role) == SCHEDULER_RULES
    binding = one(rendered, "ClusterRoleBinding", "grove-scheduler")
    assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                                  "name": "grove-scheduler"}
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "grove-scheduler", "namespace": NS}]
    lease_role = one(rendered, "Role", "grove-scheduler")
    assert lease_role["metadata"]["namespace"] == NS
    assert [(r.get("resourceNames"), r["verbs"]) for r in lease_role["rules"]] == [
        (None, ["create"]), (["grove-scheduler-leader-election"], ["get", "list", "watch", "update"])]
    assert all(r["apiGroups"] == ["coordination.k8s.io"] and r["resources"] == ["leases"]
               for r in lease_role["rules"])
    rb = one(rendered, "RoleBinding", "grove-scheduler")
    assert rb["roleRef"]["kind"] == "Role" and rb["roleRef"]["name"] == "grove-scheduler"
    assert rb["subjects"] == binding["subjects"]
    # the operator's binding never names the scheduler's account
    op_binding = one(rendered, "ClusterRoleBinding", "grove-operator")
    assert [s["name"] for s in op_binding["subjects"]] == ["grove-operator"]
    off = render("scheduler.enabled=false")
    assert not [d for d in off if "scheduler" in d["metadata"]["name"] and d["kind"] != "CustomResourceDefinition"]


def test_scheduler_rules_cover_every_kind_the_scheduler_watches(rendered: list[dict[str, Any]]) -> None:
    """Ties the rule list to the code: a new watch in setup_scheduler fails here until the chart grants it."""
    from grove.api.models.config import OperatorConfiguration
    from grove.kube.resources import ResourceRegistry
    from grove.operator.main import SCHEDULER_LEASE
    from grove.runtime.manager import Manager
    from grove.scheduler.binder import setup_scheduler

    registry = ResourceRegistry()
    for crd in generate_crds():
        registry.register_crd(crd)
    manager = Manager(client=None)  # type: ignore[arg-type]  # wiring only, nothing starts
    setup_scheduler(manager, config=OperatorConfiguration(), scheduler_names=["grove-scheduler"])
    watched = set()
    for inf in manager.informers:
        rk = registry.get(inf.key.api_version, inf.key.kind)
        assert rk is not None, inf.key
        watched.add((rk.group, rk.plural))
    table = _rule_table(one(rendered, "ClusterRole", "grove-scheduler"))
    assert watched == {k for k, verbs in table.items() if verbs == {"list", "watch"}}
    lease_role = one(rendered, "Role", "grove-scheduler")
    assert [SCHEDULER_LEASE] in [r.get("resourceNames") for r in lease_role["rules"]]


# -- values.schema.json ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("set_arg", "path", "rule"), [
    ("replicaCount=two", "'/replicaCount'", "got string, want integer"),
    ("replicaCount=-1", "'/replicaCount'", "minimum: got -1, want 0"),
    ("webhooks.failurePolicy=Sometimes", "'/webhooks/failurePolicy'", "value must be one of 'Fail', 'Ignore'"),
    ("replicaCuont=2", "''", "additional properties 'replicaCuont' not allowed"),  # unknown top-level key
    ("scheduler.replicas=2", "'/scheduler'", "additional properties 'replicas' not allowed"),  # our own section
    ("webhooks.enabled=false", "'/webhooks'", "additional properties 'enabled' not allowed"),
    ("image.digest=latest", "'/image/digest'", "'latest' does not match pattern"),
    ("initContainerImage=grove-initc:1.0", "'/initContainerImage'", "got string, want object"),
    ("scheduler.schedulerNames={default-scheduler}", "'/scheduler/schedulerNames/0'",
     "value must be one of 'grove-scheduler', 'kai-scheduler', 'volcano'"),
    ("scheduler.schedulerNames=null", "'/scheduler'", "missing property 'schedulerNames'"),  # null deletes
    ("config.logLevel=verbose", "'/config/logLevel'", "value must be one of 'debug', 'info', 'error'"),
    ("config.server.webhooks.port=70000", "'/config/server/webhooks/port'", "maximum"),
    ("config.server.webhooks.certProvisionMode=self", "'/config/server/webhooks/certProvisionMode'",
     "value must be one of 'auto', 'manual'"),
    ("config.leaderElection.leaseDuration=15", "'/config/leaderElection/leaseDuration'", "got number, want string"),
    ("config.leaderElection.leaseDuration=soon", "'/config/leaderElection/leaseDuration'", "does not match pattern"),
    ("config.scheduler.profiles[0].name=slurm", "'/config/scheduler/profiles/0/name'", "value must be one of"),
    ("config.controllers.podClique.concurrentSyncs=0", "'/config/controllers/podClique/concurrentSyncs'",
     "minimum: got 0, want 1"),
    ("webhooks.url=http://127.0.0.1:9443", "'/webhooks/url'", "'http://127.0.0.1:9443' does not match pattern"),
    ("podLabels.app\\.kubernetes\\.io/component=x", "'/podLabels/app.kubernetes.io~1component'", "'not' failed"),
    ("scheduler.podDisruptionBudget.maxUnavailable=0", "'/scheduler/podDisruptionBudget/maxUnavailable'",
     "minimum: got 0, want 1"),
])
def test_schema_refuses_bad_values_naming_their_path(set_arg: str, path: str, rule: str) -> None:
    err = render_error(set_arg)
    assert "values don't meet the specifications of the schema" in err, err
    assert f"- at {path}: " in err and rule in err, err


def test_schema_keeps_upstream_style_configs(tmp_path: Path) -> None:
    """The chart passes fields it does not model through (upstream's healthProbes.enable, debugging, ...);
    the operator loads what upstream's chart writes, and refuses a field nobody declares, naming it."""
    values = tmp_path / "upstream.yaml"
    values.write_text(yaml.safe_dump({"config": {
        "server": {"healthProbes": {"enable": True, "port": 9444}, "metrics": {"port": 9445}},
        "debugging": {"enableProfiling": False, "pprofBindHost": "127.0.0.1", "pprofBindPort": 2753},
        "authorizer": {"enabled": False, "exemptServiceAccountUserNames": [
            "system:serviceaccount:kube-system:generic-garbage-collector", "system:kube-controller-manager"]},
        "scheduler": {"profiles": [{"name": "default-scheduler"}, {"name": "kai-scheduler", "config": {}},
                                   {"name": "volcano"}], "defaultProfileName": "kai-scheduler"},
        "futureField": {"x": 1},
    }}))
    out = helm("template", "grove", str(CHART), "-n", NS, "-f", str(values)).stdout
    docs = [d for d in yaml.safe_load_all(out) if d]
    path = tmp_path / "config.yaml"
    path.write_text(one(docs, "ConfigMap", "grove-operator-config")["data"]["config.yaml"])
    with pytest.raises(ConfigError, match='unknown field "futureField"'):
        load_operator_config(path)
    body = yaml.safe_load(path.read_text())
    del body["futureField"]
    path.write_text(yaml.safe_dump(body))
    cfg = load_operator_config(path)
    assert cfg.scheduler.default_profile_name == "kai-scheduler" and cfg.server.health_probes.port == 9444


def test_schema_profile_names_are_the_supported_ones() -> None:
    from grove.api import constants as c

    schema = json.loads((CHART / "values.schema.json").read_text())
    profiles = schema["properties"]["config"]["properties"]["scheduler"]["properties"]["profiles"]
    assert set(profiles["items"]["properties"]["name"]["enum"]) == set(c.SUPPORTED_SCHEDULER_PROFILES)
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    assert set(values) <= set(schema["properties"]) and schema["additionalProperties"] is False


# -- names ----------------------------------------------------------------------------------------------

NAMED_KINDS = ("ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "ServiceAccount", "Deployment",
               "Service", "ConfigMap", "PodDisruptionBudget", "ServiceMonitor")
FIXED = {("MutatingWebhookConfiguration", "podcliqueset-defaulting-webhook"),
         ("ValidatingWebhookConfiguration", "podcliqueset-validating-webhook"),
         ("ValidatingWebhookConfiguration", "clustertopology-validating-webhook")}


def _names(docs: list[dict[str, Any]]) -> set[tuple[str, str]]:
    return {(d["kind"], d["metadata"]["name"]) for d in docs if d["kind"] != "CustomResourceDefinition"}


def test_release_grove_keeps_the_historical_names(rendered: list[dict[str, Any]]) -> None:
    assert _names(rendered) == FIXED | {
        ("ClusterRole", "grove-operator"), ("ClusterRoleBinding", "grove-operator"),
        ("ServiceAccount", "grove-operator"), ("Deployment", "grove-operator"), ("Service", "grove-operator"),
        ("ConfigMap", "grove-operator-config"), ("PodDisruptionBudget", "grove-operator"),
        ("ClusterRole", "grove-scheduler"), ("ClusterRoleBinding", "grove-scheduler"),
        ("Role", "grove-scheduler"), ("RoleBinding", "grove-scheduler"), ("ServiceAccount", "grove-scheduler"),
        ("Deployment", "grove-scheduler"), ("PodDisruptionBudget", "grove-scheduler")}


def test_two_releases_share_only_the_cluster_singletons() -> None:
    """Everything the chart alone names follows the fullname; only the admission configurations (looked up by
    name by the operator) and the CRDs are shared, as in upstream (one Grove per cluster)."""
    a = _names(render("serviceMonitor.enabled=true", release="grove"))
    b_docs = render("serviceMonitor.enabled=true", release="team-b")
    b = _names(b_docs)
    assert a & b == FIXED
    assert {n for k, n in b if k in NAMED_KINDS} == {
        "team-b-grove-operator", "team-b-grove-operator-config", "team-b-grove-scheduler", "team-b-grove"}
    sa = one(b_docs, "ServiceAccount", "team-b-grove-operator")["metadata"]["name"]
    dep = one(b_docs, "Deployment", "team-b-grove-operator")
    (ctr,) = dep["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e.get("value") for e in ctr["env"]}
    assert env["GROVE_OPERATOR_SERVICE_ACCOUNT_NAME"] == dep["spec"]["template"]["spec"]["serviceAccountName"] == sa
    cfg = yaml.safe_load(one(b_docs, "ConfigMap", "team-b-grove-operator-config")["data"]["config.yaml"])
    assert cfg["leaderElection"]["resourceName"] == "team-b-grove-operator-leader-election"
    assert [v["configMap"]["name"] for v in dep["spec"]["template"]["spec"]["volumes"] if "configMap" in v] == \
        ["team-b-grove-operator-config"]
    (hook,) = one(b_docs, "ValidatingWebhookConfiguration", "podcliqueset-validating-webhook")["webhooks"]
    assert hook["clientConfig"]["service"]["name"] == "team-b-grove-operator"
    crb = one(b_docs, "ClusterRoleBinding", "team-b-grove-scheduler")
    assert crb["roleRef"]["name"] == "team-b-grove-scheduler"
    assert crb["subjects"][0]["name"] == "team-b-grove-scheduler"
    # selectors carry the instance, so two releases in one namespace never adopt each other's pods
    assert dep["spec"]["selector"]["matchLabels"]["app.kubernetes.io/instance"] == "team-b"


def test_name_overrides() -> None:
    names = {n for _, n in _names(render("fullnameOverride=gv", release="prod"))} - {n for _, n in FIXED}
    assert names == {"gv-operator", "gv-operator-config", "gv-scheduler"}
    names = {n for _, n in _names(render("nameOverride=inference", release="prod"))} - {n for _, n in FIXED}
    assert names == {"prod-inference-operator", "prod-inference-operator-config", "prod-inference-scheduler"}
    names = {n for _, n in _names(render(release="my-grove"))} - {n for _, n in FIXED}  # contains the chart name
    assert names == {"my-grove-operator", "my-grove-operator-config", "my-grove-scheduler"}
    for long in (render(release="r" * 53), render("fullnameOverride=" + "f" * 63)):
        for kind, name in _names(long):
            assert len(name) <= 63 and not name.endswith("-"), (kind, name)
    assert one(render("serviceAccount.name=custom-sa"), "Deployment", "grove-operator")["spec"]["template"][
        "spec"]["serviceAccountName"] == "custom-sa"


def test_leader_election_lease_name_follows_the_values() -> None:
    docs = render("config.leaderElection.resourceName=my-lease")
    cfg = yaml.safe_load(one(docs, "ConfigMap", "grove-operator-config")["data"]["config.yaml"])
    assert cfg["leaderElection"]["resourceName"] == "my-lease"


# -- refusals -------------------------------------------------------------------------------------------


def test_several_replicas_without_leader_election_are_refused() -> None:
    err = render_error("config.leaderElection.enabled=false")
    assert "replicaCount: 2 replicas need config.leaderElection.enabled=true" in err, err
    err = render_error("config.leaderElection.enabled=false", "replicaCount=1")
    assert "scheduler.replicaCount: 2 replicas need config.leaderElection.enabled=true" in err, err
    docs = render("config.leaderElection.enabled=false", "replicaCount=1", "scheduler.replicaCount=1")
    assert one(docs, "Deployment", "grove-operator")["spec"]["replicas"] == 1
    assert not [d for d in docs if d["kind"] == "PodDisruptionBudget"]
    render("config.leaderElection.enabled=false", "replicaCount=1", "scheduler.enabled=false",
           "scheduler.replicaCount=3")


# -- availability and monitoring ------------------------------------------------------------------------


def test_pod_disruption_budgets_only_for_several_replicas(rendered: list[dict[str, Any]]) -> None:
    for name in ("grove-operator", "grove-scheduler"):
        pdb = one(rendered, "PodDisruptionBudget", name)
        dep = one(rendered, "Deployment", name)
        assert pdb["spec"]["maxUnavailable"] == 1
        assert pdb["spec"]["selector"] == dep["spec"]["selector"]
    docs = render("replicaCount=1", "scheduler.replicaCount=3")
    assert [d["metadata"]["name"] for d in docs if d["kind"] == "PodDisruptionBudget"] == ["grove-scheduler"]
    assert not [d for d in render("podDisruptionBudget.enabled=false", "scheduler.podDisruptionBudget.enabled=false")
                if d["kind"] == "PodDisruptionBudget"]


def test_service_monitor_is_optional(rendered: list[dict[str, Any]]) -> None:
    assert not [d for d in rendered if d["kind"] == "ServiceMonitor"]
    assert not [d for d in rendered if d["kind"] == "Service" and d["metadata"]["name"] == "grove-scheduler"]
    docs = render("serviceMonitor.enabled=true", "serviceMonitor.labels.release=prometheus")
    sm = one(docs, "ServiceMonitor", "grove")
    assert sm["apiVersion"] == "monitoring.coreos.com/v1" and sm["metadata"]["labels"]["release"] == "prometheus"
    assert sm["spec"]["endpoints"] == [{"port": "metrics", "path": "/metrics", "scheme": "http", "interval": "30s"}]
    assert sm["spec"]["namespaceSelector"] == {"matchNames": [NS]}
    # it selects both metrics Services, and each Service selects its Deployment's pods on a "metrics" port
    for name in ("grove-operator", "grove-scheduler"):
        svc = one(docs, "Service", name)
        labels = svc["metadata"]["labels"]
        assert sm["spec"]["selector"]["matchLabels"].items() <= labels.items()
        (expr,) = sm["spec"]["selector"]["matchExpressions"]
        assert labels[expr["key"]] in expr["values"]
        assert "metrics" in {p["name"] for p in svc["spec"]["ports"]}
        pod_labels = one(docs, "Deployment", name)["spec"]["template"]["metadata"]["labels"]
        assert svc["spec"]["selector"].items() <= pod_labels.items()
    sched_svc = one(docs, "Service", "grove-scheduler")
    assert [(p["port"], p["targetPort"]) for p in sched_svc["spec"]["ports"]] == [(9455, "metrics")]


# -- pods: security, placement, config rollout, images --------------------------------------------------


def test_pods_meet_pod_security_restricted(rendered: list[dict[str, Any]]) -> None:
    for dep in (d for d in rendered if d["kind"] == "Deployment"):
        pod = dep["spec"]["template"]["spec"]
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        assert pod["securityContext"]["runAsNonRoot"] is True
        for ctr in pod["containers"]:
            sc = ctr["securityContext"]
            assert sc["allowPrivilegeEscalation"] is False and sc["capabilities"]["drop"] == ["ALL"]


def test_placement_values_per_component() -> None:
    docs = render("nodeSelector.pool=control", "tolerations[0].key=dedicated", "tolerations[0].operator=Exists",
                  "priorityClassName=system-cluster-critical", "imagePullSecrets[0].name=regcred",
                  "podAnnotations.team=ml", "podLabels.tier=control",
                  "affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]"
                  ".matchExpressions[0].key=zone",
                  "affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]"
                  ".matchExpressions[0].operator=Exists",
                  "scheduler.nodeSelector.pool=sched", "scheduler.priorityClassName=high",
                  "scheduler.podAnnotations.who=sched", "scheduler.podLabels.tier=sched")
    op = one(docs, "Deployment", "grove-operator")["spec"]["template"]
    sched = one(docs, "Deployment", "grove-scheduler")["spec"]["template"]
    assert op["spec"]["nodeSelector"] == {"pool": "control"}
    assert op["spec"]["tolerations"] == [{"key": "dedicated", "operator": "Exists"}]
    assert op["spec"]["priorityClassName"] == "system-cluster-critical"
    assert op["spec"]["imagePullSecrets"] == [{"name": "regcred"}]
    assert op["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert op["metadata"]["annotations"]["team"] == "ml" and "checksum/config" in op["metadata"]["annotations"]
    assert op["metadata"]["labels"]["tier"] == "control"
    assert op["metadata"]["labels"]["app.kubernetes.io/component"] == "operator"
    assert sched["spec"]["nodeSelector"] == {"pool": "sched"} and sched["spec"]["priorityClassName"] == "high"
    assert "tolerations" not in sched["spec"] and "affinity" not in sched["spec"]
    assert sched["spec"]["imagePullSecrets"] == [{"name": "regcred"}]  # falls back to the top-level secrets
    assert sched["metadata"]["annotations"]["who"] == "sched" and "team" not in sched["metadata"]["annotations"]
    assert sched["metadata"]["labels"]["tier"] == "sched"
    own = render("imagePullSecrets[0].name=regcred", "scheduler.imagePullSecrets[0].name=other")
    assert one(own, "Deployment", "grove-scheduler")["spec"]["template"]["spec"]["imagePullSecrets"] == \
        [{"name": "other"}]
    plain = render()
    for dep in (d for d in plain if d["kind"] == "Deployment"):
        assert not {"nodeSelector", "tolerations", "affinity", "priorityClassName", "imagePullSecrets"} & \
            dep["spec"]["template"]["spec"].keys()


def test_every_deployment_mounting_the_config_rolls_when_it_changes(rendered: list[dict[str, Any]]) -> None:
    changed = render("config.logLevel=debug")
    deps = [d for d in rendered if d["kind"] == "Deployment"]
    assert len(deps) == 2
    for dep in deps:
        tmpl = dep["spec"]["template"]
        assert any(v.get("configMap", {}).get("name") == "grove-operator-config" for v in tmpl["spec"]["volumes"])
        checksum = tmpl["metadata"]["annotations"]["checksum/config"]
        after = one(changed, "Deployment", dep["metadata"]["name"])["spec"]["template"]["metadata"]["annotations"]
        assert len(checksum) == 64 and after["checksum/config"] != checksum, dep["metadata"]["name"]


def _images(docs: list[dict[str, Any]]) -> tuple[str, str, str]:
    op = one(docs, "Deployment", "grove-operator")["spec"]["template"]["spec"]["containers"][0]
    sched = one(docs, "Deployment", "grove-scheduler")["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e.get("value") for e in op["env"]}
    return op["image"], sched["image"], env["GROVE_INIT_CONTAINER_IMAGE"]


def test_images_by_tag_or_digest() -> None:
    digest = "sha256:" + "0" * 64
    assert _images(render()) == ("grove:0.1.0", "grove:0.1.0", "grove-initc")
    assert _images(render("image.tag=")) == ("grove:0.1.0", "grove:0.1.0", "grove-initc")  # appVersion
    assert _images(render("image.repository=reg.io:5000/ai/grove", "image.tag=1.2", f"image.digest={digest}"))[:2] \
        == (f"reg.io:5000/ai/grove@{digest}",) * 2  # the digest wins
    assert _images(render("initContainerImage.repository=reg.io/grove-initc", "initContainerImage.tag=1.2"))[2] == \
        "reg.io/grove-initc:1.2"
    assert _images(render("initContainerImage.repository=reg.io/grove-initc", "initContainerImage.tag=1.2",
                          f"initContainerImage.digest={digest}"))[2] == f"reg.io/grove-initc@{digest}"
    op = one(render("image.pullPolicy=Always"), "Deployment", "grove-operator")
    assert op["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] == "Always"


# -- out-of-cluster development mode --------------------------------------------------------------------


def test_webhooks_url_mode_points_every_webhook_at_the_url() -> None:
    docs = render("webhooks.url=https://127.0.0.1:9443", "config.authorizer.enabled=true",
                  "config.server.webhooks.bindAddress=127.0.0.1", "config.server.healthProbes.bindAddress=127.0.0.1",
                  "config.server.metrics.bindAddress=127.0.0.1")
    hooks = {h["name"]: h["clientConfig"] for d in docs if d["kind"].endswith("WebhookConfiguration")
             for h in d["webhooks"]}
    assert hooks == {
        "pcs.defaulting.webhooks.grove.io": {"url": "https://127.0.0.1:9443/webhooks/default-podcliqueset"},
        "pcs.validating.webhooks.grove.io": {"url": "https://127.0.0.1:9443/webhooks/validate-podcliqueset"},
        "clustertopology.validating.webhooks.grove.io":
            {"url": "https://127.0.0.1:9443/webhooks/validate-clustertopology"},
        "authorizer.webhooks.grove.io": {"url": "https://127.0.0.1:9443/webhooks/authorizer-webhook"},
    }
    cfg = yaml.safe_load(one(docs, "ConfigMap", "grove-operator-config")["data"]["config.yaml"])
    assert cfg["server"]["webhooks"]["bindAddress"] == "127.0.0.1"
    # a trailing slash does not double up
    (hook,) = one(render("webhooks.url=https://127.0.0.1:9443/"), "MutatingWebhookConfiguration",
                  "podcliqueset-defaulting-webhook")["webhooks"]
    assert hook["clientConfig"] == {"url": "https://127.0.0.1:9443/webhooks/default-podcliqueset"}
