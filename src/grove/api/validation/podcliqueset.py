"""PodCliqueSet rules that hold on CREATE and UPDATE (spec §2.2): metadata, cliques, scaling groups,
autoscaling, the pod-name budget, podSpec restrictions, scheduler resolution, terminationDelay.

Each rule appends errors at the exact wire path; nothing stops at the first problem. Rules read the
*defaulted* object (the webhook runs after defaulting), so e.g. ``minAvailable`` nil is reported as
an error only when a caller skipped defaulting.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from grove.api import constants as c
from grove.api.duration import DurationError, parse_duration
from grove.api.models.core import AutoScalingConfig, PodCliqueTemplateSpec
from grove.api.validation.context import (
    GROUPS,
    SPEC,
    TEMPLATE,
    PCSContext,
    group_path,
    scheduler_name_of,
)
from grove.api.validation.errors import (
    ErrorList,
    Path,
    ValidationResult,
    duplicate,
    forbidden,
    invalid,
    not_found,
    not_supported,
    required,
)
from grove.api.validation.k8s import (
    is_dns1123_subdomain,
    is_env_var_name,
    validate_annotations,
    validate_labels,
    validate_object_meta,
)
from grove.api.validation.pod_schema import pod_spec_type_errors


def validate_pcs_spec(ctx: PCSContext) -> ValidationResult:
    out = ValidationResult()
    meta = ctx.pcs.metadata
    out.errors += validate_object_meta(meta.name, meta.generate_name, meta.namespace, meta.labels,
                                       meta.annotations, namespaced=True)
    replicas = ctx.pcs.spec.replicas
    if replicas is not None and replicas < 0:
        out.errors.append(invalid(SPEC.child("replicas"), replicas, "must be greater than or equal to 0"))
    if ctx.pcs.spec.template.clique_startup_type is None:
        out.errors.append(required(TEMPLATE.child("cliqueStartupType")))
    out.extend(_validate_cliques(ctx))
    out.errors += _validate_scheduler_names(ctx)
    out.errors += _validate_groups(ctx)
    out.errors += _validate_termination_delay(ctx)
    return out


def _unique(values: Iterable[tuple[Path, str]], what: str) -> ErrorList:
    seen: set[str] = set()
    errs: ErrorList = []
    for path, value in values:
        if value in seen:
            errs.append(duplicate(path, value, f"{what} must be unique"))
        seen.add(value)
    return errs


def _validate_cliques(ctx: PCSContext) -> ValidationResult:
    out = ValidationResult()
    cliques = ctx.cliques()
    if not cliques:
        out.errors.append(required(TEMPLATE.child("cliques"), "at least one PodClique must be defined"))
    for path, clique in cliques:
        out.extend(_validate_clique(ctx, path, clique))
    out.errors += _unique(((p.child("name"), cl.name) for p, cl in cliques), "clique names")
    out.errors += _unique(((p.child("spec", "roleName"), cl.spec.role_name) for p, cl in cliques
                           if cl.spec.role_name), "clique roleNames")
    return out


def _validate_clique(ctx: PCSContext, path: Path, clique: PodCliqueTemplateSpec) -> ValidationResult:
    out = ValidationResult()
    errs = out.errors
    name_path = path.child("name")
    if not clique.name:
        errs.append(required(name_path, "clique name must not be empty"))
    else:
        errs += [invalid(name_path, clique.name, m) for m in is_dns1123_subdomain(clique.name)]
        if clique.name not in ctx.group_of_clique and len(ctx.name) + len(clique.name) > c.NAME_BUDGET:
            errs.append(invalid(name_path, clique.name, _budget_message(ctx.name, "", clique.name)))
    errs += validate_labels(clique.labels, path.child("labels"))
    errs += validate_annotations(clique.annotations, path.child("annotations"))
    spec, spec_path = clique.spec, path.child("spec")
    if not spec.role_name:
        out.warnings.append(f"{spec_path.child('roleName')}: roleName is not set (upstream's CRD requires it)")
    if spec.replicas <= 0:
        errs.append(invalid(spec_path.child("replicas"), spec.replicas, "must be greater than 0"))
    min_available = spec.min_available
    if min_available is None:
        errs.append(required(spec_path.child("minAvailable")))
    elif min_available <= 0:
        errs.append(invalid(spec_path.child("minAvailable"), min_available, "must be greater than 0"))
    elif min_available > spec.replicas:
        errs.append(invalid(spec_path.child("minAvailable"), min_available,
                            f"must be less than or equal to replicas ({spec.replicas})"))
    if spec.auto_scaling_config is not None:
        errs += _validate_autoscaling(spec.auto_scaling_config, min_available, spec.replicas,
                                      spec_path.child("autoScalingConfig"))
        group = ctx.group_of_clique.get(clique.name)
        if group is not None:
            errs.append(forbidden(spec_path.child("autoScalingConfig"),
                                  f"not allowed on a clique that is a member of scaling group "
                                  f"{_group_name(ctx, group)!r}; scale the group with scaleConfig instead"))
    out.extend(_validate_pod_spec(ctx, spec.pod_spec, spec_path.child("podSpec")))
    return out


def _group_name(ctx: PCSContext, g: int) -> str:
    return (ctx.pcs.spec.template.pod_clique_scaling_groups or [])[g].name


def _budget_message(pcs: str, group: str, clique: str) -> str:
    total = len(pcs) + len(group) + len(clique)
    parts = f"PodCliqueSet {pcs!r}" + (f", PodCliqueScalingGroup {group!r}" if group else "")
    return (f"combined name length {total} exceeds the {c.NAME_BUDGET}-character budget for generated pod names; "
            f"shorten {parts} or PodClique {clique!r}")


def _validate_autoscaling(cfg: AutoScalingConfig, min_available: int | None, replicas: int | None,
                          path: Path) -> ErrorList:
    errs: ErrorList = []
    if cfg.min_replicas is None:
        errs.append(required(path.child("minReplicas")))
    else:
        if min_available is not None and cfg.min_replicas < min_available:
            errs.append(invalid(path.child("minReplicas"), cfg.min_replicas,
                                f"must be greater than or equal to minAvailable ({min_available})"))
        if cfg.max_replicas < cfg.min_replicas:
            errs.append(invalid(path.child("maxReplicas"), cfg.max_replicas,
                                f"must be greater than or equal to minReplicas ({cfg.min_replicas})"))
    if replicas is not None and cfg.max_replicas < replicas:
        errs.append(invalid(path.child("maxReplicas"), cfg.max_replicas,
                            f"must be greater than or equal to replicas ({replicas})"))
    return errs


def _validate_pod_spec(ctx: PCSContext, pod_spec: dict[str, Any], path: Path) -> ValidationResult:
    out = ValidationResult()
    # The structural check upstream's CRDs (which embed the PodSpec schema) get from the API server.
    mismatches = pod_spec_type_errors(pod_spec, path)
    out.errors += [invalid(m.path, m.value, f"must be of type {m.expected}") for m in mismatches]
    if mismatches:
        return out
    restart = pod_spec.get("restartPolicy")
    if restart and restart != "Always":  # defaulting sets Always: only a user's other choice is ignored
        out.warnings.append(f"{path.child('restartPolicy')}: restartPolicy {restart} will be ignored, "
                            "it will be set to Always")
    if ctx.creating:
        if pod_spec.get("topologySpreadConstraints") is not None:
            out.errors.append(forbidden(path.child("topologySpreadConstraints"),
                                        "must not be set: Grove places pods through topologyConstraint"))
        if pod_spec.get("nodeName"):
            out.errors.append(forbidden(path.child("nodeName"), "must not be set: pods are placed by the scheduler"))
    scheduler = pod_spec.get("schedulerName")
    if scheduler is not None and not isinstance(scheduler, str):
        out.errors.append(invalid(path.child("schedulerName"), scheduler, "must be of type string"))
    containers = pod_spec.get("containers")
    if not isinstance(containers, list) or not containers:
        out.errors.append(required(path.child("containers"), "a pod needs at least one container"))
    for key in ("containers", "initContainers"):
        items = pod_spec.get(key)
        if items is None:
            continue
        if not isinstance(items, list):
            out.errors.append(invalid(path.child(key), items, "must be of type array"))
            continue
        for j, container in enumerate(items):
            out.errors += _validate_container(container, path.child(key).at(j))
    return out


def _validate_container(container: Any, path: Path) -> ErrorList:
    if not isinstance(container, dict):
        return [invalid(path, container, "must be of type object")]
    errs: ErrorList = []
    if not isinstance(container.get("name"), str) or not container.get("name"):
        errs.append(required(path.child("name")))
    env = container.get("env")
    if env is None:
        return errs
    if not isinstance(env, list):
        return [*errs, invalid(path.child("env"), env, "must be of type array")]
    seen: set[str] = set()
    for k, var in enumerate(env):
        var_path = path.child("env").at(k)
        name = var.get("name") if isinstance(var, dict) else None
        if not isinstance(name, str) or not name:
            errs.append(required(var_path.child("name")))
            continue
        errs += [invalid(var_path.child("name"), name, m) for m in is_env_var_name(name)]
        if name in seen:
            errs.append(duplicate(var_path.child("name"), name, "env var names must be unique within a container"))
        seen.add(name)
    return errs


def _validate_scheduler_names(ctx: PCSContext) -> ErrorList:
    """All cliques must resolve to one scheduler, and it must be an enabled profile."""
    cliques = ctx.cliques()
    if not cliques:
        return []
    enabled = ctx.config.scheduler.enabled_names()
    first = scheduler_name_of(cliques[0][1], ctx.config)
    errs: ErrorList = []
    for path, clique in cliques:
        name = scheduler_name_of(clique, ctx.config)
        sched_path = path.child("spec", "podSpec", "schedulerName")
        if name != first:
            errs.append(invalid(sched_path, name, f"all cliques must use the same scheduler; "
                                f"{cliques[0][0].child('name')} uses {first!r}"))
        elif name not in enabled:
            errs.append(not_supported(sched_path, name, enabled))
    return errs


def _validate_groups(ctx: PCSContext) -> ErrorList:
    errs: ErrorList = []
    groups = ctx.pcs.spec.template.pod_clique_scaling_groups or []
    member_seen: dict[str, str] = {}
    for g, group in enumerate(groups):
        path = group_path(g)
        if not group.name:
            errs.append(required(path.child("name")))
        else:
            errs += [invalid(path.child("name"), group.name, m) for m in is_dns1123_subdomain(group.name)]
        errs += validate_annotations(group.annotations, path.child("annotations"))
        if not group.clique_names:
            errs.append(required(path.child("cliqueNames"), "a scaling group needs at least one clique"))
        for k, name in enumerate(group.clique_names):
            member_path = path.child("cliqueNames").at(k)
            if name not in ctx.clique_index:
                errs.append(not_found(member_path, name, "no clique with this name in spec.template.cliques"))
            if name in member_seen:
                errs.append(duplicate(member_path, name,
                                      f"clique is already a member of scaling group {member_seen[name]!r}"))
            member_seen.setdefault(name, group.name)
            if len(ctx.name) + len(group.name) + len(name) > c.NAME_BUDGET:
                errs.append(invalid(member_path, name, _budget_message(ctx.name, group.name, name)))
        replicas, min_available = group.replicas, group.min_available
        if replicas is not None and replicas <= 0:
            errs.append(invalid(path.child("replicas"), replicas, "must be greater than 0"))
        if min_available is not None:
            if min_available <= 0:
                errs.append(invalid(path.child("minAvailable"), min_available, "must be greater than 0"))
            elif replicas is not None and min_available > replicas:
                errs.append(invalid(path.child("minAvailable"), min_available,
                                    f"must be less than or equal to replicas ({replicas})"))
        scale = group.scale_config
        if scale is not None and scale.min_replicas is not None and min_available is not None \
                and scale.min_replicas < min_available:
            errs.append(invalid(path.child("scaleConfig", "minReplicas"), scale.min_replicas,
                                f"must be greater than or equal to minAvailable ({min_available})"))
    errs += _unique(((GROUPS.at(g).child("name"), grp.name) for g, grp in enumerate(groups)),
                    "scaling group names")
    return errs


def _validate_termination_delay(ctx: PCSContext) -> ErrorList:
    path = TEMPLATE.child("terminationDelay")
    raw = ctx.pcs.spec.template.termination_delay
    if raw is None:
        return [required(path)]
    try:
        seconds = parse_duration(raw)
    except DurationError:
        return [invalid(path, raw, "must be a duration such as 30s, 5m or 4h")]
    if seconds <= 0:
        return [invalid(path, raw, "must be greater than 0")]
    return []

