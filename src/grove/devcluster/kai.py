"""The real KAI scheduler on a dev cluster: its CRDs, its queues and five components as local processes.

KAI runs here without its own operator: ``scheduler``, ``binder``, ``podgrouper``, ``queuecontroller`` and
``podgroupcontroller`` are started directly with flags (KAI's defaults otherwise: the scheduler's built-in
configuration, which has the ``topology`` plugin). Every metrics, health and plugin listener is on a free
127.0.0.1 port; KAI's admission webhooks are off (they are optional for CPU/memory pods), and the
components run without leader election. The binaries come from ``hack/build-kai.sh`` (a cache folder
next to the control plane's, outside the repository); ``podgroupcontroller`` there is patched to honour
its metrics-address flag, which at this commit it ignores (it would bind ``:8080`` on all interfaces).

Processes are recorded in ``<cluster state>/kai/pids`` (see :mod:`grove.devcluster.processes`), so
:meth:`KaiComponents.down` from any shell stops them all; ``up`` stops what it started if it fails.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from grove.api import constants as c
from grove.devcluster.binaries import BinariesMissing, cache_root
from grove.devcluster.crds import install_crds, load_crds
from grove.devcluster.processes import ManagedProcess, ProcessTable, survivors_of
from grove.devcluster.rest import AdminRest, ApiError

KAI_SNAPSHOT = "kai-scheduler-v0.17.0-9-gd5bc503a"
"""The source archive in shared/thirdparty (tag v0.17.0, 9 commits on, commit d5bc503a)."""
PATCH_REV = 1
"""Revision of the build script's source patch; part of the cache folder name (keep in step with it)."""
SCHEDULER_NAME = c.SCHEDULER_KAI
COMPONENTS = ("queuecontroller", "podgroupcontroller", "podgrouper", "binder", "scheduler")
"""Start order: the controllers that fill in status first, the scheduler (which binds) last."""
QUEUE_API = "/apis/scheduling.run.ai/v2/queues"


def version_key() -> str:
    archive = os.environ.get("GROVE_KAI_ARCHIVE")
    name = Path(archive).name.removesuffix(".tar.gz") if archive else KAI_SNAPSHOT
    return f"{name}_patch-{PATCH_REV}"


def build_script() -> Path | None:
    """``hack/build-kai.sh`` of the source checkout this package runs from, if any."""
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "hack" / "build-kai.sh"
        if candidate.is_file():
            return candidate
    return None


@dataclass(frozen=True)
class KaiBinaries:
    """The cache folder ``hack/build-kai.sh`` writes: ``bin/kai-<component>`` and the extracted source
    (whose ``deployments/kai-scheduler/crds`` holds the CRDs)."""

    root: Path

    @classmethod
    def default(cls) -> KaiBinaries:
        return cls(cache_root() / "control-plane" / version_key())

    def path(self, component: str) -> Path:
        return self.root / "bin" / f"kai-{component}"

    @property
    def crds_dir(self) -> Path:
        return self.root / "src" / "deployments" / "kai-scheduler" / "crds"

    def missing(self) -> list[str]:
        absent = [f"kai-{n}" for n in COMPONENTS if not os.access(self.path(n), os.X_OK)]
        if not self.crds_dir.is_dir():
            absent.append("src/deployments/kai-scheduler/crds")
        return absent

    def build_hint(self) -> str:
        script = build_script()
        cmd = str(script) if script else "hack/build-kai.sh (from a Grove source checkout)"
        return f"build them with: {cmd}   (output in {self.root})"

    def require(self) -> None:
        absent = self.missing()
        if absent:
            raise BinariesMissing(f"KAI binaries missing: {', '.join(absent)}; {self.build_hint()}")

    def build(self, log: Path | None = None) -> None:
        """Run the build script (it builds only what is missing). Raises :class:`BinariesMissing`."""
        script = build_script()
        if script is None:
            raise BinariesMissing(f"no KAI build script found; {self.build_hint()}")
        out = log.open("ab") if log else None
        try:
            proc = subprocess.run(["bash", str(script)], stdout=out or sys.stderr, stderr=subprocess.STDOUT,
                                  env={**os.environ, "GROVE_CACHE_DIR": str(self.root.parent.parent)}, check=False)
        finally:
            if out:
                out.close()
        if proc.returncode != 0:
            raise BinariesMissing(f"{script} failed with exit code {proc.returncode}" + (f"; log: {log}" if log else ""))
        self.require()


