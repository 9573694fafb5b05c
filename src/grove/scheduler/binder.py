"""The gang scheduler's I/O: one runtime controller, ``grove-scheduler``, that plans and binds.

Every relevant event (a schedulable pod of ours appears or changes, a bound pod goes away or
terminates, a node changes capacity/cordon/readiness/labels/taints, a PodGang or
ClusterTopologyBinding changes) enqueues the same key, so each pass sees the whole picture and
repeated events collapse into one pass. A pass:

1. reads nodes, pods, PodGangs and ClusterTopologyBindings from the manager's informer caches, and
   overlays the bindings this process made that the pod cache has not seen yet ("assumed" pods, as
   kube-scheduler does), so capacity is never handed out twice;
2. collects the work (:func:`grove.scheduler.work.collect_work`): ordered gangs and singleton pods;
3. per topology (gangs naming the same ClusterTopologyBinding, in order), builds a snapshot and plans in
   two phases: every gang's minimum first, then the pods beyond the minimum of the gangs that made it;
4. applies: binds each planned pod (``pods/binding``; Conflict/NotFound mean the pod moved on and are
   skipped), records a ``Scheduled`` event, and for each pod left unschedulable sets
   ``PodScheduled=False/Unschedulable`` with the plan's message and records a Warning ``Unschedulable``
   event from the scheduler the pod asked for (only when the message changed, so a quiet cluster stays
   quiet and the simulation settles).

Nothing here is embedded-only: the same controller runs in the ``grove scheduler`` process against a
real API server through the same :class:`~grove.kube.client.KubeClient`. Unschedulable work is retried
on events only (no timer).
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from grove.api import constants as c
from grove.api.models.config import OperatorConfiguration
from grove.kube.clock import rfc3339
from grove.kube.errors import ApiError, Conflict, NotFound
from grove.runtime.controller import Controller, Result
from grove.runtime.events import EventRecorder
from grove.runtime.handlers import Request
from grove.runtime.manager import Manager
from grove.runtime.predicates import Funcs
from grove.scheduler.placement import Plan, plan_placement
from grove.scheduler.screening import Screen
from grove.scheduler.snapshot import TERMINAL_PHASES, build_snapshot, pod_key, topology_keys_of
from grove.scheduler.spread import SpreadPeers, spread_peers
from grove.scheduler.work import (
    WorkItem,
    collect_work,
    has_extras,
    is_pending,
    is_schedulable,
    minimum_only,
    scheduler_of,
)

log = logging.getLogger(__name__)

Obj = dict[str, Any]
CONTROLLER_NAME = "grove-scheduler"
KEY = Request(None, CONTROLLER_NAME)
REASON_UNSCHEDULABLE = "Unschedulable"
REASON_SCHEDULED = "Scheduled"
REASON_FAILED_SCHEDULING = "FailedScheduling"
REASON_INVALID_NODE = "InvalidNodeStatus"
NODE_API = ("v1", "Node")
POD_API = ("v1", "Pod")
PODGANG_API = (c.SCHEDULER_API_VERSION, c.KIND_PODGANG)
CTB_API = (c.API_VERSION, c.KIND_CTB)


@dataclass
class PassResult:
    """What one pass decided (also returned for tests and the bench)."""

    bindings: list[tuple[str, str]] = field(default_factory=list)
    unschedulable: dict[str, str] = field(default_factory=dict)
    skipped: list[tuple[Obj, str]] = field(default_factory=list)
    """Nodes and pods this pass could not read (see :mod:`grove.scheduler.screening`), with why."""
    notes: dict[str, str] = field(default_factory=dict)
    """Pod -> what its gang's placement reports beyond success (a ScheduleAnyway spread's skew)."""


# -- watch filters ---------------------------------------------------------------------------------


def _ready(node: Obj) -> bool:
    for cond in (node.get("status") or {}).get("conditions") or ():
        if cond.get("type") == "Ready":
            return bool(cond.get("status") == "True")
    return False


def node_changed(old: Obj, new: Obj) -> bool:
    """A node update that can change placement: cordon, taints, labels, allocatable, readiness."""
    o_spec, n_spec = old.get("spec") or {}, new.get("spec") or {}
    return (
        bool(o_spec.get("unschedulable")) != bool(n_spec.get("unschedulable"))
        or o_spec.get("taints") != n_spec.get("taints")
        or (old.get("metadata") or {}).get("labels") != (new.get("metadata") or {}).get("labels")
        or (old.get("status") or {}).get("allocatable") != (new.get("status") or {}).get("allocatable")
        or _ready(old) != _ready(new)
    )


def _holds_capacity(pod: Obj) -> bool:
    return bool((pod.get("spec") or {}).get("nodeName")) and (pod.get("status") or {}).get(
        "phase"
    ) not in TERMINAL_PHASES


class PodFilter(Funcs):
    """Pod events that matter: a schedulable pod of ours appears or its spec/labels change, or a pod
    stops holding node capacity (deleted or terminated)."""

    def __init__(self, answer_for: Collection[str]) -> None:
        self.answer_for = frozenset(answer_for)
        super().__init__(create=self._ours, update=self._update, delete=self._delete)

    def _ours(self, pod: Obj) -> bool:
        return is_schedulable(pod) and scheduler_of(pod) in self.answer_for

    def _update(self, old: Obj, new: Obj) -> bool:
        if self._ours(new):
            return (
                not self._ours(old)
                or old.get("spec") != new.get("spec")
                or (old.get("metadata") or {}).get("labels") != (new.get("metadata") or {}).get("labels")
            )
        return _holds_capacity(old) and not _holds_capacity(new)

    def _delete(self, pod: Obj) -> bool:
        return _holds_capacity(pod) or self._ours(pod)


def _spec_or_meta_changed(old: Obj, new: Obj) -> bool:
    om, nm = old.get("metadata") or {}, new.get("metadata") or {}
    return (
        old.get("spec") != new.get("spec")
        or om.get("labels") != nm.get("labels")
        or om.get("annotations") != nm.get("annotations")
    )


# -- the scheduler ---------------------------------------------------------------------------------


def answered_names(config: OperatorConfiguration) -> frozenset[str]:
    """Scheduler names this process answers for: every enabled profile (the embedded cluster has no
    other scheduler). A real deployment that keeps kube-scheduler passes its own set instead."""
    return frozenset(config.scheduler.enabled_names())


class GangScheduler:
    def __init__(self, manager: Manager, answer_for: Collection[str]) -> None:
        self.manager = manager
        self.client = manager.client
        self.clock = manager.clock
        self.answer_for = frozenset(answer_for)
        self.nodes = manager.cache(*NODE_API)
        self.pods = manager.cache(*POD_API)
        self.podgangs = manager.cache(*PODGANG_API)
        self.bindings_ctb = manager.cache(*CTB_API)
        self._assumed: dict[str, tuple[str, str]] = {}  # pod key -> (uid, node) bound, cache not caught up
        self._reported: dict[str, str] = {}  # pod uid -> last Unschedulable message reported
        self._skip_reported: dict[str, str] = {}  # node/pod uid -> last skip message reported
        self.screen = Screen()
        self._recorders: dict[str, EventRecorder] = {}
        self.controller: Controller | None = None
        self.passes = 0
        self.bound_total = 0

    def recorder(self, component: str) -> EventRecorder:
        rec = self._recorders.get(component)
        if rec is None:
            rec = self._recorders[component] = EventRecorder(self.client, self.clock, component)
        return rec

    # -- planning ----------------------------------------------------------------------------------

    def _current_pods(self) -> list[Obj]:
        """Cached pods with the assumed bindings applied (and stale assumptions forgotten)."""
        out: list[Obj] = []
        seen: set[str] = set()
        for pod in self.pods.list():
            key = pod_key(pod)
            seen.add(key)
            assumed = self._assumed.get(key)
            if assumed is not None:
                uid, node = assumed
                if (pod.get("metadata") or {}).get("uid") != uid or (pod.get("spec") or {}).get("nodeName"):
                    del self._assumed[key]
                else:
                    pod = {**pod, "spec": {**(pod.get("spec") or {}), "nodeName": node}}
            out.append(pod)
        for key in [k for k in self._assumed if k not in seen]:
            del self._assumed[key]
        return out

    def plan(self) -> tuple[PassResult, dict[str, Obj]]:
        """Plan one pass from the caches; returns the decisions and the pods by key."""
        screened = self.screen.screen(self.nodes.list(), self._current_pods())
        nodes, pods = screened.nodes, screened.pods
        by_key = {pod_key(p): p for p in pods}
        work = collect_work(pods, self.podgangs.list(), self.answer_for)
        result = PassResult(skipped=screened.skipped)
        if not work:
            return result, by_key
        ctbs = {(b.get("metadata") or {}).get("name"): b for b in self.bindings_ctb.list()}
        spreading = any(w.gang.spread or any(c.spread for c in w.gang.group_configs) for w in work)
        peers = spread_peers(self.podgangs.list()) if spreading else SpreadPeers()
        for topology, items in _runs(work):
            keys = topology_keys_of(ctbs.get(topology)) if topology else ()
            levels = ((ctbs.get(topology) or {}).get("spec") or {}).get("levels") or () if topology else ()
            names = {str(lv.get("key")): str(lv.get("domain")) for lv in levels}
            placed = dict(result.bindings)
            _plan_run(nodes, _with_nodes(pods, placed), keys, items, result, peers, names)
        for key, _ in result.bindings:
            result.unschedulable.pop(key, None)
        return result, by_key

    # -- applying ----------------------------------------------------------------------------------

    async def reconcile(self, _req: Request) -> Result | None:
        self.passes += 1
        result, by_key = self.plan()
        failed = False
        for key, node in result.bindings:
            failed |= not await self._bind(by_key[key], node, result.notes.get(key))
        pending_uids = set()
        for key, message in sorted(result.unschedulable.items()):
            pod = by_key.get(key)
            if pod is None:
                continue
            pending_uids.add(str((pod.get("metadata") or {}).get("uid")))
            failed |= not await self._report(pod, message)
        live = {str((p.get("metadata") or {}).get("uid")) for p in by_key.values() if is_pending(p)}
        for uid in [u for u in self._reported if u not in live]:
            del self._reported[uid]
        await self._report_skipped(result.skipped)
        return Result(requeue=True) if failed else None

    async def _report_skipped(self, skipped: Sequence[tuple[Obj, str]]) -> None:
        """A Warning event on each object the pass had to leave out, once per message."""
        current: dict[str, str] = {}
        for obj, message in skipped:
            uid = str((obj.get("metadata") or {}).get("uid"))
            current[uid] = message
            if self._skip_reported.get(uid) == message:
                continue
            is_node = obj.get("kind") == "Node"
            log.warning("%s %s skipped: %s", obj.get("kind"), (obj.get("metadata") or {}).get("name"), message)
            component = CONTROLLER_NAME if is_node else scheduler_of(obj)
            reason = REASON_INVALID_NODE if is_node else REASON_FAILED_SCHEDULING
            verb = "not used for scheduling" if is_node else "not scheduled"
            await self.recorder(component).warning(obj, reason, f"{verb}: {message}")
        self._skip_reported = current

    async def _bind(self, pod: Obj, node: str, note: str | None = None) -> bool:
        meta = pod.get("metadata") or {}
        namespace, name, uid = meta.get("namespace") or "default", str(meta.get("name")), str(meta.get("uid"))
        try:
            await self.client.bind(namespace, name, node, pod_uid=uid)
        except (Conflict, NotFound) as exc:
            log.info("binding %s/%s to %s skipped: %s", namespace, name, node, exc)
            return True
        except ApiError as exc:
            log.warning("binding %s/%s to %s failed: %s", namespace, name, node, exc)
            return False
        self._assumed[f"{namespace}/{name}"] = (uid, node)
        self._reported.pop(uid, None)
        self.bound_total += 1
        message = f"Successfully assigned {namespace}/{name} to {node}"
        await self.recorder(scheduler_of(pod)).normal(pod, REASON_SCHEDULED, f"{message}; {note}" if note else message)
        return True

    async def _report(self, pod: Obj, message: str) -> bool:
        meta = pod.get("metadata") or {}
        uid = str(meta.get("uid"))
        ok = True
        conditions = list((pod.get("status") or {}).get("conditions") or ())
        current = next((cd for cd in conditions if cd.get("type") == "PodScheduled"), None)
        if current is None or (current.get("status"), current.get("reason"), current.get("message")) != (
            "False",
            REASON_UNSCHEDULABLE,
            message,
        ):
            since = rfc3339(self.clock.now())
            if current is not None and current.get("status") == "False":
                since = current.get("lastTransitionTime") or since
            new = {
                "type": "PodScheduled",
                "status": "False",
                "reason": REASON_UNSCHEDULABLE,
                "message": message,
                "lastTransitionTime": since,
            }
            conditions = [cd for cd in conditions if cd.get("type") != "PodScheduled"] + [new]
            try:
                await self.client.patch(
                    "v1",
                    "Pod",
                    str(meta.get("name")),
                    {"status": {"conditions": conditions}},
                    namespace=meta.get("namespace") or "default",
                    subresource="status",
                )
            except (Conflict, NotFound):
                return True
            except ApiError as exc:
                log.warning("could not set PodScheduled on %s: %s", meta.get("name"), exc)
                ok = False
        if self._reported.get(uid) != message:
            self._reported[uid] = message
            await self.recorder(scheduler_of(pod)).warning(pod, REASON_UNSCHEDULABLE, message)
        return ok


def _with_nodes(pods: Sequence[Obj], placed: Mapping[str, str]) -> list[Obj]:
    if not placed:
        return list(pods)
    out = []
    for pod in pods:
        node = placed.get(pod_key(pod))
        out.append({**pod, "spec": {**(pod.get("spec") or {}), "nodeName": node}} if node else pod)
    return out


def _runs(work: Sequence[WorkItem]) -> list[tuple[str | None, list[WorkItem]]]:
    """Work split by topology, order kept inside each run; gangs without topology (and singletons)
    join the first run, so a cluster with one topology plans everything in one run."""
    runs: dict[str | None, list[WorkItem]] = {}
    first = next((w.topology for w in work if w.topology), None)
    for item in work:
        runs.setdefault(item.topology or first, []).append(item)
    return list(runs.items())


def _short(message: str) -> str:
    """A singleton's message in kube-scheduler words (no gang arithmetic)."""
    head = message.partition("; gang needs ")[0]
    return head if head.endswith(".") else head + "."


