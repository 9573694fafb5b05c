"""The registry of resource kinds a backend serves: REST names, scope and subresources.

A :class:`ResourceKind` is what the API server's discovery document says about one (group, version,
kind). Built-in kinds are listed here; custom kinds are derived from CustomResourceDefinition dicts with
:func:`kinds_from_crd`, so the embedded cluster learns Grove's kinds exactly as a real server does.
Invariant: within one registry, (apiVersion, kind) and (group, version, plural) each name one kind.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ScaleSpec:
    """The ``scale`` subresource: JSON paths (``.spec.replicas``) into the object."""

    spec_replicas_path: str = ".spec.replicas"
    status_replicas_path: str = ".status.replicas"
    label_selector_path: str | None = None


@dataclass(frozen=True)
class ResourceKind:
    group: str
    version: str
    kind: str
    plural: str
    namespaced: bool = True
    status: bool = False
    scale: ScaleSpec | None = None
    short_names: tuple[str, ...] = ()
    singular: str = ""
    subresources: tuple[str, ...] = field(default=())

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def group_kind(self) -> tuple[str, str]:
        return (self.group, self.kind)

    @property
    def resource(self) -> str:
        """``plural.group`` (``pods``, ``podcliquesets.grove.io``), as RBAC and CRD names spell it."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    def has_subresource(self, sub: str) -> bool:
        if sub == "status":
            return self.status
        if sub == "scale":
            return self.scale is not None
        return sub in self.subresources


def split_api_version(api_version: str) -> tuple[str, str]:
    """``apps/v1`` → (``apps``, ``v1``); ``v1`` → (``""``, ``v1``)."""
    group, _, version = api_version.rpartition("/")
    return group, version


def _k(api_version: str, kind: str, plural: str, *, namespaced: bool = True, status: bool = False,
       scale: ScaleSpec | None = None, short: tuple[str, ...] = (), subresources: tuple[str, ...] = ()
       ) -> ResourceKind:
    group, version = split_api_version(api_version)
    return ResourceKind(group, version, kind, plural, namespaced, status, scale, short, kind.lower(),
                        subresources)


