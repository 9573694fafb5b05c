"""Runs a ``grove sim run`` session: apply manifests, settle, execute steps, collect the output.

Kinds in steps are resolved by kind name, plural or short name through the cluster's registry (Grove's
``pcs``/``pclq``/``pcsg``/``pg`` and built-ins such as ``pod``/``svc``). Pods are named by their real name
or their stable hostname ``<podclique>-<index>``; nodes by name or ``{nodeOf: POD}``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from grove.api import constants as c
from grove.api.manifests import Document, ManifestError, load_documents
from grove.kube.errors import ApiError, NotFound
from grove.kube.resources import ResourceKind
from grove.sim.errors import RunError
from grove.sim.inputs import Inputs, check_documents
from grove.sim.nodes import uniform_nodes
from grove.sim.simulation import Simulation, ensure_namespace
from grove.sim.steps import Step

Obj = dict[str, Any]

BUILTIN_SHORT_NAMES = {"po": "Pod", "pods": "Pod", "pod": "Pod", "no": "Node", "nodes": "Node", "node": "Node",
                       "svc": "Service", "service": "Service", "services": "Service", "hpa": "HorizontalPodAutoscaler",
                       "ns": "Namespace", "sa": "ServiceAccount", "cm": "ConfigMap", "secret": "Secret"}


@dataclass
class RunResult:
    snapshots: dict[str, dict[str, list[Obj]]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    goal_met: bool = True
    unmet: list[str] = field(default_factory=list)
    """One line per wait whose goal was not reached (``--until`` and ``wait`` steps)."""


def resolve_kind(sim: Simulation, name: str) -> ResourceKind:
    lowered = name.lower()
    wanted = BUILTIN_SHORT_NAMES.get(lowered, name)
    matches = [rk for rk in sim.cluster.registry.all()
               if lowered in {rk.kind.lower(), rk.plural, rk.singular, *rk.short_names} or rk.kind == wanted]
    if not matches:
        raise RunError(f"unknown kind {name!r}")
    # Prefer the core group for built-ins (events.k8s.io also has Event, etc.).
    matches.sort(key=lambda rk: (rk.group != "", rk.group, rk.version))
    return matches[0]


async def find_pod(sim: Simulation, ref: str, namespace: str | None = None) -> Obj:
    pods = (await sim.client.list("v1", "Pod", namespace)).items
    for pod in pods:
        if pod["metadata"]["name"] == ref and not pod["metadata"].get("deletionTimestamp"):
            return pod
    live = [p for p in pods if (p.get("spec") or {}).get("hostname") == ref
            and not p["metadata"].get("deletionTimestamp")]
    if live:
        return live[0]
    for pod in pods:
        if pod["metadata"]["name"] == ref or (pod.get("spec") or {}).get("hostname") == ref:
            return pod
    raise RunError(f"no pod named or with hostname {ref!r}")


async def resolve_node(sim: Simulation, ref: str | dict[str, str]) -> str:
    if isinstance(ref, dict):
        pod = await find_pod(sim, ref["nodeOf"])
        node = (pod.get("spec") or {}).get("nodeName")
        if not node:
            raise RunError(f"pod {ref['nodeOf']!r} is not bound to a node")
        return str(node)
    try:
        await sim.client.get("v1", "Node", ref)
    except NotFound as exc:
        raise RunError(f"no node named {ref!r}") from exc
    return ref


async def apply_manifests(sim: Simulation, bodies: list[Obj]) -> None:
    """Namespaces and Nodes first, then CRDs, then everything else, keeping input order within a group."""
    def rank(o: Obj) -> int:
        kind = o.get("kind")
        return {"Namespace": 0, "Node": 1, "CustomResourceDefinition": 2, "ClusterTopologyBinding": 3}.get(str(kind), 4)
    for body in sorted(bodies, key=rank):
        if not isinstance(body, dict) or "kind" not in body or "apiVersion" not in body:
            raise RunError("every manifest needs apiVersion and kind")
        name = (body.get("metadata") or {}).get("name", "<no name>")
        try:
            rk = sim.cluster.registry.get(body["apiVersion"], body["kind"])
            meta = body.setdefault("metadata", {})
            if rk is not None and rk.namespaced and not meta.get("namespace"):
                meta["namespace"] = "default"  # as kubectl does for the current context's namespace
            ns = meta.get("namespace")
            if ns:
                await ensure_namespace(sim, ns)
            await sim.apply_one(body)
        except ApiError as exc:
            lines = [f"{body['kind']}/{name} rejected: {exc.message}"]
            lines += [f"  {cause.field}: {cause.message}" for cause in exc.causes]
            raise RunError("\n".join(lines)) from exc


async def add_default_nodes(sim: Simulation, count: int) -> None:
    await sim.apply(uniform_nodes(count))


def _load(ref: Any, where: str) -> Inputs:
    """An ``apply`` step's objects: from a path, an inline object or a list, checked like ``-f`` input."""
    try:
        docs = load_documents([ref]) if isinstance(ref, str) else \
            [Document(where, i, body) for i, body in enumerate(ref if isinstance(ref, list) else [ref])]
    except ManifestError as exc:
        raise RunError(str(exc)) from exc
    return check_documents(docs)


