"""``grove operator`` start-up checks on the real control plane (spec §10.3): the session cluster serves
neither ComputeDomains nor Volcano PodGroups, so enabling Auto-MNNVL exits 7 and the volcano profile exits
5, each before anything is served, with a message naming the setting and a Warning event for Volcano."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.harness import E2ECluster
from tests.e2e.operator_support import ChartProcess, chart_installed, install_crds

pytestmark = pytest.mark.e2e


class Done:
    def __init__(self, returncode: int, stderr: str) -> None:
        self.returncode, self.stderr = returncode, stderr


def _run_operator(c: E2ECluster, tmp: Path, config: dict[str, Any]) -> Done:
    """The chart installed with ``config`` merged into its OperatorConfiguration, then its operator run
    (chart args, env, ConfigMap and ServiceAccount token) until it exits."""
    with chart_installed(c, tmp, values={"config": config}) as release:
        proc = ChartProcess(release, "operator", "preflight").start()
        try:
            code = proc.p.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            pytest.fail(f"the operator did not stop at its start-up checks:\n{proc.tail()}")
        proc.stop()
        return Done(code, proc.text())


def test_auto_mnnvl_without_compute_domains_exits_7(e2e_cluster: E2ECluster, tmp_path: Path) -> None:
    done = _run_operator(e2e_cluster, tmp_path, {"network": {"autoMNNVLEnabled": True}})
    assert done.returncode == 7, done.stderr
    assert "network.autoMNNVLEnabled is true but the cluster does not serve computedomains" in done.stderr


def test_volcano_profile_without_volcano_exits_5(e2e_cluster: E2ECluster, tmp_path: Path) -> None:
    done = _run_operator(e2e_cluster, tmp_path, {"scheduler": {"profiles": [{"name": "default-scheduler"},
                                                                            {"name": "volcano"}]}})
    assert done.returncode == 5, done.stderr
    assert "volcano scheduler profile needs Volcano 1.14" in done.stderr
    events = e2e_cluster.kubectl_json("get", "events", "-A",
                                      "--field-selector", "reason=VolcanoCapabilityUnavailable")["items"]
    assert any(e["involvedObject"]["name"] == "podgroups.scheduling.volcano.sh" for e in events), events


def test_binding_without_kai_topology_kind_exits_3(e2e_cluster: E2ECluster, tmp_path: Path) -> None:
    """The session cluster has no KAI CRDs: a ClusterTopologyBinding whose Topology cannot be synced stops
    start-up (spec §5.4). The binding is removed again, since the other tests' operators enable KAI."""
    binding = {"apiVersion": "grove.io/v1alpha1", "kind": "ClusterTopologyBinding",
               "metadata": {"name": "preflight-topology"},
               "spec": {"levels": [{"domain": "rack", "key": "kubernetes.io/rack"},
                                   {"domain": "host", "key": "kubernetes.io/hostname"}]}}
    install_crds(e2e_cluster)
    e2e_cluster.kubectl("apply", "-f", "-", input=json.dumps(binding))
    try:
        done = _run_operator(e2e_cluster, tmp_path, {"scheduler": {"profiles": [{"name": "default-scheduler"},
                                                                                {"name": "kai-scheduler"}]}})
    finally:
        e2e_cluster.kubectl("delete", "clustertopologybinding", "preflight-topology", "--wait=true")
    assert done.returncode == 3, done.stderr
    assert "preflight-topology" in done.stderr and "kai-scheduler" in done.stderr
