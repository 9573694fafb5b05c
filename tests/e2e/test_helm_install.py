"""The chart as users meet it on a real API server: ``helm install`` refuses bad values naming them, the
rendered pods pass Pod Security "restricted" admission, and ``grove scheduler`` works on exactly the
rights of the chart's scheduler ServiceAccount (a TokenRequest token, no admin identity)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from grove.devcluster.nodes import agent_toleration
from tests.e2e.harness import E2ECluster, wait_until
from tests.e2e.operator_support import free_port
from tests.unit.test_helm_chart import CHART, helm

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def namespace(e2e_cluster: E2ECluster) -> Iterator[str]:
    """A fresh namespace whose name doubles as the release name (it contains "grove", so the chart's
    fullname is the release name and no object collides with another test's release)."""
    ns = f"grove-inst-{uuid.uuid4().hex[:6]}"
    e2e_cluster.kubectl("create", "namespace", ns)
    yield ns
    e2e_cluster.kubectl("delete", "namespace", ns, "--wait=false", check=False)


def _render(release: str, ns: str, *set_args: str) -> list[dict[str, Any]]:
    sets = [a for s in set_args for a in ("--set", s)]
    out = helm("template", release, str(CHART), "-n", ns, *sets).stdout
    return [d for d in yaml.safe_load_all(out) if d]


def _list(docs: list[dict[str, Any]]) -> str:
    return json.dumps({"apiVersion": "v1", "kind": "List", "items": docs})


# -- bad values -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("set_arg", "named"), [
    ("replicaCount=two", ["/replicaCount", "got string, want integer"]),
    ("webhooks.failurePolicy=Sometimes", ["/webhooks/failurePolicy", "value must be one of 'Fail', 'Ignore'"]),
    ("replicaCuont=2", ["additional properties 'replicaCuont' not allowed"]),  # unknown top-level value
])
def test_helm_install_refuses_bad_values_naming_their_path(e2e_cluster: E2ECluster, namespace: str, set_arg: str,
                                                           named: list[str]) -> None:
    proc = helm("install", namespace, str(CHART), "-n", namespace, "--kubeconfig", str(e2e_cluster.kubeconfig),
                "--set", set_arg, check=False)
    assert proc.returncode != 0, proc.stdout
    assert "INSTALLATION FAILED" in proc.stderr and "values don't meet the specifications of the schema" in \
        proc.stderr, proc.stderr
    for text in named:
        assert text in proc.stderr, proc.stderr
    # nothing was installed: no release record, no Deployment
    releases = helm("list", "-n", namespace, "-a", "-q", "--kubeconfig", str(e2e_cluster.kubeconfig)).stdout
    assert releases.strip() == ""
    assert e2e_cluster.kubectl_json("get", "deployments", "-n", namespace)["items"] == []


# -- NOTES ----------------------------------------------------------------------------------------------


def _notes(c: E2ECluster, namespace: str, release: str, *set_args: str) -> str:
    sets = [a for s in set_args for a in ("--set", s)]
    out = helm("install", release, str(CHART), "-n", namespace, "--dry-run=client", "--skip-crds",
               "--kubeconfig", str(c.kubeconfig), *sets).stdout
    assert "NOTES:" in out, out[-400:]
    return out.split("NOTES:", 1)[1]


def test_install_notes_say_what_was_installed_how_to_check_it_and_where_the_docs_are(
        e2e_cluster: E2ECluster, namespace: str) -> None:
    notes = _notes(e2e_cluster, namespace, "grove")
    assert f'installed as release "grove" in namespace "{namespace}"' in notes
    assert "Deployment grove-operator (2 replica(s), image grove:0.1.0)" in notes
    assert "leader election on (Lease grove-operator-leader-election)" in notes
    assert "answering for spec.schedulerName: grove-scheduler" in notes
    assert f"-> Service grove-operator.{namespace}:443, failurePolicy Fail" in notes
    assert f"kubectl -n {namespace} rollout status deployment/grove-operator" in notes
    assert "kubectl apply --server-side --force-conflicts --field-manager=grove-crd-installer -f " \
           "deploy/helm/grove/crds" in notes and "grove crds apply" in notes
    assert "docs/helm.md" in notes
    assert "WARNING" not in notes and "two schedulers" not in notes
    warned = _notes(e2e_cluster, namespace, "team-b")
    assert 'issued for the Service\n"grove-operator", but this release names it "team-b-grove-operator"' in warned
    dev = _notes(e2e_cluster, namespace, "team-b", "webhooks.url=https://127.0.0.1:9443")
    assert "WARNING" not in dev and "-> https://127.0.0.1:9443 (out-of-cluster development mode)" in dev
    kai = _notes(e2e_cluster, namespace, "grove", "scheduler.schedulerNames={grove-scheduler,kai-scheduler}")
    assert "two schedulers bind the same\npods" in kai
    # a dry run records nothing
    assert helm("list", "-n", namespace, "-a", "-q", "--kubeconfig", str(e2e_cluster.kubeconfig)).stdout.strip() == ""


