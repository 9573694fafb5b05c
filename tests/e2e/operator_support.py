"""``grove operator`` / ``grove scheduler`` as real subprocesses against the session control plane.

Shared by the e2e modules that need a running operator (test_operator, test_gang_scheduling_real,
test_leader_election, test_samples_real). The admission configurations are the chart's, with the
Service clientConfig swapped for a URL on 127.0.0.1 (the API server runs on this host); the operator
provisions the certificate Secret and injects the caBundle itself. Every process gets its own free
ports, so several can run side by side (leader election); they share one Lease per kind of process.

Cleanup contract: :func:`operator_running` removes the webhook configurations before it stops the
processes, so the rest of the session never depends on a stopped webhook server.
"""

from __future__ import annotations

import json
import os
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
OPERATOR_LEASE = "grove-operator-leader-election"
SCHEDULER_LEASE = "grove-scheduler-leader-election"
LEASE_DURATION, RENEW_DEADLINE, RETRY_PERIOD = 6.0, 4.0, 1.0
ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def http_get(url: str) -> tuple[int, str]:
    """(status, body); status 0 when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()
    except OSError:
        return 0, ""


class Proc:
    """``python -m grove ARGS`` with output in ``log``."""

    def __init__(self, args: list[str], log: Path) -> None:
        self.log = log
        self._fh = log.open("w")
        self.p = subprocess.Popen([sys.executable, "-m", "grove", *args], stdout=self._fh, stderr=subprocess.STDOUT,
                                  cwd=ROOT, env={**os.environ, "PYTHONUNBUFFERED": "1"})

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


class Operator:
    """One ``grove operator`` replica (and optionally a ``grove scheduler``) with its own ports and config."""

    def __init__(self, c: E2ECluster, tmp: Path, name: str = "operator",
                 config_overrides: dict[str, Any] | None = None) -> None:
        self.c = c
        self.name = name
        self.tmp = tmp
        self.webhook_port, self.health_port, self.metrics_port = free_port(), free_port(), free_port()
        self.sched_health, self.sched_metrics = free_port(), free_port()
        self.config = tmp / f"{name}-config.yaml"
        self.config.write_text(yaml.safe_dump(deep_merge({
            "apiVersion": "operator.config.grove.io/v1alpha1", "kind": "OperatorConfiguration",
            "runtimeClientConnection": {"qps": 100, "burst": 150},
            "leaderElection": {"enabled": True, "leaseDuration": f"{LEASE_DURATION:g}s",
                               "renewDeadline": f"{RENEW_DEADLINE:g}s", "retryPeriod": f"{RETRY_PERIOD:g}s",
                               "resourceNamespace": NS},
            "server": {"webhooks": {"bindAddress": "127.0.0.1", "port": self.webhook_port,
                                    "serverCertDir": str(tmp / f"{name}-certs")},
                       "healthProbes": {"bindAddress": "127.0.0.1", "port": self.health_port},
                       "metrics": {"bindAddress": "127.0.0.1", "port": self.metrics_port}},
            "controllers": {"podCliqueSet": {"concurrentSyncs": 3}, "podClique": {"concurrentSyncs": 3},
                            "podCliqueScalingGroup": {"concurrentSyncs": 3}},
            "logLevel": "info", "logFormat": "text",
            "scheduler": {"profiles": [{"name": "default-scheduler"}, {"name": "kai-scheduler"},
                                       {"name": "grove-scheduler"}]},
        }, config_overrides or {})))
        self.proc: Proc | None = None
        self.sched: Proc | None = None

    def start(self, wait_ready: bool = True) -> None:
        self.proc = Proc(["operator", "--config", str(self.config), "--kubeconfig", str(self.c.kubeconfig),
                          "--namespace", NS], self.tmp / f"{self.name}.log")
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
        """``grove scheduler`` answering for grove-scheduler and kai-scheduler (the enabled profiles)."""
        self.sched = Proc(["scheduler", "--config", str(self.config), "--kubeconfig", str(self.c.kubeconfig),
                           "--namespace", NS,
                           "--health-port", str(self.sched_health), "--metrics-port", str(self.sched_metrics)],
                          self.tmp / f"{self.name}-scheduler.log")

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


def deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """``over`` merged into a copy of ``base``: mappings merge key by key, anything else (lists too) replaces."""
    out = dict(base)
    for key, value in over.items():
        out[key] = deep_merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def install_crds(c: E2ECluster) -> None:
    c.kubectl("apply", "--server-side", "--force-conflicts", "--field-manager=grove-crd-installer",
              "-f", str(CHART / "crds"))
    c.kubectl("wait", "--for=condition=Established", "--timeout=60s", "crd", "--all")


def webhook_configs(port: int) -> list[dict[str, Any]]:
    """The chart's admission configurations, pointed at https://127.0.0.1:<port> instead of the Service."""
    out = helm("template", "grove", str(CHART), "-n", NS, "--show-only", "templates/webhooks.yaml").stdout
    docs = [d for d in yaml.safe_load_all(out) if d]
    for d in docs:
        for hook in d["webhooks"]:
            path = hook["clientConfig"]["service"]["path"]
            hook["clientConfig"] = {"url": f"https://127.0.0.1:{port}{path}"}
    return docs


def apply_webhooks(c: E2ECluster, port: int) -> list[dict[str, Any]]:
    hooks = webhook_configs(port)
    c.kubectl("apply", "-f", "-", input=json.dumps({"apiVersion": "v1", "kind": "List", "items": hooks}))
    return hooks


def repoint_webhooks(c: E2ECluster, hooks: list[dict[str, Any]], port: int) -> None:
    """Send admission to another replica (what a Service does when an endpoint goes away); only the URL
    changes, so the injected caBundle stays."""
    for d in hooks:
        ops = []
        for i, hook in enumerate(d["webhooks"]):
            path = hook["clientConfig"]["url"].split("/", 3)[3]
            ops.append({"op": "replace", "path": f"/webhooks/{i}/clientConfig/url",
                        "value": f"https://127.0.0.1:{port}/{path}"})
        c.kubectl("patch", d["kind"].lower(), d["metadata"]["name"], "--type=json", "-p", json.dumps(ops))


def delete_webhooks(c: E2ECluster, hooks: list[dict[str, Any]]) -> None:
    for d in hooks:
        c.kubectl("delete", d["kind"].lower(), d["metadata"]["name"], "--ignore-not-found", check=False)


def prepare_cluster(c: E2ECluster, namespaces: Iterable[str] = ()) -> None:
    """CRDs Established, the operator namespace and ``namespaces`` present."""
    install_crds(c)
    for ns in (NS, *namespaces):
        c.kubectl("create", "namespace", ns, check=False)


@contextmanager
def operator_running(c: E2ECluster, tmp: Path, *, namespaces: Iterable[str] = (),
                     scheduler: bool = False, values: dict[str, Any] | None = None) -> Iterator[Operator]:
    """One ready operator (webhooks pointed at it), optionally with the gang scheduler; torn down after.
    ``values["config"]`` is deep-merged into the operator configuration."""
    prepare_cluster(c, namespaces)
    op = Operator(c, tmp, config_overrides=(values or {}).get("config"))
    hooks = apply_webhooks(c, op.webhook_port)
    try:
        op.start()
        if scheduler:
            op.start_scheduler()
        yield op
    finally:
        delete_webhooks(c, hooks)
        op.stop()
