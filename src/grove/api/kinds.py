"""Which model parses which (apiVersion, kind): the single registry of Grove's wire types."""

from __future__ import annotations

from dataclasses import dataclass

from grove.api import constants as c
from grove.api.models.base import TypedObject, WireModel
from grove.api.models.config import OperatorConfiguration
from grove.api.models.core import PodClique, PodCliqueScalingGroup, PodCliqueSet
from grove.api.models.scheduler import PodGang
from grove.api.models.topology import ClusterTopologyBinding


@dataclass(frozen=True)
class GroveKind:
    api_version: str
    kind: str
    plural: str
    short_names: tuple[str, ...]
    namespaced: bool
    model: type[TypedObject]

    @property
    def group(self) -> str:
        return self.api_version.split("/")[0]

    @property
    def version(self) -> str:
        return self.api_version.split("/")[1]


CRD_KINDS: tuple[GroveKind, ...] = (
    GroveKind(c.API_VERSION, c.KIND_PCS, "podcliquesets", ("pcs",), True, PodCliqueSet),
    GroveKind(c.API_VERSION, c.KIND_PCLQ, "podcliques", ("pclq",), True, PodClique),
    GroveKind(c.API_VERSION, c.KIND_PCSG, "podcliquescalinggroups", ("pcsg",), True, PodCliqueScalingGroup),
    GroveKind(c.API_VERSION, c.KIND_CTB, "clustertopologybindings", ("ct",), False, ClusterTopologyBinding),
    GroveKind(c.SCHEDULER_API_VERSION, c.KIND_PODGANG, "podgangs", ("pg",), True, PodGang),
)

_BY_GVK = {(k.api_version, k.kind): k for k in CRD_KINDS}
_BY_NAME = {name: k for k in CRD_KINDS for name in (k.kind.lower(), k.plural, *k.short_names)}


def grove_kind(api_version: str | None, kind: str | None) -> GroveKind | None:
    return _BY_GVK.get((api_version or "", kind or ""))


def grove_kind_by_name(name: str) -> GroveKind | None:
    """Look a kind up by kind name, plural or short name, case-insensitively (``pcs``, ``PodClique``)."""
    return _BY_NAME.get(name.lower())


def model_for(api_version: str | None, kind: str | None) -> type[WireModel] | None:
    if api_version == c.CONFIG_API_VERSION and kind == c.KIND_OPERATOR_CONFIG:
        return OperatorConfiguration
    k = grove_kind(api_version, kind)
    return k.model if k else None
