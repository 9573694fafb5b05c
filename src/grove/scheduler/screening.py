"""Screening a pass's inputs: one bad object is skipped and reported, never fatal to the pass. Pure.

A pod whose resources do not parse (``cpu: lots``), or a Node whose capacity is garbage, used to make
:func:`~grove.scheduler.snapshot.build_snapshot` raise, so every pass failed and retried forever and no
pod anywhere was placed. A real API server refuses such objects (and the embedded cluster now does too,
see :mod:`grove.api.validation.core`), but the scheduler also runs against stores it does not control.
So each node and pod is tried alone first: a node that cannot be read is left out of the snapshot (no
pod lands on it), a pending pod that cannot be read is not placed (its gang waits), a bound pod that
cannot be read is not counted; each comes back with a one-line reason the binder reports as a Warning
event. Verdicts are cached per (uid, resourceVersion), so a steady cluster pays for them once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from grove.api.quantity import QuantityError, resource_amount
from grove.scheduler.snapshot import build_snapshot, pod_constraints, pod_requests

Obj = Mapping[str, Any]
Wire = dict[str, Any]
READ_ERRORS = (QuantityError, TypeError, ValueError, AttributeError, KeyError)


def node_problem(node: Obj) -> str | None:
    """Why the scheduler cannot read ``node``, or None."""
    try:
        build_snapshot([node], [])
    except READ_ERRORS as exc:
        return _describe(exc)
    status = node.get("status") or {}
    for key in ("allocatable", "capacity"):
        if any(v < 0 for v in _amounts(status.get(key))):
            return f"status.{key} holds a negative quantity"
    return None


def pod_problem(pod: Obj) -> str | None:
    """Why the scheduler cannot read ``pod``'s requests or node constraints, or None."""
    try:
        pod_requests(pod)
        pod_constraints(pod)
    except READ_ERRORS as exc:
        return _describe(exc)
    return None


def _amounts(raw: Any) -> list[int]:
    return [resource_amount(str(k), v) for k, v in raw.items()] if isinstance(raw, Mapping) else []


def _describe(exc: Exception) -> str:
    if isinstance(exc, QuantityError):
        return f"invalid resource quantity: {exc}"
    return f"unreadable object ({type(exc).__name__}: {exc})"


@dataclass
class Screened:
    nodes: list[Wire] = field(default_factory=list)
    pods: list[Wire] = field(default_factory=list)
    skipped: list[tuple[Wire, str]] = field(default_factory=list)
    """Each object left out of this pass, with why."""


class Screen:
    """Per-object verdicts, remembered by (kind, uid, resourceVersion) between passes."""

    def __init__(self) -> None:
        self._verdicts: dict[tuple[str, str, str], str | None] = {}

    def _verdict(self, kind: str, obj: Obj) -> str | None:
        meta = obj.get("metadata") or {}
        key = (kind, str(meta.get("uid", "")), str(meta.get("resourceVersion", "")))
        if key not in self._verdicts:
            self._verdicts[key] = node_problem(obj) if kind == "Node" else pod_problem(obj)
        return self._verdicts[key]

    def screen(self, nodes: Iterable[Wire], pods: Iterable[Wire]) -> Screened:
        out = Screened()
        for node in nodes:
            problem = self._verdict("Node", node)
            if problem is None:
                out.nodes.append(node)
            else:
                out.skipped.append((node, problem))
        for pod in pods:
            problem = self._verdict("Pod", pod)
            if problem is None:
                out.pods.append(pod)
            else:
                out.skipped.append((pod, problem))
        if len(self._verdicts) > 4 * (len(out.nodes) + len(out.pods) + len(out.skipped)) + 1024:
            self._verdicts.clear()  # forget objects that are gone (and old resourceVersions)
        return out
