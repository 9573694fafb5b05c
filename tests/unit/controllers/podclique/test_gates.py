"""Gate removal (spec §7.2): listed in the PodGang, and for scaled gangs the base gang scheduled."""

from __future__ import annotations

from typing import Any

import pytest

from grove.api.models import PodClique
from grove.controllers.podclique.gates import (
    BaseGangMissingError,
    GateDecision,
    gate_decision,
    gates_without_grove,
)

from ..helpers import pod


def pclq(name: str, base: str | None = None) -> PodClique:
    labels = {"grove.io/podgang": "g"} | ({"grove.io/base-podgang": base} if base else {})
    return PodClique.from_wire(
        {"metadata": {"name": name, "labels": labels}, "spec": {"podSpec": {}, "replicas": 1}}
    )


def gang(name: str, groups: dict[str, tuple[int, list[str]]]) -> dict[str, Any]:
    return {
        "metadata": {"name": name},
        "spec": {
            "podgroups": [
                {
                    "name": g,
                    "minReplicas": m,
                    "podReferences": [{"namespace": "default", "name": p} for p in refs],
                }
                for g, (m, refs) in groups.items()
            ]
        },
    }


def test_ungated_pod_needs_nothing() -> None:
    assert gate_decision(pod("x", pclq="a"), pclq("a"), None) is GateDecision.NOT_GATED


def test_waits_until_listed_in_its_podgroup() -> None:
    p = pod("x", pclq="a", gated=True)
    assert gate_decision(p, pclq("a"), None) is GateDecision.WAIT
    assert gate_decision(p, pclq("a"), gang("g", {"a": (1, ["y"])})) is GateDecision.WAIT
    assert gate_decision(p, pclq("a"), gang("g", {"b": (1, ["x"])})) is GateDecision.WAIT  # wrong group
    assert gate_decision(p, pclq("a"), gang("g", {"a": (1, ["x"])})) is GateDecision.RELEASE


def test_scaled_gang_waits_for_the_base_gang_to_be_scheduled() -> None:
    p = pod("x", pclq="s", gated=True)
    scaled = gang("g", {"s": (1, ["x"])})
    base = gang("base", {"b1": (2, []), "b2": (1, [])})
    member = pclq("s", base="base")
    assert gate_decision(p, member, scaled, base, {"b1": 2, "b2": 0}) is GateDecision.WAIT
    assert gate_decision(p, member, scaled, base, {"b1": 1, "b2": 1}) is GateDecision.WAIT
    assert gate_decision(p, member, scaled, base, {"b1": 2, "b2": 1}) is GateDecision.RELEASE


def test_missing_base_objects_are_errors() -> None:
    p = pod("x", pclq="s", gated=True)
    scaled = gang("g", {"s": (1, ["x"])})
    with pytest.raises(BaseGangMissingError):
        gate_decision(p, pclq("s", base="base"), scaled, None, {})
    with pytest.raises(BaseGangMissingError):
        gate_decision(p, pclq("s", base="base"), scaled, gang("base", {"b1": (1, [])}), {})


def test_only_the_grove_gate_is_removed() -> None:
    p = pod("x", gated=True)
    p["spec"]["schedulingGates"].append({"name": "other"})
    assert gates_without_grove(p) == [{"name": "other"}]
