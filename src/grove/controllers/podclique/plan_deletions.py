"""Scale-in: which pods of a PodClique to delete, and in what order (spec §5.3, upstream
``deletionsort.go``).

Candidates are owned pods whose deletion is not yet triggered. They are sorted so that the pods whose loss
costs least come first, comparing by the first rule that separates two pods: (0) terminating first;
(1) unbound (no ``spec.nodeName``) before bound; (2) phase Pending/Succeeded/Failed/other < Unknown <
Running; (3) not Ready before Ready; (4) pod-template hash ≠ expected before = expected (so old pods go
first during an OnDelete update); (5) zero creationTimestamp first, then newest first: the oldest survive.
The pod index plays no part; holes are refilled on the next scale-out.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from grove.api import constants as c
from grove.api.models.core import PodClique
from grove.controllers.common import podutil as pu

_PHASE_RANK = {"Pending": 0, "Unknown": 1, "Running": 2}


def expected_pod_template_hash(pclq: PodClique, pcs_generation_hash: str | None) -> str | None:
    """``updateProgress.podTemplateHash`` while the progress tracks the current PCS hash, else the
    PodClique's own ``grove.io/pod-template-hash`` label."""
    progress = pclq.status.update_progress if pclq.status else None
    if (
        progress is not None
        and pcs_generation_hash
        and progress.pod_clique_set_generation_hash == pcs_generation_hash
    ):
        return progress.pod_template_hash
    return (pclq.metadata.labels or {}).get(c.LABEL_POD_TEMPLATE_HASH)


def victim_sort_key(
    pod: Mapping[str, Any], expected_hash: str | None
) -> tuple[int, int, int, int, int, float]:
    """Ascending order = deletion preference (first element is deleted first)."""
    created = pu.parse_time(pu.creation_timestamp(pod))
    return (
        0 if pu.is_terminating(pod) else 1,
        1 if pu.node_name(pod) else 0,
        _PHASE_RANK.get(pu.phase(pod), 0),
        1 if pu.is_ready(pod) else 0,
        1 if pu.label(pod, c.LABEL_POD_TEMPLATE_HASH) == expected_hash else 0,
        float("-inf") if created is None else -created.timestamp(),
    )


def plan_pod_deletions(
    pods: Sequence[Mapping[str, Any]],
    replicas: int,
    expected_hash: str | None,
    diff: int,
    pending_delete_uids: Collection[str] = (),
) -> list[Mapping[str, Any]]:
    """Up to ``diff`` victims: the front of the sorted candidates beyond ``replicas``.

    Ties keep input order.
    """
    candidates = [
        p
        for p in pods
        if not pu.is_terminating(p)
        and str((p.get("metadata") or {}).get("uid") or "") not in pending_delete_uids
    ]
    surplus = min(len(candidates) - replicas, diff)
    if surplus <= 0:
        return []
    return sorted(candidates, key=lambda p: victim_sort_key(p, expected_hash))[:surplus]


def slow_start_batches(items: Sequence[Any], initial: int = 1) -> list[list[Any]]:
    """Split ``items`` into batches of 1, 2, 4, … (a failed batch stops the rest)."""
    out: list[list[Any]] = []
    size, pos = max(initial, 1), 0
    while pos < len(items):
        out.append(list(items[pos : pos + size]))
        pos += size
        size *= 2
    return out
