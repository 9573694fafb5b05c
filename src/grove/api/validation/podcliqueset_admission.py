"""``validate_podcliqueset``: every PodCliqueSet admission rule, in the webhook's order, on the
defaulted object. CREATE when ``old`` is None, else UPDATE (which adds immutability)."""

from __future__ import annotations

from grove.api.models.config import OperatorConfiguration
from grove.api.models.core import PodCliqueSet
from grove.api.validation.backends import validate_backend, validate_mnnvl
from grove.api.validation.context import PCSContext
from grove.api.validation.errors import ValidationResult
from grove.api.validation.immutability import validate_update
from grove.api.validation.limits import validate_work_limits
from grove.api.validation.lookup import ClusterLookup
from grove.api.validation.podcliqueset import validate_pcs_spec
from grove.api.validation.sharing import validate_resource_sharing
from grove.api.validation.startup import starts_after_warnings, validate_starts_after
from grove.api.validation.topology import validate_cel, validate_topology_admission


def validate_podcliqueset(new: PodCliqueSet, old: PodCliqueSet | None = None, *,
                          config: OperatorConfiguration, lookup: ClusterLookup) -> ValidationResult:
    """All errors and warnings for admitting ``new`` (already defaulted), never raising."""
    ctx = PCSContext(new, "CREATE" if old is None else "UPDATE", config, lookup)
    out = validate_pcs_spec(ctx)
    out.errors += validate_work_limits(new)
    out.errors += validate_starts_after(ctx)
    out.warnings += starts_after_warnings(ctx)
    out.errors += validate_resource_sharing(ctx)
    out.errors += validate_cel(ctx)
    out.extend(validate_topology_admission(ctx))
    out.errors += validate_mnnvl(ctx)
    out.extend(validate_backend(ctx))
    if old is not None:
        out.extend(validate_update(ctx, old))
    return out
