"""PCSG RollingRecreate planner (spec §8.4): whole replicas, one Ready replica at a time."""

from __future__ import annotations

from typing import Any

from grove.api import constants as c
from grove.controllers.podcliquescalinggroup.plan_update import (
    PENDING,
    READY,
    UNAVAILABLE,
    classify,
    needs_bookkeeping,
    plan_pcsg_update_step,
)

NOW = "2026-01-01T00:01:00Z"
EXPECTED = {"b": "hb2", "c": "hc2"}


def member(hash_: str, *, scheduled: int = 1, ready: int = 1, replicas: int = 1, converged: bool = False,
           pcs_hash: str = "g2") -> dict[str, Any]:
    st: dict[str, Any] = {"scheduledReplicas": scheduled, "readyReplicas": ready, "updatedReplicas": ready}
    if converged:
        st.update(currentPodTemplateHash=hash_, currentPodCliqueSetGenerationHash=pcs_hash)
    return {"metadata": {"labels": {c.LABEL_POD_TEMPLATE_HASH: hash_}},
            "spec": {"replicas": replicas, "minAvailable": 1}, "status": st}


def old_replica(**kw: Any) -> dict[str, dict[str, Any]]:
    return {"b": member("hb1", **kw), "c": member("hc1", **kw)}


def new_replica(converged: bool = True) -> dict[str, dict[str, Any]]:
    return {"b": member("hb2", converged=converged), "c": member("hc2", converged=converged)}


PROGRESS = {"updateStartedAt": NOW, "podCliqueSetGenerationHash": "g2"}


def step(progress: dict[str, Any], members: dict[int, dict[str, dict[str, Any]]], replicas: int = 3,
         floor: int = 1) -> Any:
    return plan_pcsg_update_step(progress, replicas, members, ["b", "c"], EXPECTED, "g2", floor, NOW)


def test_classify() -> None:
    assert classify(old_replica(scheduled=0, ready=0)) == PENDING
    assert classify(old_replica(ready=0)) == UNAVAILABLE
    assert classify(old_replica()) == READY


def test_bookkeeping() -> None:
    assert needs_bookkeeping(None, "g1", "g2", {0: old_replica()}, EXPECTED)
    assert not needs_bookkeeping(None, None, "g2", {0: new_replica()}, EXPECTED)
    assert not needs_bookkeeping({"podCliqueSetGenerationHash": "g2"}, "g1", "g2", {0: old_replica()}, EXPECTED)


def test_lowest_ready_replica_first_and_broken_ones_at_once() -> None:
    s = step(PROGRESS, {0: old_replica(), 1: old_replica(scheduled=0, ready=0), 2: old_replica()})
    assert s.delete == [1, 0] and s.requeue
    assert s.progress["readyReplicaIndicesSelectedToUpdate"] == {"current": 0}


def test_waits_for_selected_replica_to_converge() -> None:
    sel = {**PROGRESS, "readyReplicaIndicesSelectedToUpdate": {"current": 0}}
    gone = step(sel, {1: old_replica(), 2: old_replica()})
    assert (gone.delete, gone.requeue, gone.progress) == ([], True, sel)
    not_conv = step(sel, {0: new_replica(converged=False), 1: old_replica(), 2: old_replica()})
    assert not_conv.delete == [] and not_conv.requeue
    nxt = step(sel, {0: new_replica(), 1: old_replica(), 2: old_replica()})
    assert nxt.delete == [1]
    assert nxt.progress["readyReplicaIndicesSelectedToUpdate"] == {"current": 1, "completed": [0]}


def test_availability_floor_holds_the_next_pick() -> None:
    s = step(PROGRESS, {0: old_replica(), 1: old_replica()}, replicas=2, floor=3)
    assert s.delete == [] and s.requeue and "readyReplicaIndicesSelectedToUpdate" not in s.progress


def test_update_ends_when_no_old_replica_is_left() -> None:
    sel = {**PROGRESS, "readyReplicaIndicesSelectedToUpdate": {"current": 1, "completed": [0]}}
    s = step(sel, {0: new_replica(), 1: new_replica()}, replicas=2)
    assert s.delete == [] and not s.requeue
    assert s.progress["updateEndedAt"] == NOW and "readyReplicaIndicesSelectedToUpdate" not in s.progress
