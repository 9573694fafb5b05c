"""PCSG status: per-replica scheduled/available/updated, breach condition, generation hash."""

from __future__ import annotations

from typing import Any

from grove.api.models import PodClique, PodCliqueScalingGroup
from grove.controllers.podcliquescalinggroup.status import compute_pcsg_status

T0 = "2024-01-01T00:00:00Z"
HASHES = {"a": "ha", "b": "hb"}


def pcsg(
    replicas: int = 2, min_available: int = 1, status: dict[str, Any] | None = None
) -> PodCliqueScalingGroup:
    return PodCliqueScalingGroup.from_wire(
        {
            "metadata": {"name": "p-0-sg", "labels": {"app.kubernetes.io/part-of": "p"}},
            "spec": {"replicas": replicas, "minAvailable": min_available, "cliqueNames": ["a", "b"]},
            "status": status or {},
        }
    )


def member(
    j: int,
    clique: str,
    *,
    scheduled: bool = True,
    ready: int = 1,
    breached: bool = False,
    converged: bool = True,
    deleting: bool = False,
) -> PodClique:
    md: dict[str, Any] = {
        "name": f"p-0-sg-{j}-{clique}",
        "labels": {
            "grove.io/podcliquescalinggroup-replica-index": str(j),
            "grove.io/pod-template-hash": HASHES[clique],
        },
    }
    if deleting:
        md["deletionTimestamp"] = T0
    return PodClique.from_wire(
        {
            "metadata": md,
            "spec": {"podSpec": {}, "replicas": 1, "minAvailable": 1},
            "status": {
                "readyReplicas": ready,
                "updatedReplicas": 1,
                "currentPodTemplateHash": HASHES[clique] if converged else "old",
                "currentPodCliqueSetGenerationHash": "G",
                "conditions": [
                    {"type": "PodCliqueScheduled", "status": "True" if scheduled else "False"},
                    {"type": "MinAvailableBreached", "status": "True" if breached else "False"},
                ],
            },
        }
    )


def breach(st: dict[str, Any]) -> tuple[str, str]:
    c = next(c for c in st["conditions"] if c["type"] == "MinAvailableBreached")
    return c["status"], c["reason"]


def test_all_healthy() -> None:
    members = [member(j, cl) for j in (0, 1) for cl in "ab"]
    st = compute_pcsg_status(pcsg(), members, now=T0, pcs_generation_hash="G", expected_hashes=HASHES)
    assert (st["replicas"], st["scheduledReplicas"], st["availableReplicas"], st["updatedReplicas"]) == (
        2,
        2,
        2,
        2,
    )
    assert st["selector"] == (
        "app.kubernetes.io/managed-by=grove-operator,app.kubernetes.io/part-of=p,"
        "grove.io/podcliquescalinggroup=p-0-sg"
    )
    assert st["currentPodCliqueSetGenerationHash"] == "G"
    assert breach(st) == ("False", "SufficientAvailablePodCliqueScalingGroupReplicas")


def test_levels_of_health_per_replica() -> None:
    members = [
        member(0, "a"),
        member(0, "b", scheduled=False),  # replica 0 not scheduled
        member(1, "a"),
        member(1, "b", ready=0),  # replica 1 scheduled, not available
        member(2, "a"),
        member(2, "b", converged=False),  # replica 2 available, not updated
        member(3, "a"),
    ]  # replica 3 incomplete
    st = compute_pcsg_status(
        pcsg(replicas=4), members, now=T0, pcs_generation_hash="G", expected_hashes=HASHES
    )
    assert (st["scheduledReplicas"], st["availableReplicas"], st["updatedReplicas"]) == (2, 1, 0)
    assert "currentPodCliqueSetGenerationHash" not in st


def test_breach_when_too_few_unbreached_replicas_and_gang_termination_cleared_on_recovery() -> None:
    members = [member(0, "a", breached=True), member(0, "b"), member(1, "a"), member(1, "b", deleting=True)]
    st = compute_pcsg_status(pcsg(), members, now=T0, pcs_generation_hash="G", expected_hashes=HASHES)
    assert breach(st) == ("True", "InsufficientAvailablePodCliqueScalingGroupReplicas")
    gt = {"type": "GangTerminationInProgress", "status": "True", "reason": "GangTerminationActive"}
    healthy = [member(j, cl) for j in (0, 1) for cl in "ab"]
    st = compute_pcsg_status(
        pcsg(status={"conditions": [gt]}), healthy, now=T0, pcs_generation_hash="G", expected_hashes=HASHES
    )
    assert [c["type"] for c in st["conditions"]] == ["MinAvailableBreached"]


def test_update_in_progress() -> None:
    progress = {"updateProgress": {"updateStartedAt": T0, "podCliqueSetGenerationHash": "G"}}
    members = [member(j, cl) for j in (0, 1) for cl in "ab"]
    st = compute_pcsg_status(
        pcsg(status=progress), members, now=T0, pcs_generation_hash="G", expected_hashes=HASHES
    )
    assert breach(st) == ("Unknown", "UpdateInProgress")
    assert "currentPodCliqueSetGenerationHash" not in st
    assert st["updateProgress"]["totalPodCliquesCount"] == 4
    assert st["updateProgress"]["updatedPodCliquesCount"] == 4
