"""``grove sim run`` as a user drives it: real subprocesses, the documented JSON contract, steps, errors.

Each test runs the CLI once (a few hundred ms of wall time on virtual time), so the whole file stays fast.
"""

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

from tests.upstream import SHARED

SAMPLES = SHARED / "upstream" / "samples"
SIMPLE1 = SAMPLES / "simple" / "simple1.yaml"


def grove_sim(*args: str, env: dict[str, str] | None = None, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "grove", "sim", "run", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, input=stdin, timeout=300)


def run_json(*args: str, **kw: Any) -> dict[str, Any]:
    out = grove_sim(*args, "-o", "json", **kw)
    assert out.returncode == 0, out.stderr
    doc: dict[str, Any] = json.loads(out.stdout)
    return doc


def kinds(objects: list[dict[str, Any]]) -> Counter[str]:
    return Counter(o["kind"] for o in objects)


def names(objects: list[dict[str, Any]], kind: str) -> set[str]:
    return {o["metadata"]["name"] for o in objects if o["kind"] == kind}


def write(tmp_path: Path, name: str, data: Any) -> str:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data))
    return str(path)


def test_json_contract_and_sample_counts() -> None:
    doc = run_json("-f", str(SIMPLE1), "--until", "ready")
    assert set(doc) == {"objects", "events", "snapshots", "clock"}
    objs = doc["objects"]
    for o in objs:
        assert {"apiVersion", "kind", "metadata"} <= set(o)
    counts = kinds(objs)
    assert (counts["PodClique"], counts["PodCliqueScalingGroup"], counts["Pod"], counts["PodGang"],
            counts["Service"], counts["HorizontalPodAutoscaler"]) == (4, 1, 9, 1, 1, 2)
    assert counts["Node"] == 8  # the default cluster shape when no Node is given
    assert all(o["kind"] != "Event" for o in objs) and doc["events"]
    assert all(p["status"]["phase"] == "Running" for p in objs if p["kind"] == "Pod")
    assert doc["clock"] > 0


def test_steps_scale_snapshot_and_advance(tmp_path: Path) -> None:
    steps = write(tmp_path, "steps.yaml", [
        {"snapshot": "before"},
        {"scale": {"kind": "pcsg", "name": "simple1-0-sga", "replicas": 2}},
        {"snapshot": "created"},
        {"wait": {"until": "settled", "timeout": "5m"}},
        {"snapshot": "settled"},
        {"advance": "90s"},
    ])
    doc = run_json("-f", str(SIMPLE1), "--until", "ready", "--steps", steps)
    assert kinds(doc["snapshots"]["before"]["objects"])["Pod"] == 9
    created = doc["snapshots"]["created"]["objects"]
    assert kinds(created)["Pod"] == 13
    assert "simple1-0-sga-0" in names(created, "PodGang")
    # Between steps the clock does not move: the new pods exist but none is Running yet.
    new = [p for p in created if p["kind"] == "Pod" and "-sga-1-" in p["metadata"]["name"]]
    assert len(new) == 4 and all(p["status"].get("phase") != "Running" for p in new)
    settled = doc["snapshots"]["settled"]["objects"]
    assert sum(1 for p in settled if p["kind"] == "Pod" and p["status"].get("phase") == "Running") == 13
    assert doc["clock"] >= 90


def test_steps_cordon_and_delete_pod_by_hostname(tmp_path: Path) -> None:
    nodes = [{"apiVersion": "v1", "kind": "Node", "metadata": {"name": f"n{i}"},
              "status": {"capacity": {"cpu": "1", "memory": "1Gi", "pods": "110"},
                         "allocatable": {"cpu": "1", "memory": "1Gi", "pods": "110"},
                         "conditions": [{"type": "Ready", "status": "True"}]}} for i in range(3)]
    sample = SAMPLES / "user-guide" / "01_core-concepts" / "single-node-aggregated.yaml"
    steps = write(tmp_path, "steps.yaml", [
        {"cordon": [{"nodeOf": "single-node-aggregated-0-model-worker-0"}]},
        {"deletePod": "single-node-aggregated-0-model-worker-0"},
        {"wait": {"until": "settled", "timeout": "2m"}},
    ])
    doc = run_json("-f", write(tmp_path, "nodes.yaml", {"kind": "List", "apiVersion": "v1", "items": nodes}),
                   "-f", str(sample), "--until", "ready", "--steps", steps)
    pods = [o for o in doc["objects"] if o["kind"] == "Pod"]
    cordoned = {o["metadata"]["name"] for o in doc["objects"] if o["kind"] == "Node"
                and (o.get("spec") or {}).get("unschedulable")}
    assert len(cordoned) == 1
    assert sorted(p["spec"]["hostname"] for p in pods) == ["single-node-aggregated-0-model-worker-0",
                                                          "single-node-aggregated-0-model-worker-1"]
    assert all(p["spec"]["nodeName"] not in cordoned for p in pods if p["spec"]["hostname"].endswith("-0"))


