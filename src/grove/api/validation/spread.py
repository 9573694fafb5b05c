"""Spread constraints (Grove extension, docs/spread.md): the per-entry rules and the pack/spread rules.

A ``topologyConstraint.spreadConstraints`` entry spreads the *replicas* of the resource it sits on over
the domains of one ClusterTopologyBinding level: PodCliqueSet replicas, the scaling-group replicas of one
PodCliqueSet replica, or the pods of one PodClique. Field rules hold on every operation (they mirror the
CRD schema); binding rules run with topology admission (CREATE), where the levels are known:

- ``maxSkew >= 1``; ``minDomains >= 1`` and only with ``DoNotSchedule`` (Kubernetes' rules);
- one entry per (domain, whenUnsatisfiable);
- the domain is a level of the binding;
- on a PodCliqueSet or scaling group, the spread domain must not be narrower than the same constraint's
  ``pack.required``: a replica packed in one block has no single rack, so counting replicas per rack is
  undefined. Equal levels are the common case (each replica packed in a block, replicas over blocks).
"""

from __future__ import annotations

from collections.abc import Mapping

from grove.api.models.core import TopologyConstraint
from grove.api.validation.errors import ErrorList, Path, duplicate, invalid, not_supported

DEFAULT_MAX_SKEW = 1
DEFAULT_WHEN_UNSATISFIABLE = "DoNotSchedule"


def validate_spread_fields(path: Path, tc: TopologyConstraint) -> ErrorList:
    """Rules that need no binding: bounds, the minDomains/whenUnsatisfiable pairing, duplicates."""
    errs: ErrorList = []
    seen: set[tuple[str, str]] = set()
    for i, sc in enumerate(tc.spread_constraints or []):
        at = path.child("spreadConstraints").at(i)
        if sc.max_skew is not None and sc.max_skew < 1:
            errs.append(invalid(at.child("maxSkew"), sc.max_skew, "must be greater than or equal to 1"))
        when = sc.when_unsatisfiable or DEFAULT_WHEN_UNSATISFIABLE
        if sc.min_domains is not None:
            if sc.min_domains < 1:
                errs.append(invalid(at.child("minDomains"), sc.min_domains, "must be greater than or equal to 1"))
            elif when != "DoNotSchedule":
                errs.append(invalid(at.child("minDomains"), sc.min_domains,
                                    "can only be used when whenUnsatisfiable is DoNotSchedule"))
        pair = (sc.domain, when)
        if pair in seen:
            errs.append(duplicate(at, f"{{{sc.domain} {when}}}", "domain and whenUnsatisfiable must be unique"))
        seen.add(pair)
    return errs


def validate_spread_levels(
    path: Path, tc: TopologyConstraint, rank: Mapping[str, int], what: str, replica_unit: bool
) -> ErrorList:
    """Rules against the binding's levels (``rank``: domain -> index, broadest first).

    ``replica_unit``: the constraint spreads replicas that are themselves packed (PodCliqueSet, scaling
    group), so the spread level may not be narrower than the same constraint's ``pack.required``."""
    errs: ErrorList = []
    levels = sorted(rank, key=rank.__getitem__)
    pack = (tc.pack.required if tc.pack else None) or tc.pack_domain
    pack_field = "pack.required" if tc.pack and tc.pack.required else "packDomain"
    for i, sc in enumerate(tc.spread_constraints or []):
        at = path.child("spreadConstraints").at(i).child("domain")
        if sc.domain not in rank:
            errs.append(not_supported(at, sc.domain, levels))
            continue
        if replica_unit and pack is not None and pack in rank and rank[sc.domain] > rank[pack]:
            errs.append(invalid(at, sc.domain, (
                f"must not be narrower than {path.child(*pack_field.split('.'))} ({pack!r}): each replica of "
                f"the {what} is packed in one {pack}, so it has no single {sc.domain} to count")))
    return errs

