"""Does every required pack of a set of PodGangs hold where the pods landed? One check for both worlds:
the embedded cluster's placement tests and the real-KAI e2e tests read the same PodGangs, pods and Nodes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from grove.api import constants as c

Obj = dict[str, Any]


def required_key(tc: Obj | None) -> str | None:
    """The label key a topologyConstraint requires its pods to share, if any."""
    return ((tc or {}).get("packConstraint") or {}).get("required")


@dataclass
class PackReport:
    problems: list[str] = field(default_factory=list)
    checked: int = 0  # required packs seen, so "nothing was checked" can be told from "all held"


def required_pack_report(gangs: list[Obj], pods: dict[str, Obj], nodes: dict[str, Obj]) -> PackReport:
    """Each required pack (gang, topologyConstraintGroupConfig, PodGroup, and a scaled gang together with its
    base gang) must hold: its bound pods' nodes carry one value of the required label."""
    where = {name: nodes[p["spec"]["nodeName"]] for name, p in pods.items() if p["spec"].get("nodeName")}
    report = PackReport()

    def check(unit: str, key: str | None, members: list[str]) -> None:
        if not key:
            return
        report.checked += 1
        values = {where[m]["metadata"]["labels"].get(key) for m in members if m in where}
        if len(values) > 1 or None in values:
            report.problems.append(f"{unit}: pack.required {key} broken, pods in {sorted(map(str, values))}")

    by_name = {g["metadata"]["name"]: g for g in gangs}
    for gang in gangs:
        name, spec = gang["metadata"]["name"], gang["spec"]
        refs = {g["name"]: [r["name"] for r in g.get("podReferences") or ()] for g in spec["podgroups"]}
        members = [p for ps in refs.values() for p in ps]
        check(name, required_key(spec.get("topologyConstraint")), members)
        for cfg in spec.get("topologyConstraintGroupConfigs") or ():
            check(f"{name}/{cfg['name']}", required_key(cfg.get("topologyConstraint")),
                  [p for g in cfg.get("podGroupNames") or () for p in refs.get(g, [])])
        for group in spec["podgroups"]:
            check(f"{name}/{group['name']}", required_key(group.get("topologyConstraint")), refs[group["name"]])
        base_name = next((pods[p]["metadata"]["labels"].get(c.LABEL_BASE_PODGANG) for p in members if p in pods),
                         None)
        base = by_name.get(base_name or "")
        key = required_key((base or {}).get("spec", {}).get("topologyConstraint"))
        if base is not None and key:
            base_pods = [r["name"] for g in base["spec"]["podgroups"] for r in g.get("podReferences") or ()]
            check(f"{name} with base {base_name}", key, base_pods + members)
    return report
