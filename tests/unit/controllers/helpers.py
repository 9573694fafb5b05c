"""Shared test helpers: PodClique / PCSG models from the planners, and pod dicts."""

from __future__ import annotations

from typing import Any

from grove.api.models import PodClique, PodCliqueScalingGroup, PodCliqueSet
from grove.controllers.podcliquescalinggroup.plan_members import plan_member_podcliques
from grove.controllers.podcliqueset.plan_children import plan_children


def planned_podcliques(
    pcs: PodCliqueSet, pcsg_replicas: dict[str, int] | None = None
) -> dict[str, PodClique]:
    """Every PodClique the planners want for ``pcs`` (standalone and PCSG members), as stored models."""
    plan = plan_children(pcs, existing_pcsg_replicas=pcsg_replicas)
    wire = list(plan.podcliques)
    for raw in plan.scaling_groups:
        pcsg = PodCliqueScalingGroup.from_wire(raw)
        pcsg.metadata.uid = f"uid-{pcsg.metadata.name}"
        wire += plan_member_podcliques(pcs, pcsg)
    out: dict[str, PodClique] = {}
    for raw in wire:
        pclq = PodClique.from_wire(raw)
        pclq.metadata.uid = f"uid-{pclq.metadata.name}"
        out[pclq.metadata.name or ""] = pclq
    return out


def pod(
    name: str,
    *,
    index: int | None = None,
    pclq: str = "p-0-a",
    gang: str = "p-0",
    node: str = "",
    phase: str = "Running",
    ready: bool = True,
    created: str = "2024-01-01T00:00:00Z",
    hash_: str = "h1",
    deleting: bool = False,
    uid: str | None = None,
    gated: bool = False,
    scheduled: bool | None = None,
) -> dict[str, Any]:
    md: dict[str, Any] = {
        "name": name,
        "namespace": "default",
        "uid": uid or f"uid-{name}",
        "creationTimestamp": created,
        "labels": {"grove.io/podclique": pclq, "grove.io/podgang": gang, "grove.io/pod-template-hash": hash_},
        "ownerReferences": [
            {
                "apiVersion": "grove.io/v1alpha1",
                "kind": "PodClique",
                "name": pclq,
                "uid": f"uid-{pclq}",
                "controller": True,
            }
        ],
    }
    if deleting:
        md["deletionTimestamp"] = "2024-01-02T00:00:00Z"
    spec: dict[str, Any] = {"containers": [{"name": "c"}]}
    if index is not None:
        spec["hostname"] = f"{pclq}-{index}"
    if node:
        spec["nodeName"] = node
    if gated:
        spec["schedulingGates"] = [{"name": "grove.io/podgang-pending-creation"}]
    conds = [{"type": "Ready", "status": "True" if ready else "False"}]
    if scheduled is not None or gated:
        conds.append(
            {
                "type": "PodScheduled",
                "status": "True" if scheduled else "False",
                **({"reason": "SchedulingGated"} if gated else {}),
            }
        )
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": md,
        "spec": spec,
        "status": {"phase": phase, "conditions": conds},
    }
