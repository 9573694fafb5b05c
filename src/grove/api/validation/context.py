"""What every PodCliqueSet rule needs: the object, the operation, the operator config, the cluster
lookup, the well-known paths, and indexes (clique by name, scaling group of a clique) computed once."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final, Literal

from grove.api import constants as c
from grove.api.models.config import OperatorConfiguration
from grove.api.models.core import PodCliqueSet, PodCliqueTemplateSpec
from grove.api.validation.errors import Path
from grove.api.validation.lookup import ClusterLookup

Operation = Literal["CREATE", "UPDATE"]

SPEC: Final = Path("spec")
TEMPLATE: Final = SPEC.child("template")
CLIQUES: Final = TEMPLATE.child("cliques")
GROUPS: Final = TEMPLATE.child("podCliqueScalingGroups")
META: Final = Path("metadata")


def clique_path(i: int) -> Path:
    return CLIQUES.at(i)


def group_path(g: int) -> Path:
    return GROUPS.at(g)


@dataclass
class PCSContext:
    pcs: PodCliqueSet
    operation: Operation
    config: OperatorConfiguration
    lookup: ClusterLookup
    clique_index: dict[str, int] = field(init=False)
    group_of_clique: dict[str, int] = field(init=False)

    def __post_init__(self) -> None:
        tmpl = self.pcs.spec.template
        self.clique_index = {}
        for i, clique in enumerate(tmpl.cliques):
            self.clique_index.setdefault(clique.name, i)
        self.group_of_clique = {}
        for g, group in enumerate(tmpl.pod_clique_scaling_groups or []):
            for name in group.clique_names:
                self.group_of_clique.setdefault(name, g)

    @property
    def name(self) -> str:
        return self.pcs.metadata.name or self.pcs.metadata.generate_name or ""

    @property
    def creating(self) -> bool:
        return self.operation == "CREATE"

    def cliques(self) -> list[tuple[Path, PodCliqueTemplateSpec]]:
        return [(clique_path(i), cl) for i, cl in enumerate(self.pcs.spec.template.cliques)]


def scheduler_name_of(clique: PodCliqueTemplateSpec, config: OperatorConfiguration) -> str:
    """The scheduler profile a clique's pods use: ``podSpec.schedulerName``, "" meaning the default profile."""
    raw = clique.spec.pod_spec.get("schedulerName")
    name = raw if isinstance(raw, str) else ""
    return name or config.scheduler.default_profile_name or c.SCHEDULER_DEFAULT


def resolved_scheduler(pcs: PodCliqueSet, config: OperatorConfiguration) -> str | None:
    """The single scheduler of a PodCliqueSet, or None when its cliques disagree (or it has none)."""
    names = {scheduler_name_of(cl, config) for cl in pcs.spec.template.cliques}
    return names.pop() if len(names) == 1 else None
