"""Grove on the session control plane as users install it: ``helm upgrade --install`` of deploy/helm/grove,
then the chart's ``grove operator`` and ``grove scheduler`` Deployments run as local processes.

What is the chart's and what is the harness's:

- The chart renders and installs every object (ServiceAccounts, ClusterRoles and bindings, the
  ConfigMap, the admission configurations, the Deployments and Service). Its out-of-cluster
  development values only point the admission configurations at ``https://127.0.0.1:<port>``
  (``webhooks.url``), bind the servers to loopback on free ports and shorten the Lease timings.
  The Deployments' pods stay Pending: every KWOK node carries the agent NoSchedule taint.
- Each process runs with the container's own args and env read back from its Deployment (fieldRefs
  resolved), the configuration file read back from the chart's ConfigMap, and the credentials of the
  Deployment's ServiceAccount: a TokenRequest token (``kubectl create token``) in a kubeconfig. So a
  permission the chart forgets fails here exactly as it would in a cluster. The admin kubeconfig is used
  only for set-up (CRDs, helm) and for the tests' own assertions.
- A second replica on the same host (leader election) differs only in its ports and certificate folder.

Cleanup contract: :func:`operator_running` removes the admission configurations before it stops the
processes, then uninstalls the release, so the rest of the session never depends on a stopped webhook
server.
"""

from __future__ import annotations

import copy
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.e2e.harness import E2ECluster
from tests.unit.test_helm_chart import CHART, helm

NS = "grove-system"
RELEASE = "grove"
OPERATOR_LEASE = "grove-operator-leader-election"
SCHEDULER_LEASE = "grove-scheduler-leader-election"
LEASE_DURATION, RENEW_DEADLINE, RETRY_PERIOD = 6.0, 4.0, 1.0
TOKEN_DURATION = "4h"
ROOT = Path(__file__).resolve().parents[2]
COMPONENT_LABEL = "app.kubernetes.io/component"


# Below the kernel's ephemeral range (ip_local_port_range, 32768-60999 by default): a port the kernel picks
# for us (bind to 0) is also one it may give any outgoing connection (kubectl, helm, the API server's own
# clients) before the process we configure binds it, which made a start-up fail with "address in use".
_PORT_RANGE = (20000, 32767)
_handed_out: set[int] = set()


def free_port() -> int:
    """A loopback port that binds now, outside the ephemeral range, never handed out twice in a session."""
    rng = random.Random()
    for _ in range(1000):
        port = rng.randint(*_PORT_RANGE)
        if port in _handed_out:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed_out.add(port)
        return port
    raise RuntimeError(f"no free loopback port in {_PORT_RANGE}")


