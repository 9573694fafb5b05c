"""``grove scheduler`` / ``grove operator`` on the real control plane with the configuration the Helm chart
renders (its ConfigMap's config.yaml), as a user runs them:

- next to a KAI scheduler (a Deployment shaped as KAI's operator makes it, or only KAI's held leader
  Lease), ``--scheduler-name kai-scheduler`` exits 8 naming the object, and the default (grove-scheduler
  only) starts;
- a scheduler identity without list on deployments/leases (RBAC) warns and starts;
- two schedulers and two operators run side by side from the one chart-rendered file with
  ``--bind-address``/``--*-port``/``--cert-dir`` overrides.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from grove.runtime.leaderelection import micro_time
from tests.e2e.harness import E2ECluster
from tests.e2e.operator_support import free_port, http_get, install_crds
from tests.unit.operator.test_scheduler_conflicts import kai_deployment
from tests.unit.test_helm_chart import CHART, helm

pytestmark = pytest.mark.e2e

NS = "grove-sched-e2e"  # a release namespace of its own: its Leases never meet the other e2e modules'
KAI_NS = "kai-scheduler"
ROOT = Path(__file__).resolve().parents[2]


def chart_config(tmp: Path) -> Path:
    """The chart's rendered config.yaml (its ConfigMap), with leader election fast enough for a test."""
    out = helm("template", "grove", str(CHART), "-n", NS, "--show-only", "templates/configmap.yaml",
               "--set", "config.leaderElection.leaseDuration=6s", "--set", "config.leaderElection.renewDeadline=4s",
               "--set", "config.leaderElection.retryPeriod=1s", "--set", "config.logFormat=text").stdout
    cm = yaml.safe_load(out)
    path = tmp / "config.yaml"
    path.write_text(cm["data"]["config.yaml"])
    return path


def grove(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "grove", *args], capture_output=True, text=True, timeout=timeout,
                          cwd=ROOT, check=False)


class Running:
    """A long-running ``python -m grove ...`` with its output in a file."""

    def __init__(self, args: list[str], log: Path) -> None:
        self.log = log
        self._fh = log.open("w")
        self.p = subprocess.Popen([sys.executable, "-m", "grove", *args], stdout=self._fh, stderr=subprocess.STDOUT,
                                  cwd=ROOT, env={**os.environ, "PYTHONUNBUFFERED": "1"})

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_ready(self, port: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.p.poll() is not None:
                pytest.fail(f"{self.p.args} exited {self.p.returncode}:\n{self.text()}")
            if http_get(f"http://127.0.0.1:{port}/readyz")[0] == 200:
                return
            time.sleep(0.3)
        pytest.fail(f"{self.p.args} never became ready:\n{self.text()}")

    def stop(self) -> int:
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(30)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait(5)
        self._fh.close()
        return self.p.returncode


def scheduler_args(config: Path, kubeconfig: Path, *names: str) -> list[str]:
    args = ["scheduler", "--config", str(config), "--kubeconfig", str(kubeconfig), "--namespace", NS,
            "--bind-address", "127.0.0.1", "--health-port", str(free_port()), "--metrics-port", str(free_port())]
    for name in names:
        args += ["--scheduler-name", name]
    return args


@pytest.fixture
def cluster(e2e_cluster: E2ECluster) -> Iterator[E2ECluster]:
    install_crds(e2e_cluster)
    for ns in (NS, KAI_NS):
        e2e_cluster.kubectl("create", "namespace", ns, check=False)
    yield e2e_cluster
    e2e_cluster.kubectl("delete", "deployment,lease", "--all", "-n", KAI_NS, "--ignore-not-found", "--wait=false",
                        check=False)


def _fake_kai(c: E2ECluster) -> None:
    dep = kai_deployment()
    dep["spec"]["selector"] = {"matchLabels": {"app": "kai-scheduler-default"}}
    dep["spec"]["template"]["spec"]["nodeSelector"] = {"grove.io/e2e": "never"}  # stays Pending: runs nothing
    c.apply(dep)


def test_kai_deployment_refuses_kai_scheduler_exit_8(cluster: E2ECluster, tmp_path: Path) -> None:
    config = chart_config(tmp_path)
    _fake_kai(cluster)
    done = grove(*scheduler_args(config, cluster.kubeconfig, "grove-scheduler", "kai-scheduler"))
    assert done.returncode == 8, done.stderr
    assert ("error: refusing to answer for scheduler name(s) kai-scheduler: another scheduler holds them, and two "
            "schedulers would bind the same pods (kai-scheduler: KAI scheduler answers for it (Deployment "
            "kai-scheduler/kai-scheduler-default))") in done.stderr
    # the default answers only for grove-scheduler and starts beside KAI
    sched = Running(scheduler_args(config, cluster.kubeconfig), tmp_path / "default.log")
    try:
        port = int(sched.p.args[sched.p.args.index("--health-port") + 1])  # type: ignore[union-attr]
        sched.wait_ready(port)
        assert sched.stop() == 0
    finally:
        sched.stop()
    assert "scheduler answers for grove-scheduler; profiles kai-scheduler are left to their own schedulers" \
        in sched.text()


def test_held_kai_lease_refuses_exit_8(cluster: E2ECluster, tmp_path: Path) -> None:
    now = time.time()
    cluster.apply({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                   "metadata": {"name": "kai-scheduler", "namespace": KAI_NS},
                   "spec": {"holderIdentity": "kai-scheduler-default-0_e2e", "leaseDurationSeconds": 60,
                            "acquireTime": micro_time(now), "renewTime": micro_time(now)}})
    done = grove(*scheduler_args(chart_config(tmp_path), cluster.kubeconfig, "kai-scheduler"))
    assert done.returncode == 8, done.stderr
    assert "kai-scheduler: KAI scheduler answers for it (Lease kai-scheduler/kai-scheduler held by " \
           "kai-scheduler-default-0_e2e" in done.stderr


SCHEDULER_RULES_WITHOUT_CHECK: list[dict[str, Any]] = [
    {"apiGroups": [""], "resources": ["pods", "nodes"], "verbs": ["get", "list", "watch"]},
    {"apiGroups": [""], "resources": ["pods/binding"], "verbs": ["create"]},
    {"apiGroups": [""], "resources": ["pods/status"], "verbs": ["patch"]},
    {"apiGroups": ["", "events.k8s.io"], "resources": ["events"], "verbs": ["create", "patch"]},
    {"apiGroups": ["scheduler.grove.io"], "resources": ["podgangs"], "verbs": ["get", "list", "watch"]},
    {"apiGroups": ["grove.io"], "resources": ["clustertopologybindings"], "verbs": ["get", "list", "watch"]},
]


def token_kubeconfig(c: E2ECluster, tmp: Path, sa: str) -> Path:
    token = c.kubectl("create", "token", sa, "-n", NS, "--duration", "1h").stdout.strip()
    admin = yaml.safe_load(c.kubeconfig.read_text())
    admin["users"] = [{"name": sa, "user": {"token": token}}]
    for ctx in admin["contexts"]:
        ctx["context"]["user"] = sa
    path = tmp / f"{sa}.kubeconfig"
    path.write_text(yaml.safe_dump(admin))
    return path


def test_without_list_rbac_the_check_warns_and_the_scheduler_starts(cluster: E2ECluster, tmp_path: Path) -> None:
    sa = "sched-no-check-rbac"
    cluster.kubectl("create", "serviceaccount", sa, "-n", NS, check=False)
    subject = [{"kind": "ServiceAccount", "name": sa, "namespace": NS}]
    items = [
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": sa},
         "rules": SCHEDULER_RULES_WITHOUT_CHECK},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": sa},
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": sa}, "subjects": subject},
        # leader election only: its own namespace's Leases
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": sa, "namespace": NS},
         "rules": [{"apiGroups": ["coordination.k8s.io"], "resources": ["leases"],
                    "verbs": ["get", "list", "watch", "create", "update"]}]},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": sa, "namespace": NS},
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": sa}, "subjects": subject},
    ]
    cluster.kubectl("apply", "-f", "-", input=json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))
    kubeconfig = token_kubeconfig(cluster, tmp_path, sa)
    args = scheduler_args(chart_config(tmp_path), kubeconfig, "kai-scheduler")
    sched = Running(args, tmp_path / "no-rbac.log")
    try:
        sched.wait_ready(int(args[args.index("--health-port") + 1]))
    finally:
        code = sched.stop()
    text = sched.text()
    assert code == 0, text
    assert "scheduler-name conflict check incomplete: cannot list deployments.apps cluster-wide (Forbidden" in text
    assert "cannot list leases.coordination.k8s.io named kai-scheduler (Forbidden" in text
    for kind in ("ClusterRoleBinding", "ClusterRole"):
        cluster.kubectl("delete", kind.lower(), sa, "--ignore-not-found", check=False)


