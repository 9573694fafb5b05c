"""The steps file of ``grove sim run --steps``: a YAML list, each item one action, run in order.

Parsing is separate from running so a bad file is rejected (exit 1, naming the step) before anything
runs. Only ``advance`` and ``wait`` move the virtual clock; every other step is followed by processing
whatever falls due at the current instant, so snapshots between them show intermediate states.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from grove.api.bounded_yaml import YAMLInputError, decode_utf8, load_one
from grove.api.duration import DurationError, parse_duration
from grove.api.validation.limits import MAX_PODS_PER_PODCLIQUESET


class StepError(ValueError):
    """A malformed step; the message names the step index and what is wrong."""


STEP_KINDS = ("apply", "scale", "patch", "delete", "cordon", "uncordon", "failNode", "deletePod", "killPod",
              "advance", "wait", "snapshot")


@dataclass(frozen=True)
class Step:
    index: int
    action: str
    arg: Any

    def describe(self) -> str:
        return f"step {self.index} ({self.action})"


def _duration(value: Any, where: str) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, str):
        raise StepError(f"{where}: duration must be a string like '30s', got {value!r}")
    try:
        seconds = parse_duration(value)
    except DurationError as exc:
        raise StepError(f"{where}: {exc}") from exc
    if seconds < 0:
        raise StepError(f"{where}: duration must not be negative")
    return seconds


def _ref(value: Any, where: str, *, replicas: bool = False) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise StepError(f"{where}: expected a mapping with kind and name")
    for key in ("kind", "name"):
        if not isinstance(value.get(key), str) or not value[key]:
            raise StepError(f"{where}: '{key}' is required")
    if "namespace" in value and not isinstance(value["namespace"], str):
        raise StepError(f"{where}: 'namespace' must be a string")
    if replicas:
        r = value.get("replicas")
        if not isinstance(r, int) or isinstance(r, bool) or r < 0:
            raise StepError(f"{where}: 'replicas' must be a non-negative integer")
        if r > MAX_PODS_PER_PODCLIQUESET:
            raise StepError(f"{where}: 'replicas' {r} is more than the limit of {MAX_PODS_PER_PODCLIQUESET} "
                            "pods per PodCliqueSet")
    return value


def _node_ref(value: Any, where: str) -> str | dict[str, str]:
    if isinstance(value, str) and value:
        return value
    if isinstance(value, dict) and isinstance(value.get("nodeOf"), str):
        return {"nodeOf": value["nodeOf"]}
    raise StepError(f"{where}: a node is a name or {{nodeOf: POD}}")


def parse_steps(data: Any) -> list[Step]:
    if data is None:
        return []
    if not isinstance(data, list):
        raise StepError("steps file must be a YAML list")
    steps: list[Step] = []
    for i, item in enumerate(data):
        where = f"step {i}"
        if not isinstance(item, dict) or len(item) != 1:
            raise StepError(f"{where}: each step is a mapping with exactly one of: {', '.join(STEP_KINDS)}")
        ((action, arg),) = item.items()
        where = f"step {i} ({action})"
        if action not in STEP_KINDS:
            raise StepError(f"{where}: unknown step; expected one of: {', '.join(STEP_KINDS)}")
        if action == "apply":
            if not isinstance(arg, str | dict | list):
                raise StepError(f"{where}: expected a path or an object")
        elif action == "scale":
            arg = _ref(arg, where, replicas=True)
        elif action == "patch":
            arg = _ref(arg, where)
            if arg.get("type", "merge") not in ("merge", "json"):
                raise StepError(f"{where}: 'type' must be merge or json")
            if "patch" not in arg:
                raise StepError(f"{where}: 'patch' is required")
        elif action == "delete":
            arg = _ref(arg, where)
        elif action in ("cordon", "uncordon"):
            items = arg if isinstance(arg, list) else [arg]
            arg = [_node_ref(n, where) for n in items]
        elif action == "failNode":
            arg = _node_ref(arg, where)
        elif action in ("deletePod", "killPod"):
            if not isinstance(arg, str) or not arg:
                raise StepError(f"{where}: expected a pod name or hostname")
        elif action == "advance":
            arg = _duration(arg, where)
        elif action == "wait":
            if not isinstance(arg, dict) or arg.get("until", "settled") not in ("settled", "ready"):
                raise StepError(f"{where}: expected {{until: settled|ready, timeout: DURATION}}")
            arg = {"until": arg.get("until", "settled"), "timeout": _duration(arg.get("timeout", "10m"), where)}
        elif action == "snapshot" and (not isinstance(arg, str) or not arg):
            raise StepError(f"{where}: expected a snapshot name")
        steps.append(Step(i, action, arg))
    return steps


def load_steps(path: str) -> list[Step]:
    """Read and parse a steps file; StepError names the file and the problem (YAML, UTF-8, a step)."""
    try:
        with open(path, "rb") as fh:
            doc = load_one(decode_utf8(fh.read()))
    except OSError as exc:
        raise StepError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except YAMLInputError as exc:
        raise StepError(f"{path}: {exc}") from exc
    if doc is not None and doc.duplicates:
        raise StepError(f"{path}: {'; '.join(str(d) for d in doc.duplicates)}")
    try:
        return parse_steps(doc.body if doc is not None else None)
    except StepError as exc:
        raise StepError(f"{path}: {exc}") from exc
