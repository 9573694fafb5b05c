"""``grove scheduler`` / ``grove operator`` on the real control plane with the configuration the Helm chart
renders (its ConfigMap's config.yaml), as a user runs them:

- next to a KAI scheduler (a Deployment shaped as KAI's operator makes it, or only KAI's held leader
  Lease), ``--scheduler-name kai-scheduler`` exits 8 naming the object, and the default (grove-scheduler
  only) starts;
- a scheduler identity without list on deployments/leases (RBAC) warns and starts;
- two schedulers and two operators of the chart run side by side (its ServiceAccounts, args, ConfigMap) with
  ``--bind-address``/``--*-port``/``--cert-dir`` overrides.
"""

from __future__ import annotations

import base64
import json
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
from tests.e2e.operator_support import (
    NS,
    ChartProcess,
    ChartRelease,
    Proc,
    chart_installed,
    free_port,
    http_get,
)
from tests.unit.operator.test_scheduler_conflicts import kai_deployment

pytestmark = pytest.mark.e2e

KAI_NS = "kai-scheduler"
ROOT = Path(__file__).resolve().parents[2]


def grove(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "grove", *args], capture_output=True, text=True, timeout=timeout,
                          cwd=ROOT, check=False)


class Running(Proc):
    """A long-running ``python -m grove ...`` (the harness's :class:`Proc`) that can wait for ``/readyz``."""

    def wait_ready(self, port: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.p.poll() is not None:
                pytest.fail(f"{self.p.args} exited {self.p.returncode}:\n{self.text()}")
            if http_get(f"http://127.0.0.1:{port}/readyz")[0] == 200:
                return
            time.sleep(0.3)
        pytest.fail(f"{self.p.args} never became ready:\n{self.text()}")


def chart_scheduler(release: ChartRelease, names: list[str]) -> ChartProcess:
    """The chart's scheduler (its ServiceAccount, args, ConfigMap) answering for ``names``."""
    release.values["scheduler"]["schedulerNames"] = names
    release.install()
    return ChartProcess(release, "scheduler", "scheduler-" + "-".join(names))


def local_ports() -> list[str]:
    return ["--health-port", str(free_port()), "--metrics-port", str(free_port())]


@pytest.fixture
def release(e2e_cluster: E2ECluster, tmp_path: Path) -> Iterator[ChartRelease]:
    e2e_cluster.kubectl("create", "namespace", KAI_NS, check=False)
    try:
        with chart_installed(e2e_cluster, tmp_path) as rel:
            yield rel
    finally:
        e2e_cluster.kubectl("delete", "deployment,lease", "--all", "-n", KAI_NS, "--ignore-not-found",
                            "--wait=false", check=False)


def _fake_kai(c: E2ECluster) -> None:
    dep = kai_deployment()
    dep["spec"]["selector"] = {"matchLabels": {"app": "kai-scheduler-default"}}
    dep["spec"]["template"]["spec"]["nodeSelector"] = {"grove.io/e2e": "never"}  # stays Pending: runs nothing
    c.apply(dep)


def test_kai_deployment_refuses_kai_scheduler_exit_8(release: ChartRelease) -> None:
    _fake_kai(release.c)
    refused = chart_scheduler(release, ["grove-scheduler", "kai-scheduler"])
    done = grove(*refused.args, "--kubeconfig", str(refused.kubeconfig))
    assert done.returncode == 8, done.stderr
    assert ("error: refusing to answer for scheduler name(s) kai-scheduler: another scheduler holds them, and two "
            "schedulers would bind the same pods (kai-scheduler: KAI scheduler answers for it (Deployment "
            "kai-scheduler/kai-scheduler-default))") in done.stderr
    # the chart's default answers only for grove-scheduler and starts beside KAI
    default = chart_scheduler(release, ["grove-scheduler"])
    ports = local_ports()
    sched = Running([*default.args, "--kubeconfig", str(default.kubeconfig), *ports], release.tmp / "default.log",
                    env=default.env)
    try:
        sched.wait_ready(int(ports[1]))
        assert sched.stop() == 0
    finally:
        sched.stop()
    assert "scheduler answers for grove-scheduler; profiles kai-scheduler are left to their own schedulers" \
        in sched.text()


def test_held_kai_lease_refuses_exit_8(release: ChartRelease) -> None:
    now = time.time()
    release.c.apply({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                     "metadata": {"name": "kai-scheduler", "namespace": KAI_NS},
                     "spec": {"holderIdentity": "kai-scheduler-default-0_e2e", "leaseDurationSeconds": 60,
                              "acquireTime": micro_time(now), "renewTime": micro_time(now)}})
    refused = chart_scheduler(release, ["kai-scheduler"])
    done = grove(*refused.args, "--kubeconfig", str(refused.kubeconfig))
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


def test_without_list_rbac_the_check_warns_and_the_scheduler_starts(release: ChartRelease, tmp_path: Path) -> None:
    """A scheduler identity that may not list Deployments and Leases (not the chart's: made for this test)."""
    cluster = release.c
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
    chart = chart_scheduler(release, ["kai-scheduler"])
    ports = local_ports()
    sched = Running([*chart.args, "--kubeconfig", str(kubeconfig), *ports], tmp_path / "no-rbac.log", env=chart.env)
    try:
        sched.wait_ready(int(ports[1]))
    finally:
        code = sched.stop()
    text = sched.text()
    assert code == 0, text
    assert "scheduler-name conflict check incomplete: cannot list deployments.apps cluster-wide (Forbidden" in text
    assert "cannot list leases.coordination.k8s.io named kai-scheduler (Forbidden" in text
    for kind in ("ClusterRoleBinding", "ClusterRole"):
        cluster.kubectl("delete", kind.lower(), sa, "--ignore-not-found", check=False)


def test_two_replicas_of_each_share_the_chart_config(release: ChartRelease, tmp_path: Path) -> None:
    """Two operators and two schedulers of the chart on one host: only ports and certificate folders differ."""
    cluster = release.c
    operator = ChartProcess(release, "operator", "operator")
    scheduler = ChartProcess(release, "scheduler", "scheduler")
    procs: list[tuple[Running, int]] = []
    try:
        for i in range(2):
            health, metrics, webhook = free_port(), free_port(), free_port()
            op = Running([*operator.args, "--kubeconfig", str(operator.kubeconfig), "--bind-address", "127.0.0.1",
                          "--webhook-port", str(webhook), "--health-port", str(health), "--metrics-port", str(metrics),
                          "--cert-dir", str(tmp_path / f"certs-{i}")], tmp_path / f"operator-{i}.log", env=operator.env)
            procs.append((op, health))
            ports = local_ports()
            procs.append((Running([*scheduler.args, "--kubeconfig", str(scheduler.kubeconfig), *ports],
                                  tmp_path / f"scheduler-{i}.log", env=scheduler.env), int(ports[1])))
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
