"""The kinds the operator writes for gang-scheduler backends, served by the embedded cluster as a cluster
with those schedulers installed serves them (spec §10.2).

The embedded gang scheduler answers for ``kai-scheduler`` (and places ``volcano`` pods), so the embedded
cluster also serves what the operator keeps in step for them: KAI PodGroups and Topologies, Volcano
PodGroups; and the Queues (KAI ``scheduling.run.ai/v2``, Volcano ``scheduling.volcano.sh/v1beta1``) a user
copies from such a cluster are accepted (Volcano Queues also answer the webhook's queue check). Then
``grove sim run`` shows the objects a real KAI or Volcano cluster would hold, instead of
"kind not served" warnings. Schemas are open (no pruning), as the operator only needs them stored.

With ``network.autoMNNVLEnabled`` it serves NVIDIA's ComputeDomain too, as a cluster with NVIDIA's DRA
driver does (the operator's preflight requires it; without it the operator's ComputeDomain informer
never syncs and nothing would start).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from grove.api import constants as c
from grove.api.validation.lookup import VOLCANO_QUEUE_API_VERSIONS
from grove.controllers.clustertopology.planner import KAI_TOPOLOGY_API_VERSION, KIND_TOPOLOGY
from grove.controllers.common import mnnvl
from grove.controllers.podgang.backends import KAI_API_VERSION, VOLCANO_API_VERSION

Obj = dict[str, Any]
_OPEN = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}


def _crd(api_version: str, kind: str, plural: str, scope: str, schema: Obj) -> Obj:
    group, _, version = api_version.partition("/")
    return {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": f"{plural}.{group}"},
            "spec": {"group": group, "scope": scope,
                     "names": {"kind": kind, "plural": plural, "singular": kind.lower(), "listKind": f"{kind}List"},
                     "versions": [{"name": version, "served": True, "storage": True,
                                   "schema": {"openAPIV3Schema": schema}}]}}


KAI_QUEUE_API_VERSION = "scheduling.run.ai/v2"
VOLCANO_QUEUE_API_VERSION = VOLCANO_QUEUE_API_VERSIONS[0]
KAI_PODGROUP_CRD = _crd(KAI_API_VERSION, "PodGroup", "podgroups", "Namespaced", _OPEN)
KAI_QUEUE_CRD = _crd(KAI_QUEUE_API_VERSION, "Queue", "queues", "Cluster", _OPEN)
VOLCANO_QUEUE_CRD = _crd(VOLCANO_QUEUE_API_VERSION, "Queue", "queues", "Cluster", _OPEN)
KAI_TOPOLOGY_CRD = _crd(KAI_TOPOLOGY_API_VERSION, KIND_TOPOLOGY, "topologies", "Cluster", _OPEN)
VOLCANO_PODGROUP_CRD = _crd(VOLCANO_API_VERSION, "PodGroup", "podgroups", "Namespaced", {
    **_OPEN, "properties": {"spec": {**_OPEN, "properties": {  # Volcano >= 1.14, as the operator requires
        "subGroupPolicy": {"type": "array", "items": _OPEN}}}}})

COMPUTE_DOMAIN_CRD = _crd(mnnvl.API_VERSION, mnnvl.KIND, "computedomains", "Namespaced", _OPEN)

_BY_PROFILE: dict[str, tuple[Obj, ...]] = {
    c.SCHEDULER_KAI: (KAI_PODGROUP_CRD, KAI_TOPOLOGY_CRD, KAI_QUEUE_CRD),
    c.SCHEDULER_VOLCANO: (VOLCANO_PODGROUP_CRD, VOLCANO_QUEUE_CRD),
}


def scheduler_crds(enabled_profiles: Iterable[str]) -> list[Obj]:
    """The CRDs of the enabled profiles' backend kinds, in a stable order."""
    enabled = set(enabled_profiles)
    return [crd for name, crds in sorted(_BY_PROFILE.items()) if name in enabled for crd in crds]


def network_crds(auto_mnnvl_enabled: bool) -> list[Obj]:
    """NVIDIA's ComputeDomain when auto-MNNVL is on (the DRA driver a GPU cluster would run)."""
    return [COMPUTE_DOMAIN_CRD] if auto_mnnvl_enabled else []
