"""Built-in metadata validation every write passes, as the API server's ObjectMeta validation.

Checks names (DNS-1123 subdomain; DNS-1123 label for Namespaces, DNS-1035 label for Services), label
keys and values, annotation keys, owner references (complete, at most one controller) and finalizer
names. All violations of one object are reported together in one :class:`Invalid` with field causes.
"""

from __future__ import annotations

import re
from typing import Any

from grove.kube.errors import Invalid, StatusCause

_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_DNS1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")


def name_problem(value: str, style: str = "subdomain") -> str | None:
    """Why ``value`` is not a valid object name of the given style, or None."""
    if style == "label":
        if len(value) > 63 or not _DNS1123_LABEL.match(value):
            return ("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
                    "and must start and end with an alphanumeric character (at most 63 characters)")
        return None
    if style == "dns1035":
        if len(value) > 63 or not _DNS1035_LABEL.match(value):
            return ("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with "
                    "an alphabetic character, and end with an alphanumeric character (at most 63 characters)")
        return None
    if style == "path":  # RBAC objects: apimachinery ValidatePathSegmentName (``grove.io:pcs:x`` is valid)
        if value in (".", "..") or "/" in value or "%" in value:
            return "may not be '.' or '..' and may not contain '/' or '%'"
        return None
    if len(value) > 253 or not _DNS1123_SUBDOMAIN.match(value):
        return ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
                "'.', and must start and end with an alphanumeric character (at most 253 characters)")
    return None


def qualified_name_problem(key: str) -> str | None:
    prefix, slash, name = key.rpartition("/")
    if slash and (not prefix or name_problem(prefix) is not None):
        return "prefix part must be a lowercase RFC 1123 subdomain"
    if not name or len(name) > 63 or not _QUALIFIED_NAME.match(name):
        return ("name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
                "with an alphanumeric character (at most 63 characters)")
    return None


_NAME_STYLE = {"Namespace": "label", "Service": "dns1035", "Role": "path", "RoleBinding": "path",
               "ClusterRole": "path", "ClusterRoleBinding": "path"}


def validate_metadata(obj: dict[str, Any], *, namespaced: bool) -> None:
    """Raise Invalid listing every metadata problem of ``obj``."""
    md = obj.get("metadata") or {}
    causes: list[StatusCause] = []
    name = md.get("name")
    if not name:
        causes.append(StatusCause("metadata.name", "Required value: name or generateName is required",
                                  "FieldValueRequired"))
    else:
        problem = name_problem(str(name), _NAME_STYLE.get(str(obj.get("kind")), "subdomain"))
        if problem:
            causes.append(StatusCause("metadata.name", f"Invalid value: {name!r}: {problem}"))
    if namespaced and not md.get("namespace"):
        causes.append(StatusCause("metadata.namespace", "Required value", "FieldValueRequired"))
    for key, value in (md.get("labels") or {}).items():
        if (problem := qualified_name_problem(str(key))) is not None:
            causes.append(StatusCause("metadata.labels", f"Invalid value: {key!r}: {problem}"))
        if not isinstance(value, str) or len(value) > 63 or not _LABEL_VALUE.match(value):
            causes.append(StatusCause(f"metadata.labels[{key}]",
                                      f"Invalid value: {value!r}: a valid label value must be 63 characters "
                                      "or less, empty, or begin and end with an alphanumeric character"))
    for key, value in (md.get("annotations") or {}).items():
        if (problem := qualified_name_problem(str(key))) is not None:
            causes.append(StatusCause("metadata.annotations", f"Invalid value: {key!r}: {problem}"))
        if not isinstance(value, str):
            causes.append(StatusCause(f"metadata.annotations[{key}]", "Invalid value: must be a string"))
    controllers = 0
    for i, ref in enumerate(md.get("ownerReferences") or []):
        for field in ("apiVersion", "kind", "name", "uid"):
            if not ref.get(field):
                causes.append(StatusCause(f"metadata.ownerReferences[{i}].{field}", "Required value",
                                          "FieldValueRequired"))
        controllers += bool(ref.get("controller"))
    if controllers > 1:
        causes.append(StatusCause("metadata.ownerReferences",
                                  "Invalid value: Only one reference can have Controller set to true"))
    # Core kinds (pkg/apis/core/validation) refuse an unqualified finalizer that is not a standard one; other
    # groups, CRDs and custom resources included, only need a qualified name (e.g. the apiextensions server's
    # own "customresourcecleanup.apiextensions.k8s.io"; the real server merely warns).
    core = obj.get("apiVersion") == "v1"
    for i, fin in enumerate(md.get("finalizers") or []):
        if core and "/" not in str(fin) and fin not in ("orphan", "foregroundDeletion", "kubernetes"):
            causes.append(StatusCause(f"metadata.finalizers[{i}]",
                                      f"Invalid value: {fin!r}: name is neither a standard finalizer name "
                                      "nor is it fully qualified"))
        elif (problem := qualified_name_problem(str(fin))) is not None:
            causes.append(StatusCause(f"metadata.finalizers[{i}]", f"Invalid value: {fin!r}: {problem}"))
    if causes:
        kind = obj.get("kind", "object")
        detail = "; ".join(f"{c.field}: {c.message}" for c in causes)
        raise Invalid(f'{kind} "{name or ""}" is invalid: {detail}', causes=causes,
                      details={"name": name or "", "kind": kind})
