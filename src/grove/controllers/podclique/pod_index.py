"""Pod index allocation (spec §4).

A pod's index k lives in the trailing ``-<k>`` of its ``spec.hostname`` (and the
``grove.io/podclique-pod-index`` label). New pods take the lowest non-negative integers not held by an
*active* pod (not terminating, not Succeeded/Failed), so holes left by deleted pods are refilled and the
indices of a full PodClique are always ``0..replicas-1``. Two active pods with one index is an error.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from grove.api import names
from grove.controllers.common import podutil as pu


class DuplicatePodIndexError(ValueError):
    """Two active pods claim the same index."""


def used_indices(pods: Iterable[Mapping[str, Any]]) -> set[int]:
    """Indices held by active pods; raises :class:`DuplicatePodIndexError` on a clash."""
    seen: dict[int, str] = {}
    for pod in pods:
        if not pu.is_active(pod):
            continue
        idx = names.pod_index_of_hostname(pu.hostname(pod))
        if idx is None:
            continue
        if idx in seen:
            raise DuplicatePodIndexError(f"pods {seen[idx]} and {pu.name_of(pod)} both have index {idx}")
        seen[idx] = pu.name_of(pod)
    return set(seen)


def allocate_pod_indices(pods: Iterable[Mapping[str, Any]], count: int) -> list[int]:
    """The ``count`` lowest free indices, ascending."""
    used = used_indices(pods)
    out: list[int] = []
    k = 0
    while len(out) < count:
        if k not in used:
            out.append(k)
        k += 1
    return out