def http_get(url: str) -> tuple[int, str]:
    """(status, body); status 0 when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()
    except OSError:
        return 0, ""


def deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """``extra`` over ``base`` (dicts merged key by key, anything else replaced), as Helm merges values."""
    out = copy.deepcopy(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


class Proc:
    """``python -m grove ARGS`` with output in ``log``."""

    def __init__(self, args: list[str], log: Path, env: dict[str, str] | None = None) -> None:
        self.log = log
        self._fh = log.open("w")
        self.p = subprocess.Popen([sys.executable, "-m", "grove", *args], stdout=self._fh, stderr=subprocess.STDOUT,
                                  cwd=ROOT, env={**os.environ, **(env or {}), "PYTHONUNBUFFERED": "1"})

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def tail(self, n: int = 40) -> str:
        return "\n".join(self.text().splitlines()[-n:])

    def stop(self, timeout: float = 30) -> int:
        """SIGTERM (graceful: the leader releases its Lease), SIGKILL if it does not exit in time."""
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(timeout)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait(5)
        self._fh.close()
        return self.p.returncode

    def kill(self) -> int:
        """SIGKILL: no chance to release anything."""
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait(10)
        self._fh.close()
        return self.p.returncode


# -- the release ----------------------------------------------------------------------------------


def dev_values(tmp: Path, webhook_port: int, health_port: int, metrics_port: int,
               sched_health: int, sched_metrics: int) -> dict[str, Any]:
    """The chart's out-of-cluster development values for one host: loopback, free ports, short Leases.

    The gang scheduler answers for ``kai-scheduler`` too, because upstream's e2e workloads ask for it
    (no KAI runs beside it in these tests), and ``grove-scheduler`` is an enabled profile."""
    return {
        "webhooks": {"url": f"https://127.0.0.1:{webhook_port}"},
        "config": {
            "leaderElection": {"leaseDuration": f"{LEASE_DURATION:g}s", "renewDeadline": f"{RENEW_DEADLINE:g}s",
                               "retryPeriod": f"{RETRY_PERIOD:g}s"},
            "server": {"webhooks": {"bindAddress": "127.0.0.1", "port": webhook_port,
                                    "serverCertDir": str(tmp / "operator-certs")},
                       "healthProbes": {"bindAddress": "127.0.0.1", "port": health_port},
                       "metrics": {"bindAddress": "127.0.0.1", "port": metrics_port}},
            "logFormat": "text",
            "scheduler": {"profiles": [{"name": "default-scheduler"}, {"name": "kai-scheduler"},
                                       {"name": "grove-scheduler"}]},
        },
        "scheduler": {"healthPort": sched_health, "metricsPort": sched_metrics,
                      "schedulerNames": ["grove-scheduler", "kai-scheduler"]},
    }


class ChartRelease:
    """One ``helm upgrade --install`` of the chart into :data:`NS`, and what the processes read from it."""

    def __init__(self, c: E2ECluster, tmp: Path, values: dict[str, Any]) -> None:
        self.c = c
        self.tmp = tmp
        self.values = values
        self.values_file = tmp / "values.yaml"

    def install(self) -> None:
        self.values_file.write_text(yaml.safe_dump(self.values))
        helm("upgrade", "--install", RELEASE, str(CHART), "-n", NS, "--reset-values", "-f", str(self.values_file),
             "--kubeconfig", str(self.c.kubeconfig))

    def uninstall(self) -> None:
        helm("uninstall", RELEASE, "-n", NS, "--kubeconfig", str(self.c.kubeconfig), "--wait", check=False)

    def manifest(self) -> list[dict[str, Any]]:
        out = helm("get", "manifest", RELEASE, "-n", NS, "--kubeconfig", str(self.c.kubeconfig)).stdout
        return [d for d in yaml.safe_load_all(out) if d]

    def deployment(self, component: str) -> dict[str, Any]:
        """The live Deployment of ``component`` (operator, scheduler) as the API server stored it."""
        items = self.c.kubectl_json("get", "deployments", "-n", NS, "-l",
                                    f"app.kubernetes.io/instance={RELEASE},{COMPONENT_LABEL}={component}")["items"]
        assert len(items) == 1, f"{len(items)} {component} Deployments in release {RELEASE}"
        return dict(items[0])

    def webhook_configurations(self) -> list[tuple[str, str]]:
        return [(d["kind"].lower(), d["metadata"]["name"]) for d in self.manifest()
                if d["kind"] in ("MutatingWebhookConfiguration", "ValidatingWebhookConfiguration")]

    def config_text(self, deployment: dict[str, Any]) -> str:
        """``config.yaml`` of the ConfigMap the Deployment mounts."""
        (cm,) = [v["configMap"]["name"] for v in deployment["spec"]["template"]["spec"]["volumes"] if "configMap" in v]
        data = self.c.kubectl_json("get", "configmap", cm, "-n", NS)["data"]
        return str(data["config.yaml"])

    def token_kubeconfig(self, service_account: str) -> Path:
        """A kubeconfig for the API server with a TokenRequest token of ``service_account`` (no admin)."""
        token = self.c.kubectl("create", "token", service_account, "-n", NS, f"--duration={TOKEN_DURATION}").stdout.strip()
        admin = yaml.safe_load(self.c.kubeconfig.read_text())
        cluster = admin["clusters"][0]
        kubeconfig = {
            "apiVersion": "v1", "kind": "Config",
            "clusters": [{"name": cluster["name"], "cluster": cluster["cluster"]}],
            "users": [{"name": service_account, "user": {"token": token}}],
            "contexts": [{"name": service_account, "context": {"cluster": cluster["name"], "user": service_account,
                                                                "namespace": NS}}],
            "current-context": service_account,
        }
        path = self.tmp / f"{service_account}.kubeconfig"
        path.write_text(yaml.safe_dump(kubeconfig))
        path.chmod(0o600)
        return path


def resolved_env(container: dict[str, Any], pod_namespace: str) -> dict[str, str]:
    """The container's env with literal values and ``metadata.namespace`` fieldRefs resolved."""
    env: dict[str, str] = {}
    for var in container.get("env") or []:
        if "value" in var:
            env[var["name"]] = str(var["value"])
        elif (var.get("valueFrom") or {}).get("fieldRef", {}).get("fieldPath") == "metadata.namespace":
            env[var["name"]] = pod_namespace
        else:
            raise AssertionError(f"the harness cannot resolve env {var} of container {container['name']}")
    return env