def _plan_run(
    nodes: Sequence[Obj],
    pods: Sequence[Obj],
    keys: Sequence[str],
    items: Sequence[WorkItem],
    out: PassResult,
    peers: SpreadPeers | None = None,
    level_names: Mapping[str, str] | None = None,
) -> None:
    snapshot = build_snapshot(nodes, pods, keys)
    first = plan_placement(snapshot, [minimum_only(w.gang, snapshot) for w in items], peers, level_names)
    out.bindings.extend(first.bindings)
    _collect_failures(first, items, snapshot.pending, out)
    _collect_notes(first, items, out)
    scheduled = {name for name, o in first.gangs.items() if o.status == "Scheduled"}
    growing = {
        w.gang.name for w in items if not w.singleton and w.gang.name in scheduled and has_extras(w.gang, snapshot)
    }
    if not growing:
        return
    needed = {w.base for w in items if w.gang.name in growing and w.gang.same_domain_as and w.base}
    second = [w.gang for w in items if w.gang.name in growing or w.gang.name in needed]
    placed = dict(first.bindings)
    snapshot2 = build_snapshot(nodes, _with_nodes(pods, placed), keys)
    extra = plan_placement(snapshot2, second, peers, level_names)
    out.bindings.extend(extra.bindings)
    out.unschedulable.update(extra.unschedulable)


