"""Every upstream sample yields the object names and counts of scenarios.md §4 from the planners."""

from __future__ import annotations

from typing import Any

import pytest

from grove.api.models import PodCliqueScalingGroup, PodCliqueSet
from grove.controllers.podcliquescalinggroup.plan_members import plan_member_podcliques
from grove.controllers.podcliqueset.plan_children import plan_children
from grove.controllers.podcliqueset.plan_podgangs import plan_podgangs

from .samples import SAMPLE_NAMES, sample

# sample: (PCLQ, PCSG, pods, PodGangs, headless services, HPAs)
EXPECTED = {
    "simple1": (4, 1, 9, 1, 1, 2),
    "simple2": (4, 0, 9, 1, 1, 1),
    "simple3": (11, 1, 23, 2, 1, 2),
    "single-node-aggregated": (1, 0, 2, 1, 1, 0),
    "single-node-disaggregated": (2, 0, 5, 1, 1, 0),
    "multinode-aggregated": (4, 1, 8, 2, 1, 0),
    "multinode-disaggregated": (6, 2, 13, 2, 1, 0),
    "comp-inf-ppln": (6, 2, 11, 1, 1, 0),
    "mn-disagg": (7, 2, 13, 2, 1, 0),
    "env-demo-standalone": (1, 0, 2, 1, 1, 0),
    "env-demo-pcsg": (4, 1, 8, 2, 1, 0),
}


def names(objs: list[dict[str, Any]]) -> list[str]:
    return [o["metadata"]["name"] for o in objs]


def all_podcliques(pcs: PodCliqueSet) -> list[dict[str, Any]]:
    plan = plan_children(pcs)
    out = list(plan.podcliques)
    for pcsg in plan.scaling_groups:
        model = PodCliqueScalingGroup.from_wire(pcsg)
        model.metadata.uid = f"uid-{model.metadata.name}"
        out += plan_member_podcliques(pcs, model)
    return out


def test_every_sample_is_covered() -> None:
    assert sorted(EXPECTED) == SAMPLE_NAMES


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_counts(name: str) -> None:
    pcs = sample(name)
    plan = plan_children(pcs)
    pclqs = all_podcliques(pcs)
    pods = sum(p["spec"]["replicas"] for p in pclqs)
    gangs = plan_podgangs(pcs)
    got = (len(pclqs), len(plan.scaling_groups), pods, len(gangs), len(plan.services), len(plan.hpas))
    assert got == EXPECTED[name]
    assert names(plan.services) == [f"{name}-0"]
    assert plan.service_account["metadata"]["name"] == name
    assert plan.token_secret["metadata"]["name"] == f"{name}-ic-sat"
    assert plan.role["metadata"]["name"] == plan.role_binding["metadata"]["name"] == f"grove.io:pcs:{name}"
    # every PodGroup names an existing PodClique exactly once across the gangs
    groups = [g["name"] for gang in gangs for g in gang["spec"]["podgroups"]]
    assert sorted(groups) == sorted(names(pclqs))


def test_simple1_names() -> None:
    pcs = sample("simple1")
    plan = plan_children(pcs)
    assert sorted(names(all_podcliques(pcs))) == [
        "simple1-0-pca",
        "simple1-0-pcd",
        "simple1-0-sga-0-pcb",
        "simple1-0-sga-0-pcc",
    ]
    assert names(plan.scaling_groups) == ["simple1-0-sga"]
    assert names(plan_podgangs(pcs)) == ["simple1-0"]
    assert names(plan.hpas) == ["simple1-0-pca", "simple1-0-sga"]
    assert [h["spec"]["scaleTargetRef"]["kind"] for h in plan.hpas] == ["PodClique", "PodCliqueScalingGroup"]


def test_simple1_pcsg_scaled_to_two_adds_a_scaled_podgang() -> None:
    pcs = sample("simple1")
    gangs = plan_podgangs(pcs, pcsg_replicas={"simple1-0-sga": 2})
    assert names(gangs) == ["simple1-0", "simple1-0-sga-0"]
    assert [g["name"] for g in gangs[1]["spec"]["podgroups"]] == [
        "simple1-0-sga-1-pcb",
        "simple1-0-sga-1-pcc",
    ]
    pcsg = PodCliqueScalingGroup.from_wire(
        plan_children(pcs, existing_pcsg_replicas={"simple1-0-sga": 2}).scaling_groups[0]
    )
    assert pcsg.spec.replicas == 2
    members = plan_member_podcliques(pcs, pcsg)
    assert sum(m["spec"]["replicas"] for m in members) + 3 + 2 == 13


def test_simple1_pcs_scaled_to_two() -> None:
    pcs = sample("simple1")
    pcs.spec.replicas = 2
    assert names(plan_podgangs(pcs)) == ["simple1-0", "simple1-1"]
    assert sum(p["spec"]["replicas"] for p in all_podcliques(pcs)) == 18


def test_simple3_podgangs_and_podgroups() -> None:
    gangs = plan_podgangs(sample("simple3"))
    assert names(gangs) == ["simple3-0", "simple3-0-sga-0"]
    base, scaled = gangs
    assert [(g["name"], g["minReplicas"]) for g in base["spec"]["podgroups"]] == [
        ("simple3-0-pca", 3),
        ("simple3-0-pce", 2),
        ("simple3-0-sga-0-pcb", 2),
        ("simple3-0-sga-0-pcc", 2),
        ("simple3-0-sga-0-pcd", 2),
        ("simple3-0-sga-1-pcb", 2),
        ("simple3-0-sga-1-pcc", 2),
        ("simple3-0-sga-1-pcd", 2),
    ]
    assert [g["name"] for g in scaled["spec"]["podgroups"]] == [
        "simple3-0-sga-2-pcb",
        "simple3-0-sga-2-pcc",
        "simple3-0-sga-2-pcd",
    ]


# scenarios.md §1.5: e2e workloads all have 5 PodCliques, 1 PCSG and 10 pods
WORKLOAD_GANGS = {
    "workload1": ["workload1-0"],
    "workload2": ["workload2-0", "workload2-0-sg-x-0"],
    "workload3": ["workload3-0"],
    "workload4": ["workload4-0", "workload4-0-sg-x-0"],
    "workload5": ["workload5-0"],
    "workload6": ["workload6-0", "workload6-0-sg-x-0"],
}


@pytest.mark.parametrize("name", sorted(WORKLOAD_GANGS))
def test_e2e_workload_shapes(name: str) -> None:
    pcs = sample(name)
    pclqs = all_podcliques(pcs)
    assert (len(pclqs), len(plan_children(pcs).scaling_groups)) == (5, 1)
    assert sum(p["spec"]["replicas"] for p in pclqs) == 10
    gangs = plan_podgangs(pcs)
    assert names(gangs) == WORKLOAD_GANGS[name]
    if len(gangs) == 2:  # base = pc-a 1 + sg-x-0 {pc-b 1, pc-c 1}; scaled sg-x-1 = 2
        assert sum(g["minReplicas"] for g in gangs[0]["spec"]["podgroups"]) == 3
        assert sum(g["minReplicas"] for g in gangs[1]["spec"]["podgroups"]) == 2
    else:
        assert sum(g["minReplicas"] for g in gangs[0]["spec"]["podgroups"]) == 10
