"""Scale-in victim order (spec §5.3 rules 0-5) and the deletion plan."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grove.api.models import PodClique
from grove.controllers.podclique.plan_deletions import (
    expected_pod_template_hash,
    plan_pod_deletions,
    slow_start_batches,
    victim_sort_key,
)

from ..helpers import pod

BOUND = {"node": "n1"}

# (rule, pod deleted first, pod kept) — each pair differs only by the rule under test
RULES: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    ("0 terminating first", {"deleting": True, **BOUND}, {**BOUND}),
    ("1 unbound before bound", {"node": ""}, {**BOUND}),
    ("2 Pending before Running", {"phase": "Pending", **BOUND}, {"phase": "Running", **BOUND}),
    ("2 Pending before Unknown", {"phase": "Pending", **BOUND}, {"phase": "Unknown", **BOUND}),
    ("2 Unknown before Running", {"phase": "Unknown", **BOUND}, {"phase": "Running", **BOUND}),
    ("2 Failed ranks like Pending", {"phase": "Failed", **BOUND}, {"phase": "Unknown", **BOUND}),
    ("3 not Ready before Ready", {"ready": False, **BOUND}, {"ready": True, **BOUND}),
    ("4 old hash before expected", {"hash_": "old", **BOUND}, {"hash_": "h1", **BOUND}),
    (
        "5 newest before oldest",
        {"created": "2024-05-01T00:00:00Z", **BOUND},
        {"created": "2024-01-01T00:00:00Z", **BOUND},
    ),
    (
        "5 zero creationTimestamp first",
        {"created": "", **BOUND},
        {"created": "2024-01-01T00:00:00Z", **BOUND},
    ),
]


@pytest.mark.parametrize(("rule", "first", "kept"), RULES, ids=[r[0] for r in RULES])
def test_victim_rules(rule: str, first: dict[str, Any], kept: dict[str, Any]) -> None:
    a, b = pod("first", **first), pod("kept", **kept)
    assert victim_sort_key(a, "h1") < victim_sort_key(b, "h1")
    assert [p["metadata"]["name"] for p in sorted([b, a], key=lambda p: victim_sort_key(p, "h1"))] == [
        "first",
        "kept",
    ]


def test_earlier_rules_dominate_later_ones() -> None:
    # an unbound, old, Running, Ready pod goes before a bound, Pending, not-Ready, old-hash pod (rule 1 wins)
    unbound = pod("unbound", node="", phase="Running", created="2020-01-01T00:00:00Z")
    bound = pod("bound", node="n", phase="Pending", ready=False, hash_="old", created="2024-01-01T00:00:00Z")
    assert victim_sort_key(unbound, "h1") < victim_sort_key(bound, "h1")


def test_plan_takes_the_surplus_capped_by_diff() -> None:
    pods = [pod(f"p{k}", node="n", created=f"2024-01-0{k + 1}T00:00:00Z") for k in range(5)]
    victims = plan_pod_deletions(pods, replicas=2, expected_hash="h1", diff=10)
    assert [p["metadata"]["name"] for p in victims] == ["p4", "p3", "p2"]  # newest first, oldest survive
    assert len(plan_pod_deletions(pods, replicas=2, expected_hash="h1", diff=1)) == 1


def test_terminating_and_pending_deletes_are_not_candidates() -> None:
    pods = [
        pod("a", node="n", created="2024-03-01T00:00:00Z"),
        pod("b", node="n", deleting=True),
        pod("c", node="n"),
        pod("d", node="n", created="2024-02-01T00:00:00Z"),
    ]
    assert plan_pod_deletions(pods, replicas=3, expected_hash="h1", diff=5) == []
    victims = plan_pod_deletions(pods, replicas=1, expected_hash="h1", diff=5, pending_delete_uids={"uid-a"})
    # a (the newest) would be first, but its delete is already pending
    assert [p["metadata"]["name"] for p in victims] == ["d"]


def test_on_delete_scale_in_prefers_old_hash_pods() -> None:
    pods = [
        pod("new", node="n", hash_="h2", created="2024-01-01T00:00:00Z"),
        pod("old", node="n", hash_="h1", created="2024-02-01T00:00:00Z"),
    ]
    pclq = PodClique.from_wire(
        {
            "metadata": {"name": "p-0-a", "labels": {"grove.io/pod-template-hash": "h1"}},
            "spec": {"podSpec": {}, "replicas": 1},
            "status": {"updateProgress": {"podCliqueSetGenerationHash": "G2", "podTemplateHash": "h2"}},
        }
    )
    assert expected_pod_template_hash(pclq, "G2") == "h2"
    assert expected_pod_template_hash(pclq, "G3") == "h1"  # stale progress: fall back to the label
    victims = plan_pod_deletions(pods, 1, expected_pod_template_hash(pclq, "G2"), 1)
    assert [p["metadata"]["name"] for p in victims] == ["old"]


def test_slow_start_batches() -> None:
    assert slow_start_batches(list(range(10))) == [[0], [1, 2], [3, 4, 5, 6], [7, 8, 9]]
    assert slow_start_batches([]) == []


pod_args = st.fixed_dictionaries(
    {
        "node": st.sampled_from(["", "n"]),
        "phase": st.sampled_from(["Pending", "Running", "Unknown", "Failed"]),
        "ready": st.booleans(),
        "hash_": st.sampled_from(["h1", "old"]),
        "deleting": st.booleans(),
        "created": st.sampled_from(["", "2024-01-01T00:00:00Z", "2024-02-01T00:00:00Z"]),
    }
)


@settings(max_examples=60, deadline=None)
@given(st.lists(pod_args, max_size=8), st.integers(0, 8), st.integers(0, 8))
def test_deletions_never_touch_terminating_pods_and_respect_the_bounds(
    specs: list[dict[str, Any]], replicas: int, diff: int
) -> None:
    pods = [pod(f"p{k}", **s) for k, s in enumerate(specs)]
    victims = plan_pod_deletions(pods, replicas, "h1", diff)
    live = [p for p in pods if "deletionTimestamp" not in p["metadata"]]
    assert len(victims) == max(0, min(diff, len(live) - replicas))
    assert all("deletionTimestamp" not in v["metadata"] for v in victims)
    # every survivor sorts no earlier than every victim
    survivors = [p for p in live if p not in victims]
    if victims and survivors:
        assert max(victim_sort_key(v, "h1") for v in victims) <= min(
            victim_sort_key(s, "h1") for s in survivors
        )
