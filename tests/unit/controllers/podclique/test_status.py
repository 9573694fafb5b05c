"""PodClique status: counters, hashes, selector, PodCliqueScheduled and MinAvailableBreached."""

from __future__ import annotations

from typing import Any

import pytest

from grove.api.models import PodClique
from grove.controllers.podclique.status import compute_podclique_status

from ..helpers import pod

T0, T1 = "2024-01-01T00:00:00Z", "2024-01-01T00:10:00Z"


def pclq(
    replicas: int = 3, min_available: int = 2, *, status: dict[str, Any] | None = None, pcsg: bool = False
) -> PodClique:
    labels = {"app.kubernetes.io/part-of": "p", "grove.io/pod-template-hash": "h1"}
    if pcsg:
        labels["grove.io/podcliquescalinggroup"] = "p-0-sg"
    return PodClique.from_wire(
        {
            "metadata": {"name": "p-0-a", "labels": labels},
            "spec": {"podSpec": {}, "replicas": replicas, "minAvailable": min_available},
            "status": {"observedGeneration": 1, **(status or {})},
        }
    )


def cond(status: dict[str, Any], cond_type: str) -> dict[str, Any]:
    return next(c for c in status["conditions"] if c["type"] == cond_type)


def crashing(name: str) -> dict[str, Any]:
    p = pod(name, ready=False, scheduled=True)
    p["status"]["containerStatuses"] = [{"name": "c", "lastState": {"terminated": {"exitCode": 1}}}]
    return p


def stuck(name: str) -> dict[str, Any]:
    p = pod(name, ready=False, scheduled=True)
    p["status"]["containerStatuses"] = [{"name": "c", "started": True, "ready": False}]
    return p


def test_counters() -> None:
    pods = [
        pod("a", scheduled=True),
        pod("b", scheduled=True, deleting=True),
        pod("c", ready=False, gated=True),
        pod("d", ready=False, scheduled=True, hash_="old"),
    ]
    st = compute_podclique_status(pclq(), pods, now=T0)
    assert (
        st["replicas"],
        st["readyReplicas"],
        st["scheduledReplicas"],
        st["scheduleGatedReplicas"],
        st["updatedReplicas"],
    ) == (3, 2, 3, 1, 2)


def test_hpa_selector_only_for_standalone() -> None:
    st = compute_podclique_status(pclq(), [], now=T0)
    assert st["hpaPodSelector"] == (
        "app.kubernetes.io/managed-by=grove-operator,app.kubernetes.io/part-of=p,grove.io/podclique=p-0-a"
    )
    assert "hpaPodSelector" not in compute_podclique_status(pclq(pcsg=True), [], now=T0)


def test_no_conditions_before_observed_generation() -> None:
    raw = pclq().to_wire()
    raw["status"] = {}
    assert "conditions" not in compute_podclique_status(PodClique.from_wire(raw), [], now=T0)


@pytest.mark.parametrize(
    ("pods", "scheduled", "breach"),
    [
        (
            [pod("a", scheduled=True)],
            ("False", "InsufficientScheduledPods"),
            ("True", "ScheduledReplicasBelowMinAvailable"),
        ),
        (
            [pod("a", scheduled=True), crashing("b")],
            ("True", "SufficientScheduledPods"),
            ("True", "InsufficientReadyPods"),
        ),
        (
            [pod("a", scheduled=True), stuck("b")],
            ("True", "SufficientScheduledPods"),
            ("True", "InsufficientReadyPods"),
        ),
        (
            [pod("a", scheduled=True), pod("b", scheduled=True, ready=False)],
            ("True", "SufficientScheduledPods"),
            ("False", "SufficientReadyPods"),
        ),  # not ready but neither crashing nor stuck: still starting
        (
            [pod("a", scheduled=True), pod("b", scheduled=True), crashing("c")],
            ("True", "SufficientScheduledPods"),
            ("False", "SufficientReadyPods"),
        ),  # 3 scheduled - 1 crashing = 2 >= minAvailable 2
        (
            [pod("a", scheduled=True), pod("b", scheduled=True), pod("c", scheduled=True)],
            ("True", "SufficientScheduledPods"),
            ("False", "SufficientReadyPods"),
        ),
    ],
)
def test_conditions(pods: list[dict[str, Any]], scheduled: tuple[str, str], breach: tuple[str, str]) -> None:
    st = compute_podclique_status(pclq(), pods, now=T0)
    sc, br = cond(st, "PodCliqueScheduled"), cond(st, "MinAvailableBreached")
    assert (sc["status"], sc["reason"]) == scheduled
    assert (br["status"], br["reason"]) == breach


def test_breach_is_unknown_during_a_rolling_update() -> None:
    progress = {"updateProgress": {"podCliqueSetGenerationHash": "G", "podTemplateHash": "h2"}}
    st = compute_podclique_status(pclq(status=progress), [], now=T0)
    assert cond(st, "MinAvailableBreached")["status"] == "Unknown"
    st = compute_podclique_status(pclq(status=progress), [], now=T0, update_strategy="OnDelete")
    assert cond(st, "MinAvailableBreached")["reason"] == "ScheduledReplicasBelowMinAvailable"


def test_last_transition_time_moves_only_with_status() -> None:
    first = compute_podclique_status(pclq(), [pod("a", scheduled=True)], now=T0)
    again = compute_podclique_status(pclq(status=first), [pod("a", scheduled=True), crashing("b")], now=T1)
    # breach stays True (reason changes): time kept; PodCliqueScheduled flips: time moves
    assert cond(again, "MinAvailableBreached")["lastTransitionTime"] == T0
    assert cond(again, "MinAvailableBreached")["reason"] == "InsufficientReadyPods"
    assert cond(again, "PodCliqueScheduled")["lastTransitionTime"] == T1


def test_current_hashes_follow_a_complete_rollout() -> None:
    pods = [pod(n, scheduled=True) for n in "abc"]
    st = compute_podclique_status(pclq(), pods, now=T0, pcs_generation_hash="G", expected_template_hash="h1")
    assert (st["currentPodTemplateHash"], st["currentPodCliqueSetGenerationHash"]) == ("h1", "G")
    # not every pod updated yet: hashes unchanged
    st = compute_podclique_status(
        pclq(), pods[:2], now=T0, pcs_generation_hash="G", expected_template_hash="h1"
    )
    assert "currentPodTemplateHash" not in st
    done = {
        "updateProgress": {"podCliqueSetGenerationHash": "G2", "podTemplateHash": "h1", "updateEndedAt": T0}
    }
    st = compute_podclique_status(pclq(status=done), pods, now=T1, pcs_generation_hash="G2")
    assert (st["currentPodTemplateHash"], st["currentPodCliqueSetGenerationHash"]) == ("h1", "G2")
