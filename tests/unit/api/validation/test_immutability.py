"""UPDATE tests (spec §2.2 "UPDATE-only"): each immutable field changed alone is rejected at its path;
each mutable field changed alone is admitted; the two topology migrations are admitted with a
deprecation warning per remaining packDomain."""

from __future__ import annotations

from typing import Any

import pytest

from grove.api.models.core import PodCliqueSet
from grove.api.validation import OfflineLookup, validate_podcliqueset
from tests.builders import ctb, pcs, sharing, tc
from tests.unit.api.validation._support import check, config, describe

C0 = "spec.template.cliques[0]"
G0 = "spec.template.podCliqueScalingGroups[0]"
MNNVL = "grove.io/mnnvl-group"


def old() -> Any:
    return (pcs("x").startup("InOrder").clique("a", replicas=2).clique("b", replicas=2, topology=tc("host"))
            .group("g", ["b"], replicas=2, min_available=1, sharing=[sharing("t")])
            .claim_template("t").share("t").topology("zone"))


IMMUTABLE: list[tuple[str, Any, str]] = [
    ("clique added", old().clique("c"), "spec.template.cliques"),
    ("clique renamed", old().set(f"{C0}.name", "z").set(f"{C0}.spec.roleName", "a"), f"{C0}.name"),
    ("clique order (InOrder)", old().set("spec.template.cliques", list(reversed(old().build()["spec"]["template"]
                                                                             ["cliques"]))), f"{C0}.name"),
    ("roleName", old().set(f"{C0}.spec.roleName", "other"), f"{C0}.spec.roleName"),
    ("minAvailable", old().set(f"{C0}.spec.minAvailable", 1), f"{C0}.spec.minAvailable"),
    ("startsAfter", old().set(f"{C0}.spec.startsAfter", ["b"]), f"{C0}.spec.startsAfter"),
    ("schedulerName", old().set(f"{C0}.spec.podSpec.schedulerName", "grove-scheduler"),
     f"{C0}.spec.podSpec.schedulerName"),
    ("clique resourceSharing", old().set(f"{C0}.resourceSharing", [sharing("t")]), f"{C0}.resourceSharing"),
    ("cliqueStartupType", old().startup("AnyOrder"), "spec.template.cliqueStartupType"),
    ("resourceClaimTemplates", old().claim_template("u"), "spec.template.resourceClaimTemplates"),
    ("PCS resourceSharing", old().set("spec.template.resourceSharing", []), "spec.template.resourceSharing"),
    ("group added", old().group("h", ["a"]), "spec.template.podCliqueScalingGroups"),
    ("group renamed", old().set(f"{G0}.name", "h"), f"{G0}.name"),
    ("group cliqueNames", old().set(f"{G0}.cliqueNames", ["b", "a"]), f"{G0}.cliqueNames"),
    ("group minAvailable", old().set(f"{G0}.minAvailable", 2), f"{G0}.minAvailable"),
    ("group resourceSharing", old().set(f"{G0}.resourceSharing", [sharing("t", "PerReplica")]),
     f"{G0}.resourceSharing"),
    ("PCS topology changed", old().topology("block"), "spec.template.topologyConstraint"),
    ("PCS topology removed", old().delete("spec.template.topologyConstraint"), "spec.template.topologyConstraint"),
    ("clique topology added", old().set(f"{C0}.topologyConstraint", tc("host")), f"{C0}.topologyConstraint"),
    ("group topology added", old().set(f"{G0}.topologyConstraint", tc("rack")), f"{G0}.topologyConstraint"),
    ("mnnvl added", old().annotate(MNNVL, "none"), f"metadata.annotations[{MNNVL}]"),
    ("mnnvl on clique added", old().set(f"{C0}.annotations", {MNNVL: "none"}), f"{C0}.annotations[{MNNVL}]"),
]

MUTABLE: list[tuple[str, Any]] = [
    ("PCS replicas", old().replicas(5)),
    ("clique replicas", old().set(f"{C0}.spec.replicas", 3).set(f"{C0}.spec.minAvailable", 2)),
    ("image", old().set(f"{C0}.spec.podSpec.containers[0].image", "busybox:2")),
    ("labels and annotations", old().label("team", "x").annotate("note", "y")),
    ("priorityClassName", old().set("spec.template.priorityClassName", "high")),
    ("terminationDelay", old().termination_delay("10m")),
    ("autoscaling", old().set(f"{C0}.spec.autoScalingConfig", {"minReplicas": 2, "maxReplicas": 9})),
    ("updateStrategy", old().set("spec.updateStrategy", {"type": "OnDelete"})),
    ("group replicas", old().set(f"{G0}.replicas", 4)),
    ("topologySpreadConstraints (CREATE-only rule)", old().set(f"{C0}.spec.podSpec.topologySpreadConstraints", [])),
]


@pytest.mark.parametrize(("new", "path"), [c[1:] for c in IMMUTABLE], ids=[c[0] for c in IMMUTABLE])
def test_immutable_field(new: Any, path: str) -> None:
    assert check(old().build()).ok, describe(check(old().build()))
    report = check(new.build(), old().build())
    assert path in report.result.paths(), describe(report)


@pytest.mark.parametrize("new", [c[1] for c in MUTABLE], ids=[c[0] for c in MUTABLE])
def test_mutable_field(new: Any) -> None:
    report = check(new.build(), old().build())
    assert report.ok, describe(report)


def _legacy(constraint: dict[str, Any]) -> PodCliqueSet:
    """A stored object from before packDomain was deprecated (created when the CEL rule did not exist)."""
    body = pcs("x").clique("a").set("spec.template.topologyConstraint", constraint).build()
    from grove.api.defaults import default_podcliqueset
    return default_podcliqueset(PodCliqueSet.model_validate(body))


def _update(new: dict[str, Any], prev: dict[str, Any]) -> tuple[list[str], list[str]]:
    result = validate_podcliqueset(_legacy(new), _legacy(prev), config=config(),
                                   lookup=OfflineLookup.from_bodies([ctb()]))
    return result.paths(), result.warnings


def test_adding_topology_name_to_legacy_pack_domain_is_allowed_with_warning() -> None:
    paths, warnings = _update({"topologyName": "grove-topology", "packDomain": "rack"}, {"packDomain": "rack"})
    assert paths == []
    assert any(w.startswith("spec.template.topologyConstraint.packDomain:") and "deprecated" in w for w in warnings)


def test_moving_pack_domain_to_pack_required_is_allowed() -> None:
    prev = {"topologyName": "grove-topology", "packDomain": "rack"}
    paths, warnings = _update({"topologyName": "grove-topology", "pack": {"required": "rack"}}, prev)
    assert paths == []
    assert warnings == [w for w in warnings if "packDomain" not in w]


@pytest.mark.parametrize(("new", "prev"), [
    ({"topologyName": "grove-topology", "pack": {"required": "zone"}},
     {"topologyName": "grove-topology", "packDomain": "rack"}),  # different domain
    ({"topologyName": "other", "packDomain": "rack"},
     {"topologyName": "grove-topology", "packDomain": "rack"}),  # renamed topology
    ({"topologyName": "grove-topology", "packDomain": "rack"},
     {"topologyName": "grove-topology", "pack": {"required": "rack"}}),  # moving back to packDomain
])
def test_other_topology_changes_are_rejected(new: dict[str, Any], prev: dict[str, Any]) -> None:
    paths, _ = _update(new, prev)
    assert "spec.template.topologyConstraint" in paths
