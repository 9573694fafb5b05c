"""The dev cluster's KWOK pod Stages: KWOK's fast defaults, a start-up delay, and init containers that run.

Pure (YAML documents in, YAML documents out), so every rule here has a table test. KWOK plays the first
stage whose selector matches a pod it manages, after the stage's delay (counted from the pod event that
made it match; a later update of the pod restarts the count), and patches the pod status from the
stage's template.

- **Defaults.** With no options the pod stages are KWOK's fast ones (copied by
  hack/build-control-plane.sh): a bound pod turns Running and Ready at once, init containers Completed.
- **Start-up delay** (``PodStageOptions.delay``/``jitter``): the first stage a bound pod goes through
  waits ``delay`` plus up to ``jitter`` seconds, like image pull and container start on a real node. A
  pod annotation ``pod-ready.stage.kwok.x-k8s.io/delay: 10s`` (KWOK's own convention) overrides the
  delay for that pod, with or without the global option.
- **Init containers that really run** (``run_init_containers``): pods with a ``grove-initc`` init
  container leave the fast path. ``pod-init-start`` (after the start-up delay) gives them their IPs and
  leaves them Pending with every init container ``waiting: PodInitializing``; the dev cluster's init
  runner (:mod:`grove.devcluster.initc_runner`) then runs the real waiter and writes the init
  container's state and exit code; ``pod-ready-after-init`` turns the pod Running and Ready once
  ``grove-initc`` reads ``terminated: Completed``, keeping the init statuses the runner wrote. Pods
  without ``grove-initc`` keep KWOK's fast stage.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any

from grove.api.constants import INITC_CONTAINER_NAME

Doc = dict[str, Any]

DELAY_ANNOTATION = "pod-ready.stage.kwok.x-k8s.io/delay"
"""Per-pod start-up delay (a Go duration such as ``10s``), read by the first stage a pod goes through."""

FAST_POD_READY = "pod-ready"
INIT_START = "pod-init-start"
READY_AFTER_INIT = "pod-ready-after-init"

_INITC_NAMES = ".spec.initContainers.[].name"
_INITC_REASON = (f'.status.initContainerStatuses.[] | select( .name == "{INITC_CONTAINER_NAME}" ) '
                 "| .state.terminated.reason")
_NOT_DELETED = {"key": ".metadata.deletionTimestamp", "operator": "DoesNotExist"}
_PENDING = {"key": ".status.phase", "operator": "In", "values": ["Pending"]}
_NOT_READY = {"key": '.status.conditions.[] | select( .type == "Ready" ) | .status', "operator": "NotIn",
              "values": ["True"]}

_DURATION_RE = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*(ms|s|m|h)?\s*$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}


def parse_duration(text: str) -> float:
    """``8s``, ``1500ms``, ``1.5s``, ``2m`` or a bare number of seconds → seconds (>= 0)."""
    m = _DURATION_RE.match(str(text))
    if not m:
        raise ValueError(f"invalid duration {text!r}: use e.g. 8s, 1500ms, 1.5s, 2m")
    return float(m.group(1)) * _UNIT_SECONDS[m.group(2)]


@dataclass(frozen=True)
class PodStageOptions:
    delay: float = 0.0
    """Seconds between KWOK seeing a pod bound and starting it (its first stage)."""
    jitter: float = 0.0
    """Extra random seconds in [0, jitter) added to ``delay``."""
    run_init_containers: bool = False
    """Hold pods with a ``grove-initc`` init container for the init runner (see the module docstring)."""

    def __post_init__(self) -> None:
        if self.delay < 0 or self.jitter < 0:
            raise ValueError("pod start delay and jitter must be >= 0")


def _ms(seconds: float) -> int:
    return round(seconds * 1000)


def start_delay(options: PodStageOptions) -> Doc:
    """The ``spec.delay`` of a pod's first stage. KWOK's jitter is an upper bound (``jitterDuration`` <=
    ``duration`` means exactly ``jitterDuration``), so ``jitter`` is added to ``delay`` here; a per-pod
    delay annotation above ``delay + jitter`` is therefore capped there when a jitter is set."""
    delay: Doc = {
        "durationMilliseconds": _ms(options.delay),
        "durationFrom": {"expressionFrom": f'.metadata.annotations["{DELAY_ANNOTATION}"]'},
    }
    if options.jitter > 0:
        delay["jitterDurationMilliseconds"] = _ms(options.delay + options.jitter)
    return delay


def _stage(name: str, expressions: list[Doc], template: str, delay: Doc | None) -> Doc:
    spec: Doc = {"resourceRef": {"apiGroup": "v1", "kind": "Pod"},
                 "selector": {"matchExpressions": expressions}}
    if delay is not None:
        spec["delay"] = delay
    spec["next"] = {"statusTemplate": template}
    return {"apiVersion": "kwok.x-k8s.io/v1alpha1", "kind": "Stage", "metadata": {"name": name}, "spec": spec}


_IPS = """\
{{ $hostIPs := NodeIPsWith .spec.nodeName }}
{{ with $hostIPs }}
hostIP: {{ index . 0 | Quote }}
hostIPs:
{{ range . }}
- ip: {{ . | Quote }}
{{ end }}
{{ end }}
{{ $podIPs := PodIPsWith .spec.nodeName ( or .spec.hostNetwork false ) ( or .metadata.uid "" ) ( or .metadata.name "" ) ( or .metadata.namespace "" ) }}
{{ with $podIPs }}
podIP: {{ index . 0 | Quote }}
podIPs:
{{ range . }}
- ip: {{ . | Quote }}
{{ end }}
{{ end }}
"""

INIT_START_TEMPLATE = """\
{{ $now := Now }}
conditions:
- lastTransitionTime: {{ $now | Quote }}
  message: 'containers with incomplete status: [{{ range .spec.initContainers }} {{ .name }} {{ end }}]'
  reason: ContainersNotInitialized
  status: "False"
  type: Initialized
