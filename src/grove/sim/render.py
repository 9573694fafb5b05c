"""Output of ``grove sim run``: the JSON/YAML document and the hierarchy tree.

JSON shape (a stable contract): ``{"objects": [...], "events": [...], "snapshots": {NAME: {"objects": [...],
"events": [...]}}, "clock": SECONDS}`` with ``clock`` the virtual seconds elapsed since the run started.
The tree is PodCliqueSet → replica → PodGang / PodCliqueScalingGroup → PodClique → Pod (node, phase).
A replica line names the domains its bound pods occupy at each level the PodCliqueSet's own constraint
packs or spreads at (``replica 1 zone=b``), so a spread can be seen (docs/spread.md).
"""

from __future__ import annotations

import io
import json
import sys
from collections import defaultdict
from typing import TYPE_CHECKING, Any, TextIO

import yaml
from rich.console import Console
from rich.markup import escape
from rich.tree import Tree

from grove.api import constants as c

if TYPE_CHECKING:
    from grove.sim.runner import RunResult

Obj = dict[str, Any]


def report_lines(result: RunResult) -> list[str]:
    """What a run tells the user beside its output: warnings (each once), notices, unmet waits."""
    lines = [f"Warning: {w}" for w in dict.fromkeys(result.warnings)]
    lines += [f"notice: {n}" for n in dict.fromkeys(result.notices)]
    lines += [f"error: {u}" for u in result.unmet]
    return lines


def report(result: RunResult, stream: TextIO | None = None) -> None:
    out = stream or sys.stderr
    for line in report_lines(result):
        out.write(line + "\n")


def document(objects: list[Obj], events: list[Obj], snapshots: dict[str, dict[str, list[Obj]]],
             clock: float) -> dict[str, Any]:
    return {"objects": objects, "events": events, "snapshots": snapshots, "clock": clock}


def to_json(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, sort_keys=False)


def to_yaml(doc: dict[str, Any]) -> str:
    return yaml.safe_dump(doc, sort_keys=False, default_flow_style=False)


def _labels(o: Obj) -> dict[str, str]:
    return (o.get("metadata") or {}).get("labels") or {}


def _name(o: Obj) -> str:
    return str((o.get("metadata") or {}).get("name", ""))


def _pod_line(pod: Obj) -> str:
    status = pod.get("status") or {}
    phase = status.get("phase", "Pending")
    ready = any(cd.get("type") == "Ready" and cd.get("status") == "True" for cd in status.get("conditions") or [])
    node = (pod.get("spec") or {}).get("nodeName") or "-"
    gated = bool((pod.get("spec") or {}).get("schedulingGates"))
    host = (pod.get("spec") or {}).get("hostname") or _name(pod)
    state = phase + (" Ready" if ready else "") + (" (gated)" if gated else "")
    if (pod.get("metadata") or {}).get("deletionTimestamp"):
        state += " Terminating"
    return f"Pod {host} [{_name(pod)}] node={node} {state}"


def _replica_domains(pcs: Obj, pods: list[Obj], nodes: dict[str, Obj], bindings: dict[str, Obj]) -> str:
    """`` zone=a`` for each level the PCS-level constraint packs or spreads at ('a,b' if split)."""
    tc = ((pcs.get("spec") or {}).get("template") or {}).get("topologyConstraint") or {}
    binding = bindings.get(str(tc.get("topologyName") or ""))
    if binding is None:
        return ""
    keys = {str(lv.get("domain")): str(lv.get("key")) for lv in (binding.get("spec") or {}).get("levels") or []}
    pack = tc.get("pack") or {}
    domains = [d for d in (pack.get("required"), pack.get("preferred"), tc.get("packDomain")) if d]
    domains += [sc.get("domain") for sc in tc.get("spreadConstraints") or [] if sc.get("domain")]
    out = ""
    for domain in dict.fromkeys(str(d) for d in domains):
        key = keys.get(domain)
        if key is None:
            continue
        values = sorted({str(_labels(nodes[n]).get(key, "?")) for p in pods
                         if (n := (p.get("spec") or {}).get("nodeName")) and n in nodes})
        if values:
            out += f" {domain}={','.join(values)}"
    return out


