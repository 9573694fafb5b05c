"""Scheduler-backend admission (spec §10.2) and the auto-MNNVL annotation rules (§11.3).

Backend rules apply to the one scheduler every clique resolves to (``podSpec.schedulerName``, ""
meaning the default profile); when cliques disagree that is already an error and no backend runs.
- kai-scheduler: a queue ``kai.scheduler/queue`` (label, else annotation) on the PodCliqueSet, which
  clique templates may only repeat; else the clique templates must agree on exactly one.
- volcano: no topology constraints; queue annotation resolved per clique (PodCliqueSet vs clique,
  ``default`` if neither), one queue for all, a DNS-1123 subdomain, existing and ``Open``.
- lpx-scheduler: no topology constraints.
"""

from __future__ import annotations

from collections.abc import Mapping

from grove.api import constants as c
from grove.api.validation.context import GROUPS, META, PCSContext, resolved_scheduler
from grove.api.validation.errors import (
    ErrorList,
    Path,
    ValidationResult,
    forbidden,
    invalid,
    not_found,
    required,
)
from grove.api.validation.k8s import is_dns1123_label, is_dns1123_subdomain
from grove.api.validation.lookup import QUEUE_OPEN, QUEUE_UNKNOWN
from grove.api.validation.topology import constraint_sites


def _lookup_key(labels: Mapping[str, str] | None, annotations: Mapping[str, str] | None,
                key: str, base: Path) -> tuple[str, Path] | None:
    """Value of ``key`` from labels, else annotations, with the path it came from."""
    if labels and labels.get(key):
        return labels[key], base.child("labels").key(key)
    if annotations and annotations.get(key):
        return annotations[key], base.child("annotations").key(key)
    return None


def validate_backend(ctx: PCSContext) -> ValidationResult:
    scheduler = resolved_scheduler(ctx.pcs, ctx.config)
    if scheduler == c.SCHEDULER_KAI:
        return ValidationResult(errors=_kai(ctx))
    if scheduler == c.SCHEDULER_VOLCANO:
        return _volcano(ctx)
    if scheduler == c.SCHEDULER_LPX:
        return ValidationResult(errors=_no_topology(ctx, scheduler))
    return ValidationResult()


def _no_topology(ctx: PCSContext, scheduler: str) -> ErrorList:
    return [forbidden(s.path, f"the {scheduler} scheduler does not support topology constraints")
            for s in constraint_sites(ctx) if s.constraint is not None]


def _kai(ctx: PCSContext) -> ErrorList:
    meta = ctx.pcs.metadata
    pcs_queue = _lookup_key(meta.labels, meta.annotations, c.KAI_QUEUE_KEY, META)
    errs: ErrorList = []
    first: tuple[str, Path] | None = None
    for path, clique in ctx.cliques():
        found = _lookup_key(clique.labels, clique.annotations, c.KAI_QUEUE_KEY, path)
        if found is None:
            continue
        if pcs_queue is not None:
            if found[0] != pcs_queue[0]:
                errs.append(invalid(found[1], found[0], f"must match the PodCliqueSet's queue {pcs_queue[0]!r} "
                                                        f"({pcs_queue[1]})"))
        elif first is None:
            first = found
        elif found[0] != first[0]:
            errs.append(invalid(found[1], found[0], f"all cliques must use one queue; {first[1]} is {first[0]!r}"))
    if pcs_queue is None and first is None:
        errs.append(required(META.child("labels").key(c.KAI_QUEUE_KEY),
                             "kai-scheduler needs a queue: set the label (or annotation) "
                             f"{c.KAI_QUEUE_KEY} on the PodCliqueSet or its clique templates"))
    return errs


def _volcano(ctx: PCSContext) -> ValidationResult:
    out = ValidationResult(errors=_no_topology(ctx, c.SCHEDULER_VOLCANO))
    key = c.VOLCANO_QUEUE_ANNOTATION
    pcs_path = META.child("annotations").key(key)
    pcs_queue = (ctx.pcs.metadata.annotations or {}).get(key, "").strip()
    if pcs_queue:
        out.errors += [invalid(pcs_path, pcs_queue, m) for m in is_dns1123_subdomain(pcs_queue)]
    first: tuple[str, Path] | None = None
    for path, clique in ctx.cliques():
        cpath = path.child("annotations").key(key)
        own = (clique.annotations or {}).get(key, "").strip()
        if own:
            out.errors += [invalid(cpath, own, m) for m in is_dns1123_subdomain(own)]
        if pcs_queue and own and own != pcs_queue:
            out.errors.append(invalid(cpath, own, f"conflicts with the PodCliqueSet's queue {pcs_queue!r}"))
            continue
        resolved = pcs_queue or own or "default"
        where = cpath if own else pcs_path
        if first is None:
            first = (resolved, where)
        elif resolved != first[0]:
            out.errors.append(invalid(where, resolved, f"all cliques must use one Volcano queue; "
                                                       f"{first[1]} resolves to {first[0]!r}"))
    if first is None or out.errors:
        return out
    queue, where = first
    state = ctx.lookup.volcano_queue_state(queue)
    if state is None:
        out.errors.append(not_found(where, queue, f"Volcano queue {queue!r} does not exist"))
    elif state == QUEUE_UNKNOWN:
        out.warnings.append(f"{where}: Volcano queue {queue!r} was not checked (no Queue objects available)")
    elif state != QUEUE_OPEN:
        out.errors.append(invalid(where, queue, f"Volcano queue is {state}, not Open"))
    return out


def mnnvl_sites(ctx: PCSContext) -> list[tuple[Path, str, str | None]]:
    """(path, owner key, value) of the ``grove.io/mnnvl-group`` annotation at each level that could hold it."""
    key = c.ANNOTATION_MNNVL_GROUP
    tmpl = ctx.pcs.spec.template
    out: list[tuple[Path, str, str | None]] = [
        (META.child("annotations").key(key), "pcs", (ctx.pcs.metadata.annotations or {}).get(key))]
    for g, group in enumerate(tmpl.pod_clique_scaling_groups or []):
        out.append((GROUPS.at(g).child("annotations").key(key),
                    f"group/{group.name}", (group.annotations or {}).get(key)))
    for path, clique in ctx.cliques():
        out.append((path.child("annotations").key(key), f"clique/{clique.name}", (clique.annotations or {}).get(key)))
    return out


def validate_mnnvl(ctx: PCSContext) -> ErrorList:
    errs: ErrorList = []
    enabled = ctx.config.network.auto_mnnvl_enabled
    for path, _, value in mnnvl_sites(ctx):
        if value is None or value == c.MNNVL_GROUP_NONE:
            continue
        problems = is_dns1123_label(value)
        errs += [invalid(path, value, f"must be {c.MNNVL_GROUP_NONE!r} or a DNS-1123 label: {m}") for m in problems]
        if not problems and not enabled and ctx.creating:
            errs.append(forbidden(path, "auto-MNNVL is disabled in the operator configuration "
                                        "(network.autoMNNVLEnabled); only 'none' is allowed"))
    return errs
