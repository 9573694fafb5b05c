"""Kubernetes' own string rules (``k8s.io/apimachinery/pkg/util/validation``), re-stated small.

Each ``is_*`` function returns the list of problems (empty means valid) with the same wording the
API server uses, so messages read the same as ``kubectl apply`` would print. The ``validate_*``
helpers turn them into :class:`FieldError` at a path.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from grove.api.validation.errors import ErrorList, Path, invalid, required, too_long

DNS1123_LABEL_MAX: Final = 63
DNS1123_SUBDOMAIN_MAX: Final = 253
QUALIFIED_NAME_MAX: Final = 63
LABEL_VALUE_MAX: Final = 63
ANNOTATIONS_TOTAL_MAX: Final = 256 * 1024

_LABEL_FMT = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_LABEL = re.compile(rf"^{_LABEL_FMT}$")
_DNS1123_SUBDOMAIN = re.compile(rf"^{_LABEL_FMT}(\.{_LABEL_FMT})*$")
_QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_ENV_VAR_NAME = re.compile(r"^[-._a-zA-Z][-._a-zA-Z0-9]*$")


def _bounded_match(value: str, max_len: int, pattern: re.Pattern[str], rule: str) -> list[str]:
    """apimachinery's shape for name checks: a length error and a pattern error, independently."""
    errs: list[str] = []
    if len(value) > max_len:
        errs.append(f"must be no more than {max_len} characters")
    if not pattern.match(value):
        errs.append(rule)
    return errs


def is_dns1123_label(value: str) -> list[str]:
    return _bounded_match(value, DNS1123_LABEL_MAX, _DNS1123_LABEL,
                          "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or "
                          "'-', and must start and end with an alphanumeric character")


def is_dns1123_subdomain(value: str) -> list[str]:
    return _bounded_match(value, DNS1123_SUBDOMAIN_MAX, _DNS1123_SUBDOMAIN,
                          "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
                          "'-' or '.', and must start and end with an alphanumeric character")


def is_qualified_name(value: str) -> list[str]:
    """A label or annotation key: ``[prefix/]name`` with a DNS subdomain prefix."""
    prefix, sep, name = value.rpartition("/")
    errs: list[str] = []
    if sep:
        if not prefix:
            errs.append("prefix part must be non-empty")
        else:
            errs.extend(f"prefix part {e}" for e in is_dns1123_subdomain(prefix))
        if "/" in prefix:
            errs = ["a qualified name must consist of alphanumeric characters, '-', '_' or '.', with an "
                    "optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"]
            return errs
    if not name:
        errs.append("name part must be non-empty")
    else:
        if len(name) > QUALIFIED_NAME_MAX:
            errs.append(f"name part must be no more than {QUALIFIED_NAME_MAX} characters")
        if not _QUALIFIED_NAME.match(name):
            errs.append("name part must consist of alphanumeric characters, '-', '_' or '.', and must start "
                        "and end with an alphanumeric character")
    return errs


def is_label_value(value: str) -> list[str]:
    return _bounded_match(value, LABEL_VALUE_MAX, _LABEL_VALUE,
                          "a valid label must be an empty string or consist of alphanumeric characters, '-', "
                          "'_' or '.', and must start and end with an alphanumeric character")


def is_env_var_name(value: str) -> list[str]:
    if _ENV_VAR_NAME.match(value):
        return []
    return ["a valid environment variable name must consist of alphabetic characters, digits, '_', '-', "
            "or '.', and must not start with a digit"]


def validate_dns_subdomain(value: str, path: Path) -> ErrorList:
    return [invalid(path, value, m) for m in is_dns1123_subdomain(value)]


def validate_dns_label(value: str, path: Path) -> ErrorList:
    return [invalid(path, value, m) for m in is_dns1123_label(value)]


def validate_labels(labels: Mapping[str, Any] | None, path: Path) -> ErrorList:
    errs: ErrorList = []
    for k, v in (labels or {}).items():
        errs.extend(invalid(path, k, m) for m in is_qualified_name(str(k)))
        errs.extend(invalid(path.key(k), v, m) for m in is_label_value(str(v)))
    return errs


def validate_annotations(annotations: Mapping[str, Any] | None, path: Path) -> ErrorList:
    errs: ErrorList = []
    total = 0
    for k, v in (annotations or {}).items():
        key = str(k)
        errs.extend(invalid(path, key, m) for m in is_qualified_name(key.lower()))
        total += len(key) + len(str(v))
    if total > ANNOTATIONS_TOTAL_MAX:
        errs.append(too_long(path, ANNOTATIONS_TOTAL_MAX))
    return errs


def validate_object_meta(
    name: str | None, generate_name: str | None, namespace: str | None,
    labels: Mapping[str, Any] | None, annotations: Mapping[str, Any] | None, *, namespaced: bool,
) -> ErrorList:
    """``ValidateObjectMeta`` with ``NameIsDNSSubdomain``: the checks every Grove kind gets."""
    meta = Path("metadata")
    errs: ErrorList = []
    if name:
        errs.extend(validate_dns_subdomain(name, meta.child("name")))
    elif generate_name:
        errs.extend(validate_dns_subdomain(generate_name.rstrip("-") or generate_name, meta.child("generateName")))
    else:
        errs.append(required(meta.child("name"), "name or generateName is required"))
    if namespaced and namespace:
        errs.extend(validate_dns_label(namespace, meta.child("namespace")))
    elif not namespaced and namespace:
        errs.append(invalid(meta.child("namespace"), namespace, "not allowed on this type (cluster-scoped)"))
    errs.extend(validate_labels(labels, meta.child("labels")))
    errs.extend(validate_annotations(annotations, meta.child("annotations")))
    return errs
