"""PodCliqueSet update bookkeeping and replica order planner (spec §8.2)."""

from __future__ import annotations

from grove.controllers.podcliqueset.plan_update import (
    ReplicaUpdateState,
    currently_updating,
    next_replica,
    plan_pcs_update_step,
    start_update,
)

T1, T2 = "2026-01-01T00:00:01Z", "2026-01-01T00:00:02Z"


def test_start_update() -> None:
    assert start_update({}, "h1", T1, False) == {"currentGenerationHash": "h1"}
    assert start_update({"currentGenerationHash": "h1"}, "h1", T1, False) == {"currentGenerationHash": "h1"}
    rolled = start_update({"currentGenerationHash": "h1", "updatedReplicas": 3}, "h2", T1, False)
    assert rolled == {"currentGenerationHash": "h2", "updatedReplicas": 0, "updateProgress": {"updateStartedAt": T1}}
    on_delete = start_update({"currentGenerationHash": "h1"}, "h2", T1, True)
    assert on_delete["updateProgress"] == {"updateStartedAt": T1, "updateEndedAt": T1}
    assert currently_updating(on_delete) is None


def r(i: int, done: bool = False, scheduled: int = 5) -> ReplicaUpdateState:
    return ReplicaUpdateState(i, done, scheduled)


def test_next_replica_order() -> None:
    assert next_replica([r(0), r(1), r(2)], (), ()) == 0
    assert next_replica([r(0), r(1), r(2, scheduled=0)], (1,), ()) == 2, "zero scheduled pods first"
    assert next_replica([r(0), r(1), r(2)], (2,), ()) == 2, "then unexpired breaches"
    assert next_replica([r(0, done=True), r(1), r(2)], (), (1,)) == 2, "gang-terminating replicas excluded"
    assert next_replica([r(0, done=True)], (), ()) is None


def test_step_waits_for_current_then_moves_on_then_ends() -> None:
    started = {"updateStartedAt": T1}
    first = plan_pcs_update_step(started, [r(0), r(1)], now=T1)
    assert first.requeue and first.progress == {**started, "currentlyUpdating": [{"replicaIndex": 0,
                                                                                   "updateStartedAt": T1}]}
    assert first.progress is not None
    waiting = plan_pcs_update_step(first.progress, [r(0), r(1)], now=T2)
    assert waiting.requeue and waiting.progress is first.progress
    second = plan_pcs_update_step(first.progress, [r(0, done=True), r(1)], now=T2)
    assert second.progress is not None
    assert second.progress["currentlyUpdating"] == [{"replicaIndex": 1, "updateStartedAt": T2}]
    end = plan_pcs_update_step(second.progress, [r(0, done=True), r(1, done=True)], now=T2)
    assert not end.requeue and end.progress is not None
    assert end.progress["updateEndedAt"] == T2 and "currentlyUpdating" not in end.progress


def test_step_skips_finished_or_gang_terminated_current() -> None:
    progress = {"updateStartedAt": T1, "currentlyUpdating": [{"replicaIndex": 0, "updateStartedAt": T1}]}
    moved = plan_pcs_update_step(progress, [r(0), r(1)], terminating=(0,), now=T2)
    assert moved.progress is not None and moved.progress["currentlyUpdating"][0]["replicaIndex"] == 1
    scaled_in = plan_pcs_update_step({**progress, "currentlyUpdating": [{"replicaIndex": 5}]}, [r(0)], now=T2)
    assert scaled_in.progress is not None and scaled_in.progress["currentlyUpdating"][0]["replicaIndex"] == 0
    assert plan_pcs_update_step(None, [r(0)], now=T2).progress is None
    ended = {"updateStartedAt": T1, "updateEndedAt": T1}
    assert plan_pcs_update_step(ended, [r(0)], now=T2).progress is ended
