"""Grove's admission logic as pure handlers over wire objects, shared by both worlds.

The embedded cluster calls these in process (see ``grove.sim.admission``); the TLS webhook server wraps
them in AdmissionReview v1. Only the main resource is admitted for PodCliqueSets and
ClusterTopologyBindings (as upstream registers them: CREATE and UPDATE, no subresources). The other Grove
kinds get the structural checks a real API server performs from their CRD schema.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from grove.api import constants as c
from grove.api.defaults import default_podcliqueset
from grove.api.kinds import grove_kind
from grove.api.models.config import OperatorConfiguration
from grove.api.models.core import PodCliqueSet
from grove.api.models.topology import ClusterTopologyBinding
from grove.api.validation import ClusterLookup, FieldError, parse_model, validate_cluster_topology
from grove.api.validation import validate_podcliqueset as validate_pcs_rules

Operation = Literal["CREATE", "UPDATE", "DELETE", "CONNECT"]


@dataclass
class AdmissionOutcome:
    """What a webhook answers: allowed or not, the field errors, warnings, and the mutated object."""

    allowed: bool = True
    errors: list[FieldError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    object: dict[str, Any] | None = None

    def message(self, kind: str, name: str) -> str:
        """kube-apiserver style: ``PodCliqueSet.grove.io "x" is invalid: [a: ..., b: ...]``."""
        group = c.SCHEDULER_GROUP if kind == c.KIND_PODGANG else c.GROUP
        details = ", ".join(str(e) for e in self.errors)
        return f'{kind}.{group} "{name}" is invalid: [{details}]' if len(self.errors) > 1 else \
            f'{kind}.{group} "{name}" is invalid: {details}'


def default_podcliqueset_object(obj: dict[str, Any]) -> AdmissionOutcome:
    """Mutating webhook: parse, default (CRD then webhook defaults, both idempotent), return wire form.

    A body that does not parse is left to the validating stage, which reports every schema error.
    """
    parsed, _errors = parse_model(PodCliqueSet, obj)
    if parsed is None:
        return AdmissionOutcome(allowed=True, object=obj)
    return AdmissionOutcome(allowed=True, object=default_podcliqueset(parsed).to_wire())


def validate_podcliqueset_object(obj: dict[str, Any], old: dict[str, Any] | None, *,
                                 config: OperatorConfiguration, lookup: ClusterLookup) -> AdmissionOutcome:
    parsed, errors = parse_model(PodCliqueSet, obj)
    if parsed is None:
        return AdmissionOutcome(allowed=False, errors=errors)
    old_parsed: PodCliqueSet | None = None
    if old is not None:
        old_parsed, _ = parse_model(PodCliqueSet, old)
    result = validate_pcs_rules(parsed, old_parsed, config=config, lookup=lookup)
    return AdmissionOutcome(allowed=result.ok, errors=[*errors, *result.errors], warnings=list(result.warnings))


def validate_cluster_topology_object(obj: dict[str, Any], *, config: OperatorConfiguration) -> AdmissionOutcome:
    parsed, errors = parse_model(ClusterTopologyBinding, obj)
    if parsed is None:
        return AdmissionOutcome(allowed=False, errors=errors)
    result = validate_cluster_topology(parsed, config=config)
    return AdmissionOutcome(allowed=result.ok, errors=[*errors, *result.errors], warnings=list(result.warnings))


def validate_schema_object(api_version: str, kind: str, obj: dict[str, Any]) -> AdmissionOutcome:
    """Structural schema check for Grove kinds without a webhook (PodClique, PCSG, PodGang)."""
    k = grove_kind(api_version, kind)
    if k is None:
        return AdmissionOutcome(allowed=True)
    parsed, errors = parse_model(k.model, obj)
    return AdmissionOutcome(allowed=parsed is not None and not errors, errors=errors)
