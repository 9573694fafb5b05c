"""Where the control-plane binaries live, and how to get them built.

``hack/build-control-plane.sh`` builds kube-apiserver, kube-controller-manager, kube-scheduler, etcd,
KWOK and helm from Go modules into ``$GROVE_CACHE_DIR/control-plane/<version-key>/`` (outside the
repository, never committed). This module mirrors the script's defaults to find that folder without
running anything; a unit test keeps the two in step (``--print-dir``). The version key pins every
component, so changing a version builds into a new folder instead of mixing binaries.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

K8S_VERSION = "1.36.3"
ETCD_VERSION = "3.6.16"
KWOK_VERSION = "0.8.0"
HELM_VERSION = "3.22.0"

BINARIES = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok", "helm")
KWOK_STAGE_FILES = (
    "node-initialize.yaml",
    "node-heartbeat-with-lease.yaml",
    "pod-ready.yaml",
    "pod-complete.yaml",
    "pod-delete.yaml",
)


class BinariesMissing(RuntimeError):
    """The control plane is not built; the message says which command builds it."""


def cache_root() -> Path:
    env = os.environ.get("GROVE_CACHE_DIR")
    return Path(env) if env else Path.home() / ".cache" / "grove"


def _version(name: str, default: str) -> str:
    return os.environ.get(f"GROVE_{name}_VERSION", default)


def version_key() -> str:
    return (
        f"k8s-v{_version('K8S', K8S_VERSION)}_etcd-v{_version('ETCD', ETCD_VERSION)}"
        f"_kwok-v{_version('KWOK', KWOK_VERSION)}_helm-v{_version('HELM', HELM_VERSION)}"
    )


def build_script() -> Path | None:
    """``hack/build-control-plane.sh`` of the source checkout this package runs from, if any."""
    override = os.environ.get("GROVE_BUILD_SCRIPT")
    if override:
        return Path(override)
    here = Path(__file__).resolve()
    for parent in here.parents:
        candidate = parent / "hack" / "build-control-plane.sh"
        if candidate.is_file():
            return candidate
    return None


@dataclass(frozen=True)
class ControlPlaneBinaries:
    """The versioned cache folder: ``bin/`` and the KWOK default stages."""

    root: Path

    @classmethod
    def default(cls) -> ControlPlaneBinaries:
        return cls(cache_root() / "control-plane" / version_key())

    @property
    def bin_dir(self) -> Path:
        return self.root / "bin"

    @property
    def stages_dir(self) -> Path:
        return self.root / "kwok-stages"

    def path(self, name: str) -> Path:
        return self.bin_dir / name

    def missing(self, names: tuple[str, ...] = BINARIES) -> list[str]:
        absent = [n for n in names if not os.access(self.path(n), os.X_OK)]
        if "kwok" in names:
            absent += [f"kwok-stages/{f}" for f in KWOK_STAGE_FILES if not (self.stages_dir / f).is_file()]
        return absent

    def build_hint(self) -> str:
        script = build_script()
        cmd = str(script) if script else "hack/build-control-plane.sh (from a Grove source checkout)"
        return f"build them with: {cmd}   (cold build ~30-50 min on 2 cores; output in {self.root})"

    def require(self, names: tuple[str, ...] = BINARIES) -> None:
        absent = self.missing(names)
        if absent:
            raise BinariesMissing(f"control-plane binaries missing: {', '.join(absent)}; {self.build_hint()}")

    def build(self, log: Path | None = None) -> None:
        """Run the build script (idempotent: it only builds what is missing). Raises on failure."""
        script = build_script()
        if script is None:
            raise BinariesMissing(f"no build script found; {self.build_hint()}")
        out = log.open("ab") if log else None
        try:
            proc = subprocess.run(
                ["bash", str(script)],
                stdout=out or sys.stderr,
                stderr=subprocess.STDOUT,
                env={**os.environ, "GROVE_CACHE_DIR": str(self.root.parent.parent)},
                check=False,
            )
        finally:
            if out:
                out.close()
        if proc.returncode != 0:
            where = f"; log: {log}" if log else ""
            raise BinariesMissing(f"{script} failed with exit code {proc.returncode}{where}")
        self.require()
