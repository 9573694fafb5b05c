"""The dev cluster's KWOK pod stages: the start-up delay lands on the first stage every bound pod goes
through, and with the init runner on, pods with ``grove-initc`` leave KWOK's fast path for the two init
stages while every other pod keeps it. Selectors are evaluated here the way KWOK evaluates the few jq
forms they use, so the test says which stage a given pod would play."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from grove.devcluster.stages import (
    DELAY_ANNOTATION,
    INIT_START,
    READY_AFTER_INIT,
    PodStageOptions,
    parse_duration,
    pod_stages,
)

# KWOK v0.8.0 kustomize/stage/pod/fast/pod-ready.yaml, selector and shape (template trimmed)
FAST_READY = yaml.safe_load("""
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: pod-ready
spec:
  resourceRef: {apiGroup: v1, kind: Pod}
  selector:
    matchExpressions:
    - key: '.metadata.deletionTimestamp'
      operator: 'DoesNotExist'
    - key: '.status.phase'
      operator: 'In'
      values: ['Pending']
    - key: '.status.conditions.[] | select( .type == "Ready" ) | .status'
      operator: 'NotIn'
      values: ['True']
  next:
    statusTemplate: |
      phase: Running
""")
POD_DELETE = {"apiVersion": "kwok.x-k8s.io/v1alpha1", "kind": "Stage", "metadata": {"name": "pod-delete"},
              "spec": {"resourceRef": {"apiGroup": "v1", "kind": "Pod"},
                       "selector": {"matchExpressions": [{"key": ".metadata.deletionTimestamp",
                                                          "operator": "Exists"}]},
                       "next": {"delete": True}}}
DEFAULTS = [FAST_READY, POD_DELETE]


def _query(obj: Any, key: str) -> list[Any]:
    """The jq forms our selectors use: ``.a.b``, ``.a.[].b`` and ``.a.[] | select( .k == "v" ) | .b``."""
    parts = [p.strip() for p in key.split("|")]
    values: list[Any] = [obj]
    for part in parts:
        if part.startswith("select("):
            field, want = part[len("select("):-1].split("==")
            field, want = field.strip().lstrip("."), want.strip().strip('"')
            values = [v for v in values if isinstance(v, dict) and v.get(field) == want]
            continue
        for seg in part.lstrip(".").split("."):
            out: list[Any] = []
            for v in values:
                if seg == "[]":
                    out += v if isinstance(v, list) else []
                elif seg.startswith('annotations["'):
                    ann = (v.get("annotations") or {}) if isinstance(v, dict) else {}
                    out.append(ann.get(seg[len('annotations["'):-2]))
                elif isinstance(v, dict) and seg in v:
                    out.append(v[seg])
            values = [v for v in out if v is not None]
    return values


def _matches(stage: dict[str, Any], pod: dict[str, Any]) -> bool:
    for expr in stage["spec"]["selector"]["matchExpressions"]:
        got = [str(v) for v in _query(pod, expr["key"])]
        op, vals = expr["operator"], expr.get("values", [])
        ok = {"In": bool(set(got) & set(vals)), "NotIn": not set(got) & set(vals),
              "Exists": bool(got), "DoesNotExist": not got}[op]
        if not ok:
            return False
    return True


def _played(stages: list[dict[str, Any]], pod: dict[str, Any]) -> str | None:
    return next((s["metadata"]["name"] for s in stages if s["kind"] == "Stage" and _matches(s, pod)), None)


def _pod(init: list[str] = (), **status: Any) -> dict[str, Any]:  # type: ignore[assignment]
    pod: dict[str, Any] = {"metadata": {"name": "p", "annotations": {}},
                           "spec": {"nodeName": "kwok-node-0", "containers": [{"name": "main"}]},
                           "status": {"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "True"}]}}
    if init:
        pod["spec"]["initContainers"] = [{"name": n} for n in init]
    pod["status"].update(status)
    return pod


def test_default_options_keep_kwok_fast_stages_for_every_pod() -> None:
    stages = pod_stages(DEFAULTS, PodStageOptions())
    assert [s["metadata"]["name"] for s in stages] == ["pod-ready", "pod-delete"]
    assert _played(stages, _pod()) == "pod-ready"
    assert _played(stages, _pod(init=["grove-initc"])) == "pod-ready"
    assert stages[0]["spec"]["delay"]["durationMilliseconds"] == 0  # instant unless a pod asks
    assert DEFAULTS[0] == FAST_READY and "delay" not in FAST_READY["spec"], "input must not be mutated"


def test_start_delay_and_jitter_land_on_the_first_stage_with_a_per_pod_override() -> None:
    stages = pod_stages(DEFAULTS, PodStageOptions(delay=6, jitter=2, run_init_containers=True))
    by_name = {s["metadata"]["name"]: s for s in stages}
    for first in ("pod-ready", INIT_START):
        delay = by_name[first]["spec"]["delay"]
        # KWOK: jitterDuration is the upper bound of a uniform pick above duration
        assert (delay["durationMilliseconds"], delay["jitterDurationMilliseconds"]) == (6000, 8000)
        assert DELAY_ANNOTATION in delay["durationFrom"]["expressionFrom"]
    assert "delay" not in by_name[READY_AFTER_INIT]["spec"], "the ready stage after the init must not wait again"


def test_runner_on_sends_initc_pods_through_the_init_stages_and_others_through_the_fast_one() -> None:
    stages = pod_stages(DEFAULTS, PodStageOptions(run_init_containers=True))
    assert [s["metadata"]["name"] for s in stages] == ["pod-ready", INIT_START, READY_AFTER_INIT, "pod-delete"]
    assert _played(stages, _pod()) == "pod-ready"
    assert _played(stages, _pod(init=["user-init"])) == "pod-ready"

    fresh = _pod(init=["user-init", "grove-initc"])
    assert _played(stages, fresh) == INIT_START
    started = _pod(init=["grove-initc"], podIP="10.244.0.5",
                   initContainerStatuses=[{"name": "grove-initc", "state": {"waiting": {"reason": "PodInitializing"}}}])
    assert _played(stages, started) is None, "KWOK must leave a started init pod to the runner"
    running = copy.deepcopy(started)
    running["status"]["initContainerStatuses"][0]["state"] = {"running": {"startedAt": "t"}}
    assert _played(stages, running) is None
    failed = copy.deepcopy(started)
    failed["status"]["initContainerStatuses"][0]["state"] = {"terminated": {"exitCode": 1, "reason": "Error"}}
    assert _played(stages, failed) is None, "a failed waiter must keep the pod not Ready"
    done = copy.deepcopy(started)
    done["status"]["initContainerStatuses"][0]["state"] = {"terminated": {"exitCode": 0, "reason": "Completed"}}
    assert _played(stages, done) == READY_AFTER_INIT
    ready = copy.deepcopy(done)
    ready["status"].update(phase="Running", conditions=[{"type": "Ready", "status": "True"}])
    assert _played(stages, ready) is None
    deleting = copy.deepcopy(fresh)
    deleting["metadata"]["deletionTimestamp"] = "t"
    assert _played(stages, deleting) == "pod-delete"


def test_ready_after_init_keeps_the_runner_written_init_statuses() -> None:
    (stage,) = [s for s in pod_stages(DEFAULTS, PodStageOptions(run_init_containers=True))
                if s["metadata"]["name"] == READY_AFTER_INIT]
    template = stage["spec"]["next"]["statusTemplate"]
    assert "initContainerStatuses" not in template  # strategic merge leaves the runner's exit code in place
    assert "phase: Running" in template and "type: Ready" in template


def test_missing_fast_ready_stage_is_an_error() -> None:
    with pytest.raises(ValueError, match="pod-ready"):
        pod_stages([POD_DELETE], PodStageOptions())


@pytest.mark.parametrize(("text", "seconds"), [("8s", 8.0), ("1500ms", 1.5), ("1.5s", 1.5), ("2m", 120.0),
                                               ("0", 0.0), ("3", 3.0)])
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "-1s", "eight", "8 sec", "1h30m"])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="invalid duration"):
        parse_duration(text)


def test_negative_options_are_rejected() -> None:
    with pytest.raises(ValueError):
        PodStageOptions(delay=-1)


def test_kwok_config_file_round_trips_with_readable_templates(tmp_path: Any) -> None:
    from grove.devcluster.binaries import KWOK_STAGE_FILES, ControlPlaneBinaries
    from grove.devcluster.components import kwok_config

    bins = ControlPlaneBinaries(tmp_path)
    bins.stages_dir.mkdir(parents=True)
    node = {"apiVersion": "kwok.x-k8s.io/v1alpha1", "kind": "Stage", "metadata": {"name": "node-x"}, "spec": {}}
    contents = {"pod-ready.yaml": FAST_READY, "pod-delete.yaml": POD_DELETE}
    for name in KWOK_STAGE_FILES:
        (bins.stages_dir / name).write_text(yaml.safe_dump(contents.get(name, node | {"metadata": {"name": name}})))
    text = kwok_config(bins, PodStageOptions(delay=6, run_init_containers=True))
    docs = list(yaml.safe_load_all(text))
    names = [d["metadata"]["name"] for d in docs]
    assert names[:2] == ["node-initialize.yaml", "node-heartbeat-with-lease.yaml"]
    assert names[2:5] == ["pod-ready", INIT_START, READY_AFTER_INIT]
    assert "statusTemplate: |" in text, "templates stay literal blocks"
    assert docs[3]["spec"]["next"]["statusTemplate"].startswith("{{ $now := Now }}")


def test_e2e_session_cluster_switches_from_the_environment() -> None:
    from tests.e2e.harness import cluster_options_from_env

    assert cluster_options_from_env({}) == {"pod_start_delay": 0.0, "pod_start_jitter": 0.0, "initc_runner": True}
    assert cluster_options_from_env({"GROVE_E2E_POD_START_DELAY": "6s", "GROVE_E2E_POD_START_JITTER": "500ms",
                                     "GROVE_E2E_INITC_RUNNER": "0"}) == {
        "pod_start_delay": 6.0, "pod_start_jitter": 0.5, "initc_runner": False}
