"""Table tests for topology admission (CRD CEL rules, spec §9.3), scheduler backends (§10.2) and
auto-MNNVL (§11.3): each case must be rejected at exactly the named path."""

from __future__ import annotations

from typing import Any

import pytest

from grove.api.models.config import OperatorConfiguration
from grove.api.validation import ErrorType
from tests.builders import ctb, pcs, tc, volcano_queue
from tests.unit.api.validation._support import check, config, describe

R, INV, F, NS, NF = (ErrorType.REQUIRED, ErrorType.INVALID, ErrorType.FORBIDDEN, ErrorType.NOT_SUPPORTED,
                   ErrorType.NOT_FOUND)
T = "spec.template.topologyConstraint"
C0 = "spec.template.cliques[0]"
G0 = "spec.template.podCliqueScalingGroups[0]"
MNNVL = "grove.io/mnnvl-group"


def kai(name: str = "x") -> Any:
    return pcs(name).label("kai.scheduler/queue", "q")


TAS_OFF = config(tas=False)
CASES: list[tuple[str, Any, str, ErrorType, OperatorConfiguration | None]] = [
    # CEL
    ("packDomain on create", pcs("x").clique("a").topology(pack_domain="rack"), f"{T}.packDomain", F, None),
    ("no pack", pcs("x").clique("a").topology(), f"{T}.pack", R, None),
    ("pack empty", pcs("x").clique("a").set(T, {"topologyName": "grove-topology", "pack": {}}), f"{T}.pack", R, None),
    # TAS off
    ("TAS off, PCS constraint", pcs("x").clique("a").topology("rack"), T, F, TAS_OFF),
    ("TAS off, clique constraint", pcs("x").clique("a", topology=tc("host")), f"{C0}.topologyConstraint", F, TAS_OFF),
    ("TAS off, group constraint", pcs("x").clique("a").group("g", ["a"], topology=tc("rack")),
     f"{G0}.topologyConstraint", F, TAS_OFF),
    # TAS on
    ("PCS without topologyName", pcs("x").clique("a").topology("rack", name=None), f"{T}.topologyName", R, None),
    ("clique with no name anywhere", pcs("x").clique("a", topology=tc("host", name=None)),
     f"{C0}.topologyConstraint.topologyName", R, None),
    ("names differ", pcs("x").topology("zone").clique("a", topology=tc("host", name="other")),
     f"{C0}.topologyConstraint.topologyName", INV, None),
    ("CTB missing", pcs("x").clique("a").topology("rack", name="nope"), f"{T}.topologyName", NF, None),
    ("unknown required domain", pcs("x").clique("a").topology("galaxy"), f"{T}.pack.required", NS, None),
    ("unknown preferred domain", pcs("x").clique("a").topology(preferred="numa"), f"{T}.pack.preferred", NS, None),
    ("clique broader than PCS", pcs("x").topology("rack").clique("a", topology=tc("zone")),
     f"{C0}.topologyConstraint.pack.required", INV, None),
    ("member broader than group", pcs("x").clique("a", topology=tc("block")).group("g", ["a"], topology=tc("host")),
     f"{C0}.topologyConstraint.pack.required", INV, None),
    ("group broader than PCS", pcs("x").topology("rack").clique("a").group("g", ["a"], topology=tc("block")),
     f"{G0}.topologyConstraint.pack.required", INV, None),
    ("preferred broader than parent preferred", pcs("x").topology(preferred="host").clique(
        "a", topology=tc(preferred="rack")), f"{C0}.topologyConstraint.pack.preferred", INV, None),
    # kai-scheduler
    ("kai without queue", pcs("x").clique("a", scheduler="kai-scheduler"), "metadata.labels[kai.scheduler/queue]",
     R, None),
    ("kai clique differs from PCS", kai().clique("a", scheduler="kai-scheduler", labels={"kai.scheduler/queue": "z"}),
     f"{C0}.labels[kai.scheduler/queue]", INV, None),
    ("kai cliques disagree", pcs("x").clique("a", scheduler="kai-scheduler", labels={"kai.scheduler/queue": "q1"})
     .clique("b", scheduler="kai-scheduler", annotations={"kai.scheduler/queue": "q2"}),
     "spec.template.cliques[1].annotations[kai.scheduler/queue]", INV, None),
    # volcano
    ("volcano with topology", pcs("x").topology("rack").clique("a", scheduler="volcano"), T, F, None),
    ("volcano queue conflict", pcs("x").annotate("scheduling.grove.io/volcano-queue", "q1").clique(
        "a", scheduler="volcano", annotations={"scheduling.grove.io/volcano-queue": "q2"}),
     f"{C0}.annotations[scheduling.grove.io/volcano-queue]", INV, None),
    ("volcano cliques disagree", pcs("x").clique("a", scheduler="volcano", annotations={
        "scheduling.grove.io/volcano-queue": "q1"}).clique("b", scheduler="volcano"),
     "metadata.annotations[scheduling.grove.io/volcano-queue]", INV, None),
    ("volcano queue not DNS", pcs("x").annotate("scheduling.grove.io/volcano-queue", "Bad_Q").clique(
        "a", scheduler="volcano"), "metadata.annotations[scheduling.grove.io/volcano-queue]", INV, None),
    # lpx
    ("lpx with topology", pcs("x").clique("a", scheduler="lpx-scheduler", topology=tc("host")),
     f"{C0}.topologyConstraint", F, None),
    # MNNVL
    ("mnnvl bad value", pcs("x").annotate(MNNVL, "has spaces").clique("a"), f"metadata.annotations[{MNNVL}]", INV,
     config(mnnvl=True)),
    ("mnnvl off, group value", pcs("x").clique("a").group("g", ["a"], annotations={MNNVL: "g1"}),
     f"{G0}.annotations[{MNNVL}]", F, None),
    ("mnnvl off, clique value", pcs("x").clique("a", annotations={MNNVL: "g1"}), f"{C0}.annotations[{MNNVL}]", F, None),
]


