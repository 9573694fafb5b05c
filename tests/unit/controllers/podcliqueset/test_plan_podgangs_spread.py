"""Spread translation into the PodGang (docs/spread.md): PCS replica spread on the base gang with the PCS
as spreadGroup, PCSG replica spread on its group configs and its own scaled gangs with the PCSG FQN,
clique pod spread on the PodGroups without a group; scaled gangs that fall back to the PCS constraint
take its pack only; without spread the PodGang is what it always was."""

from __future__ import annotations

from typing import Any

from grove.api.defaults import default_podcliqueset
from grove.api.models import ClusterTopologyBinding
from grove.api.models.core import PodCliqueSet
from grove.controllers.podcliqueset.plan_podgangs import TopologyContext, plan_podgangs
from tests.builders import pcs

CTB = ClusterTopologyBinding.from_wire({"metadata": {"name": "grove-topology"}, "spec": {"levels": [
    {"domain": "zone", "key": "kubernetes.io/zone"}, {"domain": "block", "key": "kubernetes.io/block"},
    {"domain": "rack", "key": "kubernetes.io/rack"}, {"domain": "host", "key": "kubernetes.io/hostname"}]}})
TOPO = TopologyContext(True, CTB)


def model(body: dict[str, Any]) -> PodCliqueSet:
    return default_podcliqueset(PodCliqueSet.from_wire(body))


def spread(key: str, group: str | None = None, **extra: Any) -> dict[str, Any]:
    out = {"topologyKey": key, "maxSkew": 1, "whenUnsatisfiable": "DoNotSchedule", **extra}
    if group is not None:
        out["spreadGroup"] = group
    return out


def test_three_levels_translate_with_their_peer_groups() -> None:
    body = (pcs("serving").replicas(2)
            .set("spec.template.topologyConstraint", {"topologyName": "grove-topology", "pack": {"required": "block"},
                                                      "spreadConstraints": [{"domain": "zone", "minDomains": 3}]})
            .clique("fe", 2, topology={"spreadConstraints": [{"domain": "host"}]})
            .clique("p", 1).group("sg", ["p"], replicas=3, min_available=2,
                                  topology={"spreadConstraints": [{"domain": "rack", "maxSkew": 2}]}).build())
    gangs = plan_podgangs(model(body), topo=TOPO)
    base = next(g for g in gangs if g["metadata"]["name"] == "serving-1")
    assert base["spec"]["topologyConstraint"] == {
        "packConstraint": {"required": "kubernetes.io/block"},
        "spreadConstraints": [spread("kubernetes.io/zone", "serving", minDomains=3)]}
    fe = next(g for g in base["spec"]["podgroups"] if g["name"] == "serving-1-fe")
    assert fe["topologyConstraint"] == {"spreadConstraints": [spread("kubernetes.io/hostname")]}
    assert [gc["topologyConstraint"] for gc in base["spec"]["topologyConstraintGroupConfigs"]] == [
        {"spreadConstraints": [{**spread("kubernetes.io/rack", "serving-1-sg"), "maxSkew": 2}]}] * 2
    scaled = next(g for g in gangs if g["metadata"]["name"] == "serving-1-sg-0")
    assert scaled["spec"]["topologyConstraint"] == {
        "spreadConstraints": [{**spread("kubernetes.io/rack", "serving-1-sg"), "maxSkew": 2}]}


def test_scaled_gangs_falling_back_to_the_pcs_constraint_take_its_pack_only() -> None:
    body = (pcs("serving").set("spec.template.topologyConstraint", {
        "topologyName": "grove-topology", "pack": {"required": "block"}, "spreadConstraints": [{"domain": "zone"}]})
        .clique("p", 1).group("sg", ["p"], replicas=2, min_available=1).build())
    base, scaled = plan_podgangs(model(body), topo=TOPO)
    assert "spreadConstraints" in base["spec"]["topologyConstraint"]
    assert scaled["spec"]["topologyConstraint"] == {"packConstraint": {"required": "kubernetes.io/block"}}


def test_no_spread_no_change_and_tas_off_writes_nothing() -> None:
    body = pcs("serving").topology("block").clique("p", 1).build()
    (gang,) = plan_podgangs(model(body), topo=TOPO)
    assert gang["spec"]["topologyConstraint"] == {"packConstraint": {"required": "kubernetes.io/block"}}
    spread_body = pcs("serving").set("spec.template.topologyConstraint", {
        "topologyName": "grove-topology", "spreadConstraints": [{"domain": "zone"}]}).clique("p", 1).build()
    (off,) = plan_podgangs(model(spread_body), topo=TopologyContext(False, CTB))
    assert "topologyConstraint" not in off["spec"]
