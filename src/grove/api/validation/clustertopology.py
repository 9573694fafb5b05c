"""ClusterTopologyBinding admission (spec §2.3). Domain/key shapes and ``minItems`` are schema rules
(see the model); here: unique domains and keys, unique scheduler bindings, and each binding naming
an enabled, topology-aware scheduler profile. Levels may change freely on UPDATE. The error lines read
as upstream's (bare ``Duplicate value``, upstream's two scheduler messages), only the path differs."""

from __future__ import annotations

from grove.api import constants as c
from grove.api.models.config import OperatorConfiguration
from grove.api.models.topology import ClusterTopologyBinding
from grove.api.validation.errors import ErrorList, Path, ValidationResult, duplicate, invalid
from grove.api.validation.k8s import validate_object_meta

LEVELS = Path("spec.levels")
BINDINGS = Path("spec.schedulerTopologyBindings")

# Upstream's wording (its e2e test TAS21 asserts it). Upstream reports these under
# ``spec.schedulerTopologyReferences[i]``, a field that does not exist; we name the real one
# (docs/divergences.md).
SCHEDULER_NOT_ENABLED = "scheduler backend is not enabled in Grove"
SCHEDULER_NOT_TOPOLOGY_AWARE = "scheduler backend does not implement topology-aware scheduling"


def validate_cluster_topology(ctb: ClusterTopologyBinding, *, config: OperatorConfiguration) -> ValidationResult:
    meta = ctb.metadata
    errs: ErrorList = validate_object_meta(meta.name, meta.generate_name, meta.namespace, meta.labels,
                                           meta.annotations, namespaced=False)
    domains: set[str] = set()
    keys: set[str] = set()
    for i, level in enumerate(ctb.spec.levels):
        if level.domain in domains:
            errs.append(duplicate(LEVELS.at(i).child("domain"), level.domain))
        if level.key in keys:
            errs.append(duplicate(LEVELS.at(i).child("key"), level.key))
        domains.add(level.domain)
        keys.add(level.key)
    enabled = config.scheduler.enabled_names()
    seen: set[str] = set()
    for i, binding in enumerate(ctb.spec.scheduler_topology_bindings or []):
        path = BINDINGS.at(i).child("schedulerName")
        name = binding.scheduler_name
        if name in seen:
            errs.append(duplicate(path, name))
        seen.add(name)
        if name not in enabled:
            errs.append(invalid(path, name, SCHEDULER_NOT_ENABLED))
        elif name not in c.TOPOLOGY_AWARE_SCHEDULERS:
            errs.append(invalid(path, name, SCHEDULER_NOT_TOPOLOGY_AWARE))
    return ValidationResult(errors=errs)
