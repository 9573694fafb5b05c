"""PCSG-replica gang termination planner (spec §7.4): breached replicas, delegation, expiry, requeue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from grove.api import constants as c
from grove.controllers.podcliquescalinggroup.plan_termination import breached_replicas, plan_pcsg_termination

T0 = datetime(2026, 1, 1, tzinfo=UTC)
CREATED = "2026-01-01T00:00:00Z"


def ts(seconds: float) -> str:
    return (T0 + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


def member(j: int, clique: str, *, breached_at: float | None = None, scheduled: str = "True",
           scheduled_at: float = 2, terminating: bool = False) -> dict[str, Any]:
    conds = [{"type": c.COND_PODCLIQUE_SCHEDULED, "status": scheduled, "lastTransitionTime": ts(scheduled_at)}]
    if breached_at is not None:
        conds.append({"type": c.COND_MIN_AVAILABLE_BREACHED, "status": "True", "lastTransitionTime": ts(breached_at)})
    else:
        conds.append({"type": c.COND_MIN_AVAILABLE_BREACHED, "status": "False", "lastTransitionTime": ts(2)})
    meta: dict[str, Any] = {"name": f"p-0-sg-{j}-{clique}", "creationTimestamp": CREATED,
                            "labels": {c.LABEL_PCSG_REPLICA_INDEX: str(j)}}
    if terminating:
        meta["deletionTimestamp"] = ts(1)
    return {"metadata": meta, "status": {"conditions": conds}}


NOW = 100.0
DELAY = 10.0


@pytest.mark.parametrize(
    ("members", "replicas", "min_available", "terminate", "requeue", "delegated"),
    [
        pytest.param([member(0, "a"), member(1, "a")], 2, 1, (), None, False, id="healthy"),
        pytest.param([member(0, "a", breached_at=90), member(1, "a")], 2, 1, (0,), None, False, id="expired-exactly"),
        pytest.param([member(0, "a", breached_at=91), member(1, "a")], 2, 1, (), 1.0, False, id="unexpired-requeue"),
        pytest.param([member(0, "a", breached_at=95), member(0, "b", breached_at=80), member(1, "a")], 2, 1,
                     (0,), None, False, id="earliest-member-breach-counts"),
        pytest.param([member(0, "a", breached_at=50), member(1, "a")], 2, 2, (), None, True,
                     id="below-floor-delegates-to-pcs"),
        pytest.param([member(0, "a", breached_at=50), member(1, "a", breached_at=50)], 2, 1, (), None, True,
                     id="all-breached-delegates"),
        pytest.param([member(0, "a", breached_at=50), member(1, "a", breached_at=95), member(2, "a")], 3, 1,
                     (0,), 5.0, False, id="terminate-one-requeue-other"),
        pytest.param([member(0, "a", breached_at=1, scheduled="False", scheduled_at=1), member(1, "a")], 2, 1,
                     (), None, False, id="never-scheduled-is-not-breached"),
        pytest.param([member(0, "a", breached_at=50, scheduled="False", scheduled_at=30), member(1, "a")], 2, 1,
                     (0,), None, False, id="scheduled-false-after-grace-was-scheduled"),
        pytest.param([member(0, "a", breached_at=50, terminating=True), member(1, "a")], 2, 1, (), None, False,
                     id="terminating-member-ignored"),
        pytest.param([member(2, "a", breached_at=50), member(0, "a"), member(1, "a")], 2, 1, (), None, False,
                     id="index-beyond-replicas-is-scale-in-business"),
    ],
)
def test_plan(members: list[dict[str, Any]], replicas: int, min_available: int, terminate: tuple[int, ...],
              requeue: float | None, delegated: bool) -> None:
    plan = plan_pcsg_termination(members, replicas, min_available, DELAY, T0 + timedelta(seconds=NOW))
    assert (plan.terminate, plan.requeue_after, plan.delegated) == (terminate, requeue, delegated)


def test_breached_replicas_earliest_expiry() -> None:
    got = breached_replicas([member(1, "a", breached_at=30), member(1, "b", breached_at=20)], 2, DELAY)
    assert got == {1: T0 + timedelta(seconds=30)}