@dataclass(frozen=True)
class KaiPorts:
    """Two loopback ports per component: metrics and health (the scheduler: metrics and plugin server)."""

    ports: dict[str, tuple[int, int]]

    @classmethod
    def free(cls) -> KaiPorts:
        socks = []
        try:
            for _ in range(2 * len(COMPONENTS)):
                s = socket.socket()
                s.bind(("127.0.0.1", 0))
                socks.append(s)
            nums = [s.getsockname()[1] for s in socks]
        finally:
            for s in socks:
                s.close()
        return cls({c: (nums[2 * i], nums[2 * i + 1]) for i, c in enumerate(COMPONENTS)})

    def metrics(self, component: str) -> int:
        return self.ports[component][0]

    def health(self, component: str) -> int:
        return self.ports[component][1]


def component_argv(bins: KaiBinaries, component: str, ports: KaiPorts, *, verbosity: int = 1) -> list[str]:
    """The command line of one KAI component: answering for ``kai-scheduler``, no webhooks, no leader
    election, every listener on 127.0.0.1 (pure)."""
    if component not in COMPONENTS:
        raise ValueError(f"unknown KAI component {component!r}; expected one of {', '.join(COMPONENTS)}")
    m, h = f"127.0.0.1:{ports.metrics(component)}", f"127.0.0.1:{ports.health(component)}"
    exe = str(bins.path(component))
    name = f"--scheduler-name={SCHEDULER_NAME}"
    if component == "scheduler":
        # --plugin-server-port binds 127.0.0.1 itself; the profiler is off unless --enable-profiler
        return [exe, name, f"--listen-address={m}", f"--plugin-server-port={ports.health(component)}",
                "--leader-elect=false", f"--v={verbosity}", "--log-json=true"]
    if component == "binder":
        return [exe, name, f"--metrics-bind-address={m}", f"--health-probe-bind-address={h}",
                "--leader-elect=false", "--zap-log-level=info"]
    if component == "podgrouper":
        return [exe, name, f"--metrics-bind-address={m}", f"--health-probe-bind-address={h}",
                "--leader-elect=false", "--zap-log-level=info"]
    if component == "queuecontroller":
        # no health-probe flag: controller-runtime's probe server stays off
        return [exe, f"--metrics-listen-address={m}", "--enable-webhook=false", "--leader-elect=false",
                "--zap-log-level=info"]
    if component == "podgroupcontroller":
        return [exe, name, f"--metrics-bind-address={m}", f"--health-probe-bind-address={h}",
                "--enable-podgroup-webhook=false", "--leader-elect=false", "--zap-log-level=info"]
    raise AssertionError(component)  # every name in COMPONENTS has a branch above


def ready_url(component: str, ports: KaiPorts) -> str:
    """What answers once the component runs: its metrics endpoint (every component serves one; not all
    register health checks, and controller-runtime answers 404 on a probe path without checks)."""
    return f"http://127.0.0.1:{ports.metrics(component)}/metrics"


def default_queues() -> list[dict[str, Any]]:
    """A root queue ``default`` and its leaf ``test``, unlimited (as upstream Grove's e2e queues.yaml)."""
    unlimited = {r: {"quota": -1, "limit": -1, "overQuotaWeight": 1} for r in ("cpu", "gpu", "memory")}

    def queue(name: str, parent: str | None) -> dict[str, Any]:
        spec: dict[str, Any] = {"resources": unlimited}
        if parent:
            spec = {"parentQueue": parent, **spec}
        return {"apiVersion": "scheduling.run.ai/v2", "kind": "Queue", "metadata": {"name": name}, "spec": spec}

    return [queue("default", None), queue("test", "default")]