- lastTransitionTime: {{ $now | Quote }}
  message: 'containers with unready status: [{{ range .spec.containers }} {{ .name }} {{ end }}]'
  reason: ContainersNotReady
  status: "False"
  type: Ready
- lastTransitionTime: {{ $now | Quote }}
  message: 'containers with unready status: [{{ range .spec.containers }} {{ .name }} {{ end }}]'
  reason: ContainersNotReady
  status: "False"
  type: ContainersReady
initContainerStatuses:
{{ range .spec.initContainers }}
- image: {{ .image | Quote }}
  name: {{ .name | Quote }}
  ready: false
  restartCount: 0
  started: false
  state:
    waiting:
      reason: PodInitializing
{{ end }}
containerStatuses:
{{ range .spec.containers }}
- image: {{ .image | Quote }}
  name: {{ .name | Quote }}
  ready: false
  restartCount: 0
  started: false
  state:
    waiting:
      reason: PodInitializing
{{ end }}
""" + _IPS + """\
phase: Pending
startTime: {{ $now | Quote }}
"""

READY_AFTER_INIT_TEMPLATE = """\
{{ $now := Now }}
conditions:
- lastTransitionTime: {{ $now | Quote }}
  status: "True"
  type: Initialized
- lastTransitionTime: {{ $now | Quote }}
  message: ''
  reason: ''
  status: "True"
  type: Ready
- lastTransitionTime: {{ $now | Quote }}
  message: ''
  reason: ''
  status: "True"
  type: ContainersReady
{{ range .spec.readinessGates }}
- lastTransitionTime: {{ $now | Quote }}
  status: "True"
  type: {{ .conditionType | Quote }}
{{ end }}
containerStatuses:
{{ range .spec.containers }}
- image: {{ .image | Quote }}
  name: {{ .name | Quote }}
  ready: true
  restartCount: 0
  started: true
  state:
    running:
      startedAt: {{ $now | Quote }}
{{ end }}
phase: Running
"""


def init_start_stage(options: PodStageOptions) -> Doc:
    return _stage(INIT_START, [
        _NOT_DELETED, _PENDING,
        {"key": _INITC_NAMES, "operator": "In", "values": [INITC_CONTAINER_NAME]},
        {"key": ".status.podIP", "operator": "DoesNotExist"},
    ], INIT_START_TEMPLATE, start_delay(options))


def ready_after_init_stage() -> Doc:
    return _stage(READY_AFTER_INIT, [
        _NOT_DELETED, _PENDING, _NOT_READY,
        {"key": _INITC_NAMES, "operator": "In", "values": [INITC_CONTAINER_NAME]},
        {"key": _INITC_REASON, "operator": "In", "values": ["Completed"]},
    ], READY_AFTER_INIT_TEMPLATE, None)


def pod_stages(defaults: list[Doc], options: PodStageOptions) -> list[Doc]:
    """KWOK's default stages (any kinds, in order) adjusted for ``options``; the inputs are not mutated.

    The fast ``pod-ready`` stage gets the start-up delay, and with ``run_init_containers`` it no longer
    takes pods with a ``grove-initc`` init container; the two init stages are appended after it."""
    out: list[Doc] = []
    found = False
    for doc in defaults:
        doc = copy.deepcopy(doc)
        if doc.get("kind") == "Stage" and (doc.get("metadata") or {}).get("name") == FAST_POD_READY:
            found = True
            spec = doc["spec"]
            spec["delay"] = start_delay(options)
            if options.run_init_containers:
                exprs = spec.setdefault("selector", {}).setdefault("matchExpressions", [])
                exprs.append({"key": _INITC_NAMES, "operator": "NotIn", "values": [INITC_CONTAINER_NAME]})
            out.append(doc)
            if options.run_init_containers:
                out += [init_start_stage(options), ready_after_init_stage()]
            continue
        out.append(doc)
    if not found:
        raise ValueError(f"KWOK's default stages have no {FAST_POD_READY!r} Stage to adjust")
    return out
