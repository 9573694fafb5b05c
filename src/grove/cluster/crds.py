"""What the apiextensions server does with a CustomResourceDefinition: validate it, accept its names,
and report it Established once its kinds are served (here: at once, in the same call).
"""

from __future__ import annotations

from typing import Any

from grove.kube.client import Obj
from grove.kube.errors import Invalid, StatusCause


def validate_crd(crd: Obj) -> None:
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    causes: list[StatusCause] = []
    group, plural = spec.get("group"), names.get("plural")
    if not group:
        causes.append(StatusCause("spec.group", "Required value", "FieldValueRequired"))
    if not plural:
        causes.append(StatusCause("spec.names.plural", "Required value", "FieldValueRequired"))
    if not names.get("kind"):
        causes.append(StatusCause("spec.names.kind", "Required value", "FieldValueRequired"))
    if spec.get("scope") not in ("Namespaced", "Cluster"):
        causes.append(StatusCause("spec.scope", "Unsupported value: must be Namespaced or Cluster",
                                  "FieldValueNotSupported"))
    versions = spec.get("versions") or []
    if not versions:
        causes.append(StatusCause("spec.versions", "Required value", "FieldValueRequired"))
    elif sum(1 for v in versions if v.get("storage")) != 1:
        causes.append(StatusCause("spec.versions", "Invalid value: must have exactly one version marked as "
                                  "storage version"))
    name = (crd.get("metadata") or {}).get("name")
    if group and plural and name != f"{plural}.{group}":
        causes.append(StatusCause("metadata.name", f"Invalid value: {name!r}: must be spec.names.plural+\".\"+"
                                  "spec.group"))
    if causes:
        detail = "; ".join(f"{c.field}: {c.message}" for c in causes)
        raise Invalid(f'CustomResourceDefinition "{name}" is invalid: {detail}', causes=causes)


def established_status(crd: Obj, now: str) -> dict[str, Any]:
    """The status a healthy CRD reports once served (NamesAccepted and Established True)."""
    spec = crd.get("spec") or {}
    names = dict(spec.get("names") or {})
    names.setdefault("singular", str(names.get("kind", "")).lower())
    names.setdefault("listKind", f"{names.get('kind', '')}List")
    old = crd.get("status") or {}
    stored = list(old.get("storedVersions") or [])
    for v in spec.get("versions") or []:
        if v.get("storage") and v.get("name") not in stored:
            stored.append(v.get("name"))
    prev = {c.get("type"): c for c in old.get("conditions") or []}

    def cond(ctype: str, reason: str, message: str) -> dict[str, Any]:
        keep = prev.get(ctype)
        when = keep.get("lastTransitionTime", now) if keep and keep.get("status") == "True" else now
        return {"type": ctype, "status": "True", "lastTransitionTime": when, "reason": reason,
                "message": message}

    return {
        "acceptedNames": names,
        "conditions": [cond("NamesAccepted", "NoConflicts", "no conflicts found"),
                       cond("Established", "InitialNamesAccepted", "the initial names have been accepted")],
        "storedVersions": stored,
    }
