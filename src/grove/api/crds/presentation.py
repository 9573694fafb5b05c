"""What ``kubectl get`` shows and which subresources each Grove kind serves (spec §1.1).

Printer columns are wire-visible: scripts parse ``kubectl get pcs`` output, so names, JSONPaths and
priorities match upstream exactly. Every kind ends with Age. The scale subresource lets ``kubectl
scale`` and the HPA drive PodCliqueSets, PodCliques and PodCliqueScalingGroups; the PCSG selector
lives at ``.status.selector``, the others at ``.status.hpaPodSelector``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from grove.api import constants as c


@dataclass(frozen=True)
class Column:
    name: str
    json_path: str
    type: str = "integer"
    priority: int = 0

    def to_crd(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "type": self.type, "jsonPath": self.json_path}
        if self.priority:
            out["priority"] = self.priority
        return out


@dataclass(frozen=True)
class Presentation:
    description: str
    columns: tuple[Column, ...]
    scale_selector_path: str | None = None
    """labelSelectorPath of the scale subresource; ``None`` means no scale subresource."""

    def subresources(self) -> dict[str, Any]:
        out: dict[str, Any] = {"status": {}}
        if self.scale_selector_path is not None:
            out["scale"] = {
                "specReplicasPath": ".spec.replicas",
                "statusReplicasPath": ".status.replicas",
                "labelSelectorPath": self.scale_selector_path,
            }
        return out

    def printer_columns(self) -> list[dict[str, Any]]:
        return [col.to_crd() for col in (*self.columns, AGE)]


AGE: Final = Column("Age", ".metadata.creationTimestamp", type="date")
_MIN_BREACHED: Final = Column(
    "MinBreached", '.status.conditions[?(@.type=="MinAvailableBreached")].status', type="string", priority=1
)

CATEGORIES: Final = ["grove"]
"""``kubectl get grove`` lists every Grove object in a namespace."""

PRESENTATION: Final[dict[str, Presentation]] = {
    c.KIND_PCS: Presentation(
        description="PodCliqueSet describes a whole inference serving system: groups of pods (cliques) "
        "that are scheduled, started, scaled and updated together.",
        columns=(
            Column("Replicas", ".spec.replicas"),
            Column("Available", ".status.availableReplicas"),
            Column("Updated", ".status.updatedReplicas"),
            Column("PCLQs-Updated", ".status.updateProgress.updatedPodCliquesCount"),
            Column("PCLQs-Total", ".status.updateProgress.totalPodCliquesCount"),
            Column("PCSGs-Updated", ".status.updateProgress.updatedPodCliqueScalingGroupsCount"),
            Column("PCSGs-Total", ".status.updateProgress.totalPodCliqueScalingGroupsCount"),
        ),
        scale_selector_path=".status.hpaPodSelector",
    ),
    c.KIND_PCLQ: Presentation(
        description="PodClique is a group of pods with one role, created by the Grove operator from a "
        "PodCliqueSet.",
        columns=(
            Column("MinAvail", ".spec.minAvailable"),
            Column("Replicas", ".spec.replicas"),
            Column("Ready", ".status.readyReplicas"),
            Column("Scheduled", ".status.scheduledReplicas"),
            Column("Updated", ".status.updatedReplicas"),
            Column("Gated", ".status.scheduleGatedReplicas", priority=1),
            _MIN_BREACHED,
        ),
        scale_selector_path=".status.hpaPodSelector",
    ),
    c.KIND_PCSG: Presentation(
        description="PodCliqueScalingGroup scales a set of PodCliques together, one replica at a time.",
        columns=(
            Column("MinAvail", ".spec.minAvailable"),
            Column("Replicas", ".spec.replicas"),
            Column("Available", ".status.availableReplicas"),
            Column("Scheduled", ".status.scheduledReplicas"),
            Column("Updated", ".status.updatedReplicas"),
            Column("PCLQs-Updated", ".status.updateProgress.updatedPodCliquesCount"),
            Column("PCLQs-Total", ".status.updateProgress.totalPodCliquesCount"),
            _MIN_BREACHED,
        ),
        scale_selector_path=".status.selector",
    ),
    c.KIND_CTB: Presentation(
        description="ClusterTopologyBinding names the cluster's topology levels, broadest first, and the "
        "node label that identifies each.",
        columns=(Column("Domains", ".spec.levels[*].domain", type="string"),),
    ),
    c.KIND_PODGANG: Presentation(
        description="PodGang is a group of pods a gang scheduler places all-or-nothing.",
        columns=(Column("Phase", ".status.phase", type="string"),),
    ),
}
