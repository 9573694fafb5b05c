"""``grove sim run --config`` and ``grove validate --config`` with what the Helm chart renders, as a user
runs them (subprocesses): the ConfigMap itself, its ``config.yaml``, or the whole ``helm template``
output. The configuration really changes the outcome as the operator's webhook and controllers would
(topology constraints refused with TAS off; kai-scheduler as the default profile gives kai-scheduler pods
and KAI PodGroups), and the one line naming the configuration goes to stderr, so stdout stays JSON/YAML."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.builders import ctb, pcs
from tests.unit.test_helm_chart import CHART, helm

TAS_OFF = "topology-aware scheduling is disabled in the operator configuration (topologyAwareScheduling.enabled)"


def grove(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "grove", *args], capture_output=True, text=True, timeout=300,
                          env={**os.environ})


def write(tmp: Path, name: str, docs: list[Any]) -> str:
    path = tmp / name
    path.write_text(yaml.safe_dump_all(docs, sort_keys=False))
    return str(path)


def chart(tmp: Path, name: str, *sets: str, only_configmap: bool = True) -> str:
    args = ["template", "grove", str(CHART), "-n", "grove-system"]
    if only_configmap:
        args += ["--show-only", "templates/configmap.yaml"]
    for s in sets:
        args += ["--set", s]
    path = tmp / name
    path.write_text(helm(*args).stdout)
    return str(path)


def config_line(stderr: str) -> str:
    [line] = [ln for ln in stderr.splitlines() if ln.startswith("config: ")]
    return line


def tas_pcs() -> dict[str, Any]:
    return pcs("tas").clique("a", replicas=2).topology("rack").build()


def test_chart_configmap_turns_tas_off_as_the_webhook_does(tmp_path: Path) -> None:
    cm = chart(tmp_path, "cm.yaml")
    manifests = write(tmp_path, "tas.yaml", [tas_pcs(), ctb()])
    assert grove("sim", "run", "-f", manifests, "-o", "json").returncode == 0  # embedded default: TAS on
    out = grove("sim", "run", "-f", manifests, "--config", cm, "-o", "json")
    assert out.returncode == 1 and out.stdout == ""
    assert TAS_OFF in out.stderr and "PodCliqueSet/tas rejected" in out.stderr
    assert config_line(out.stderr) == (
        f"config: {cm} (ConfigMap grove-system/grove-operator-config, data.config.yaml): scheduler profiles "
        "default-scheduler (default), kai-scheduler; topologyAwareScheduling off; network.autoMNNVLEnabled off; "
        "the simulated gang scheduler places pods of every profile")


def test_kai_default_profile_gives_kai_pods_and_podgroups(tmp_path: Path) -> None:
    cm = chart(tmp_path, "cm.yaml", "config.scheduler.defaultProfileName=kai-scheduler")
    workload = pcs("kai").label("kai.scheduler/queue", "default").clique("a", replicas=2).clique("b").build()
    out = grove("sim", "run", "-f", write(tmp_path, "w.yaml", [workload]), "--config", cm, "--until", "ready",
                "-o", "json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)  # stdout is the JSON document alone
    pods = [o for o in doc["objects"] if o["kind"] == "Pod"]
    assert Counter((p["spec"]["schedulerName"], p["status"]["phase"]) for p in pods) == {("kai-scheduler", "Running"): 3}
    assert [o["metadata"]["name"] for o in doc["objects"] if o["apiVersion"].startswith("scheduling.run.ai/")] \
        == ["kai-0"]
    assert "scheduler profiles default-scheduler, kai-scheduler (default)" in config_line(out.stderr)
    # the same workload under the embedded default goes to grove-scheduler
    default = json.loads(grove("sim", "run", "-f", write(tmp_path, "w.yaml", [workload]), "-o", "json").stdout)
    assert {p["spec"]["schedulerName"] for p in default["objects"] if p["kind"] == "Pod"} == {"grove-scheduler"}


@pytest.mark.parametrize("shape", ["config.yaml", "helm-template-all"])
def test_other_shapes_of_the_chart_config(tmp_path: Path, shape: str) -> None:
    if shape == "config.yaml":
        cm = yaml.safe_load(Path(chart(tmp_path, "cm.yaml")).read_text())
        path = tmp_path / "config.yaml"
        path.write_text(cm["data"]["config.yaml"])
        config, source = str(path), str(path)
    else:
        config = chart(tmp_path, "all.yaml", only_configmap=False)
        docs = [d for d in yaml.safe_load_all(Path(config).read_text()) if d]
        index = next(i for i, d in enumerate(docs) if d["kind"] == "ConfigMap")
        source = f"{config}#{index} (ConfigMap grove-system/grove-operator-config, data.config.yaml)"
    out = grove("sim", "run", "-f", write(tmp_path, "tas.yaml", [tas_pcs(), ctb()]), "--config", config)
    assert out.returncode == 1 and TAS_OFF in out.stderr
    assert config_line(out.stderr).startswith(f"config: {source}: scheduler profiles default-scheduler (default)")


@pytest.mark.parametrize(("body", "message"), [
    ({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "grove-operator-config"},
      "data": {"other.yaml": "x: 1"}},
     "ConfigMap grove-operator-config: data.config.yaml: Required value (data keys: other.yaml)"),
    ({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "n"},
      "data": {"config.yaml": "logLevel: loud\n"}},
     "ConfigMap n/c data.config.yaml: logLevel: Unsupported value: 'loud'"),
    ({"apiVersion": "operator.config.grove.io/v1alpha1", "kind": "OperatorConfiguration",
      "scheduler": {"profiles": [{"name": "kai-scheduler"}], "defaultProfileName": "volcano"}},
     "scheduler.defaultProfileName: Invalid value: 'volcano': must be one of the enabled profiles"),
], ids=["configmap-without-key", "configmap-bad-field", "default-profile-not-enabled"])
def test_a_config_the_operator_would_refuse_is_refused(tmp_path: Path, body: dict[str, Any], message: str) -> None:
    config = write(tmp_path, "bad.yaml", [body])
    manifests = write(tmp_path, "w.yaml", [pcs("w").clique("a").build()])
    sim = grove("sim", "run", "-f", manifests, "--config", config)
    assert sim.returncode == 1 and f"error: {config}: " in sim.stderr and message in sim.stderr, sim.stderr
    val = grove("validate", "-f", manifests, "--config", config)
    assert val.returncode == 2 and message in val.stderr, val.stderr
    assert "Traceback" not in sim.stderr + val.stderr


def test_two_configs_in_one_file_is_ambiguous(tmp_path: Path) -> None:
    cfg = {"apiVersion": "operator.config.grove.io/v1alpha1", "kind": "OperatorConfiguration"}
    config = write(tmp_path, "two.yaml", [cfg, {"apiVersion": "v1", "kind": "Service"}, cfg])
    out = grove("sim", "run", "-f", write(tmp_path, "w.yaml", [pcs("w").clique("a").build()]), "--config", config)
    assert out.returncode == 1
    assert (f"{config}: 2 documents (#0, #2) of 3 is an OperatorConfiguration or a ConfigMap with data.config.yaml: "
            "pass a file with exactly one") in out.stderr


def test_validate_with_the_chart_configmap(tmp_path: Path) -> None:
    cm = chart(tmp_path, "cm.yaml")
    manifests = write(tmp_path, "tas.yaml", [tas_pcs(), ctb()])
    out = grove("validate", "-f", manifests, "--config", cm)
    assert out.returncode == 1 and TAS_OFF in out.stderr
    assert "config: " not in out.stdout and "topologyAwareScheduling off" in config_line(out.stderr)
    # with kai-scheduler the default profile, a PodCliqueSet without a KAI queue is refused, as the webhook does
    kai = chart(tmp_path, "kai.yaml", "config.scheduler.defaultProfileName=kai-scheduler")
    plain = write(tmp_path, "plain.yaml", [pcs("plain").clique("a").build()])
    assert grove("validate", "-f", plain, "--config", cm).returncode == 0
    refused = grove("validate", "-f", plain, "--config", kai)
    assert refused.returncode == 1 and "kai-scheduler needs a queue" in refused.stderr
    as_json = grove("validate", "-f", plain, "--config", cm, "-o", "json")
    assert as_json.returncode == 0 and json.loads(as_json.stdout)["kind"] == "List"
    assert config_line(as_json.stderr).startswith(f"config: {cm} (ConfigMap grove-system/grove-operator-config")


def test_auto_mnnvl_sample_scales_without_pod_churn(tmp_path: Path) -> None:
    """Upstream's auto-MNNVL mix (terminationDelay 1s) with ``network.autoMNNVLEnabled``: the sim serves
    NVIDIA's ComputeDomain as a GPU cluster's DRA driver does (without it the operator never started), and
    scaling the PCS 1 -> 2 -> 1 creates each replica's 12 pods once: no gang termination. (It used to
    recreate replica 0 every ~2 s, ~7,600 pods in 120 virtual s: a PodClique's MinAvailableBreached flip
    back to False was lost when diffed against a cache that lagged the operator's own last write.)"""
    from tests.upstream import E2E

    config = write(tmp_path, "config.yaml", [{"network": {"autoMNNVLEnabled": True}}])
    steps = write(tmp_path, "steps.yaml", [[
        {"wait": {"until": "settled", "timeout": "60s"}},
        {"scale": {"kind": "pcs", "name": "mnnvl-mix", "replicas": 2}},
        {"wait": {"until": "settled", "timeout": "60s"}},
        {"scale": {"kind": "pcs", "name": "mnnvl-mix", "replicas": 1}},
        {"wait": {"until": "settled", "timeout": "120s"}},
    ]])
    out = grove("sim", "run", "--config", config, "--nodes", "40", "-f", str(E2E / "auto-mnnvl" / "mnnvl-comprehensive-mix.yaml"),
                "--steps", steps, "--fail-unready", "-o", "json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    reasons = Counter(e["reason"] for e in doc["events"])
    assert reasons["PodCreateSuccessful"] == 24, reasons
    assert reasons["PodCliqueSetReplicaDeleteSuccessful"] == 0, reasons
    kinds = Counter(o["kind"] for o in doc["objects"])
    assert kinds["Pod"] == 12 and kinds["ComputeDomain"] == 5, kinds
    assert doc["clock"] < 100, doc["clock"]  # every wait settled early
