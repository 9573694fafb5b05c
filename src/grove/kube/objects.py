"""Small typed accessors for wire dicts: identity, labels, owner references, conditions, readiness.

Built-in kinds stay plain dicts (unknown fields must survive a round-trip), so these helpers are the one
place that knows where ``metadata.ownerReferences`` or ``status.conditions`` live. Readers never raise on a
missing field (they return empty values); writers mutate the dict they are given and return it.
"""


from collections.abc import Mapping
from typing import Any

Obj = dict[str, Any]


def deep_copy(value: Any) -> Any:
    """Copy JSON-shaped data (dicts, lists, scalars); several times faster than ``copy.deepcopy``."""
    if isinstance(value, dict):
        return {k: deep_copy(v) if isinstance(v, dict | list) else v for k, v in value.items()}
    if isinstance(value, list):
        return [deep_copy(v) if isinstance(v, dict | list) else v for v in value]
    return value


def meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    m = obj.get("metadata")
    return m if isinstance(m, Mapping) else {}


def name(obj: Mapping[str, Any]) -> str:
    return str(meta(obj).get("name") or "")


def namespace(obj: Mapping[str, Any]) -> str:
    return str(meta(obj).get("namespace") or "")


def uid(obj: Mapping[str, Any]) -> str:
    return str(meta(obj).get("uid") or "")


def resource_version(obj: Mapping[str, Any]) -> str:
    return str(meta(obj).get("resourceVersion") or "")


def generation(obj: Mapping[str, Any]) -> int:
    return int(meta(obj).get("generation") or 0)


def labels(obj: Mapping[str, Any]) -> dict[str, str]:
    return dict(meta(obj).get("labels") or {})


def annotations(obj: Mapping[str, Any]) -> dict[str, str]:
    return dict(meta(obj).get("annotations") or {})


def finalizers(obj: Mapping[str, Any]) -> list[str]:
    return list(meta(obj).get("finalizers") or [])


def is_deleting(obj: Mapping[str, Any]) -> bool:
    return bool(meta(obj).get("deletionTimestamp"))


def namespaced_name(obj: Mapping[str, Any]) -> str:
    ns = namespace(obj)
    return f"{ns}/{name(obj)}" if ns else name(obj)


def owner_references(obj: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [dict(r) for r in meta(obj).get("ownerReferences") or []]


def controller_owner(obj: Mapping[str, Any]) -> dict[str, Any] | None:
    """The owner reference with ``controller: true``, if any (at most one is valid)."""
    for ref in owner_references(obj):
        if ref.get("controller"):
            return ref
    return None


def is_owned_by(obj: Mapping[str, Any], owner_uid: str) -> bool:
    return any(r.get("uid") == owner_uid for r in owner_references(obj))


def owner_reference(owner: Mapping[str, Any], *, controller: bool = True,
                    block_owner_deletion: bool = True) -> dict[str, Any]:
    """An owner reference pointing at ``owner`` (which must carry apiVersion, kind, name and uid)."""
    return {
        "apiVersion": str(owner.get("apiVersion") or ""),
        "kind": str(owner.get("kind") or ""),
        "name": name(owner),
        "uid": uid(owner),
        "controller": controller,
        "blockOwnerDeletion": block_owner_deletion,
    }


class AlreadyOwnedError(ValueError):
    """``set_controller_owner`` found a different controller already set."""


def set_controller_owner(obj: Obj, owner: Mapping[str, Any], *, block_owner_deletion: bool = True) -> Obj:
    """Make ``owner`` the controller of ``obj`` (idempotent), like controllerutil.SetControllerReference.

    Raises :class:`AlreadyOwnedError` if another object is already the controller.
    """
    current = controller_owner(obj)
    if current is not None and current.get("uid") != uid(owner):
        raise AlreadyOwnedError(f"{namespaced_name(obj)} is already controlled by "
                                f"{current.get('kind')} {current.get('name')}")
    md = obj.setdefault("metadata", {})
    refs = [r for r in md.get("ownerReferences") or [] if r.get("uid") != uid(owner)]
    refs.append(owner_reference(owner, controller=True, block_owner_deletion=block_owner_deletion))
    md["ownerReferences"] = refs
    return obj


def conditions(obj: Mapping[str, Any]) -> list[dict[str, Any]]:
    status = obj.get("status")
    if not isinstance(status, Mapping):
        return []
    return [dict(c) for c in status.get("conditions") or []]


def get_condition(obj: Mapping[str, Any], cond_type: str) -> dict[str, Any] | None:
    for cond in conditions(obj):
        if cond.get("type") == cond_type:
            return cond
    return None


def condition_true(obj: Mapping[str, Any], cond_type: str) -> bool:
    cond = get_condition(obj, cond_type)
    return cond is not None and cond.get("status") == "True"


def set_condition(obj: Obj, cond_type: str, status: str, *, now: str, reason: str = "",
                  message: str = "", observed_generation: int | None = None) -> bool:
    """Upsert a condition; ``lastTransitionTime`` moves only when ``status`` changes.

    Returns True when anything about the condition changed (so callers can skip no-op writes).
    """
    st = obj.setdefault("status", {})
    conds: list[dict[str, Any]] = st.setdefault("conditions", [])
    new: dict[str, Any] = {"type": cond_type, "status": status, "lastTransitionTime": now}
    if reason:
        new["reason"] = reason
    if message:
        new["message"] = message
    if observed_generation is not None:
        new["observedGeneration"] = observed_generation
    for i, cond in enumerate(conds):
        if cond.get("type") != cond_type:
            continue
        if cond.get("status") == status:
            new["lastTransitionTime"] = cond.get("lastTransitionTime", now)
        for key in ("lastProbeTime", "lastHeartbeatTime"):
            if key in cond:
                new[key] = cond[key]
        if cond == new:
            return False
        conds[i] = new
        return True
    conds.append(new)
    return True


def pod_ready(pod: Mapping[str, Any]) -> bool:
    """The pod's Ready condition is True (podutil.IsPodReady; terminating pods may still be ready)."""
    return condition_true(pod, "Ready")


def pod_phase(pod: Mapping[str, Any]) -> str:
    status = pod.get("status")
    return str(status.get("phase") or "") if isinstance(status, Mapping) else ""


def node_name(pod: Mapping[str, Any]) -> str:
    spec = pod.get("spec")
    return str(spec.get("nodeName") or "") if isinstance(spec, Mapping) else ""