@pytest.mark.parametrize(("body", "path", "etype", "cfg"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rule_rejects_at_path(body: Any, path: str, etype: ErrorType, cfg: OperatorConfiguration | None) -> None:
    report = check(body.build(), cfg=cfg, extra=(ctb(), volcano_queue("default")))
    hits = [e for e in report.result.errors if e.path == path]
    assert hits, f"no error at {path}; got:\n{describe(report)}"
    assert etype in {e.type for e in hits}, describe(report)


VALID: list[tuple[str, Any, OperatorConfiguration | None]] = [
    ("3-level hierarchy", pcs("x").topology("block").clique("a", topology=tc("host")).group(
        "g", ["a"], topology=tc("rack")), None),
    ("names inherited", pcs("x").topology("zone").clique("a", topology=tc("host", name=None)), None),
    ("kai queue on PCS, repeated", kai().clique("a", scheduler="kai-scheduler", labels={"kai.scheduler/queue": "q"}),
     None),
    ("kai queue on cliques only", pcs("x").clique("a", scheduler="kai-scheduler",
                                                  annotations={"kai.scheduler/queue": "q"}), None),
    ("volcano default queue", pcs("x").clique("a", scheduler="volcano"), None),
    ("mnnvl none with feature off", pcs("x").annotate(MNNVL, "none").clique("a", gpus=1), None),
    ("mnnvl group with feature on", pcs("x").annotate(MNNVL, "g1").clique("a", gpus=1), config(mnnvl=True)),
    ("no constraints, TAS off", pcs("x").clique("a"), TAS_OFF),
]


@pytest.mark.parametrize(("body", "cfg"), [c[1:] for c in VALID], ids=[c[0] for c in VALID])
def test_valid(body: Any, cfg: OperatorConfiguration | None) -> None:
    report = check(body.build(), cfg=cfg, extra=(ctb(), volcano_queue("default")))
    assert report.ok, describe(report)


def test_preferred_coarser_than_own_required_is_a_warning() -> None:
    report = check(pcs("x").topology("host", "zone").clique("a").build())
    assert report.ok, describe(report)
    assert any(w.startswith(f"{T}.pack.preferred:") for w in report.result.warnings)


@pytest.mark.parametrize(("queues", "ok", "expect"), [
    ((volcano_queue("default"),), True, ""),
    ((volcano_queue("default", "Closed"),), False, "Closed, not Open"),
    ((volcano_queue("other"),), False, "does not exist"),
    ((), True, ""),  # no Queue objects at all: undecidable offline, a warning
])
def test_volcano_queue_must_exist_and_be_open(queues: tuple[Any, ...], ok: bool, expect: str) -> None:
    report = check(pcs("x").clique("a", scheduler="volcano").build(), extra=queues)
    assert report.ok is ok, describe(report)
    if expect:
        assert expect in describe(report)
    if not queues:
        assert any("not checked" in w for w in report.result.warnings)
