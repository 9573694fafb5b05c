"""Bounded work per object: the most pods one PodCliqueSet may ask for.

Every count in a PodCliqueSet is an int32, so ``replicas: 2147483647`` on one clique is schema-valid,
and the operator would then try to create two billion pods (the embedded cluster ran out of memory
within a minute). The product of the counts is what costs: PodCliqueSet replicas x (sum over cliques of
clique replicas x scaling-group replicas), taking the autoscaling maxima (``autoScalingConfig`` /
``scaleConfig.maxReplicas``) where they are larger, since an autoscaler may scale to them.

:data:`MAX_PODS_PER_PODCLIQUESET` is documented (docs/validation.md) and reported at the field that
contributes most, naming the limit: ``spec.template.cliques[0].spec.replicas: Invalid value: 2147483647:
... more than the limit of 10000 pods per PodCliqueSet``. Upstream's largest scale test is 1,000 pods.
"""

from __future__ import annotations

from typing import Final

from grove.api.models.core import PodCliqueSet
from grove.api.validation.context import CLIQUES, GROUPS, SPEC
from grove.api.validation.errors import ErrorList, Path, invalid

MAX_PODS_PER_PODCLIQUESET: Final = 10_000


def _most(replicas: int | None, maximum: int | None, path: Path, max_path: Path) -> tuple[int, Path]:
    base = replicas if replicas is not None and replicas > 0 else 1
    if maximum is not None and maximum > base:
        return maximum, max_path
    return base, path


def pods_asked(pcs: PodCliqueSet) -> tuple[int, list[tuple[int, Path]]]:
    """(the most pods ``pcs`` may ask for, every factor with its field path)."""
    tmpl = pcs.spec.template
    group_of: dict[str, int] = {}
    for g, group in enumerate(tmpl.pod_clique_scaling_groups or []):
        for name in group.clique_names:
            group_of.setdefault(name, g)
    factors: list[tuple[int, Path]] = []
    per_replica = 0
    for i, clique in enumerate(tmpl.cliques):
        path = CLIQUES.at(i).child("spec")
        asc = clique.spec.auto_scaling_config
        count, where = _most(clique.spec.replicas, asc.max_replicas if asc else None, path.child("replicas"),
                             path.child("autoScalingConfig", "maxReplicas"))
        factors.append((count, where))
        member_of = group_of.get(clique.name)
        if member_of is not None:
            group = (tmpl.pod_clique_scaling_groups or [])[member_of]
            gpath = GROUPS.at(member_of)
            gcount, gwhere = _most(group.replicas, group.scale_config.max_replicas if group.scale_config else None,
                                   gpath.child("replicas"), gpath.child("scaleConfig", "maxReplicas"))
            factors.append((gcount, gwhere))
            count *= gcount
        per_replica += count
    replicas = pcs.spec.replicas if pcs.spec.replicas is not None and pcs.spec.replicas > 0 else 1
    factors.append((replicas, SPEC.child("replicas")))
    return replicas * per_replica, factors


def validate_work_limits(pcs: PodCliqueSet) -> ErrorList:
    total, factors = pods_asked(pcs)
    if total <= MAX_PODS_PER_PODCLIQUESET:
        return []
    value, path = max(factors, key=lambda f: f[0])
    return [invalid(path, value, f"this PodCliqueSet would ask for {total} pods, more than the limit of "
                                 f"{MAX_PODS_PER_PODCLIQUESET} pods per PodCliqueSet")]


def validate_child_limits(body: dict[str, object]) -> ErrorList:
    """A PodClique or PodCliqueScalingGroup written directly (or scaled) may not ask for more either."""
    spec = body.get("spec")
    replicas = spec.get("replicas") if isinstance(spec, dict) else None
    if isinstance(replicas, int) and replicas > MAX_PODS_PER_PODCLIQUESET:
        return [invalid(SPEC.child("replicas"), replicas,
                        f"more than the limit of {MAX_PODS_PER_PODCLIQUESET} pods per PodCliqueSet")]
    return []
