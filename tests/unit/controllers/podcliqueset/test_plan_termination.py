"""PCS-replica gang termination planner (spec §7.4): candidates, skips, expiry and exact requeue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from grove.api import constants as c
from grove.controllers.podcliqueset.plan_termination import plan_pcs_termination

T0 = datetime(2026, 1, 1, tzinfo=UTC)
CREATED = "2026-01-01T00:00:00Z"
NOW = T0 + timedelta(seconds=100)
DELAY = 10.0


def ts(seconds: float) -> str:
    return (T0 + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


def pclq(i: int, *, breached_at: float | None = None, scheduled: str = "True", scheduled_at: float = 2,
         terminating: bool = False) -> dict[str, Any]:
    conds = [{"type": c.COND_PODCLIQUE_SCHEDULED, "status": scheduled, "lastTransitionTime": ts(scheduled_at)},
             {"type": c.COND_MIN_AVAILABLE_BREACHED, "status": "True" if breached_at is not None else "False",
              "lastTransitionTime": ts(breached_at if breached_at is not None else 2)}]
    meta: dict[str, Any] = {"name": f"p-{i}-a", "creationTimestamp": CREATED,
                            "labels": {c.LABEL_PCS_REPLICA_INDEX: str(i)}}
    if terminating:
        meta["deletionTimestamp"] = ts(99)
    return {"metadata": meta, "status": {"conditions": conds}}


def pcsg(i: int, *, breach: str = "False", at: float = 2, gtip: bool = False) -> dict[str, Any]:
    conds = [{"type": c.COND_MIN_AVAILABLE_BREACHED, "status": breach, "lastTransitionTime": ts(at)}]
    if gtip:
        conds.append({"type": c.COND_GANG_TERMINATION_IN_PROGRESS, "status": "True", "lastTransitionTime": ts(at)})
    return {"metadata": {"name": f"p-{i}-sg", "creationTimestamp": CREATED,
                         "labels": {c.LABEL_PCS_REPLICA_INDEX: str(i)}}, "status": {"conditions": conds}}


EXPECTED = {0: ["p-0-a"], 1: ["p-1-a"]}


@pytest.mark.parametrize(
    ("pclqs", "pcsgs", "terminate", "breached", "requeue"),
    [
        pytest.param([pclq(0), pclq(1)], [pcsg(0), pcsg(1)], (), (), None, id="healthy"),
        pytest.param([pclq(0, breached_at=90), pclq(1)], [pcsg(0), pcsg(1)], (0,), (), None,
                     id="standalone-expired-exactly-at-delay"),
        pytest.param([pclq(0, breached_at=95), pclq(1)], [pcsg(0), pcsg(1)], (), (0,), 5.0,
                     id="standalone-unexpired-requeues-at-expiry"),
        pytest.param([pclq(0, breached_at=3, scheduled="False", scheduled_at=3), pclq(1)], [], (), (), None,
                     id="standalone-never-scheduled"),
        pytest.param([pclq(0), pclq(1)], [pcsg(0, breach="True", at=80), pcsg(1)], (0,), (), None,
                     id="pcsg-expired"),
        pytest.param([pclq(0), pclq(1)], [pcsg(0, breach="True", at=3)], (), (), None,
                     id="pcsg-never-healthy"),
        pytest.param([pclq(0), pclq(1)], [pcsg(0, breach="True", at=80, gtip=True)], (), (), None,
                     id="pcsg-gang-termination-in-progress"),
        pytest.param([pclq(1)], [pcsg(0, breach="True", at=80)], (), (), None,
                     id="missing-standalone-skips-replica"),
        pytest.param([pclq(0, breached_at=50, terminating=True), pclq(1)], [pcsg(0, breach="True", at=50)], (), (),
                     None, id="terminating-standalone-skips-replica"),
        pytest.param([pclq(0, breached_at=95), pclq(1, breached_at=20)], [pcsg(0, breach="True", at=97)], (1,),
                     (0,), 5.0, id="one-expired-one-waiting"),
    ],
)
def test_plan(pclqs: list[dict[str, Any]], pcsgs: list[dict[str, Any]], terminate: tuple[int, ...],
              breached: tuple[int, ...], requeue: float | None) -> None:
    plan = plan_pcs_termination(2, EXPECTED, pclqs, pcsgs, DELAY, NOW)
    assert (plan.terminate, plan.breached, plan.requeue_after) == (terminate, breached, requeue)


def test_replicas_beyond_spec_are_ignored() -> None:
    plan = plan_pcs_termination(1, EXPECTED, [pclq(0), pclq(1, breached_at=1)], [], DELAY, NOW)
    assert plan.terminate == ()
