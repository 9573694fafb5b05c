"""``validate_object``: one entry point for any wire body, as an API server with Grove's webhooks
would treat it: schema stage, then defaulting (PodCliqueSet), then admission rules.

Grove kinds are parsed and checked; a body in a Grove API group with an unknown kind or version is an
error (``Unknown kind``); anything else (ResourceClaimTemplate, Queue, Node...) passes through
unvalidated but for what the API server checks of every object's metadata (and of Pods and Nodes, its
core validation). Nothing here raises on any input.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from grove.api import constants as c
from grove.api.bounded_yaml import DuplicateKey
from grove.api.defaults import default_podcliqueset_in_place
from grove.api.kinds import CRD_KINDS, grove_kind, model_for
from grove.api.models.base import TypedObject
from grove.api.models.config import OperatorConfiguration
from grove.api.models.core import PodCliqueSet
from grove.api.models.topology import ClusterTopologyBinding
from grove.api.validation.clustertopology import validate_cluster_topology
from grove.api.validation.core import validate_core_object
from grove.api.validation.errors import (
    ROOT,
    ErrorList,
    ErrorType,
    FieldError,
    Path,
    ValidationResult,
    invalid,
    required,
)
from grove.api.validation.k8s import (
    validate_annotations,
    validate_dns_label,
    validate_labels,
    validate_object_meta,
)
from grove.api.validation.lookup import ClusterLookup
from grove.api.validation.pod_schema import UnknownField
from grove.api.validation.podcliqueset_admission import validate_podcliqueset
from grove.api.validation.schema import parse_model
from grove.api.validation.strict import error as strict_error
from grove.api.validation.strict import unknown_fields, unknown_fields_of
from grove.api.validation.strict import warning as unknown_warning

GROVE_GROUPS = (c.GROUP, c.SCHEDULER_GROUP, c.CONFIG_GROUP)
MAX_DEPTH = 100
"""Deeper bodies are rejected up front (real manifests nest < 20 levels; pydantic and deepcopy recurse)."""
Status = Literal["validated", "passthrough", "invalid"]


@dataclass
class ObjectReport:
    """What became of one body: its identity, the (defaulted) object, and the verdict."""

    api_version: str | None
    kind: str | None
    name: str | None
    status: Status
    obj: TypedObject | None = None
    wire: Any = None
    result: ValidationResult = field(default_factory=ValidationResult)

    @property
    def ok(self) -> bool:
        return self.result.ok

    @property
    def ref(self) -> str:
        """``kind.group/name`` as kubectl prints it (``podcliqueset.grove.io/simple1``, ``node/n1``)."""
        kind = (self.kind or "<no kind>").lower()
        group = self.api_version.rpartition("/")[0] if isinstance(self.api_version, str) else ""
        return f"{kind}.{group}/{self.name or '<no name>'}" if group else f"{kind}/{self.name or '<no name>'}"


def _identity(body: Any) -> tuple[str | None, str | None, str | None]:
    if not isinstance(body, dict):
        return None, None, None
    meta = body.get("metadata")
    name = meta.get("name") if isinstance(meta, dict) else None
    def text(v: Any) -> str | None:
        return v if isinstance(v, str) else None
    return text(body.get("apiVersion")), text(body.get("kind")), text(name)


def validate_object(body: Any, old_body: Any = None, *, config: OperatorConfiguration,
                    lookup: ClusterLookup) -> ObjectReport:
    api_version, kind, name = _identity(body)
    report = ObjectReport(api_version, kind, name, "invalid", wire=body)
    if deeper_than(body, MAX_DEPTH) or deeper_than(old_body, MAX_DEPTH):
        report.result.errors.append(invalid(ROOT, "...", f"object is nested more than {MAX_DEPTH} levels deep"))
        return report
    _dispatch(report, body, old_body, config, lookup)
    return report


def validate_document(body: Any, duplicates: Sequence[DuplicateKey] = (), *, config: OperatorConfiguration,
                      lookup: ClusterLookup, strict: bool = False) -> ObjectReport:
    """:func:`validate_object` plus strictness, as kubectl's ``--validate``: unknown fields of Grove kinds
    and duplicate keys of the text are warnings, or errors when ``strict``."""
    report = validate_object(body, config=config, lookup=lookup)
    unknown: list[UnknownField] = []
    if report.obj is not None:
        unknown = unknown_fields(report.obj)
    elif report.status == "validated":  # parsed without a typed object: OperatorConfiguration
        unknown = unknown_fields_of(body)
    if strict:
        report.result.errors += [strict_error(f) for f in unknown]
        report.result.errors += [FieldError(Path(f"line {d.line}"), ErrorType.DUPLICATE,
                                            "duplicate key (strict mode)", d.key) for d in duplicates]
        if not report.result.ok:
            report.status = "invalid"
    else:
        report.result.warnings += [unknown_warning(f) for f in unknown] + [str(d) for d in duplicates]
    return report


def deeper_than(body: Any, limit: int) -> bool:
    """Iterative depth check, so the check itself cannot hit the recursion limit."""
    stack: list[tuple[Any, int]] = [(body, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)
    return False


def _dispatch(report: ObjectReport, body: Any, old_body: Any, config: OperatorConfiguration,
              lookup: ClusterLookup) -> None:
    errs = report.result.errors
    if not isinstance(body, dict):
        errs.append(invalid(ROOT, body, "must be a Kubernetes object (a mapping with apiVersion and kind)"))
        return
    if not report.api_version:
        errs.append(required(Path("apiVersion")))
    if not report.kind:
        errs.append(required(Path("kind")))
    if errs:
        return
    model = model_for(report.api_version, report.kind)
    if model is None:
        group = (report.api_version or "").rpartition("/")[0]
        if group in GROVE_GROUPS:
            known = ", ".join(f"{k.api_version} {k.kind}" for k in CRD_KINDS)
            errs.append(FieldError(Path("kind"), ErrorType.NOT_SUPPORTED, f"Unknown kind; Grove kinds: {known}",
                                   f"{report.api_version} {report.kind}"))
        else:
            errs.extend(validate_generic_meta(body.get("metadata")))
            core = validate_core_object(body)  # Pods and Nodes: kube-apiserver's core validation
            errs.extend(core or [])
            report.status = "passthrough" if not errs else "invalid"
        return
    parsed, schema_errs = parse_model(model, body)
    errs.extend(schema_errs)
    if parsed is None or not isinstance(parsed, TypedObject):  # OperatorConfiguration: schema only
        report.status = "validated" if parsed is not None else "invalid"
        return
    obj: TypedObject = parsed
    result = report.result
    if isinstance(obj, PodCliqueSet):
        obj = default_podcliqueset_in_place(obj)  # freshly parsed: ours to mutate
        old = _parse_old(old_body, result)
        result.extend(validate_podcliqueset(obj, old, config=config, lookup=lookup))
    elif isinstance(obj, ClusterTopologyBinding):
        result.extend(validate_cluster_topology(obj, config=config))
    else:
        kind_info = grove_kind(report.api_version, report.kind)
        meta = obj.metadata
        errs.extend(validate_object_meta(meta.name, meta.generate_name, meta.namespace, meta.labels,
                                         meta.annotations, namespaced=kind_info.namespaced if kind_info else False)
                    if kind_info else [])
    report.obj = obj
    report.wire = obj.to_wire()
    report.status = "validated" if result.ok else "invalid"


def validate_generic_meta(meta: Any) -> ErrorList:
    """What the API server checks of *any* object's metadata (the name's format depends on the kind, so
    only its presence): a mapping, string names, a DNS-label namespace, valid labels and annotations."""
    path = Path("metadata")
    if meta is None:
        return [required(path.child("name"), "name or generateName is required")]
    if not isinstance(meta, dict):
        return [invalid(path, meta, "must be of type object")]
    errs: ErrorList = []
    for key in ("name", "generateName", "namespace"):
        if meta.get(key) is not None and not isinstance(meta[key], str):
            errs.append(invalid(path.child(key), meta[key], "must be of type string"))
    if errs:
        return errs
    if not meta.get("name") and not meta.get("generateName"):
        errs.append(required(path.child("name"), "name or generateName is required"))
    if meta.get("namespace"):
        errs.extend(validate_dns_label(meta["namespace"], path.child("namespace")))
    for key in ("labels", "annotations"):
        value = meta.get(key)
        if value is None:
            continue
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            errs.append(invalid(path.child(key), value, "must be a map of string to string"))
    if not errs:
        errs.extend(validate_labels(meta.get("labels"), path.child("labels")))
        errs.extend(validate_annotations(meta.get("annotations"), path.child("annotations")))
    return errs


def _parse_old(old_body: Any, result: ValidationResult) -> PodCliqueSet | None:
    if old_body is None:
        return None
    old, errs = parse_model(PodCliqueSet, old_body)
    if old is None:
        result.errors.append(invalid(ROOT, "<old object>", f"the existing object does not parse ({errs[0]})"))
        return None
    return default_podcliqueset_in_place(old)
