"""Command lines of the control-plane components (pure: paths and ports in, argv out).

Every listener is on 127.0.0.1 and every port is chosen free at start, so several dev clusters (and
CI) can run side by side. The flags follow envtest and kwokctl (see
shared/reference/real-control-plane.md §1.5-§1.7, §3): RBAC authorisation, service-account signing
keys, GC and HPA on in the controller manager with HPA periods shortened for tests, KWOK managing only
nodes annotated ``kwok.x-k8s.io/node=fake``.
"""

from __future__ import annotations

import socket
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import yaml

from grove.devcluster.binaries import KWOK_STAGE_FILES, ControlPlaneBinaries
from grove.devcluster.nodes import KWOK_NODE_ANNOTATION, KWOK_NODE_ANNOTATION_VALUE
from grove.devcluster.pki import Pki
from grove.devcluster.stages import PodStageOptions, pod_stages

SERVICE_CIDR = "10.0.0.0/24"
POD_CIDR = "10.244.0.0/16"


@dataclass(frozen=True)
class Ports:
    etcd_client: int
    etcd_peer: int
    apiserver: int
    controller_manager: int
    scheduler: int
    kwok: int

    @classmethod
    def free(cls) -> Ports:
        """Distinct free loopback ports (bound together, so no two are equal)."""
        socks = []
        try:
            for _ in range(6):
                s = socket.socket()
                s.bind(("127.0.0.1", 0))
                socks.append(s)
            ports = [s.getsockname()[1] for s in socks]
        finally:
            for s in socks:
                s.close()
        return cls(*ports)

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


@dataclass(frozen=True)
class Layout:
    """Files of one dev cluster under its state directory."""

    state_dir: Path

    @property
    def pki(self) -> Pki:
        return Pki(self.state_dir / "pki")

    @property
    def etcd_data(self) -> Path:
        return self.state_dir / "etcd-data"

    @property
    def kubeconfig(self) -> Path:
        return self.state_dir / "kubeconfig"

    @property
    def kwok_config(self) -> Path:
        return self.state_dir / "kwok.yaml"

    @property
    def info(self) -> Path:
        return self.state_dir / "cluster.json"

    @property
    def initc_runner_ready(self) -> Path:
        """Written by the init runner once it lists pods (``up`` waits for it)."""
        return self.state_dir / "initc-runner.ready"


def etcd_argv(bins: ControlPlaneBinaries, layout: Layout, ports: Ports) -> list[str]:
    client = f"http://127.0.0.1:{ports.etcd_client}"
    peer = f"http://127.0.0.1:{ports.etcd_peer}"
    return [
        str(bins.path("etcd")),
        "--name=grove-dev",
        f"--data-dir={layout.etcd_data}",
        f"--listen-client-urls={client}",
        f"--advertise-client-urls={client}",
        f"--listen-peer-urls={peer}",
        f"--initial-advertise-peer-urls={peer}",
        f"--initial-cluster=grove-dev={peer}",
        "--unsafe-no-fsync=true",
        "--log-level=warn",
    ]


def apiserver_argv(bins: ControlPlaneBinaries, layout: Layout, ports: Ports) -> list[str]:
    pki = layout.pki
    return [
        str(bins.path("kube-apiserver")),
        f"--etcd-servers=http://127.0.0.1:{ports.etcd_client}",
        "--bind-address=127.0.0.1",
        "--advertise-address=127.0.0.1",
        f"--secure-port={ports.apiserver}",
        f"--cert-dir={pki.dir}",
        f"--tls-cert-file={pki.serving_crt}",
        f"--tls-private-key-file={pki.serving_key}",
        f"--client-ca-file={pki.ca_crt}",
        "--authorization-mode=RBAC",
        f"--service-account-issuer=https://127.0.0.1:{ports.apiserver}/",
        f"--service-account-key-file={pki.sa_pub}",
        f"--service-account-signing-key-file={pki.sa_key}",
        f"--service-cluster-ip-range={SERVICE_CIDR}",
        "--allow-privileged=true",
        # no kube-proxy and no real kubelet: skip SA admission (envtest does the same)
        "--disable-admission-plugins=ServiceAccount",
        "--enable-priority-and-fairness=false",
        "--profiling=false",
        "--v=1",
    ]


def controller_manager_argv(bins: ControlPlaneBinaries, layout: Layout, ports: Ports) -> list[str]:
    pki = layout.pki
    return [
        str(bins.path("kube-controller-manager")),
        f"--kubeconfig={layout.kubeconfig}",
        "--leader-elect=false",
        "--bind-address=127.0.0.1",
        f"--secure-port={ports.controller_manager}",
        "--authorization-always-allow-paths=/healthz,/readyz,/livez,/metrics",
        f"--root-ca-file={pki.ca_crt}",
        f"--service-account-private-key-file={pki.sa_key}",
        "--use-service-account-credentials=false",
        f"--service-cluster-ip-range={SERVICE_CIDR}",
        "--horizontal-pod-autoscaler-sync-period=2s",
        "--horizontal-pod-autoscaler-downscale-stabilization=0s",
        "--horizontal-pod-autoscaler-initial-readiness-delay=1s",
        "--horizontal-pod-autoscaler-cpu-initialization-period=1s",
        "--profiling=false",
        "--v=1",
    ]


def scheduler_argv(bins: ControlPlaneBinaries, layout: Layout, ports: Ports) -> list[str]:
    return [
        str(bins.path("kube-scheduler")),
        f"--kubeconfig={layout.kubeconfig}",
        "--leader-elect=false",
        "--bind-address=127.0.0.1",
        f"--secure-port={ports.scheduler}",
        "--authorization-always-allow-paths=/healthz,/readyz,/livez,/metrics",
        "--profiling=false",
        "--v=1",
    ]


def kwok_argv(bins: ControlPlaneBinaries, layout: Layout, ports: Ports) -> list[str]:
    return [
        str(bins.path("kwok")),
        f"--kubeconfig={layout.kubeconfig}",
        f"--config={layout.kwok_config}",
        f"--manage-nodes-with-annotation-selector={KWOK_NODE_ANNOTATION}={KWOK_NODE_ANNOTATION_VALUE}",
        f"--server-address=127.0.0.1:{ports.kwok}",
        f"--cidr={POD_CIDR}",
        "--node-ip=127.0.0.1",
        "--node-lease-duration-seconds=40",
    ]


class _BlockDumper(yaml.SafeDumper):
    """Multi-line strings (the stages' status templates) as literal blocks, so the file stays readable."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockDumper.add_representer(str, _str)


def kwok_config(bins: ControlPlaneBinaries, stages: PodStageOptions | None = None) -> str:
    """One multi-document file with KWOK's default fast node and pod stages, the pod stages adjusted
    for ``stages`` (start-up delay, init containers held for the init runner; see ``stages.py``)."""
    docs: list[dict[str, Any]] = []
    for name in KWOK_STAGE_FILES:
        docs += [d for d in yaml.safe_load_all((bins.stages_dir / name).read_text()) if d]
    docs = pod_stages(docs, stages or PodStageOptions())
    return yaml.dump_all(docs, Dumper=_BlockDumper, sort_keys=False, width=120)


def initc_runner_argv(layout: Layout) -> list[str]:
    """The init runner (``grove.devcluster.initc_runner``) on the interpreter that runs the dev cluster."""
    return [sys.executable, "-m", "grove.devcluster.initc_runner", f"--state-dir={layout.state_dir}"]
