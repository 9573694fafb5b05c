"""Bring a local Kubernetes control plane up and down: etcd, kube-apiserver, kube-controller-manager,
kube-scheduler (optional) and KWOK, plus N fake nodes shaped like the upstream e2e cluster.

Invariants: every process is recorded in the state directory before ``up`` waits on it, so ``down``
(from any shell) stops all of them, and a failed ``up`` stops what it started before raising. Each
``up`` starts from a fresh etcd and fresh certificates: a dev cluster is disposable. Start order is the
dependency order (etcd → apiserver → controller manager / scheduler → KWOK → nodes); ``down`` stops in
reverse, so no component spends its last seconds logging connection errors.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import ssl
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grove.devcluster import components as comp
from grove.devcluster.binaries import ControlPlaneBinaries, cache_root
from grove.devcluster.crds import install_crds, load_crds
from grove.devcluster.nodes import E2E_SHAPE, NodeShape, kwok_nodes
from grove.devcluster.pki import generate_pki
from grove.devcluster.processes import ManagedProcess, ProcessTable, survivors_of
from grove.devcluster.rest import AdminRest, write_kubeconfig
from grove.devcluster.stages import PodStageOptions

START_ORDER = ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok", "initc-runner"]
_NAME_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def default_state_dir(name: str) -> Path:
    return cache_root() / "dev-cluster" / name


class DevClusterError(RuntimeError):
    """Bring-up failed; the message names the component and the tail of its log."""


@dataclass
class DevClusterOptions:
    name: str = "grove"
    nodes: int = 30
    shape: NodeShape = E2E_SHAPE
    scheduler: bool = True
    state_dir: Path | None = None
    startup_timeout: float = 120.0
    crd_paths: tuple[Path, ...] = ()
    """CRD files/directories installed before kube-controller-manager starts (see ``crds.py``)."""
    binaries: ControlPlaneBinaries = field(default_factory=ControlPlaneBinaries.default)
    initc_runner: bool = True
    """Run pods' ``grove-initc`` init containers for real (``initc_runner.py``); off: KWOK marks every init
    container Completed at once."""
    pod_start_delay: float = 0.0
    """Seconds from KWOK seeing a pod bound to starting it (0: KWOK's fast stages)."""
    pod_start_jitter: float = 0.0
    """Extra random seconds in [0, jitter) on top of ``pod_start_delay``."""

    def stage_options(self) -> PodStageOptions:
        return PodStageOptions(delay=self.pod_start_delay, jitter=self.pod_start_jitter,
                               run_init_containers=self.initc_runner)

    def resolved_state_dir(self) -> Path:
        if not _NAME_RE.match(self.name):
            raise ValueError(f"cluster name {self.name!r} must be lowercase letters, digits and '-'")
        return self.state_dir or default_state_dir(self.name)


@dataclass(frozen=True)
class ClusterStatus:
    name: str
    state_dir: Path
    kubeconfig: Path
    server: str | None
    processes: dict[str, bool]
    api_ready: bool
    api_reason: str

    @property
    def running(self) -> bool:
        return bool(self.processes) and all(self.processes.values()) and self.api_ready


def _log_tail(proc: ManagedProcess, lines: int = 15) -> str:
    try:
        text = proc.log.read_text(errors="replace").splitlines()
    except OSError:
        return "(no log)"
    return "\n".join(text[-lines:])


def _wait(what: str, check: Callable[[], bool], proc: ManagedProcess, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        if not proc.alive():
            raise DevClusterError(f"{what} exited during start-up; log {proc.log}:\n{_log_tail(proc)}")
        time.sleep(0.2)
    raise DevClusterError(f"{what} not healthy after {timeout:.0f}s; log {proc.log}:\n{_log_tail(proc)}")


def _http_ok(url: str) -> bool:
    """GET ``url``; True on 2xx. TLS is not verified: KCM/scheduler self-sign their serving certs and
    this is only a liveness probe on loopback."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    try:
        with urllib.request.urlopen(url, context=ctx, timeout=2) as resp:
            return bool(200 <= resp.status < 300)
    except OSError:
        return False


class DevCluster:
    """One named dev cluster and its state directory."""

    def __init__(self, options: DevClusterOptions) -> None:
        self.options = options
        self.state_dir = options.resolved_state_dir()
        self.layout = comp.Layout(self.state_dir)
        self.table = ProcessTable(self.state_dir)
        self.bins = options.binaries

    @property
    def kubeconfig(self) -> Path:
        return self.layout.kubeconfig

    def _info(self) -> dict[str, Any]:
        try:
            data: dict[str, Any] = json.loads(self.layout.info.read_text())
            return data
        except (OSError, ValueError):
            return {}

    def server(self) -> str | None:
        server = self._info().get("server")
        return str(server) if server else None

    def rest(self) -> AdminRest:
        server = self.server()
        if server is None:
            raise DevClusterError(f"no cluster recorded in {self.state_dir}")
        return AdminRest(server, self.layout.pki)

    def up(self, progress: Callable[[str], None] = lambda _msg: None) -> ClusterStatus:
        """Start everything and create the nodes; returns once the nodes are Ready."""
        self.bins.require(("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok"))
        crds = load_crds(self.options.crd_paths)  # a bad file fails before anything starts
        current = self.status()
        if current.running:
            progress(f"dev cluster {self.options.name!r} is already running")
            return current
        self.down()  # a half-dead previous cluster: clear it first
        try:
            self._start(progress, crds)
        except BaseException:
            self.down()
            raise
        return self.status()

    def _start(self, progress: Callable[[str], None], crds: list[dict[str, Any]]) -> None:
        t0 = time.monotonic()
        timeout = self.options.startup_timeout
        self.state_dir.mkdir(parents=True, exist_ok=True)
        for stale in (self.layout.etcd_data, self.layout.pki.dir):
            shutil.rmtree(stale, ignore_errors=True)
        ports = comp.Ports.free()
        server = f"https://127.0.0.1:{ports.apiserver}"
        pki = generate_pki(self.layout.pki.dir)
        write_kubeconfig(self.layout.kubeconfig, server, pki, self.options.name)
        stages = self.options.stage_options()
        self.layout.kwok_config.write_text(comp.kwok_config(self.bins, stages))
        self.layout.info.write_text(json.dumps({
            "name": self.options.name, "server": server, "ports": ports.as_dict(),
            "pods": {"startDelaySeconds": stages.delay, "startJitterSeconds": stages.jitter,
                     "initContainerRunner": stages.run_init_containers},
        }, indent=2))

        progress("starting etcd")
        etcd = self.table.start("etcd", comp.etcd_argv(self.bins, self.layout, ports))
        _wait("etcd", lambda: _http_ok(f"http://127.0.0.1:{ports.etcd_client}/health"), etcd, timeout)

        progress("starting kube-apiserver")
        api = self.table.start("kube-apiserver", comp.apiserver_argv(self.bins, self.layout, ports))
        rest = AdminRest(server, pki)
        try:
            rest.wait_ready(timeout, alive=api.alive)
        except (RuntimeError, TimeoutError) as err:
            raise DevClusterError(f"{err}; log {api.log}:\n{_log_tail(api)}") from None

        if crds:
            progress(f"installing {len(crds)} CRDs")
            install_crds(rest, crds, timeout)

        progress("starting kube-controller-manager")
        kcm = self.table.start(
            "kube-controller-manager", comp.controller_manager_argv(self.bins, self.layout, ports)
        )
        waits = [("kube-controller-manager", kcm, ports.controller_manager)]
        if self.options.scheduler:
            progress("starting kube-scheduler")
            sched = self.table.start("kube-scheduler", comp.scheduler_argv(self.bins, self.layout, ports))
            waits.append(("kube-scheduler", sched, ports.scheduler))
        progress("starting kwok")
        kwok = self.table.start("kwok", comp.kwok_argv(self.bins, self.layout, ports))

        progress(f"creating {self.options.nodes} nodes")
        for node in kwok_nodes(self.options.nodes, self.options.shape, conditions=False):
            rest.create_or_keep("/api/v1/nodes", node)

        for name, proc, port in waits:
            url = f"https://127.0.0.1:{port}/healthz"
            _wait(name, functools.partial(_http_ok, url), proc, timeout)
        _wait("kwok", lambda: _http_ok(f"http://127.0.0.1:{ports.kwok}/healthz"), kwok, timeout)
        _wait("nodes Ready", lambda: self.ready_nodes(rest) >= self.options.nodes, kwok, timeout)
        if self.options.initc_runner:
            progress("starting the init-container runner")
            ready_file = self.layout.initc_runner_ready
            ready_file.unlink(missing_ok=True)
            runner = self.table.start("initc-runner", comp.initc_runner_argv(self.layout))
            _wait("initc-runner", ready_file.exists, runner, timeout)
        progress(f"dev cluster {self.options.name!r} up in {time.monotonic() - t0:.1f}s")

    @staticmethod
    def ready_nodes(rest: AdminRest) -> int:
        """Nodes that KWOK has initialised (Ready with a heartbeat) and that the node lifecycle
        controller no longer taints as not-ready/unreachable, i.e. nodes a pod can land on now."""
        nodes = rest.request("GET", "/api/v1/nodes").get("items") or []
        count = 0
        for node in nodes:
            conds = {c["type"]: c for c in (node.get("status") or {}).get("conditions") or []}
            ready = conds.get("Ready", {})
            taints = (node.get("spec") or {}).get("taints") or []
            transient = [t for t in taints if t.get("key", "").startswith("node.kubernetes.io/")]
            if ready.get("status") == "True" and ready.get("lastHeartbeatTime") and not transient:
                count += 1
        return count

    def down(self) -> list[str]:
        """Stop every process of this cluster (reverse start order); returns the names stopped."""
        return self.table.stop_all(order=list(reversed(START_ORDER)))

    def status(self) -> ClusterStatus:
        procs = {p.name: p.alive() for p in self.table.load()}
        server = self.server()
        ready, reason = False, "kube-apiserver is not running"
        if server and procs.get("kube-apiserver") and self.layout.pki.complete():
            ready, reason = AdminRest(server, self.layout.pki, timeout=3).ready()
        return ClusterStatus(
            name=self.options.name,
            state_dir=self.state_dir,
            kubeconfig=self.layout.kubeconfig,
            server=server,
            processes=procs,
            api_ready=ready,
            api_reason=reason,
        )

    def process_groups(self) -> dict[str, int]:
        """Recorded process-group ids by component (read before ``down`` to check it left nothing)."""
        return {p.name: p.pid for p in self.table.load()}

    @staticmethod
    def survivors(pgids: list[int]) -> list[int]:
        """Live pids left in the given process groups (empty after a clean ``down``)."""
        return survivors_of(pgids)


def export_line(kubeconfig: Path) -> str:
    return f"export KUBECONFIG={os.fspath(kubeconfig)}"
