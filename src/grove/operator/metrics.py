"""Prometheus text exposition (format 0.0.4) of what the process is doing, computed at scrape time.

Names follow controller-runtime, so dashboards built for Go operators work unchanged:
``controller_runtime_reconcile_total{controller,result}``, ``controller_runtime_reconcile_errors_total``,
``controller_runtime_reconcile_time_seconds`` (histogram), ``controller_runtime_active_workers``,
``workqueue_depth``, ``leader_election_master_status`` and ``controller_runtime_webhook_requests_total``.
Counters live on the controllers themselves; only reconcile durations need :func:`instrument`, which
wraps each controller's reconcile function once.
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from grove.runtime.controller import Controller
from grove.runtime.manager import Manager

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


@dataclass
class Histogram:
    buckets: tuple[float, ...] = BUCKETS
    counts: list[int] = field(default_factory=lambda: [0] * (len(BUCKETS) + 1))
    total: float = 0.0
    count: int = 0

    def observe(self, value: float) -> None:
        self.counts[bisect.bisect_left(self.buckets, value)] += 1
        self.total += value
        self.count += 1

    def lines(self, name: str, labels: str) -> Iterable[str]:
        cumulative = 0
        for bound, n in zip(self.buckets, self.counts, strict=False):
            cumulative += n
            yield f'{name}_bucket{{{labels},le="{_num(bound)}"}} {cumulative}'
        yield f'{name}_bucket{{{labels},le="+Inf"}} {self.count}'
        yield f"{name}_sum{{{labels}}} {_num(self.total)}"
        yield f"{name}_count{{{labels}}} {self.count}"


def _num(v: float) -> str:
    f = float(v)
    return str(int(f)) if f.is_integer() else repr(f)


def _esc(v: str) -> str:
    return v.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


class Metrics:
    def __init__(self) -> None:
        self.reconcile_time: dict[str, Histogram] = {}
        self.sources: list[Callable[[], Iterable[str]]] = []

    def instrument(self, manager: Manager) -> None:
        """Time every reconcile of every controller registered so far (idempotent per controller)."""
        for ctrl in manager.controllers.values():
            self._wrap(ctrl)

    def _wrap(self, ctrl: Controller) -> None:
        if getattr(ctrl.reconcile, "_grove_timed", False):
            return
        hist = self.reconcile_time.setdefault(ctrl.name, Histogram())
        inner = ctrl.reconcile

        async def timed(req: Any) -> Any:
            start = time.perf_counter()
            try:
                return await inner(req)
            finally:
                hist.observe(time.perf_counter() - start)

        timed._grove_timed = True  # type: ignore[attr-defined]
        ctrl.reconcile = timed

    def render(self, managers: Iterable[Manager], *, leader: dict[str, bool] | None = None) -> str:
        out: list[str] = []
        ctrls = [ctrl for m in managers for ctrl in m.controllers.values()]

        def family(name: str, kind: str, help_: str, rows: Iterable[str]) -> None:
            out.append(f"# HELP {name} {help_}")
            out.append(f"# TYPE {name} {kind}")
            out.extend(rows)

        family("controller_runtime_reconcile_total", "counter", "Total number of reconciliations per controller",
               (f'controller_runtime_reconcile_total{{controller="{_esc(c.name)}",result="{r}"}} {n}'
                for c in ctrls for r, n in (("success", c.reconciles_total - c.errors_total),
                                            ("error", c.errors_total))))
        family("controller_runtime_reconcile_errors_total", "counter",
               "Total number of reconciliation errors per controller",
               (f'controller_runtime_reconcile_errors_total{{controller="{_esc(c.name)}"}} {c.errors_total}'
                for c in ctrls))
        family("controller_runtime_reconcile_time_seconds", "histogram",
               "Length of time per reconciliation per controller",
               (line for c in ctrls if c.name in self.reconcile_time
                for line in self.reconcile_time[c.name].lines("controller_runtime_reconcile_time_seconds",
                                                              f'controller="{_esc(c.name)}"')))
        family("controller_runtime_active_workers", "gauge", "Number of currently used workers per controller",
               (f'controller_runtime_active_workers{{controller="{_esc(c.name)}"}} {c.active}' for c in ctrls))
        family("workqueue_depth", "gauge", "Current depth of workqueue",
               (f'workqueue_depth{{name="{_esc(c.name)}"}} {len(c.queue)}' for c in ctrls))
        family("workqueue_unfinished_work", "gauge", "Items being processed or waiting for a delayed retry",
               (f'workqueue_unfinished_work{{name="{_esc(c.name)}"}} {c.queue.processing + c.queue.waiting}'
                for c in ctrls))
        if leader is not None:
            family("leader_election_master_status", "gauge",
                   "Whether this process is the leader of the named lease (1) or not (0)",
                   (f'leader_election_master_status{{name="{_esc(n)}"}} {int(v)}' for n, v in leader.items()))
        for source in self.sources:
            out.extend(source())
        return "\n".join(out) + "\n"


def webhook_lines(requests: dict[tuple[str, bool], int]) -> list[str]:
    """``controller_runtime_webhook_requests_total{webhook,code}`` from the server's request counter."""
    lines = ["# HELP controller_runtime_webhook_requests_total Total number of admission requests by webhook",
             "# TYPE controller_runtime_webhook_requests_total counter"]
    for (path, allowed), n in sorted(requests.items()):
        lines.append(f'controller_runtime_webhook_requests_total{{webhook="{_esc(path)}",'
                     f'allowed="{str(allowed).lower()}"}} {n}')
    return lines
