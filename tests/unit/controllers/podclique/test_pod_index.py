"""Pod index allocation: lowest free indices, holes refilled, only active pods hold an index."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grove.controllers.podclique.pod_index import DuplicatePodIndexError, allocate_pod_indices

from ..helpers import pod


def test_holes_are_refilled_first() -> None:
    pods = [pod("a", index=0), pod("b", index=2), pod("c", index=5)]
    assert allocate_pod_indices(pods, 4) == [1, 3, 4, 6]


def test_terminating_and_finished_pods_free_their_index() -> None:
    pods = [
        pod("a", index=0, deleting=True),
        pod("b", index=1, phase="Failed"),
        pod("c", index=2, phase="Succeeded"),
        pod("d", index=3),
    ]
    assert allocate_pod_indices(pods, 3) == [0, 1, 2]


def test_duplicate_active_indices_are_an_error() -> None:
    with pytest.raises(DuplicatePodIndexError):
        allocate_pod_indices([pod("a", index=1), pod("b", index=1)], 1)


def test_a_replacement_may_reuse_the_index_of_a_terminating_pod() -> None:
    assert allocate_pod_indices([pod("a", index=0, deleting=True), pod("b", index=0)], 1) == [1]


@settings(max_examples=80, deadline=None)
@given(st.sets(st.integers(0, 40), max_size=20), st.integers(0, 15))
def test_allocated_indices_are_fresh_unique_and_lowest(used: set[int], count: int) -> None:
    pods = [pod(f"p{k}", index=k) for k in sorted(used)]
    got = allocate_pod_indices(pods, count)
    assert len(got) == count == len(set(got))
    assert not set(got) & used
    # lowest-free: every free index below the largest allocated one was allocated
    if got:
        assert {k for k in range(max(got) + 1) if k not in used} == set(got)
    # after allocation, the indices in use are exactly 0..n-1 when the PodClique had no holes
    if used == set(range(len(used))):
        assert sorted(used | set(got)) == list(range(len(used) + count))
