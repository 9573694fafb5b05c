"""What a PodCliqueSet component sync reads: the client, the shared informer caches, the PCS itself.

Caches are the manager's shared informers; built-in kinds the operator creates are read through the
``managed-by=grove-operator`` filtered informers (spec §5), so foreign objects never enter the plan.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from grove.api import constants as c
from grove.api.models.core import PodCliqueSet
from grove.controllers.common.reconciler_support import MANAGED_BY_SELECTOR, ControllerSettings
from grove.kube.client import KubeClient
from grove.kube.clock import Clock
from grove.runtime.cache import Indexer
from grove.runtime.events import EventRecorder
from grove.runtime.manager import Manager

Obj = dict[str, Any]

RBAC = "rbac.authorization.k8s.io/v1"
HPA = "autoscaling/v2"
MANAGED_KINDS: tuple[tuple[str, str], ...] = (
    ("v1", "ServiceAccount"), (RBAC, "Role"), (RBAC, "RoleBinding"), ("v1", "Secret"), ("v1", "Service"),
    (HPA, "HorizontalPodAutoscaler"), ("v1", "Pod"),
)


@dataclass(frozen=True)
class Caches:
    pcs: Indexer
    pclq: Indexer
    pcsg: Indexer
    podgang: Indexer
    ctb: Indexer
    managed: dict[tuple[str, str], Indexer]

    @classmethod
    def of(cls, manager: Manager) -> Caches:
        return cls(
            pcs=manager.cache(c.API_VERSION, c.KIND_PCS),
            pclq=manager.cache(c.API_VERSION, c.KIND_PCLQ),
            pcsg=manager.cache(c.API_VERSION, c.KIND_PCSG),
            podgang=manager.cache(c.SCHEDULER_API_VERSION, c.KIND_PODGANG),
            ctb=manager.cache(c.API_VERSION, c.KIND_CTB),
            managed={k: manager.informer(*k, label_selector=MANAGED_BY_SELECTOR).cache for k in MANAGED_KINDS},
        )

    def pods(self) -> Indexer:
        return self.managed[("v1", "Pod")]


@dataclass
class PcsContext:
    client: KubeClient
    clock: Clock
    caches: Caches
    settings: ControllerSettings
    recorder: EventRecorder
    obj: Obj
    pcs: PodCliqueSet

    @property
    def uid(self) -> str:
        return str(self.obj["metadata"]["uid"])

    @property
    def name(self) -> str:
        return str(self.obj["metadata"]["name"])

    @property
    def namespace(self) -> str:
        return str(self.obj["metadata"].get("namespace") or "default")

    def owned(self, cache: Indexer) -> list[Obj]:
        """Objects of ``cache`` whose controller is this PCS (terminating ones included)."""
        return cache.by_controller_uid(self.uid)

    def managed_owned(self, api_version: str, kind: str) -> list[Obj]:
        return self.owned(self.caches.managed[(api_version, kind)])

    def part_of(self, cache: Indexer) -> list[Obj]:
        """Objects labelled ``part-of=<pcs>`` in the PCS namespace."""
        return [o for o in cache.by_label(c.LABEL_PART_OF, self.name)
                if (o["metadata"].get("namespace") or "default") == self.namespace]
