"""Shared helpers for validation tests: run a body through admission and look at the outcome."""

from __future__ import annotations

from typing import Any

from grove.api.models.config import (
    NetworkConfig,
    OperatorConfiguration,
    SchedulerConfig,
    SchedulerProfile,
    TopologyAwareScheduling,
    embedded_cluster_config,
)
from grove.api.validation import ObjectReport, OfflineLookup, validate_object
from tests.builders import ctb

EMBEDDED = embedded_cluster_config()


def config(*, tas: bool = True, mnnvl: bool = False, profiles: tuple[str, ...] = (
        "grove-scheduler", "default-scheduler", "kai-scheduler", "volcano", "lpx-scheduler"),
        default: str = "grove-scheduler") -> OperatorConfiguration:
    return OperatorConfiguration(
        topology_aware_scheduling=TopologyAwareScheduling(enabled=tas),
        network=NetworkConfig(auto_mnnvl_enabled=mnnvl),
        scheduler=SchedulerConfig(profiles=[SchedulerProfile(name=p) for p in profiles], default_profile_name=default),
    )


def check(body: Any, old: Any = None, *, cfg: OperatorConfiguration | None = None,
          extra: tuple[Any, ...] = (ctb(),)) -> ObjectReport:
    """Validate ``body`` (UPDATE when ``old`` is given) with ``extra`` objects as cluster state."""
    lookup = OfflineLookup.from_bodies(extra)
    return validate_object(body, old, config=cfg or config(), lookup=lookup)


def error_at(report: ObjectReport, path: str) -> list[str]:
    """The error lines at exactly ``path``."""
    return [str(e) for e in report.result.errors if e.path == path]


def describe(report: ObjectReport) -> str:
    return "\n".join(str(e) for e in report.result.errors) or "<no errors>"
