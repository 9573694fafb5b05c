"""``grove operator`` (and ``grove scheduler``) as real processes against the real control plane.

Installed as users install it (tests/e2e/operator_support.py): ``helm install`` of the chart, then its
operator and scheduler run with the chart's ServiceAccount tokens, args, env and ConfigMap; the
admission configurations reach the local process by URL (the chart's ``webhooks.url`` development
value); the operator provisions the certificate Secret and injects the caBundle itself. Then: kubectl sees webhook denials with field paths, upstream's simple1
sample gets its children (scenarios.md §4 counts), scale subresources work through kubectl, HPAs target
them, pods run once the gang scheduler binds them, deletion cascades, metrics and the Lease reflect the
leader, and SIGTERM exits 0 and releases the Lease. Teardown removes the webhook configurations so the
rest of the session never depends on a stopped process.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from grove.devcluster.nodes import agent_toleration
from grove.kube.errors import ApiError, Invalid
from grove.kube.http import HttpKubeClient
from tests.cluster.sim.hostile_cases import PCS_CASES
from tests.e2e.harness import E2ECluster, wait_until
from tests.e2e.operator_support import NS, Operator, operator_running
from tests.e2e.operator_support import http_get as _get
from tests.upstream import UPSTREAM

pytestmark = pytest.mark.e2e

WORK_NS = "grove-op-e2e"
SAMPLE = UPSTREAM / "samples/simple/simple1.yaml"


@pytest.fixture(scope="module")
def operator(e2e_cluster: E2ECluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Operator]:
    c = e2e_cluster
    try:
        with operator_running(c, tmp_path_factory.mktemp("operator"), namespaces=[WORK_NS]) as op:
            yield op
    finally:
        c.kubectl("delete", "podcliquesets", "--all", "-n", WORK_NS, "--wait=false", check=False)


def test_operator_is_ready_leader_and_injected_the_ca(operator: Operator, e2e_cluster: E2ECluster) -> None:
    assert _get(f"http://127.0.0.1:{operator.health_port}/healthz")[0] == 200
    secret = e2e_cluster.kubectl_json("get", "secret", "grove-webhook-server-cert", "-n", NS)
    ca = base64.b64decode(secret["data"]["ca.crt"])
    for kind, name in (("validatingwebhookconfiguration", "podcliqueset-validating-webhook"),
                       ("validatingwebhookconfiguration", "clustertopology-validating-webhook"),
                       ("mutatingwebhookconfiguration", "podcliqueset-defaulting-webhook")):
        hook = e2e_cluster.kubectl_json("get", kind, name)["webhooks"][0]
        assert base64.b64decode(hook["clientConfig"]["caBundle"]) == ca, name
    wait_until("the operator to hold the lease", lambda: (e2e_cluster.kubectl_json(
        "get", "lease", "grove-operator-leader-election", "-n", NS)["spec"].get("holderIdentity") or "") != "",
        timeout=30)
    wait_until("leader status 1 in /metrics",
               lambda: 'leader_election_master_status{name="grove-operator-leader-election"} 1' in operator.metrics())


def test_webhook_denial_causes_keep_their_reason_through_the_api_server(operator: Operator,
                                                                       e2e_cluster: E2ECluster) -> None:
    """metav1.StatusCause carries its type under ``reason``: the API server decodes the webhook's Status and
    passes it on, so a cause written under another key would arrive without a type."""
    bad = {"apiVersion": "grove.io/v1alpha1", "kind": "PodCliqueSet", "metadata": {"name": "bad-causes",
                                                                                   "namespace": WORK_NS},
           "spec": {"replicas": 1, "template": {"cliques": [
               {"name": "a", "spec": {"replicas": 2, "minAvailable": 5, "roleName": "a",
                                      "podSpec": {"containers": [{"name": "a", "image": "x"}]}}}]}}}

    async def create() -> Invalid:
        client = HttpKubeClient.from_kubeconfig(str(e2e_cluster.kubeconfig))
        try:
            with pytest.raises(Invalid) as err:
                await client.create(bad)
            return err.value
        finally:
            await client.close()

    denied = asyncio.run(create())
    assert [(c.field, c.reason) for c in denied.causes] == [
        ("spec.template.cliques[0].spec.minAvailable", "FieldValueInvalid")], denied.causes
    assert denied.details.get("kind") == "PodCliqueSet" and denied.details.get("group") == "grove.io"


REAL_SERVER_WORDS = {
    # refused by the API server before any schema or webhook: its JSON decoder names the Go field
    "label-value-int": ("ObjectMeta.labels",), "annotations-list": ("ObjectMeta.annotations",),
    # refused by the CRD's list-maps (cliques keyed by name; the embedded PodSpec's env keyed by name, as in
    # upstream's CRD) before the webhook
    "clique-names-duplicate": ("spec.template.cliques[1]: Duplicate value",),
    "env-duplicate": ("spec.template.cliques[0].spec.podSpec.containers[0].env[1]: Duplicate value",),
}


def test_hostile_table_is_refused_by_the_real_api_server_and_webhook(operator: Operator,
                                                                     e2e_cluster: E2ECluster) -> None:
    """The PodCliqueSet cases of the hostile-input table (tests/cluster/sim/hostile_cases.py) against the
    real control plane (CRD schema + Grove's webhooks): each is refused naming its field or limit, and
    nothing is stored. Cases the client cannot even send (no kind) and --strict ones are left out."""
    cases = []
    for case in PCS_CASES:
        if case.args or case.id.startswith("deep-nesting"):  # --strict; too deep for a JSON encoder
            continue
        body = yaml.safe_load(case.text)
        if not isinstance(body.get("kind"), str) or not isinstance(body.get("apiVersion"), str) \
                or not isinstance(body.get("metadata"), dict) or not isinstance(body["metadata"].get("name"), str) \
                or "namespace" in body["metadata"] or body["apiVersion"] != "grove.io/v1alpha1" \
                or body["kind"] != "PodCliqueSet":
            continue
        body["metadata"]["namespace"] = WORK_NS
        cases.append((case, body))

    async def attempt_all() -> list[str]:
        client = HttpKubeClient.from_kubeconfig(str(e2e_cluster.kubeconfig))
        problems = []
        try:
            for case, body in cases:
                try:
                    await client.create(body)
                except ApiError as exc:
                    said = " ".join([exc.message, *(f"{c.field}: {c.message}" for c in exc.causes)])
                    needles = REAL_SERVER_WORDS.get(case.id, case.needles)
                    if not all(n in said for n in needles):
                        problems.append(f"{case.id}: {case.needles} not in {said[:300]}")
                else:
                    problems.append(f"{case.id}: accepted")
                    await client.delete("grove.io/v1alpha1", "PodCliqueSet", body["metadata"]["name"], WORK_NS)
            stored = (await client.list("grove.io/v1alpha1", "PodCliqueSet", WORK_NS)).items
            problems += [f"stored: {o['metadata']['name']}" for o in stored
                         if o["metadata"]["name"] in {b["metadata"]["name"] for _, b in cases}]
        finally:
            await client.close()
        return problems

    assert len(cases) >= 50
    problems = asyncio.run(attempt_all())
    assert problems == [], "\n".join(problems)


def test_invalid_pcs_is_rejected_by_kubectl_with_the_field_path(operator: Operator, e2e_cluster: E2ECluster) -> None:
    bad = {"apiVersion": "grove.io/v1alpha1", "kind": "PodCliqueSet", "metadata": {"name": "bad", "namespace": WORK_NS},
           "spec": {"replicas": 1, "template": {"cliques": [
               {"name": "a", "spec": {"replicas": 2, "minAvailable": 5, "roleName": "a",
                                      "podSpec": {"containers": [{"name": "a", "image": "x"}],
                                                  "restartPolicy": "Never"}}}]}}}
    res = e2e_cluster.kubectl("apply", "-f", "-", input=json.dumps(bad), check=False)
    assert res.returncode != 0
    # The API server turns the webhook's 422 Status (with causes) into kubectl's usual Invalid error, and
    # passes the webhook's warnings through.
    assert 'The PodCliqueSet "bad" is invalid: spec.template.cliques[0].spec.minAvailable: Invalid value: 5: ' \
        "must be less than or equal to replicas (2)" in res.stderr, res.stderr
    assert "Warning: spec.template.cliques[0].spec.podSpec.restartPolicy: restartPolicy Never will be ignored" \
        in res.stderr, res.stderr
    assert e2e_cluster.kubectl("get", "pcs", "bad", "-n", WORK_NS, check=False).returncode != 0
    bad_ctb = {"apiVersion": "grove.io/v1alpha1", "kind": "ClusterTopologyBinding", "metadata": {"name": "bad-ctb"},
               "spec": {"levels": [{"domain": "zone", "key": "k/z"}, {"domain": "rack", "key": "k/z"}]}}
    res = e2e_cluster.kubectl("apply", "-f", "-", input=json.dumps(bad_ctb), check=False)
    assert res.returncode != 0 and 'ClusterTopologyBinding "bad-ctb" is invalid' in res.stderr, res.stderr
    assert "spec.levels[1]" in res.stderr, res.stderr


def _sample() -> dict[str, Any]:
    (doc,) = [d for d in yaml.safe_load_all(SAMPLE.read_text()) if d]
    doc = copy.deepcopy(doc)
    doc["metadata"]["namespace"] = WORK_NS
    for clique in doc["spec"]["template"]["cliques"]:
        clique["spec"]["podSpec"]["tolerations"] = [agent_toleration()]
    return dict(doc)


def _names(c: E2ECluster, resource: str) -> list[str]:
    return sorted(o["metadata"]["name"] for o in c.kubectl_json("get", resource, "-n", WORK_NS)["items"])


def test_simple1_children_scale_and_cascade(operator: Operator, e2e_cluster: E2ECluster) -> None:
    c = e2e_cluster
    c.apply(_sample())
    pcs = c.kubectl_json("get", "pcs", "simple1", "-n", WORK_NS)
    assert pcs["spec"]["template"]["cliques"][0]["spec"]["minAvailable"] == 3, "defaulting webhook patched"
    assert pcs["spec"]["template"]["cliqueStartupType"] == "CliqueStartupTypeAnyOrder"

    def counts() -> tuple[int, ...]:
        return (len(_names(c, "podcliques.grove.io")), len(_names(c, "podcliquescalinggroups.grove.io")),
                len(_names(c, "podgangs.scheduler.grove.io")), len(_names(c, "pods")),
                len(_names(c, "services")), len(_names(c, "hpa")))

    wait_until(f"simple1 children (4 PCLQ, 1 PCSG, 1 PodGang, 9 pods, 1 Service, 2 HPA); log:\n"
               f"{operator.proc.tail() if operator.proc else ''}", lambda: counts() == (4, 1, 1, 9, 1, 2), timeout=90)
    assert _names(c, "podcliques.grove.io") == ["simple1-0-pca", "simple1-0-pcd", "simple1-0-sga-0-pcb",
                                                 "simple1-0-sga-0-pcc"]
    hpas = {h["metadata"]["name"]: h["spec"]["scaleTargetRef"] for h in c.kubectl_json("get", "hpa", "-n", WORK_NS)["items"]}
    assert hpas == {
        "simple1-0-pca": {"apiVersion": "grove.io/v1alpha1", "kind": "PodClique", "name": "simple1-0-pca"},
        "simple1-0-sga": {"apiVersion": "grove.io/v1alpha1", "kind": "PodCliqueScalingGroup", "name": "simple1-0-sga"},
    }
    # The HPA's target resolves through the real scale subresource.
    scale = json.loads(c.kubectl("get", "--raw",
                                 f"/apis/grove.io/v1alpha1/namespaces/{WORK_NS}/podcliques/simple1-0-pca/scale").stdout)
    assert scale["kind"] == "Scale" and scale["spec"]["replicas"] == 3

    c.kubectl("scale", "pcsg", "simple1-0-sga", "--replicas=2", "-n", WORK_NS)
    wait_until("PCSG scale-out to 6 PCLQs, 13 pods and the scaled PodGang simple1-0-sga-0",
               lambda: counts()[:4] == (6, 1, 2, 13) and "simple1-0-sga-0" in _names(c, "podgangs.scheduler.grove.io"),
               timeout=90)
    c.kubectl("scale", "pcs", "simple1", "--replicas=2", "-n", WORK_NS)
    wait_until("PCS scale-out to a second replica (PodGang simple1-1)",
               lambda: "simple1-1" in _names(c, "podgangs.scheduler.grove.io")
               and "simple1-1-pca" in _names(c, "podcliques.grove.io"), timeout=90)

    m = operator.metrics()
    for ctrl in ("podcliqueset-controller", "podcliquescalinggroup-controller", "podclique-controller"):
        found = re.search(rf'controller_runtime_reconcile_total{{controller="{ctrl}",result="success"}} (\d+)', m)
        assert found and int(found.group(1)) > 0, (ctrl, m[:2000])
    assert "workqueue_depth{" in m and "controller_runtime_reconcile_time_seconds_bucket{" in m
    assert 'controller_runtime_webhook_requests_total{webhook="/webhooks/validate-podcliqueset",allowed="true"}' in m

    c.kubectl("delete", "pcs", "simple1", "-n", WORK_NS, "--wait=false")
    # The real garbage collector discovers new CRD types every 30 s, so allow for one discovery round.
    wait_until("cascade delete to leave nothing behind",
               lambda: counts() == (0, 0, 0, 0, 0, 0), timeout=120)


def test_pods_run_once_the_gang_scheduler_binds_them(operator: Operator, e2e_cluster: E2ECluster) -> None:
    """Pods ask for ``grove-scheduler`` (an enabled profile), which kube-scheduler ignores: Running pods
    prove ``grove scheduler`` bound them."""
    c = e2e_cluster
    operator.start_scheduler()
    assert operator.sched is not None
    doc = _sample()
    doc["metadata"]["name"] = "simple1r"
    for clique in doc["spec"]["template"]["cliques"]:
        clique["spec"]["podSpec"]["schedulerName"] = "grove-scheduler"
    c.apply(doc)

    def running() -> int:
        pods = c.kubectl_json("get", "pods", "-n", WORK_NS, "-l", "app.kubernetes.io/part-of=simple1r")["items"]
        return sum(1 for p in pods if p.get("status", {}).get("phase") == "Running")

    wait_until(f"all 9 simple1r pods Running; scheduler log:\n{operator.sched.tail(20)}",
               lambda: running() == 9, timeout=120)
    pods = c.kubectl_json("get", "pods", "-n", WORK_NS, "-l", "app.kubernetes.io/part-of=simple1r")["items"]
    assert {p["spec"]["schedulerName"] for p in pods} == {"grove-scheduler"}
    assert all(p["spec"].get("nodeName", "").startswith("kwok-node-") for p in pods)
    sched_metrics = _get(f"http://127.0.0.1:{operator.sched_metrics}/metrics")[1]
    assert 'leader_election_master_status{name="grove-scheduler-leader-election"} 1' in sched_metrics
    assert 'controller_runtime_reconcile_total{controller="grove-scheduler",result="success"}' in sched_metrics
    c.kubectl("delete", "pcs", "simple1r", "-n", WORK_NS, "--wait=false")


def test_sigterm_exits_zero_and_releases_the_lease(operator: Operator, e2e_cluster: E2ECluster) -> None:
    assert operator.proc is not None
    code = operator.proc.stop()
    assert code == 0, operator.proc.tail()
    lease = e2e_cluster.kubectl_json("get", "lease", "grove-operator-leader-election", "-n", NS)
    assert not lease["spec"].get("holderIdentity"), lease["spec"]