BUILTIN_KINDS: tuple[ResourceKind, ...] = (
    _k("v1", "Namespace", "namespaces", namespaced=False, status=True, short=("ns",)),
    _k("v1", "Pod", "pods", status=True, short=("po",), subresources=("binding", "eviction", "log")),
    _k("v1", "Node", "nodes", namespaced=False, status=True, short=("no",)),
    _k("v1", "Service", "services", status=True, short=("svc",)),
    _k("v1", "ServiceAccount", "serviceaccounts", short=("sa",)),
    _k("v1", "Secret", "secrets"),
    _k("v1", "ConfigMap", "configmaps", short=("cm",)),
    _k("v1", "Event", "events", short=("ev",)),
    _k("v1", "Endpoints", "endpoints", short=("ep",)),
    _k("v1", "PersistentVolumeClaim", "persistentvolumeclaims", status=True, short=("pvc",)),
    _k("events.k8s.io/v1", "Event", "events", short=("ev",)),
    _k("rbac.authorization.k8s.io/v1", "Role", "roles"),
    _k("rbac.authorization.k8s.io/v1", "RoleBinding", "rolebindings"),
    _k("rbac.authorization.k8s.io/v1", "ClusterRole", "clusterroles", namespaced=False),
    _k("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "clusterrolebindings", namespaced=False),
    _k("autoscaling/v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers", status=True, short=("hpa",)),
    _k("coordination.k8s.io/v1", "Lease", "leases"),
    _k("apiextensions.k8s.io/v1", "CustomResourceDefinition", "customresourcedefinitions",
       namespaced=False, status=True, short=("crd", "crds")),
    _k("resource.k8s.io/v1", "ResourceClaim", "resourceclaims", status=True),
    _k("resource.k8s.io/v1", "ResourceClaimTemplate", "resourceclaimtemplates"),
    _k("apps/v1", "Deployment", "deployments", status=True, short=("deploy",),
       scale=ScaleSpec(".spec.replicas", ".status.replicas", ".spec.selector")),
    _k("apps/v1", "StatefulSet", "statefulsets", status=True, short=("sts",),
       scale=ScaleSpec(".spec.replicas", ".status.replicas", ".spec.selector")),
    _k("policy/v1", "PodDisruptionBudget", "poddisruptionbudgets", status=True, short=("pdb",)),
    _k("scheduling.k8s.io/v1", "PriorityClass", "priorityclasses", namespaced=False, short=("pc",)),
    _k("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration",
       "validatingwebhookconfigurations", namespaced=False),
    _k("admissionregistration.k8s.io/v1", "MutatingWebhookConfiguration",
       "mutatingwebhookconfigurations", namespaced=False),
)


def kinds_from_crd(crd: Mapping[str, Any]) -> list[ResourceKind]:
    """Every served version of a CRD as a :class:`ResourceKind` (per-version subresources honoured)."""
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    group = str(spec.get("group") or "")
    kind = str(names.get("kind") or "")
    plural = str(names.get("plural") or "")
    namespaced = spec.get("scope", "Namespaced") == "Namespaced"
    short = tuple(str(s) for s in names.get("shortNames") or ())
    singular = str(names.get("singular") or kind.lower())
    out: list[ResourceKind] = []
    for ver in spec.get("versions") or []:
        if not ver.get("served", True):
            continue
        subs = ver.get("subresources") or spec.get("subresources") or {}
        scale = None
        if isinstance(subs.get("scale"), Mapping):
            sc = subs["scale"]
            scale = ScaleSpec(str(sc.get("specReplicasPath") or ".spec.replicas"),
                              str(sc.get("statusReplicasPath") or ".status.replicas"),
                              str(sc["labelSelectorPath"]) if sc.get("labelSelectorPath") else None)
        out.append(ResourceKind(group, str(ver.get("name")), kind, plural, namespaced,
                                "status" in subs, scale, short, singular))
    return out


class ResourceRegistry:
    """Lookup by (apiVersion, kind) or (group, version, plural); custom kinds come and go with CRDs."""

    def __init__(self, kinds: Iterable[ResourceKind] = BUILTIN_KINDS) -> None:
        self._by_kind: dict[tuple[str, str], ResourceKind] = {}
        self._by_plural: dict[tuple[str, str, str], ResourceKind] = {}
        self._by_crd: dict[str, list[ResourceKind]] = {}
        for rk in kinds:
            self.add(rk)

    def add(self, rk: ResourceKind) -> None:
        self._by_kind[(rk.api_version, rk.kind)] = rk
        self._by_plural[(rk.group, rk.version, rk.plural)] = rk

    def remove(self, rk: ResourceKind) -> None:
        self._by_kind.pop((rk.api_version, rk.kind), None)
        self._by_plural.pop((rk.group, rk.version, rk.plural), None)

    def register_crd(self, crd: Mapping[str, Any]) -> list[ResourceKind]:
        """(Re-)register a CRD's kinds, replacing what an earlier version of the same CRD declared."""
        crd_name = str((crd.get("metadata") or {}).get("name") or "")
        self.unregister_crd(crd_name)
        kinds = kinds_from_crd(crd)
        for rk in kinds:
            self.add(rk)
        self._by_crd[crd_name] = kinds
        return kinds

    def unregister_crd(self, crd_name: str) -> list[ResourceKind]:
        kinds = self._by_crd.pop(crd_name, [])
        for rk in kinds:
            self.remove(rk)
        return kinds

    def get(self, api_version: str, kind: str) -> ResourceKind | None:
        return self._by_kind.get((api_version, kind))

    def by_plural(self, group: str, version: str, plural: str) -> ResourceKind | None:
        return self._by_plural.get((group, version, plural))

    def versions_of(self, group: str, kind: str) -> list[ResourceKind]:
        return [rk for rk in self._by_kind.values() if rk.group == group and rk.kind == kind]

    def all(self) -> list[ResourceKind]:
        return list(self._by_kind.values())
