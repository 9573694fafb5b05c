"""Standalone PodClique RollingRecreate planner (spec §8.3): bookkeeping, classification, one pod at a time."""

from __future__ import annotations

from typing import Any

import pytest

from grove.api import constants as c
from grove.controllers.podclique.plan_update import (
    OTHER,
    PENDING,
    READY,
    STARTING,
    UNHEALTHY,
    classify,
    needs_bookkeeping,
    plan_pclq_update_step,
    start_progress,
)

NOW = "2026-01-01T00:01:00Z"


def pod(name: str, hash_: str, *, phase: str = "Running", ready: bool = True, created: int = 0,
        started: bool = True, last_exit: int | None = None, terminating: bool = False) -> dict[str, Any]:
    cs: dict[str, Any] = {"name": "main", "ready": ready, "started": started}
    if last_exit is not None:
        cs["lastState"] = {"terminated": {"exitCode": last_exit}}
    meta: dict[str, Any] = {"name": name, "uid": f"u-{name}", "creationTimestamp": f"2026-01-01T00:00:{created:02d}Z",
                            "labels": {c.LABEL_POD_TEMPLATE_HASH: hash_}}
    if terminating:
        meta["deletionTimestamp"] = NOW
    return {"metadata": meta, "status": {"phase": phase, "containerStatuses": [cs],
                                         "conditions": [{"type": "Ready", "status": "True" if ready else "False"}]}}


@pytest.mark.parametrize(
    ("p", "kind"),
    [
        (pod("a", "o", phase="Pending", ready=False), PENDING),
        (pod("a", "o", ready=False), UNHEALTHY),  # started, not ready
        (pod("a", "o", last_exit=1), UNHEALTHY),  # crashed before, even though Ready
        (pod("a", "o"), READY),
        (pod("a", "o", ready=False, started=False), STARTING),
        (pod("a", "o", ready=False, started=False, last_exit=0), STARTING),
        ({"metadata": {"name": "x"}, "status": {"phase": "Running"}}, OTHER),
    ],
)
def test_classify(p: dict[str, Any], kind: str) -> None:
    assert classify(p) == kind


def test_bookkeeping_rules() -> None:
    old_pods = [pod("a", "old")]
    assert needs_bookkeeping(None, "g1", "g2", "new", old_pods)
    assert not needs_bookkeeping(None, "g2", "g2", "new", old_pods), "already tracking this PCS hash"
    assert not needs_bookkeeping(None, None, "g2", "new", [pod("a", "new")]), "fresh PodClique on the template"
    assert needs_bookkeeping({"podCliqueSetGenerationHash": "g1"}, "g1", "g2", "new", [pod("a", "new")])
    assert not needs_bookkeeping({"podCliqueSetGenerationHash": "g2"}, "g1", "g2", "new", old_pods)
    assert not needs_bookkeeping(None, "g1", None, "new", old_pods), "PCS has no hash yet"
    assert start_progress("g2", "new", NOW, on_delete=True)["updateEndedAt"] == NOW
    assert "updateEndedAt" not in start_progress("g2", "new", NOW, on_delete=False)


PROGRESS = {"updateStartedAt": NOW, "podCliqueSetGenerationHash": "g2", "podTemplateHash": "new"}


def names(step_delete: list[Any]) -> list[str]:
    return [p["metadata"]["name"] for p in step_delete]


def test_oldest_ready_first_and_non_ready_at_once() -> None:
    pods = [pod("b", "old", created=5), pod("a", "old", created=3), pod("p", "old", phase="Pending", ready=False),
            pod("u", "old", ready=False)]
    step = plan_pclq_update_step(PROGRESS, pods, 1, NOW)
    assert names(step.delete) == ["p", "u", "a"] and step.requeue
    assert step.progress["readyPodsSelectedToUpdate"] == {"current": "a"}


def test_waits_while_selected_pod_exists_or_replacement_not_ready() -> None:
    sel = {**PROGRESS, "readyPodsSelectedToUpdate": {"current": "a"}}
    still = plan_pclq_update_step(sel, [pod("a", "old"), pod("b", "old")], 1, NOW)
    assert (still.delete, still.requeue, still.progress) == ([], True, sel)
    not_ready = plan_pclq_update_step(sel, [pod("n", "new", ready=False), pod("b", "old")], 1, NOW)
    assert (not_ready.delete, not_ready.requeue) == ([], True)
    nxt = plan_pclq_update_step(sel, [pod("n", "new"), pod("b", "old", created=9)], 1, NOW)
    assert names(nxt.delete) == ["b"]
    assert nxt.progress["readyPodsSelectedToUpdate"] == {"current": "b", "completed": ["a"]}


def test_min_available_holds_the_next_pick() -> None:
    step = plan_pclq_update_step(PROGRESS, [pod("a", "old"), pod("b", "old", ready=False, started=False)], 2, NOW)
    assert names(step.delete) == ["b"] and step.requeue
    assert "readyPodsSelectedToUpdate" not in step.progress


def test_terminating_pods_are_not_candidates_and_update_ends() -> None:
    sel = {**PROGRESS, "readyPodsSelectedToUpdate": {"current": "b", "completed": ["a"]}}
    step = plan_pclq_update_step(sel, [pod("n1", "new"), pod("n2", "new"), pod("b", "old", terminating=True)], 1, NOW)
    assert step.delete == [] and not step.requeue
    assert step.progress["updateEndedAt"] == NOW and "readyPodsSelectedToUpdate" not in step.progress
