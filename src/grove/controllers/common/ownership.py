"""Owner references, default labels and label precedence for every object Grove manages (spec §3.2).

Invariant: every managed object carries ``{managed-by: grove-operator, part-of: <pcs>}`` plus its
component, and exactly one controller owner reference (``controller`` and ``blockOwnerDeletion`` true) so
garbage collection cascades PCS → children, PCSG → PodCliques, PodClique → pods. Labels are merged in
layers, later layers winning: user template labels < default labels < component labels.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from grove.api import constants as c
from grove.api.models.base import TypedObject


def default_labels(pcs_name: str) -> dict[str, str]:
    return {c.LABEL_MANAGED_BY: c.MANAGED_BY_VALUE, c.LABEL_PART_OF: pcs_name}


def component_labels(pcs_name: str, component: str, app_name: str | None) -> dict[str, str]:
    """Default labels + component, + ``app.kubernetes.io/name`` unless ``app_name`` is None."""
    out = default_labels(pcs_name)
    if app_name is not None:
        out[c.LABEL_APP_NAME] = app_name
    out[c.LABEL_COMPONENT] = component
    return out


def merge_labels(*layers: Mapping[str, str] | None) -> dict[str, str]:
    """Merge label maps; a later layer overrides an earlier one."""
    out: dict[str, str] = {}
    for layer in layers:
        if layer:
            out.update(layer)
    return out


def owner_reference(api_version: str, kind: str, name: str, uid: str) -> dict[str, Any]:
    return {
        "apiVersion": api_version,
        "kind": kind,
        "name": name,
        "uid": uid,
        "controller": True,
        "blockOwnerDeletion": True,
    }


def owner_reference_to(owner: TypedObject) -> dict[str, Any]:
    """A controller owner reference to a Grove object read from the API (must carry kind and uid)."""
    md = owner.metadata
    return owner_reference(owner.api_version or "", owner.kind or "", md.name or "", md.uid or "")


def owner_reference_to_dict(owner: Mapping[str, Any]) -> dict[str, Any]:
    md = owner.get("metadata") or {}
    return owner_reference(
        str(owner.get("apiVersion") or ""),
        str(owner.get("kind") or ""),
        str(md.get("name") or ""),
        str(md.get("uid") or ""),
    )


def selector_string(labels: Mapping[str, str]) -> str:
    """A label selector string from an equality set, keys sorted (as ``labels.SelectorFromSet``)."""
    return ",".join(f"{k}={labels[k]}" for k in sorted(labels))


def object_meta(
    name: str,
    namespace: str,
    labels: Mapping[str, str],
    owner: Mapping[str, Any],
    annotations: Mapping[str, str] | None = None,
    finalizers: list[str] | None = None,
) -> dict[str, Any]:
    md: dict[str, Any] = {"name": name, "namespace": namespace, "labels": dict(labels)}
    if annotations:
        md["annotations"] = dict(annotations)
    if finalizers:
        md["finalizers"] = list(finalizers)
    md["ownerReferences"] = [dict(owner)]
    return md
