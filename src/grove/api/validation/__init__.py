"""Admission validation for Grove objects (spec §2.2, §2.3, §9.3, §10.2, §11.3), pure and total.

Entry points: :func:`validate_object` for any wire body (schema → defaulting → rules) and
:func:`validate_podcliqueset` for an already-defaulted PodCliqueSet, as the webhook calls it. All
errors come back at once as :class:`FieldError` (path, type, value, rule); warnings are kept apart.
Cluster state is read only through :class:`ClusterLookup`.
"""

from grove.api.validation.clustertopology import validate_cluster_topology
from grove.api.validation.errors import ErrorType, FieldError, Path, ValidationResult
from grove.api.validation.lookup import QUEUE_OPEN, QUEUE_UNKNOWN, ClusterLookup, OfflineLookup
from grove.api.validation.objects import ObjectReport, validate_document, validate_object
from grove.api.validation.podcliqueset_admission import validate_podcliqueset
from grove.api.validation.schema import parse_model

__all__ = [
    "QUEUE_OPEN",
    "QUEUE_UNKNOWN",
    "ClusterLookup",
    "ErrorType",
    "FieldError",
    "ObjectReport",
    "OfflineLookup",
    "Path",
    "ValidationResult",
    "parse_model",
    "validate_cluster_topology",
    "validate_document",
    "validate_object",
    "validate_podcliqueset",
]
