"""What one scheduling pass has to place, from wire objects: ordered gangs and singleton pods. Pure.

The binder reads pods, PodGangs and ClusterTopologyBindings from its caches and calls
:func:`collect_work`; the result is the ordered list of :class:`WorkItem` handed (as
:class:`~grove.scheduler.gangs.GangSpec`) to the planner.

Rules (kube-scheduler / KAI semantics as the e2e suite observes them):

- a pod is *ours* if its ``spec.schedulerName`` (empty = ``default-scheduler``) is one we answer for;
- pods of a gang-aware scheduler (``grove-scheduler``, ``kai-scheduler``) that carry ``grove.io/podgang``
  are placed with their PodGang, all-or-nothing; a pod whose PodGang does not exist yet, or that is not
  yet in its PodGang's ``podReferences``, waits;
- every other pending, ungated pod of ours is a gang of one (kube-scheduler: no all-or-nothing);
- a PodGang is worked on when one of its referenced pods is pending and ungated; a *scaled* gang (its pods
  carry ``grove.io/base-podgang``) whose base PodGang has a required pack or a replica spread (a
  PodCliqueSet-level constraint) is coupled to the base gang's domain, and the base gang is then included too (it may be
  fully bound: the planner reads its domain from the bound pods);
- order: base gangs and singletons before scaled gangs, then creationTimestamp, then ``namespace/name``.

:func:`minimum_only` trims a gang to the pods needed to reach every ``minReplicas``: the binder first
places every gang's minimum, then the pods beyond it (KAI: gang minimums of all gangs before extras).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from grove.api import constants as c
from grove.scheduler.gangs import Coupling, GangSpec, GroupSpec, gang_from_podgang
from grove.scheduler.snapshot import TERMINAL_PHASES, Snapshot, pod_key

Obj = Mapping[str, Any]

GANG_SCHEDULERS = frozenset({c.SCHEDULER_GROVE, c.SCHEDULER_KAI})
SINGLETON_PREFIX = "pod:"


def scheduler_of(pod: Obj) -> str:
    return str((pod.get("spec") or {}).get("schedulerName") or c.SCHEDULER_DEFAULT)


def _meta(obj: Obj) -> Mapping[str, Any]:
    return obj.get("metadata") or {}


def _labels(obj: Obj) -> Mapping[str, str]:
    return _meta(obj).get("labels") or {}


def is_pending(pod: Obj) -> bool:
    """Unbound, not deleting, not terminated (gated pods included)."""
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    return (
        not spec.get("nodeName")
        and not _meta(pod).get("deletionTimestamp")
        and status.get("phase") not in TERMINAL_PHASES
    )


def is_schedulable(pod: Obj) -> bool:
    """Pending and without scheduling gates: a scheduler may try it."""
    return is_pending(pod) and not (pod.get("spec") or {}).get("schedulingGates")


def gang_key(obj: Obj) -> str:
    meta = _meta(obj)
    return f"{meta.get('namespace') or 'default'}/{meta.get('name', '')}"


@dataclass(frozen=True)
class WorkItem:
    gang: GangSpec
    topology: str | None  # ClusterTopologyBinding name (PodGang annotation), None without topology
    singleton: bool
    scaled: bool
    created: str
    base: str | None = None  # the base gang key of a scaled gang


def _singleton(pod: Obj) -> WorkItem:
    key = pod_key(pod)
    gang = GangSpec(f"{SINGLETON_PREFIX}{key}", (GroupSpec(key, (key,), 1),))
    return WorkItem(gang, None, True, False, str(_meta(pod).get("creationTimestamp") or ""))


def _required_key(podgang: Obj) -> str | None:
    """The level a base gang's scaled gangs share with it: its required pack, else the level of its first
    replica spread (a spread replica lives in one domain of that level, its scaled gangs with it)."""
    tc = (podgang.get("spec") or {}).get("topologyConstraint") or {}
    required = (tc.get("packConstraint") or {}).get("required")
    if required:
        return str(required)
    spreads = [sc.get("topologyKey") for sc in tc.get("spreadConstraints") or [] if sc.get("topologyKey")]
    return str(spreads[0]) if spreads else None


def collect_work(pods: Iterable[Obj], podgangs: Iterable[Obj], answer_for: Collection[str]) -> list[WorkItem]:
    """The ordered work of one pass (see the module docstring)."""
    gang_names = GANG_SCHEDULERS.intersection(answer_for)
    by_gang = {gang_key(pg): pg for pg in podgangs}
    base_of: dict[str, str] = {}
    pending_by_key: dict[str, Obj] = {}
    items: list[WorkItem] = []
    for pod in pods:
        sched = scheduler_of(pod)
        labels = _labels(pod)
        gang_name = labels.get(c.LABEL_PODGANG)
        namespace = _meta(pod).get("namespace") or "default"
        if gang_name and sched in gang_names:
            base = labels.get(c.LABEL_BASE_PODGANG)
            if base and base != gang_name:
                base_of.setdefault(f"{namespace}/{gang_name}", f"{namespace}/{base}")
            if is_schedulable(pod):
                pending_by_key[pod_key(pod)] = pod
        elif sched in answer_for and is_schedulable(pod):
            items.append(_singleton(pod))

    wanted: dict[str, WorkItem] = {}
    for key, podgang in by_gang.items():
        spec = podgang.get("spec") or {}
        namespace = _meta(podgang).get("namespace") or "default"
        refs = [
            f"{ref.get('namespace') or namespace}/{ref.get('name')}"
            for group in spec.get("podgroups") or ()
            for ref in group.get("podReferences") or ()
        ]
        if not any(ref in pending_by_key for ref in refs):
            continue
        wanted[key] = _gang_item(podgang, base_of.get(key), by_gang)
    for key in list(wanted):
        base = wanted[key].base
        if wanted[key].gang.same_domain_as is not None and base is not None and base not in wanted:
            wanted[base] = _gang_item(by_gang[base], None, by_gang)
    items.extend(wanted.values())
    items.sort(key=lambda w: (w.scaled, w.created, w.gang.name.removeprefix(SINGLETON_PREFIX)))
    return items


def _gang_item(podgang: Obj, base: str | None, by_gang: Mapping[str, Obj]) -> WorkItem:
    coupling = None
    if base is not None and base in by_gang:
        required = _required_key(by_gang[base])
        if required:
            coupling = Coupling(base, required)
    annotations = _meta(podgang).get("annotations") or {}
    topology = annotations.get(c.ANNOTATION_TOPOLOGY_NAME) or None
    return WorkItem(
        gang_from_podgang(podgang, coupling),
        topology,
        False,
        base is not None,
        str(_meta(podgang).get("creationTimestamp") or ""),
        base,
    )


def minimum_only(gang: GangSpec, snapshot: Snapshot) -> GangSpec:
    """``gang`` with each PodGroup cut to its bound pods plus the pending, ungated pods (by key) needed
    to reach ``minReplicas`` -- exactly the pods the planner would treat as required. A group that
    cannot reach its minimum is left whole (the planner reports it Waiting)."""
    groups = []
    for group in gang.groups:
        bound = [p for p in group.pods if p in snapshot.bound]
        ready = sorted(
            p for p in group.pods if p in snapshot.pending and not snapshot.pending[p].gated
        )
        need = max(0, group.min_replicas - len(bound))
        if len(ready) < need:
            groups.append(group)
            continue
        groups.append(replace(group, pods=tuple(bound + ready[:need])))
    return replace(gang, groups=tuple(groups))


def has_extras(gang: GangSpec, snapshot: Snapshot) -> bool:
    """Whether some PodGroup has pending, ungated pods beyond its minimum."""
    for group in gang.groups:
        bound = sum(1 for p in group.pods if p in snapshot.bound)
        ready = sum(1 for p in group.pods if p in snapshot.pending and not snapshot.pending[p].gated)
        if ready > max(0, group.min_replicas - bound):
            return True
    return False
