"""Loading and validating the OperatorConfiguration file (spec §10.3); a bad file is exit code 2."""

from __future__ import annotations

from pathlib import Path

from grove.api import constants as c
from grove.api.bounded_yaml import YAMLInputError, decode_utf8, load_one
from grove.api.duration import parse_duration
from grove.api.models.config import OperatorConfiguration
from grove.api.validation import parse_model
from grove.api.validation.strict import unknown_fields
from grove.api.validation.strict import warning as unknown_warning

LOG_LEVELS = ("debug", "info", "error")
LOG_FORMATS = ("json", "text")


class ConfigError(Exception):
    """The configuration file cannot be read, parsed or fails validation (one line per problem)."""


def validate_operator_config(cfg: OperatorConfiguration) -> list[str]:
    """The §10.3 validation rules; an empty list means valid."""
    errs: list[str] = []
    if cfg.log_level not in LOG_LEVELS:
        errs.append(f"logLevel: Unsupported value: {cfg.log_level!r}: supported values: {', '.join(LOG_LEVELS)}")
    if cfg.log_format not in LOG_FORMATS:
        errs.append(f"logFormat: Unsupported value: {cfg.log_format!r}: supported values: {', '.join(LOG_FORMATS)}")
    names = [p.name for p in cfg.scheduler.profiles]
    if not names:
        errs.append("scheduler.profiles: Required value: at least one profile")
    for i, name in enumerate(names):
        if name not in c.SUPPORTED_SCHEDULER_PROFILES:
            errs.append(f"scheduler.profiles[{i}].name: Unsupported value: {name!r}")
        if name in names[:i]:
            errs.append(f"scheduler.profiles[{i}].name: Duplicate value: {name!r}")
    if c.SCHEDULER_DEFAULT not in names:
        errs.append(f"scheduler.profiles: Required value: {c.SCHEDULER_DEFAULT} must be enabled")
    if not cfg.scheduler.default_profile_name:
        errs.append("scheduler.defaultProfileName: Required value")
    elif cfg.scheduler.default_profile_name not in names:
        errs.append(f"scheduler.defaultProfileName: Invalid value: {cfg.scheduler.default_profile_name!r}: "
                    "must be one of the enabled profiles")
    for field, ctrl in (("podCliqueSet", cfg.controllers.pod_clique_set), ("podClique", cfg.controllers.pod_clique),
                        ("podCliqueScalingGroup", cfg.controllers.pod_clique_scaling_group),
                        ("podGang", cfg.controllers.pod_gang)):
        if ctrl.concurrent_syncs <= 0:
            errs.append(f"controllers.{field}.concurrentSyncs: Invalid value: {ctrl.concurrent_syncs}: must be > 0")
    if cfg.runtime_client_connection.burst < 0:
        errs.append(f"runtimeClientConnection.burst: Invalid value: {cfg.runtime_client_connection.burst}: "
                    "must be >= 0")
    le = cfg.leader_election
    if le.enabled:
        durations: dict[str, float] = {}
        for field, text in (("leaseDuration", le.lease_duration), ("renewDeadline", le.renew_deadline),
                            ("retryPeriod", le.retry_period)):
            try:
                durations[field] = parse_duration(text)
            except ValueError as exc:
                errs.append(f"leaderElection.{field}: Invalid value: {text!r}: {exc}")
                continue
            if durations[field] <= 0:
                errs.append(f"leaderElection.{field}: Invalid value: {text!r}: must be > 0")
        if durations.get("leaseDuration", 1) <= durations.get("renewDeadline", 0):
            errs.append("leaderElection.leaseDuration: Invalid value: must be greater than renewDeadline")
        if not le.resource_lock:
            errs.append("leaderElection.resourceLock: Required value")
        if not le.resource_name:
            errs.append("leaderElection.resourceName: Required value")
    return errs


def load_operator_config(path: str | Path) -> OperatorConfiguration:
    """Read, parse and validate the file; ConfigError names every problem (one line each).

    Strict, unlike upstream's lenient decoder: a misspelt key (``topologyAwareSchedulng``) would silently
    leave a feature at its default, so an unknown field, a duplicate key or another kind is an error."""
    try:
        doc = load_one(decode_utf8(Path(path).read_bytes()))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read operator configuration: {exc.strerror or exc}") from exc
    except YAMLInputError as exc:
        raise ConfigError(f"{path}: cannot read operator configuration: {exc}") from exc
    if doc is not None and doc.duplicates:
        raise ConfigError("\n".join(f"{path}: {d}" for d in doc.duplicates))
    return operator_config_from_body(doc.body if doc is not None else None, str(path))


def operator_config_from_body(body: object, path: str) -> OperatorConfiguration:
    """Parse and validate an already-read configuration document; ``path`` names it in every error."""
    if body is None:
        body = {}
    if not isinstance(body, dict):
        raise ConfigError(f"{path}: operator configuration must be a mapping")
    api_version, kind = body.get("apiVersion", c.CONFIG_API_VERSION), body.get("kind", c.KIND_OPERATOR_CONFIG)
    if (api_version, kind) != (c.CONFIG_API_VERSION, c.KIND_OPERATOR_CONFIG):
        raise ConfigError(f"{path}: expected apiVersion {c.CONFIG_API_VERSION}, kind {c.KIND_OPERATOR_CONFIG}; "
                          f"got apiVersion {api_version!r}, kind {kind!r}")
    cfg, errs = parse_model(OperatorConfiguration, body)
    if cfg is None or errs:
        raise ConfigError("\n".join(f"{path}: {e}" for e in errs) or f"{path}: invalid operator configuration")
    unknown = [f"{path}: {unknown_warning(f)}" for f in unknown_fields(cfg)]
    if unknown:
        raise ConfigError("\n".join(unknown))
    problems = validate_operator_config(cfg)
    if problems:
        raise ConfigError("\n".join(f"{path}: {p}" for p in problems))
    return cfg
