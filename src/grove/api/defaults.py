"""Defaulting of PodCliqueSets exactly as upstream applies it (spec §2.1), as pure functions.

Two stages run in order on CREATE and UPDATE: the CRD's structural defaults (what the API server
applies from the OpenAPI ``default`` values), then the mutating webhook's defaults. Inputs are never
mutated; a defaulted copy is returned.
"""

from __future__ import annotations

from grove.api import constants as c
from grove.api.models.core import (
    HeadlessServiceConfig,
    PodCliqueSet,
    UpdateStrategy,
)


def apply_crd_defaults(pcs: PodCliqueSet) -> PodCliqueSet:
    """The OpenAPI defaults the API server fills in before admission."""
    return _crd_defaults_in_place(pcs.model_copy(deep=True))


def _crd_defaults_in_place(out: PodCliqueSet) -> PodCliqueSet:
    spec = out.spec
    if spec.replicas is None:
        spec.replicas = 0
    if spec.update_strategy is not None and spec.update_strategy.type is None:
        spec.update_strategy.type = "RollingRecreate"
    tmpl = spec.template
    if tmpl.clique_startup_type is None:
        tmpl.clique_startup_type = "CliqueStartupTypeAnyOrder"
    for group in tmpl.pod_clique_scaling_groups or []:
        if group.replicas is None:
            group.replicas = 1
        if group.min_available is None:
            group.min_available = 1
    constraints = [tmpl.topology_constraint, *(g.topology_constraint for g in tmpl.pod_clique_scaling_groups or [])]
    constraints += [cl.topology_constraint for cl in tmpl.cliques]
    for tc in constraints:
        for sc in (tc.spread_constraints or []) if tc is not None else []:
            if sc.max_skew is None:
                sc.max_skew = 1
            if sc.when_unsatisfiable is None:
                sc.when_unsatisfiable = "DoNotSchedule"
    return out


def apply_webhook_defaults(pcs: PodCliqueSet) -> PodCliqueSet:
    """The ``pcs.defaulting.webhooks.grove.io`` mutations."""
    return _webhook_defaults_in_place(pcs.model_copy(deep=True))


def _webhook_defaults_in_place(out: PodCliqueSet) -> PodCliqueSet:
    if not out.metadata.namespace:
        out.metadata.namespace = "default"
    tmpl = out.spec.template
    for clique in tmpl.cliques:
        spec = clique.spec
        pod_spec = spec.pod_spec
        if not pod_spec.get("restartPolicy"):
            pod_spec["restartPolicy"] = "Always"
        if pod_spec.get("terminationGracePeriodSeconds") is None:
            pod_spec["terminationGracePeriodSeconds"] = c.DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS
        submitted = spec.replicas
        if spec.replicas == 0:
            spec.replicas = 1
        if spec.min_available is None:
            spec.min_available = submitted  # upstream quirk: the replicas *as submitted* (0 stays 0)
        if spec.auto_scaling_config is not None and spec.auto_scaling_config.min_replicas is None:
            spec.auto_scaling_config.min_replicas = submitted
    for group in tmpl.pod_clique_scaling_groups or []:
        if group.scale_config is not None and group.scale_config.min_replicas is None:
            group.scale_config.min_replicas = group.replicas
    if tmpl.termination_delay is None:
        tmpl.termination_delay = c.DEFAULT_TERMINATION_DELAY
    if tmpl.headless_service_config is None:
        tmpl.headless_service_config = HeadlessServiceConfig(publish_not_ready_addresses=True)
    return out


def default_podcliqueset(pcs: PodCliqueSet) -> PodCliqueSet:
    """CRD defaults, then webhook defaults: what a stored PodCliqueSet looks like."""
    return default_podcliqueset_in_place(pcs.model_copy(deep=True))


def default_podcliqueset_in_place(pcs: PodCliqueSet) -> PodCliqueSet:
    """As :func:`default_podcliqueset` but mutating ``pcs`` (for a freshly parsed object nobody shares)."""
    return _webhook_defaults_in_place(_crd_defaults_in_place(pcs))


def effective_update_strategy(pcs: PodCliqueSet) -> str:
    """RollingRecreate unless OnDelete is asked for (an absent updateStrategy means RollingRecreate)."""
    strategy = pcs.spec.update_strategy or UpdateStrategy()
    return strategy.type or "RollingRecreate"