def test_two_replicas_of_each_share_the_chart_config(cluster: E2ECluster, tmp_path: Path) -> None:
    config = chart_config(tmp_path)
    assert yaml.safe_load(config.read_text())["server"]["webhooks"]["bindAddress"] == "0.0.0.0"  # overridden below
    procs: list[tuple[Running, int]] = []
    try:
        for i in range(2):
            health, metrics, webhook = free_port(), free_port(), free_port()
            op = Running(["operator", "--config", str(config), "--kubeconfig", str(cluster.kubeconfig),
                          "--namespace", NS, "--bind-address", "127.0.0.1", "--webhook-port", str(webhook),
                          "--health-port", str(health), "--metrics-port", str(metrics),
                          "--cert-dir", str(tmp_path / f"certs-{i}")], tmp_path / f"operator-{i}.log")
            procs.append((op, health))
            args = scheduler_args(config, cluster.kubeconfig)
            procs.append((Running(args, tmp_path / f"scheduler-{i}.log"), int(args[args.index("--health-port") + 1])))
        for proc, health in procs:
            proc.wait_ready(health)
        for i in range(2):
            assert (tmp_path / f"certs-{i}" / "tls.crt").is_file()
        leases = {lease["metadata"]["name"]: lease["spec"].get("holderIdentity")
                  for lease in cluster.kubectl_json("get", "lease", "-n", NS)["items"]}
        assert set(leases) >= {"grove-operator-leader-election", "grove-scheduler-leader-election"}
        assert all(leases.values())  # one leader of each, the other replica a ready follower
    finally:
        codes = [proc.stop() for proc, _ in procs]
    assert codes == [0, 0, 0, 0], "\n".join(p.text()[-2000:] for p, _ in procs)
    secret = cluster.kubectl_json("get", "secret", "grove-webhook-server-cert", "-n", NS)
    crt = base64.b64decode(secret["data"]["tls.crt"])
    assert crt == (tmp_path / "certs-0" / "tls.crt").read_bytes() == (tmp_path / "certs-1" / "tls.crt").read_bytes()