def load_queues(path: Path) -> list[dict[str, Any]]:
    """Queue documents of a YAML file; any other kind is an error naming the file."""
    out = []
    for doc in yaml.safe_load_all(path.read_text()):
        if doc is None:
            continue
        if not isinstance(doc, dict) or doc.get("kind") != "Queue":
            found = doc.get("kind") if isinstance(doc, dict) else type(doc).__name__
            raise ValueError(f"{path}: expected scheduling.run.ai Queue documents, found {found}")
        out.append(doc)
    return out


class KaiError(RuntimeError):
    """KAI did not come up; the message names the component and the tail of its log."""


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return bool(200 <= resp.status < 300)
    except OSError:
        return False


def _tail(proc: ManagedProcess, lines: int = 15) -> str:
    try:
        return "\n".join(proc.log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


class KaiComponents:
    """KAI's five processes for one dev cluster (state under ``<cluster state>/kai``)."""

    def __init__(self, cluster_state_dir: Path, kubeconfig: Path, bins: KaiBinaries | None = None) -> None:
        self.state_dir = cluster_state_dir / "kai"
        self.kubeconfig = kubeconfig
        self.bins = bins or KaiBinaries.default()
        self.table = ProcessTable(self.state_dir)

    @property
    def info(self) -> Path:
        return self.state_dir / "kai.json"

    def up(self, rest: AdminRest, *, queues: list[dict[str, Any]] | None = None, timeout: float = 90.0,
           progress: Callable[[str], None] = lambda _msg: None) -> dict[str, int]:
        """Install the CRDs and queues, start the components and wait until each answers; returns the
        component pids. Stops what it started if anything fails."""
        self.bins.require()
        crds = load_crds([self.bins.crds_dir])
        self.down()
        t0 = time.monotonic()
        progress(f"installing {len(crds)} KAI CRDs")
        install_crds(rest, crds, timeout)
        wanted = default_queues() if queues is None else queues
        for q in wanted:
            _create_or_keep(rest, QUEUE_API, q)
        progress(f"KAI queues: {', '.join(q['metadata']['name'] for q in wanted)}")
        ports = KaiPorts.free()
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.info.write_text(json.dumps({"ports": ports.ports}, indent=2))
        env = {"KUBECONFIG": str(self.kubeconfig), "GOMEMLIMIT": "512MiB"}
        started: list[tuple[str, ManagedProcess]] = []
        try:
            for comp in COMPONENTS:
                progress(f"starting kai {comp}")
                started.append((comp, self.table.start(f"kai-{comp}", component_argv(self.bins, comp, ports), env)))
            for comp, proc in started:
                self._wait(comp, ready_url(comp, ports), proc, timeout)
        except BaseException:
            self.down()
            raise
        progress(f"KAI up in {time.monotonic() - t0:.1f}s")
        return {comp: proc.pid for comp, proc in started}

    @staticmethod
    def _wait(comp: str, url: str, proc: ManagedProcess, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if _http_ok(url):
                return
            if not proc.alive():
                raise KaiError(f"kai {comp} exited during start-up; log {proc.log}:\n{_tail(proc)}")
            time.sleep(0.3)
        raise KaiError(f"kai {comp} did not answer on {url} after {timeout:.0f}s; log {proc.log}:\n{_tail(proc)}")

    def processes(self) -> dict[str, bool]:
        return {p.name: p.alive() for p in self.table.load()}

    def logs(self) -> dict[str, Path]:
        return {p.name: p.log for p in self.table.load()}

    def down(self) -> list[str]:
        """Stop every KAI process of this cluster (scheduler first, so nothing binds while the rest stop)."""
        return self.table.stop_all(order=[f"kai-{n}" for n in reversed(COMPONENTS)])

    def pgids(self) -> list[int]:
        return [p.pid for p in self.table.load()]

    @staticmethod
    def survivors(pgids: list[int]) -> list[int]:
        return survivors_of(pgids)


def _create_or_keep(rest: AdminRest, path: str, obj: Mapping[str, Any]) -> None:
    try:
        rest.request("POST", path, dict(obj))
    except ApiError as err:
        if err.status != 409:
            raise