def test_tree_output_shows_hierarchy() -> None:
    out = grove_sim("-f", str(SIMPLE1), "--until", "ready", "-o", "tree")
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert "PodCliqueSet simple1" in text and "PodGang simple1-0" in text
    assert "PodCliqueScalingGroup simple1-0-sga" in text and "PodClique simple1-0-sga-0-pcb" in text
    assert "Pod simple1-0-pca-2 [simple1-0-pca-" in text and "Running Ready" in text


def test_runs_are_deterministic_across_hash_seeds() -> None:
    first = grove_sim("-f", str(SIMPLE1), "--until", "ready", "-o", "json", env={"PYTHONHASHSEED": "1"})
    second = grove_sim("-f", str(SIMPLE1), "--until", "ready", "-o", "json", env={"PYTHONHASHSEED": "2"})
    assert first.returncode == second.returncode == 0
    assert first.stdout == second.stdout
    other_seed = grove_sim("-f", str(SIMPLE1), "--until", "ready", "-o", "json", "--seed", "7")
    assert json.loads(other_seed.stdout)["objects"] != json.loads(first.stdout)["objects"]


def test_rejected_manifest_exits_1_with_field_path(tmp_path: Path) -> None:
    bad = yaml.safe_load(SIMPLE1.read_text())
    bad["spec"]["template"]["cliques"][1]["spec"]["minAvailable"] = 5
    out = grove_sim("-f", write(tmp_path, "bad.yaml", bad))
    assert out.returncode == 1
    assert "spec.template.cliques[1].spec.minAvailable" in out.stderr
    assert "Traceback" not in out.stderr


@pytest.mark.parametrize(("steps", "message"), [
    ([{"explode": {}}], "unknown step"),
    ([{"scale": {"kind": "pcs", "name": "simple1"}}], "replicas"),
    ([{"advance": "soon"}], "invalid duration"),
    ([{"scale": {"kind": "widget", "name": "x", "replicas": 1}}], "unknown kind"),
    ([{"deletePod": "no-such-pod"}], "no pod named"),
    ("not a list", "must be a YAML list"),
])
def test_bad_steps_exit_1_with_a_clear_message(tmp_path: Path, steps: Any, message: str) -> None:
    out = grove_sim("-f", str(SIMPLE1), "--steps", write(tmp_path, "steps.yaml", steps))
    assert out.returncode == 1
    assert message in out.stderr and "Traceback" not in out.stderr


def test_missing_file_and_stdin() -> None:
    missing = grove_sim("-f", "/nonexistent/x.yaml")
    assert missing.returncode == 1 and "no such file" in missing.stderr
    doc = run_json("-f", "-", stdin=SIMPLE1.read_text())
    assert kinds(doc["objects"])["Pod"] == 9


def test_other_kubernetes_objects_are_stored_as_given(tmp_path: Path) -> None:
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings", "namespace": "team-a"},
          "data": {"k": "v"}}
    doc = run_json("-f", write(tmp_path, "cm.yaml", cm), "--nodes", "2")
    stored = [o for o in doc["objects"] if o["kind"] == "ConfigMap" and o["metadata"]["name"] == "settings"]
    assert stored and stored[0]["data"] == {"k": "v"} and stored[0]["metadata"]["namespace"] == "team-a"
    assert kinds(doc["objects"])["Node"] == 2