def _collect_notes(plan: Plan, items: Iterable[WorkItem], out: PassResult) -> None:
    """The spread notes of scheduled gangs, per pod the plan bound."""
    bound = {key for key, _ in plan.bindings}
    for item in items:
        outcome = plan.gangs.get(item.gang.name)
        if outcome is None or outcome.status != "Scheduled" or "spread:" not in outcome.message:
            continue
        note = "; ".join(part for part in outcome.message.split("; ") if part.startswith("spread:"))
        for group in item.gang.groups:
            for key in group.pods:
                if key in bound:
                    out.notes[key] = note


def _collect_failures(plan: Plan, items: Iterable[WorkItem], pending: Mapping[str, Any], out: PassResult) -> None:
    """Every schedulable pod of a gang that failed its minimum gets the gang's message."""
    for item in items:
        outcome = plan.gangs.get(item.gang.name)
        if outcome is None or outcome.status != "Unschedulable":
            continue
        message = _short(outcome.message) if item.singleton else outcome.message
        for group in item.gang.groups:
            for key in group.pods:
                info = pending.get(key)
                if info is not None and not info.gated:
                    out.unschedulable[key] = message
    for key, message in plan.unschedulable.items():
        out.unschedulable.setdefault(key, message)


def setup_scheduler(
    manager: Manager, *, config: OperatorConfiguration, scheduler_names: Collection[str] | None = None
) -> GangScheduler:
    """Register the ``grove-scheduler`` controller on ``manager`` (idleness covers it).

    ``scheduler_names``: the ``spec.schedulerName`` values to answer for; default every enabled
    profile of ``config`` (right for the embedded cluster, where no other scheduler runs)."""
    names = frozenset(scheduler_names) if scheduler_names is not None else answered_names(config)
    scheduler = GangScheduler(manager, names)
    mapper = _to_key
    ctrl: Controller = (
        manager.builder(CONTROLLER_NAME)
        .watches(*POD_API, mapper, PodFilter(names))
        .watches(*NODE_API, mapper, Funcs(update=node_changed))
        .watches(*PODGANG_API, mapper, Funcs(update=_spec_or_meta_changed))
        .watches(*CTB_API, mapper)
        .complete(scheduler.reconcile)
    )
    scheduler.controller = ctrl
    return scheduler


def _to_key(_obj: Obj) -> list[Request]:
    return [KEY]