def build_tree(objects: list[Obj]) -> Tree:
    """Labels are escaped: names never turn into rich markup."""
    by_kind: dict[str, list[Obj]] = defaultdict(list)
    for o in objects:
        by_kind[str(o.get("kind"))].append(o)
    nodes = {_name(n): n for n in by_kind["Node"]}
    bindings = {_name(b): b for b in by_kind[c.KIND_CTB]}
    pods_by_pclq: dict[str, list[Obj]] = defaultdict(list)
    for pod in by_kind["Pod"]:
        pods_by_pclq[_labels(pod).get(c.LABEL_PODCLIQUE, "")].append(pod)
    root = Tree("cluster")
    for pcs in sorted(by_kind[c.KIND_PCS], key=_name):
        pcs_name = _name(pcs)
        st = pcs.get("status") or {}
        node = root.add(escape(f"PodCliqueSet {pcs_name} replicas={pcs['spec'].get('replicas', 0)} "
                        f"available={st.get('availableReplicas', 0)}"))
        mine = [o for o in objects if _labels(o).get(c.LABEL_PART_OF) == pcs_name]
        replicas = sorted({int(_labels(o)[c.LABEL_PCS_REPLICA_INDEX]) for o in mine
                           if _labels(o).get(c.LABEL_PCS_REPLICA_INDEX, "").isdigit()})
        for i in replicas:
            idx = str(i)
            rpods = [p for p in mine if p.get("kind") == "Pod" and _labels(p).get(c.LABEL_PCS_REPLICA_INDEX) == idx]
            rnode = node.add(escape(f"replica {i}{_replica_domains(pcs, rpods, nodes, bindings)}"))
            for gang in sorted((g for g in mine if g.get("kind") == c.KIND_PODGANG
                                and _labels(g).get(c.LABEL_PCS_REPLICA_INDEX, idx) == idx
                                and (_name(g) == f"{pcs_name}-{i}" or _name(g).startswith(f"{pcs_name}-{i}-"))),
                               key=_name):
                phase = (gang.get("status") or {}).get("phase", "-")
                groups = ", ".join(f"{pg['name']}(min {pg.get('minReplicas')})"
                                   for pg in gang.get("spec", {}).get("podgroups", []))
                rnode.add(escape(f"PodGang {_name(gang)} phase={phase}: {groups}"))
            pclqs = [o for o in mine if o.get("kind") == c.KIND_PCLQ
                     and _labels(o).get(c.LABEL_PCS_REPLICA_INDEX) == idx]
            for pcsg in sorted((o for o in mine if o.get("kind") == c.KIND_PCSG
                                and _labels(o).get(c.LABEL_PCS_REPLICA_INDEX) == idx), key=_name):
                gst = pcsg.get("status") or {}
                gnode = rnode.add(escape(f"PodCliqueScalingGroup {_name(pcsg)} replicas={pcsg['spec'].get('replicas')} "
                                         f"available={gst.get('availableReplicas', 0)}"))
                for pclq in sorted((p for p in pclqs if _labels(p).get(c.LABEL_PCSG) == _name(pcsg)), key=_name):
                    _add_pclq(gnode, pclq, pods_by_pclq)
            for pclq in sorted((p for p in pclqs if not _labels(p).get(c.LABEL_PCSG)), key=_name):
                _add_pclq(rnode, pclq, pods_by_pclq)
    return root


def _add_pclq(parent: Tree, pclq: Obj, pods_by_pclq: dict[str, list[Obj]]) -> None:
    st = pclq.get("status") or {}
    pnode = parent.add(escape(f"PodClique {_name(pclq)} replicas={pclq['spec'].get('replicas')} "
                              f"ready={st.get('readyReplicas', 0)} scheduled={st.get('scheduledReplicas', 0)}"))
    for pod in sorted(pods_by_pclq.get(_name(pclq), []),
                      key=lambda p: ((p.get("spec") or {}).get("hostname") or "", _name(p))):
        pnode.add(escape(_pod_line(pod)))


def render_tree(objects: list[Obj], *, width: int = 160) -> str:
    console = Console(width=width, record=True, no_color=True, force_terminal=False, file=io.StringIO())
    console.print(build_tree(objects))
    return console.export_text()