class ChartProcess:
    """One replica of a chart Deployment run locally: its args (config path swapped for a local copy of the
    ConfigMap's file), its env, and its ServiceAccount's token."""

    def __init__(self, release: ChartRelease, component: str, name: str,
                 config_overrides: dict[str, Any] | None = None) -> None:
        self.release = release
        self.component = component
        self.name = name
        deploy = release.deployment(component)
        pod = deploy["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        self.service_account = str(pod["serviceAccountName"])
        self.env = resolved_env(container, NS)
        config = yaml.safe_load(release.config_text(deploy))
        if config_overrides:
            config = deep_merge(config, config_overrides)
        self.config: dict[str, Any] = config
        self.config_file = release.tmp / f"{name}-config.yaml"
        self.config_file.write_text(yaml.safe_dump(config))
        mounts = [m["mountPath"] for m in container.get("volumeMounts") or []]
        args = [str(a) for a in container.get("args") or []]
        self.args = [str(self.config_file) if any(a.startswith(m + "/") and a.endswith("config.yaml") for m in mounts)
                     else a for a in args]
        assert str(self.config_file) in self.args, f"{component} args {args} name no mounted config file"
        self.kubeconfig = release.token_kubeconfig(self.service_account)
        self.proc: Proc | None = None

    def start(self, extra_args: Iterable[str] = ()) -> Proc:
        self.proc = Proc([*self.args, "--kubeconfig", str(self.kubeconfig), *extra_args],
                         self.release.tmp / f"{self.name}.log", env=self.env)
        return self.proc


class Operator:
    """One ``grove operator`` replica of the chart (and optionally its ``grove scheduler``)."""

    def __init__(self, release: ChartRelease, name: str = "operator", *, ports: tuple[int, int, int] | None = None) -> None:
        self.c = release.c
        self.release = release
        self.name = name
        self.tmp = release.tmp
        server = release.values["config"]["server"]
        overrides: dict[str, Any] = {}
        if ports is not None:
            # A second replica on this host: its own ports and certificate folder, nothing else.
            overrides = {"server": {"webhooks": {"port": ports[0], "serverCertDir": str(self.tmp / f"{name}-certs")},
                                    "healthProbes": {"port": ports[1]}, "metrics": {"port": ports[2]}}}
            self.webhook_port, self.health_port, self.metrics_port = ports
        else:
            self.webhook_port = server["webhooks"]["port"]
            self.health_port = server["healthProbes"]["port"]
            self.metrics_port = server["metrics"]["port"]
        sched = release.values["scheduler"]
        self.sched_health, self.sched_metrics = sched["healthPort"], sched["metricsPort"]
        self.operator = ChartProcess(release, "operator", name, overrides)
        self.config = self.operator.config_file
        self.proc: Proc | None = None
        self.sched: Proc | None = None

    def start(self, wait_ready: bool = True) -> None:
        self.proc = self.operator.start()
        if wait_ready:
            self.wait_ready()

    def wait_ready(self, timeout: float = 60) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.p.poll() is not None:
                pytest.fail(f"grove operator {self.name} exited {self.proc.p.returncode}:\n{self.proc.tail()}")
            if http_get(f"http://127.0.0.1:{self.health_port}/readyz")[0] == 200:
                return
            time.sleep(0.3)
        pytest.fail(f"grove operator {self.name} never became ready:\n{self.proc.tail()}")

    def start_scheduler(self) -> None:
        """The chart's ``grove scheduler`` (its ServiceAccount, args and scheduler names)."""
        self.sched = ChartProcess(self.release, "scheduler", f"{self.name}-scheduler").start()

    def metrics(self) -> str:
        return http_get(f"http://127.0.0.1:{self.metrics_port}/metrics")[1]

    def scheduler_metrics(self) -> str:
        return http_get(f"http://127.0.0.1:{self.sched_metrics}/metrics")[1]

    def is_leader(self, lease: str = OPERATOR_LEASE) -> bool:
        return f'leader_election_master_status{{name="{lease}"}} 1' in self.metrics()

    def logs(self) -> str:
        parts = [f"--- {p.log.name} ---\n{p.tail(30)}" for p in (self.proc, self.sched) if p is not None]
        return "\n".join(parts)

    def stop(self) -> None:
        for p in (self.sched, self.proc):
            if p is not None:
                p.stop()


# -- set-up and admission configurations ----------------------------------------------------------


def install_crds(c: E2ECluster) -> None:
    c.kubectl("apply", "--server-side", "--force-conflicts", "--field-manager=grove-crd-installer",
              "-f", str(CHART / "crds"))
    c.kubectl("wait", "--for=condition=Established", "--timeout=60s", "crd", "--all")


def prepare_cluster(c: E2ECluster, namespaces: Iterable[str] = ()) -> None:
    """CRDs Established, the operator namespace and ``namespaces`` present."""
    install_crds(c)
    for ns in (NS, *namespaces):
        c.kubectl("create", "namespace", ns, check=False)


def install_release(c: E2ECluster, tmp: Path, values: dict[str, Any] | None = None) -> ChartRelease:
    """CRDs, namespaces, then the chart with the development values (``values`` merged over them)."""
    ports = [free_port() for _ in range(5)]
    release = ChartRelease(c, tmp, deep_merge(dev_values(tmp, *ports), values or {}))
    release.install()
    return release


def repoint_webhooks(c: E2ECluster, release: ChartRelease, port: int) -> None:
    """Send admission to another replica (what a Service does when an endpoint goes away); only the URL
    changes, so the injected caBundle stays."""
    for kind, name in release.webhook_configurations():
        live = c.kubectl_json("get", kind, name)
        ops = []
        for i, hook in enumerate(live["webhooks"]):
            path = hook["clientConfig"]["url"].split("/", 3)[3]
            ops.append({"op": "replace", "path": f"/webhooks/{i}/clientConfig/url",
                        "value": f"https://127.0.0.1:{port}/{path}"})
        c.kubectl("patch", kind, name, "--type=json", "-p", json.dumps(ops))


def delete_webhooks(c: E2ECluster, release: ChartRelease) -> None:
    for kind, name in release.webhook_configurations():
        c.kubectl("delete", kind, name, "--ignore-not-found", check=False)


@contextmanager
def chart_installed(c: E2ECluster, tmp: Path, *, namespaces: Iterable[str] = (),
                    values: dict[str, Any] | None = None) -> Iterator[ChartRelease]:
    """The release installed for the block; admission configurations removed, then the release uninstalled."""
    prepare_cluster(c, namespaces)
    release = install_release(c, tmp, values)
    try:
        yield release
    finally:
        delete_webhooks(c, release)
        release.uninstall()


@contextmanager
def operator_running(c: E2ECluster, tmp: Path, *, namespaces: Iterable[str] = (), scheduler: bool = False,
                     values: dict[str, Any] | None = None) -> Iterator[Operator]:
    """The chart installed and one ready operator replica (optionally its gang scheduler); torn down after.

    ``values`` are Helm values merged over the development values, e.g.
    ``{"config": {"topologyAwareScheduling": {"enabled": True}}}``."""
    prepare_cluster(c, namespaces)
    release = install_release(c, tmp, values)
    op: Operator | None = None
    try:
        op = Operator(release)
        op.start()
        if scheduler:
            op.start_scheduler()
        yield op
    finally:
        delete_webhooks(c, release)
        if op is not None:
            op.stop()
        release.uninstall()