async def run_step(sim: Simulation, step: Step, result: RunResult) -> None:
    action, arg = step.action, step.arg
    try:
        if action == "apply":
            inputs = _load(arg, step.describe())
            result.warnings += inputs.warnings
            result.notices += inputs.notices
            await apply_manifests(sim, inputs.bodies)
        elif action == "scale":
            rk = resolve_kind(sim, arg["kind"])
            ns = arg.get("namespace", "default") if rk.namespaced else None
            if rk.scale is not None:
                await sim.client.update_scale(rk.api_version, rk.kind, arg["name"], arg["replicas"], ns)
            else:
                await sim.client.patch(rk.api_version, rk.kind, arg["name"], {"spec": {"replicas": arg["replicas"]}},
                                       namespace=ns)
        elif action == "patch":
            rk = resolve_kind(sim, arg["kind"])
            ns = arg.get("namespace", "default") if rk.namespaced else None
            await sim.client.patch(rk.api_version, rk.kind, arg["name"], arg["patch"], namespace=ns,
                                   patch_type=arg.get("type", "merge"))
        elif action == "delete":
            rk = resolve_kind(sim, arg["kind"])
            ns = arg.get("namespace", "default") if rk.namespaced else None
            await sim.client.delete(rk.api_version, rk.kind, arg["name"], ns)
        elif action in ("cordon", "uncordon"):
            for ref in arg:
                node = await resolve_node(sim, ref)
                await sim.client.patch("v1", "Node", node, {"spec": {"unschedulable": action == "cordon"}})
        elif action == "failNode":
            await sim.kubelet.fail_node(await resolve_node(sim, arg))
        elif action == "deletePod":
            pod = await find_pod(sim, arg)
            await sim.client.delete("v1", "Pod", pod["metadata"]["name"], pod["metadata"]["namespace"])
        elif action == "killPod":
            pod = await find_pod(sim, arg)
            sim.kubelet.kill_pod(pod["metadata"]["name"], pod["metadata"]["namespace"])
        elif action == "advance":
            await sim.advance(float(arg))
            return
        elif action == "wait":
            await wait_for(sim, arg["until"], arg["timeout"], result, step.describe())
            return
        elif action == "snapshot":
            result.snapshots[arg] = {"objects": sim.objects(), "events": sim.events()}
            return
    except (RunError, ManifestError) as exc:
        raise RunError(f"{step.describe()}: {exc}") from exc
    except ApiError as exc:
        causes = "".join(f"\n  {cause.field}: {cause.message}" for cause in exc.causes)
        raise RunError(f"{step.describe()}: {exc.reason}: {exc.message}{causes}") from exc
    await sim.quiesce()


async def unmet_goal(sim: Simulation, goal: str, timeout: float) -> str:
    """What a wait that timed out leaves behind, in one line: the sets not available, pods unscheduled."""
    pods = (await sim.client.list("v1", "Pod")).items
    unscheduled = sum(1 for p in pods if not (p.get("spec") or {}).get("nodeName"))
    unavailable = []
    for pcs in (await sim.client.list(c.API_VERSION, c.KIND_PCS)).items:
        want = (pcs.get("spec") or {}).get("replicas", 0)
        have = (pcs.get("status") or {}).get("availableReplicas", 0)
        if have < want:
            unavailable.append(f"{pcs['metadata']['name']} ({have}/{want} available)")
    what = "every PodCliqueSet to be available" if goal == "ready" else "the cluster to settle"
    detail = [f"not available: {', '.join(unavailable)}"] if unavailable else []
    if unscheduled:
        detail.append(f"{unscheduled} pod(s) not scheduled")
    return f"timed out after {timeout:g}s of virtual time waiting for {what}" + \
        (f"; {'; '.join(detail)}" if detail else "")


async def wait_for(sim: Simulation, goal: str, timeout: float, result: RunResult, what: str) -> None:
    """``sim.run_until`` that records an unmet goal in ``result`` (``what`` names the wait: ``--until``)."""
    met = await sim.run_until(goal, timeout=timeout)
    result.goal_met = result.goal_met and met
    if not met:
        result.unmet.append(f"{what}: {await unmet_goal(sim, goal, timeout)}")
