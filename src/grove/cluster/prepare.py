"""What the API server's registry strategies do to an object before it is stored (pure functions).

``prepare_create`` fills server-owned metadata and resets status where a status subresource owns it.
``prepare_update`` keeps server-owned metadata, enforces the main/status split, immutable fields and
"no new finalizers while deleting", and bumps ``generation`` only when something outside metadata and
status changed. Inputs are never mutated; results may share unchanged subtrees with them.
"""

from __future__ import annotations

from typing import Any

from grove.kube.client import Obj
from grove.kube.errors import Invalid, StatusCause
from grove.kube.resources import ResourceKind

SERVER_OWNED = ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds",
                "generation", "resourceVersion", "selfLink")


def _without(obj: Obj, *keys: str) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if k not in keys}


def prepare_create(rk: ResourceKind, obj: Obj, *, uid: str, now: str) -> Obj:
    md = _without(obj.get("metadata") or {}, *SERVER_OWNED)
    md["uid"] = uid
    md["creationTimestamp"] = now
    md["generation"] = 1
    if not rk.namespaced:
        md.pop("namespace", None)
    out: Obj = {**obj, "apiVersion": rk.api_version, "kind": rk.kind, "metadata": md}
    if rk.kind == "Namespace" and not rk.group:
        out["status"] = {"phase": "Active"}
    elif rk.kind == "Pod" and not rk.group:
        out["status"] = {"phase": "Pending"}
    elif rk.status and not (rk.kind == "Node" and not rk.group):
        out.pop("status", None)
    return out


def spec_view(obj: Obj) -> dict[str, Any]:
    """Everything that counts for ``generation``: the object minus metadata, status and type info."""
    return _without(obj, "metadata", "status", "apiVersion", "kind")


def _pod_spec_mutable_view(spec: dict[str, Any]) -> dict[str, Any]:
    view = _without(spec, "activeDeadlineSeconds", "tolerations", "schedulingGates",
                    "terminationGracePeriodSeconds")
    for field in ("containers", "initContainers"):
        if isinstance(view.get(field), list):
            view[field] = [_without(c, "image") if isinstance(c, dict) else c for c in view[field]]
    return view


def _check_pod_update(old: Obj, new: Obj) -> None:
    old_spec, new_spec = old.get("spec") or {}, new.get("spec") or {}
    if old_spec.get("nodeName") and new_spec.get("nodeName") != old_spec.get("nodeName"):
        raise Invalid(f'Pod "{old["metadata"]["name"]}" is invalid: spec.nodeName: field is immutable',
                      causes=[StatusCause("spec.nodeName", "field is immutable", "FieldValueForbidden")])
    old_view = _without(_pod_spec_mutable_view(old_spec), "nodeName")
    new_view = _without(_pod_spec_mutable_view(new_spec), "nodeName")
    if old_view != new_view:
        msg = ("pod updates may not change fields other than `spec.containers[*].image`, "
               "`spec.initContainers[*].image`, `spec.activeDeadlineSeconds`, `spec.tolerations` "
               "(only additions to existing tolerations), `spec.terminationGracePeriodSeconds`")
        raise Invalid(f'Pod "{old["metadata"]["name"]}" is invalid: spec: Forbidden: {msg}',
                      causes=[StatusCause("spec", msg, "FieldValueForbidden")])


def prepare_update(rk: ResourceKind, current: Obj, new: Obj, *, subresource: str | None) -> Obj:
    """The object to store for an update of ``current`` with ``new`` (main resource or status)."""
    cur_md = current["metadata"]
    if subresource == "status":
        out = {**current}
        if "status" in new:
            out["status"] = new["status"]
        else:
            out.pop("status", None)
        return out
    md = dict(new.get("metadata") or {})
    for key in SERVER_OWNED:
        if key in cur_md:
            md[key] = cur_md[key]
        else:
            md.pop(key, None)
    md["name"] = cur_md["name"]
    if rk.namespaced:
        md["namespace"] = cur_md["namespace"]
    else:
        md.pop("namespace", None)
    if cur_md.get("deletionTimestamp"):
        added = set(md.get("finalizers") or []) - set(cur_md.get("finalizers") or [])
        if added:
            msg = "no new finalizers can be added if the object is being deleted"
            raise Invalid(f'{rk.kind} "{cur_md["name"]}" is invalid: metadata.finalizers: Forbidden: {msg}',
                          causes=[StatusCause("metadata.finalizers", msg, "FieldValueForbidden")])
    out = {**new, "apiVersion": current["apiVersion"], "kind": rk.kind, "metadata": md}
    if rk.status:
        if "status" in current:
            out["status"] = current["status"]
        else:
            out.pop("status", None)
    if rk.kind == "Pod" and not rk.group:
        _check_pod_update(current, out)
    if spec_view(out) != spec_view(current):
        md["generation"] = int(cur_md.get("generation") or 0) + 1
    return out


def same_object(a: Obj, b: Obj) -> bool:
    """True when a write would change nothing (the API server then skips the commit and keeps the RV)."""
    ma = _without(a.get("metadata") or {}, "resourceVersion")
    mb = _without(b.get("metadata") or {}, "resourceVersion")
    return ma == mb and _without(a, "metadata", "apiVersion") == _without(b, "metadata", "apiVersion")
