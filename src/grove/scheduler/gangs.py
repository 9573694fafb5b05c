"""What the planner places: gangs of pod groups with pack constraints, independent of the API model.

A :class:`GangSpec` is a PodGang reduced to what placement needs: per PodGroup the pod keys
(``namespace/name``), ``minReplicas`` and an optional pack constraint (node label keys, already
translated from topology domains), the gang-level and group-config-level packs, and an optional
coupling "share the ``key`` domain with gang X" (a PodCliqueSet-level constraint: the scaled gangs of a
replica go where its base gang went). :func:`gang_from_podgang` builds one from a PodGang.

Spread (Grove extension, docs/spread.md): a gang, group config or PodGroup may carry :class:`Spread`
rules. On a gang or group config the rule spreads *units* (gangs and group configs naming the same
``group``, namespace-qualified) over the domains of ``key``; on a PodGroup it spreads the group's pods.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from grove.api.models.scheduler import PodGang, SchedulerTopologyConstraint


@dataclass(frozen=True, slots=True)
class Pack:
    """``required``: every pod of the unit in one domain of that level; ``preferred``: try, then widen."""

    required: str | None = None
    preferred: str | None = None


@dataclass(frozen=True, slots=True)
class Spread:
    """Kubernetes topologySpreadConstraints semantics over the domains of node label ``key``."""

    key: str
    max_skew: int = 1
    hard: bool = True  # DoNotSchedule; False: ScheduleAnyway
    min_domains: int | None = None
    group: str = ""  # "namespace/spreadGroup": the peer units; "" on a PodGroup (its own pods)


@dataclass(frozen=True, slots=True)
class GroupSpec:
    name: str
    pods: tuple[str, ...]
    min_replicas: int
    pack: Pack | None = None
    spread: tuple[Spread, ...] = ()


@dataclass(frozen=True, slots=True)
class GroupConfigSpec:
    """A set of PodGroups (a PCSG replica) packed together; a group belongs to its first config."""

    name: str
    group_names: tuple[str, ...]
    pack: Pack | None = None
    spread: tuple[Spread, ...] = ()


@dataclass(frozen=True, slots=True)
class Coupling:
    """Place the gang in the ``key`` domain that gang ``gang`` (``namespace/name``) already occupies."""

    gang: str
    key: str


@dataclass(frozen=True, slots=True)
class GangSpec:
    name: str  # "namespace/name"
    groups: tuple[GroupSpec, ...]
    pack: Pack | None = None
    group_configs: tuple[GroupConfigSpec, ...] = ()
    same_domain_as: Coupling | None = None
    spread: tuple[Spread, ...] = ()


def _spread(constraint: SchedulerTopologyConstraint | None, namespace: str) -> tuple[Spread, ...]:
    if constraint is None or not constraint.spread_constraints:
        return ()
    return tuple(
        Spread(
            key=sc.topology_key,
            max_skew=max(1, sc.max_skew),
            hard=sc.when_unsatisfiable != "ScheduleAnyway",
            min_domains=sc.min_domains,
            group=f"{namespace}/{sc.spread_group}" if sc.spread_group else "",
        )
        for sc in constraint.spread_constraints
    )


def _pack(constraint: SchedulerTopologyConstraint | None) -> Pack | None:
    if constraint is None or constraint.pack_constraint is None:
        return None
    pc = constraint.pack_constraint
    if not pc.required and not pc.preferred:
        return None
    return Pack(required=pc.required or None, preferred=pc.preferred or None)


def gang_from_podgang(
    podgang: PodGang | Mapping[str, Any], same_domain_as: Coupling | None = None
) -> GangSpec:
    """The placement view of a PodGang (model or wire dict)."""
    gang = podgang if isinstance(podgang, PodGang) else PodGang.from_wire(podgang)
    namespace = gang.metadata.namespace or "default"
    name = gang.metadata.name or ""
    groups = tuple(
        GroupSpec(
            name=group.name,
            pods=tuple(f"{ref.namespace or namespace}/{ref.name}" for ref in group.pod_references or ()),
            min_replicas=group.min_replicas,
            pack=_pack(group.topology_constraint),
            spread=_spread(group.topology_constraint, namespace),
        )
        for group in gang.spec.podgroups
    )
    configs = tuple(
        GroupConfigSpec(
            cfg.name,
            tuple(cfg.pod_group_names or ()),
            _pack(cfg.topology_constraint),
            _spread(cfg.topology_constraint, namespace),
        )
        for cfg in gang.spec.topology_constraint_group_configs or ()
    )
    return GangSpec(
        f"{namespace}/{name}",
        groups,
        _pack(gang.spec.topology_constraint),
        configs,
        same_domain_as,
        _spread(gang.spec.topology_constraint, namespace),
    )