# -- Pod Security "restricted" --------------------------------------------------------------------------


def test_rendered_workloads_pass_pod_security_restricted(e2e_cluster: E2ECluster, namespace: str) -> None:
    """PodSecurity admission only warns for a Deployment, so the Deployments must apply without a warning and
    their pod templates, as Pods, must be admitted (enforce); a pod missing seccompProfile is the control."""
    for mode in ("enforce", "warn", "audit"):
        e2e_cluster.kubectl("label", "namespace", namespace, f"pod-security.kubernetes.io/{mode}=restricted")
    docs = _render(namespace, namespace, "serviceMonitor.enabled=false")
    deployments = [d for d in docs if d["kind"] == "Deployment"]
    assert sorted(d["metadata"]["name"] for d in deployments) == [f"{namespace}-operator", f"{namespace}-scheduler"]
    out = e2e_cluster.kubectl("apply", "--dry-run=server", "-f", "-", input=_list(deployments))
    assert out.stdout.count("(server dry run)") == 2, out.stdout
    assert "PodSecurity" not in out.stderr and "would violate" not in out.stderr, out.stderr

    pods = [{"apiVersion": "v1", "kind": "Pod",
             "metadata": {"name": d["metadata"]["name"], "namespace": namespace,
                          "labels": d["spec"]["template"]["metadata"]["labels"]},
             "spec": d["spec"]["template"]["spec"]} for d in deployments]
    out = e2e_cluster.kubectl("create", "--dry-run=server", "-f", "-", input=_list(pods), check=False)
    assert out.returncode == 0 and out.stdout.count("(server dry run)") == 2, (out.stdout, out.stderr)
    assert "PodSecurity" not in out.stderr, out.stderr

    control = json.loads(json.dumps(pods[0]))
    del control["spec"]["securityContext"]["seccompProfile"]
    control["metadata"]["name"] = "no-seccomp"
    out = e2e_cluster.kubectl("create", "--dry-run=server", "-f", "-", input=json.dumps(control), check=False)
    assert out.returncode != 0 and 'violates PodSecurity "restricted:' in out.stderr and "seccompProfile" in \
        out.stderr, (out.stdout, out.stderr)


# -- the scheduler on its own ServiceAccount ------------------------------------------------------------



def _token_kubeconfig(c: E2ECluster, namespace: str, sa: str, path: Path) -> Path:
    """A kubeconfig that authenticates as ``sa`` with a TokenRequest token (what a pod would mount)."""
    admin = yaml.safe_load(c.kubeconfig.read_text())
    cluster = admin["clusters"][0]["cluster"]
    token = c.kubectl("create", "token", sa, "-n", namespace, "--duration=1h").stdout.strip()
    path.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": sa,
        "clusters": [{"name": "dev", "cluster": cluster}],
        "users": [{"name": sa, "user": {"token": token}}],
        "contexts": [{"name": sa, "context": {"cluster": "dev", "user": sa, "namespace": namespace}}],
    }))
    return path


def _pod(name: str, namespace: str, scheduler: str, **spec: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": namespace},
            "spec": {"schedulerName": scheduler, "tolerations": [agent_toleration()],
                     "containers": [{"name": "c", "image": "busybox",
                                     "resources": {"requests": {"cpu": "10m", "memory": "10Mi"}}}], **spec}}


