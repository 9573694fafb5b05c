"""Helpers for e2e tests on the dev cluster: the session handle with a real-kubectl runner, and
polling with a named timeout (so a failure says what never happened)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from grove.devcluster import DevCluster
from grove.devcluster.stages import parse_duration

E2E_NODES = 30
KUBECTL = shutil.which("kubectl") or "/usr/bin/kubectl"
POD_START_DELAY_ENV = "GROVE_E2E_POD_START_DELAY"
"""Pod start-up delay of the session cluster (``6s``; default 0, KWOK's instant start)."""
POD_START_JITTER_ENV = "GROVE_E2E_POD_START_JITTER"
INITC_RUNNER_ENV = "GROVE_E2E_INITC_RUNNER"
"""``0`` turns the session cluster's init runner off (init containers then complete at once)."""


def cluster_options_from_env(env: dict[str, str] | None = None) -> dict[str, Any]:
    """The session cluster's pod timing and init runner, from the environment (DevClusterOptions kwargs)."""
    env = dict(os.environ) if env is None else env
    return {"pod_start_delay": parse_duration(env.get(POD_START_DELAY_ENV) or "0"),
            "pod_start_jitter": parse_duration(env.get(POD_START_JITTER_ENV) or "0"),
            "initc_runner": (env.get(INITC_RUNNER_ENV) or "1") not in ("0", "false", "no", "off")}


@dataclass
class E2ECluster:
    """What e2e tests get: the running cluster, its kubeconfig and a real-kubectl helper."""

    cluster: DevCluster
    kubeconfig: Path
    nodes: int

    def kubectl(self, *args: str, input: str | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [KUBECTL, f"--kubeconfig={self.kubeconfig}", *args],
            input=input,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if check and proc.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed ({proc.returncode}): {proc.stderr.strip()}")
        return proc

    def kubectl_json(self, *args: str) -> Any:
        return json.loads(self.kubectl(*args, "-o", "json").stdout)

    def apply(self, manifest: dict[str, Any]) -> None:
        self.kubectl("apply", "-f", "-", input=json.dumps(manifest))

    def initc_log(self, namespace: str, pod: str) -> str:
        """Everything the init runner logged for ``pod`` (its waiter's output included); "" if nothing."""
        logs = sorted((self.cluster.state_dir / "logs" / "initc").glob(f"{namespace}_{pod}_*.log"))
        return "".join(p.read_text(errors="replace") for p in logs)

    def grove(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run the real ``grove`` CLI (same interpreter) against this cluster's state dir."""
        return self.grove_at(self.cluster.state_dir, *args)

    @staticmethod
    def grove_at(state_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
        """Run the real ``grove`` CLI with ``--state-dir state_dir``."""
        return subprocess.run(
            [sys.executable, "-m", "grove", *args, "--state-dir", str(state_dir)],
            capture_output=True, text=True, timeout=120, check=False,
        )


def wait_until(what: str, cond: Callable[[], bool], timeout: float = 30.0, interval: float = 0.3) -> float:
    """Poll ``cond`` until true; return the seconds it took, or fail naming ``what``."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if cond():
            return time.monotonic() - start
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}")
