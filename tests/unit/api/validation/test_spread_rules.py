"""Admission of topologyConstraint.spreadConstraints (docs/spread.md): each bad input is rejected at the
named field path with the rule in the message; good shapes (spread only, spread with a coarser-or-equal
pack, PCSG and clique spread) pass; the CRD defaults fill maxSkew and whenUnsatisfiable."""

from __future__ import annotations

from typing import Any

import pytest

from grove.api.defaults import apply_crd_defaults
from grove.api.models.core import PodCliqueSet
from grove.api.validation import ErrorType
from tests.builders import TOPOLOGY, ctb, pcs, tc
from tests.unit.api.validation._support import check, config, describe

T = "spec.template.topologyConstraint"
C0 = "spec.template.cliques[0].topologyConstraint"
G0 = "spec.template.podCliqueScalingGroups[0].topologyConstraint"


def spread(domain: str = "zone", **fields: Any) -> dict[str, Any]:
    return {"domain": domain, **fields}


def with_spread(*rules: dict[str, Any], pack: str | None = None, name: str | None = TOPOLOGY) -> dict[str, Any]:
    out = tc(pack, name=name)
    out["spreadConstraints"] = list(rules)
    return out


def replicas(constraint: dict[str, Any]) -> Any:
    return pcs("x").replicas(3).clique("a").set(T, constraint)


BAD: list[tuple[str, Any, str, ErrorType, str]] = [
    ("domain missing from the binding", replicas(with_spread(spread("galaxy"))),
     f"{T}.spreadConstraints[0].domain", ErrorType.NOT_SUPPORTED, 'supported values: "zone", "block", "rack", "host"'),
    ("maxSkew 0", replicas(with_spread(spread(maxSkew=0))),
     f"{T}.spreadConstraints[0].maxSkew", ErrorType.INVALID, "must be greater than or equal to 1"),
    ("spread finer than the replica's pack", replicas(with_spread(spread("rack"), pack="block")),
     f"{T}.spreadConstraints[0].domain", ErrorType.INVALID,
     f"must not be narrower than {T}.pack.required ('block'): each replica of the PodCliqueSet is packed in one "
     "block, so it has no single rack to count"),
    ("PCSG spread finer than the PCSG pack", pcs("x").topology("zone").clique("a").group(
        "g", ["a"], topology=with_spread(spread("host"), pack="rack", name=None)),
     f"{G0}.spreadConstraints[0].domain", ErrorType.INVALID, f"must not be narrower than {G0}.pack.required"),
    ("minDomains 0", replicas(with_spread(spread(minDomains=0))),
     f"{T}.spreadConstraints[0].minDomains", ErrorType.INVALID, "must be greater than or equal to 1"),
    ("minDomains with ScheduleAnyway", replicas(with_spread(spread(minDomains=2, whenUnsatisfiable="ScheduleAnyway"))),
     f"{T}.spreadConstraints[0].minDomains", ErrorType.INVALID, "only be used when whenUnsatisfiable is DoNotSchedule"),
    ("duplicate domain", replicas(with_spread(spread(), spread())),
     f"{T}.spreadConstraints[1]", ErrorType.DUPLICATE, "must be unique"),
    ("bad whenUnsatisfiable", replicas(with_spread(spread(whenUnsatisfiable="Sometimes"))),
     f"{T}.spreadConstraints[0].whenUnsatisfiable", ErrorType.NOT_SUPPORTED, "DoNotSchedule"),
    ("spread without a topology name", replicas(with_spread(spread(), name=None)),
     f"{T}.topologyName", ErrorType.REQUIRED, "must name its ClusterTopologyBinding"),
]


@pytest.mark.parametrize(("body", "path", "etype", "rule"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_spread_is_rejected_at_its_path_with_the_rule(body: Any, path: str, etype: ErrorType, rule: str) -> None:
    report = check(body.build())
    hits = [e for e in report.result.errors if e.path == path and e.type == etype]
    assert hits, f"no {etype} at {path}; got:\n{describe(report)}"
    assert any(rule in str(e) for e in hits), describe(report)


def test_spread_without_topology_aware_scheduling_is_forbidden() -> None:
    report = check(replicas(with_spread(spread())).build(), cfg=config(tas=False))
    assert [str(e) for e in report.result.errors] == [
        f"{T}: Forbidden: topology-aware scheduling is disabled in the operator configuration "
        "(topologyAwareScheduling.enabled)"]


GOOD: list[tuple[str, Any]] = [
    ("spread only", replicas(with_spread(spread()))),
    ("each replica packed in a block, replicas over blocks", replicas(with_spread(spread("block"), pack="block"))),
    ("replicas packed in a rack, over zones", replicas(with_spread(spread("zone", maxSkew=2, minDomains=3),
                                                                   pack="rack"))),
    ("PCSG replicas over racks inside a packed block", pcs("x").topology("block").clique("a").group(
        "g", ["a"], replicas=3, topology={"spreadConstraints": [spread("rack")]})),
    ("clique pods over hosts", pcs("x").clique("a", 4, topology=with_spread(spread("host")))),
    ("clique pods over hosts inside a rack", pcs("x").clique("a", 4, topology=with_spread(spread("host"), pack="rack"))),
    ("zone and host at once", replicas(with_spread(spread("zone"), spread("host", whenUnsatisfiable="ScheduleAnyway")))),
]


@pytest.mark.parametrize("body", [g[1] for g in GOOD], ids=[g[0] for g in GOOD])
def test_good_spread_is_admitted(body: Any) -> None:
    report = check(body.build(), extra=(ctb(),))
    assert report.ok, describe(report)


def test_spread_is_immutable_like_the_rest_of_the_constraint() -> None:
    old = replicas(with_spread(spread())).build()
    new = replicas(with_spread(spread(maxSkew=2))).build()
    report = check(new, old)
    assert any(e.path == T and "topology constraints are immutable" in str(e) for e in report.result.errors), (
        describe(report))


def test_crd_defaults_fill_max_skew_and_when_unsatisfiable() -> None:
    body = replicas(with_spread(spread())).build()
    out = apply_crd_defaults(PodCliqueSet.from_wire(body)).to_wire()
    assert out["spec"]["template"]["topologyConstraint"]["spreadConstraints"] == [
        {"domain": "zone", "maxSkew": 1, "whenUnsatisfiable": "DoNotSchedule"}]