def test_grove_scheduler_runs_on_the_chart_scheduler_account(e2e_cluster: E2ECluster, namespace: str,
                                                              tmp_path: Path) -> None:
    """The chart's scheduler identity is enough for everything ``grove scheduler`` does (win and release its
    Lease, bind, set PodScheduled=False, record Events) and grants nothing beyond it (no Secrets, no pod
    writes, no other Lease)."""
    c = e2e_cluster
    docs = _render(namespace, namespace, "config.server.healthProbes.bindAddress=127.0.0.1",
                   "config.server.metrics.bindAddress=127.0.0.1", "config.logFormat=text", "config.logLevel=debug")
    ident = [d for d in docs if d["kind"] in ("ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role",
                                               "RoleBinding")
             and d["metadata"]["labels"].get("app.kubernetes.io/component") == "scheduler"]
    assert sorted(d["kind"] for d in ident) == ["ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding",
                                                "ServiceAccount"]
    sa = f"{namespace}-scheduler"
    # the CRDs as users upgrade them (docs/helm.md): the scheduler watches PodGangs and ClusterTopologyBindings
    c.kubectl("apply", "--server-side", "--force-conflicts", "--field-manager=grove-crd-installer",
              "-f", str(CHART / "crds"))
    c.kubectl("wait", "--for=condition=Established", "--timeout=60s", "crd/podgangs.scheduler.grove.io",
              "crd/clustertopologybindings.grove.io")
    c.kubectl("apply", "-f", "-", input=_list(ident))
    try:
        user = f"system:serviceaccount:{namespace}:{sa}"
        for args, expected in (
                (("create", "pods", "--subresource=binding", "-A"), "yes"),
                (("patch", "pods", "--subresource=status", "-A"), "yes"),
                (("update", "pods", "--subresource=status", "-A"), "no"),
                (("watch", "nodes"), "yes"), (("list", "podgangs.scheduler.grove.io", "-A"), "yes"),
                (("get", "leases/grove-scheduler-leader-election", "-n", namespace), "yes"),
                (("get", "secrets", "-A"), "no"), (("create", "pods", "-A"), "no"), (("delete", "pods", "-A"), "no"),
                (("update", "podgangs.scheduler.grove.io", "-A"), "no"),
                (("update", "leases/grove-operator-leader-election", "-n", namespace), "no"),
                (("create", "leases", "-n", "default"), "no")):
            res = c.kubectl("auth", "can-i", *args, f"--as={user}", check=False)
            assert res.stdout.strip() == expected, (args, res.stdout, res.stderr)

        cm = next(d for d in docs if d["kind"] == "ConfigMap")
        config = tmp_path / "config.yaml"
        config.write_text(cm["data"]["config.yaml"])
        kubeconfig = _token_kubeconfig(c, namespace, sa, tmp_path / "scheduler.kubeconfig")
        name = f"rbac-{namespace}"  # a scheduler name no other test's pods use

        def start(tag: str) -> tuple[subprocess.Popen[bytes], Path]:
            log = tmp_path / f"scheduler-{tag}.log"
            with log.open("w") as fh:
                return subprocess.Popen(
                    [sys.executable, "-m", "grove", "scheduler", "--config", str(config), "--kubeconfig",
                     str(kubeconfig), "--namespace", namespace, "--scheduler-name", name,
                     "--health-port", str(free_port()), "--metrics-port", str(free_port())],
                    stdout=fh, stderr=subprocess.STDOUT, cwd=ROOT, env={**os.environ, "PYTHONUNBUFFERED": "1"}), log

        def stop(proc: subprocess.Popen[bytes]) -> int:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(5)
            return proc.returncode

        def lease_holder() -> str:
            res = c.kubectl("get", "lease", "grove-scheduler-leader-election", "-n", namespace,
                            "-o", "jsonpath={.spec.holderIdentity}", check=False)
            return res.stdout.strip() if res.returncode == 0 else ""

        leader, leader_log = start("a")
        standby: subprocess.Popen[bytes] | None = None
        try:
            wait_until("the scheduler holds its Lease", lambda: leader.poll() is None and bool(lease_holder()),
                       timeout=60)
            first = lease_holder()
            standby, standby_log = start("b")  # the chart runs two replicas: the second watches the Lease
            c.apply(_pod("fits", namespace, name))
            c.apply(_pod("nowhere", namespace, name, nodeSelector={"grove.io/no-such-node": "x"}))

            def pod(n: str) -> dict[str, Any]:
                out: dict[str, Any] = c.kubectl_json("get", "pod", n, "-n", namespace)
                return out

            wait_until("pod fits is bound", lambda: bool(pod("fits")["spec"].get("nodeName")), timeout=60)

            def unschedulable() -> bool:
                conds = pod("nowhere").get("status", {}).get("conditions") or []
                return any(x["type"] == "PodScheduled" and x.get("reason") == "Unschedulable" for x in conds)

            wait_until("pod nowhere is marked Unschedulable", unschedulable, timeout=60)

            def reasons() -> set[tuple[str, str]]:
                items = c.kubectl_json("get", "events", "-n", namespace)["items"]
                return {(e["involvedObject"]["name"], e["reason"]) for e in items
                        if e.get("source", {}).get("component") == name}

            wait_until("Scheduled and Unschedulable events", lambda: {("fits", "Scheduled"),
                                                                     ("nowhere", "Unschedulable")} <= reasons())
            wait_until("the standby is up", lambda: "scheduler ready" in standby_log.read_text(errors="replace"),
                       timeout=60)
            time.sleep(1.5)  # its Lease watch is open (it lists, then watches, right after start-up)
            assert lease_holder() == first, "the standby must not take a held Lease"
            assert stop(leader) == 0, leader_log.read_text(errors="replace")[-3000:]
            wait_until("the standby takes the released Lease", lambda: lease_holder() not in ("", first), timeout=30)
            assert stop(standby) == 0, standby_log.read_text(errors="replace")[-3000:]
            assert lease_holder() == "", "the leader releases its Lease on SIGTERM (update on its own Lease)"
        finally:
            for proc in (leader, standby):
                if proc is not None:
                    stop(proc)
        for log in (leader_log, standby_log):
            text = log.read_text(errors="replace")
            assert "forbidden" not in text.lower() and " 403" not in text, text[-3000:]
            assert "watch of lease" not in text, text[-3000:]  # (debug) the standby's Lease watch never failed
    finally:
        for d in ident:
            if d["kind"] in ("ClusterRole", "ClusterRoleBinding"):
                c.kubectl("delete", d["kind"].lower(), d["metadata"]["name"], "--ignore-not-found", check=False)
