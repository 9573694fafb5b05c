"""Condition upserts (metav1 semantics) and breach timing (spec §7.3)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from grove.controllers.common.conditions import (
    breach_expired,
    remove_condition,
    upsert_condition,
    was_ever_healthy,
    was_ever_scheduled,
)


def obj(cond_type: str, status: str, moved: str, created: str = "2024-01-01T00:00:00Z") -> dict[str, Any]:
    return {
        "metadata": {"creationTimestamp": created},
        "status": {"conditions": [{"type": cond_type, "status": status, "lastTransitionTime": moved}]},
    }


def test_upsert_keeps_time_for_same_status_and_order_of_others() -> None:
    conds = [
        {"type": "A", "status": "True", "lastTransitionTime": "t0"},
        {"type": "B", "status": "False", "lastTransitionTime": "t0"},
    ]
    out = upsert_condition(conds, "A", "True", "R2", "m", "t1")
    assert [c["type"] for c in out] == ["A", "B"]
    assert (out[0]["lastTransitionTime"], out[0]["reason"]) == ("t0", "R2")
    assert upsert_condition(out, "A", "False", "R3", "m", "t2")[0]["lastTransitionTime"] == "t2"
    assert upsert_condition(None, "C", "True", "R", "m", "t3") == [
        {"type": "C", "status": "True", "lastTransitionTime": "t3", "reason": "R", "message": "m"}
    ]
    assert remove_condition(conds, "A") == [conds[1]]
    assert conds[0]["lastTransitionTime"] == "t0"  # input untouched


def test_ever_scheduled_and_ever_healthy() -> None:
    assert was_ever_scheduled(obj("PodCliqueScheduled", "True", "2024-01-01T00:00:01Z"))
    assert not was_ever_scheduled(obj("PodCliqueScheduled", "False", "2024-01-01T00:00:03Z"))
    assert was_ever_scheduled(obj("PodCliqueScheduled", "False", "2024-01-01T00:00:06Z"))
    assert not was_ever_scheduled({"metadata": {}})
    assert was_ever_healthy(obj("MinAvailableBreached", "False", "2024-01-01T00:00:01Z"))
    assert not was_ever_healthy(obj("MinAvailableBreached", "True", "2024-01-01T00:00:02Z"))
    assert was_ever_healthy(obj("MinAvailableBreached", "True", "2024-01-01T00:01:00Z"))


def test_breach_expires_after_termination_delay() -> None:
    breached = obj("MinAvailableBreached", "True", "2024-01-01T00:00:00Z")
    assert not breach_expired(breached, 10, datetime(2024, 1, 1, 0, 0, 9, tzinfo=UTC))
    assert breach_expired(breached, 10, datetime(2024, 1, 1, 0, 0, 10, tzinfo=UTC))
    healthy = obj("MinAvailableBreached", "False", "2024-01-01T00:00:00Z")
    assert not breach_expired(healthy, 10, datetime(2030, 1, 1, tzinfo=UTC))
