"""An immutable picture of the cluster for one placement pass, built from wire dicts.

Kueue-style: the binder lists nodes and pods once, builds a :class:`Snapshot`, hands it to the pure
planner, then applies the plan. Nothing here talks to an API server.

Invariants:
- ``nodes`` are sorted by name and ``NodeInfo.index`` is the position in that order, so a permuted node
  list gives the same snapshot (placement ties break on name, never on input order);
- resources are integer vectors indexed by ``resources`` (cpu in milli-cores, everything else in whole
  units); index 0/1/2 are always cpu/memory/pods; every pod request includes one ``pods``;
- ``used`` counts every bound pod that is not terminated (Succeeded/Failed), terminating ones included,
  as kube-scheduler does; ``pending`` holds unbound, non-terminated, non-deleting pods keyed ``ns/name``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from grove.api.quantity import CPU, MEMORY, PODS, resource_amount

FIXED_RESOURCES = (CPU, MEMORY, PODS)
CPU_INDEX, MEMORY_INDEX, PODS_INDEX = 0, 1, 2
FILTER_EFFECTS = frozenset({"NoSchedule", "NoExecute"})
TERMINAL_PHASES = frozenset({"Succeeded", "Failed"})

Resources = dict[str, int]


@dataclass(frozen=True, slots=True)
class Taint:
    key: str
    value: str
    effect: str


@dataclass(frozen=True, slots=True)
class Toleration:
    key: str
    operator: str  # Equal | Exists
    value: str
    effect: str  # "" tolerates every effect


@dataclass(frozen=True, slots=True)
class SelectorRequirement:
    key: str
    operator: str  # In | NotIn | Exists | DoesNotExist | Gt | Lt
    values: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SelectorTerm:
    """One nodeSelectorTerm: every expression and field requirement must hold."""

    match_expressions: tuple[SelectorRequirement, ...]
    match_fields: tuple[SelectorRequirement, ...]


@dataclass(frozen=True, slots=True)
class PodConstraints:
    """The node filters of a pod, hashable so feasibility is computed once per distinct value."""

    node_selector: tuple[tuple[str, str], ...] = ()
    affinity_terms: tuple[SelectorTerm, ...] | None = None  # None: no required node affinity
    tolerations: tuple[Toleration, ...] = ()


@dataclass(frozen=True, slots=True, eq=False)
class NodeInfo:
    index: int
    name: str
    labels: Mapping[str, str]
    taints: tuple[Taint, ...]  # NoSchedule / NoExecute only: PreferNoSchedule never filters
    unschedulable: bool
    ready: bool
    allocatable: tuple[int, ...]
    used: tuple[int, ...]


@dataclass(frozen=True, slots=True, eq=False)
class PodInfo:
    key: str  # "namespace/name"
    requests: tuple[tuple[int, int], ...]  # (resource index, amount > 0), pods always present
    constraints: PodConstraints
    gated: bool  # has scheduling gates: kube-scheduler would not even try it


@dataclass(frozen=True, eq=False)
class Snapshot:
    resources: tuple[str, ...]
    nodes: tuple[NodeInfo, ...]
    pending: Mapping[str, PodInfo]
    bound: Mapping[str, int]  # pod key -> node index, for non-terminated pods on known nodes
    topology_keys: tuple[str, ...] = ()  # node label keys, broadest level first

    def node_named(self, name: str) -> NodeInfo:
        for node in self.nodes:
            if node.name == name:
                return node
        raise KeyError(name)


def pod_key(pod: Mapping[str, Any]) -> str:
    meta = pod.get("metadata") or {}
    return f"{meta.get('namespace') or 'default'}/{meta.get('name', '')}"


def _container_requests(container: Mapping[str, Any]) -> Resources:
    """requests, with limits standing in for a resource that has no request (API defaulting)."""
    res = container.get("resources") or {}
    merged = {**(res.get("limits") or {}), **(res.get("requests") or {})}
    return {name: resource_amount(name, value) for name, value in merged.items()}


def pod_requests(pod: Mapping[str, Any]) -> Resources:
    """Effective requests: max(sum of containers (+ sidecars), each init container) + overhead."""
    spec = pod.get("spec") or {}
    total: Resources = {}
    for container in spec.get("containers") or []:
        for name, amount in _container_requests(container).items():
            total[name] = total.get(name, 0) + amount
    sidecars: Resources = {}
    init_peak: Resources = {}
    for container in spec.get("initContainers") or []:
        req = _container_requests(container)
        if container.get("restartPolicy") == "Always":
            for name, amount in req.items():
                sidecars[name] = sidecars.get(name, 0) + amount
                init_peak[name] = max(init_peak.get(name, 0), sidecars[name])
        else:
            for name in req.keys() | sidecars.keys():
                init_peak[name] = max(init_peak.get(name, 0), req.get(name, 0) + sidecars.get(name, 0))
    for name, amount in sidecars.items():
        total[name] = total.get(name, 0) + amount
    for name, amount in init_peak.items():
        total[name] = max(total.get(name, 0), amount)
    for name, value in (spec.get("overhead") or {}).items():
        total[name] = total.get(name, 0) + resource_amount(name, value)
    return {name: amount for name, amount in total.items() if amount > 0}


def _requirements(items: Iterable[Mapping[str, Any]] | None) -> tuple[SelectorRequirement, ...]:
    return tuple(
        SelectorRequirement(str(i.get("key", "")), str(i.get("operator", "")), tuple(i.get("values") or ()))
        for i in items or ()
    )


def pod_constraints(pod: Mapping[str, Any]) -> PodConstraints:
    spec = pod.get("spec") or {}
    selector = tuple(sorted((str(k), str(v)) for k, v in (spec.get("nodeSelector") or {}).items()))
    required = ((spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution"
    ) or None
    terms = None
    if required is not None:
        terms = tuple(
            SelectorTerm(_requirements(t.get("matchExpressions")), _requirements(t.get("matchFields")))
            for t in required.get("nodeSelectorTerms") or ()
        )
    tolerations = tuple(
        Toleration(
            str(t.get("key") or ""),
            str(t.get("operator") or "Equal"),
            str(t.get("value") or ""),
            str(t.get("effect") or ""),
        )
        for t in spec.get("tolerations") or ()
    )
    return PodConstraints(selector, terms, tolerations)


def _node_ready(node: Mapping[str, Any]) -> bool:
    """Ready only with a ``Ready=True`` condition; a node that never reported is not ready."""
    for cond in (node.get("status") or {}).get("conditions") or ():
        if cond.get("type") == "Ready":
            return bool(cond.get("status") == "True")
    return False


def topology_keys_of(binding: Any) -> tuple[str, ...]:
    """The level keys of a ClusterTopologyBinding (model or wire dict), broadest first."""
    if binding is None:
        return ()
    if isinstance(binding, Mapping):
        return tuple(str(level["key"]) for level in binding.get("spec", {}).get("levels") or ())
    return tuple(level.key for level in binding.spec.levels)


def build_snapshot(
    nodes: Iterable[Mapping[str, Any]],
    pods: Iterable[Mapping[str, Any]],
    topology_keys: Sequence[str] = (),
) -> Snapshot:
    """Snapshot of ``nodes`` and ``pods`` (wire dicts). ``topology_keys``: see :func:`topology_keys_of`."""
    node_list = sorted(nodes, key=lambda n: str((n.get("metadata") or {}).get("name", "")))
    allocatable: list[Resources] = []
    for node in node_list:
        status = node.get("status") or {}
        raw = status.get("allocatable") or status.get("capacity") or {}
        allocatable.append({name: resource_amount(name, value) for name, value in raw.items()})
    index_of = {str(n["metadata"]["name"]): i for i, n in enumerate(node_list)}

    bound_requests: list[tuple[int, Resources]] = []
    bound: dict[str, int] = {}
    pending: list[tuple[str, Resources, Mapping[str, Any]]] = []
    for pod in pods:
        status_phase = (pod.get("status") or {}).get("phase")
        if status_phase in TERMINAL_PHASES:
            continue
        node_name = (pod.get("spec") or {}).get("nodeName")
        if node_name:
            if node_name in index_of:
                bound_requests.append((index_of[node_name], pod_requests(pod)))
                bound[pod_key(pod)] = index_of[node_name]
        elif not (pod.get("metadata") or {}).get("deletionTimestamp"):
            pending.append((pod_key(pod), pod_requests(pod), pod))

    extended = sorted(
        (
            {r for a in allocatable for r in a}
            | {r for _, rq in bound_requests for r in rq}
            | {r for _, rq, _ in pending for r in rq}
        )
        - set(FIXED_RESOURCES)
    )
    resources = FIXED_RESOURCES + tuple(extended)
    slot = {name: i for i, name in enumerate(resources)}

    used = [[0] * len(resources) for _ in node_list]
    for node_index, req in bound_requests:
        vec = used[node_index]
        vec[PODS_INDEX] += 1
        for name, amount in req.items():
            if name != PODS:
                vec[slot[name]] += amount

    infos = []
    for i, node in enumerate(node_list):
        meta, spec = node.get("metadata") or {}, node.get("spec") or {}
        alloc = [0] * len(resources)
        for name, amount in allocatable[i].items():
            alloc[slot[name]] = amount
        taints = tuple(
            Taint(str(t.get("key", "")), str(t.get("value") or ""), str(t.get("effect", "")))
            for t in spec.get("taints") or ()
            if t.get("effect") in FILTER_EFFECTS
        )
        infos.append(
            NodeInfo(
                index=i,
                name=str(meta["name"]),
                labels=dict(meta.get("labels") or {}),
                taints=taints,
                unschedulable=bool(spec.get("unschedulable")),
                ready=_node_ready(node),
                allocatable=tuple(alloc),
                used=tuple(used[i]),
            )
        )

    pending_infos: dict[str, PodInfo] = {}
    for key, req, pod in sorted(pending, key=lambda p: p[0]):
        vector = {slot[name]: amount for name, amount in req.items() if name != PODS}
        vector[PODS_INDEX] = 1
        pending_infos[key] = PodInfo(
            key=key,
            requests=tuple(sorted(vector.items())),
            constraints=pod_constraints(pod),
            gated=bool((pod.get("spec") or {}).get("schedulingGates")),
        )
    return Snapshot(resources, tuple(infos), pending_infos, bound, tuple(topology_keys))
