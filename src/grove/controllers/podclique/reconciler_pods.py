"""Pod create/delete for one PodClique, guarded by expectations (spec §5.3 steps 1-3).

``diff = #owned pods + pending creates - spec.replicas - pending deletes``; terminating pods always count
as pending deletes (``ExpectationsStore.sync``). Creates use the lowest free pod indices, excluding the
indices of creates the informer has not shown yet (kept here per owner key and pruned as expectations
are observed), so a slow pod watch can neither duplicate a pod nor reuse a hostname. Deletes go in
slow-start batches (1, 2, 4, …); a failed batch stops the rest.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from grove.api.models.core import PodClique, PodCliqueSet
from grove.controllers.common import podutil as pu
from grove.controllers.common.reconciler_support import ControllerSettings
from grove.controllers.podclique.plan_deletions import plan_pod_deletions, slow_start_batches
from grove.controllers.podclique.plan_pods import PodSettings, build_pod
from grove.controllers.podclique.pod_index import allocate_pod_indices
from grove.kube.client import KubeClient
from grove.kube.errors import ApiError, NotFound
from grove.kube.objects import meta
from grove.runtime.events import EventRecorder
from grove.runtime.expectations import ExpectationsStore

log = logging.getLogger(__name__)
Obj = dict[str, Any]


class PodSync:
    def __init__(self, client: KubeClient, expectations: ExpectationsStore, recorder: EventRecorder,
                 settings: ControllerSettings) -> None:
        self.client = client
        self.expectations = expectations
        self.recorder = recorder
        self.pod_settings = PodSettings(initc_image=settings.initc_image, version=settings.version,
                                        default_profile=settings.default_profile)
        self._pending_indices: dict[str, dict[str, int]] = {}

    def forget(self, key: str) -> None:
        self._pending_indices.pop(key, None)

    def diff(self, key: str, pods: Sequence[Obj], replicas: int) -> int:
        uids = [str(meta(p).get("uid")) for p in pods]
        terminating = [str(meta(p).get("uid")) for p in pods if pu.is_terminating(p)]
        self.expectations.sync(key, uids, terminating)
        creates = self.expectations.create_expectations(key)
        deletes = self.expectations.delete_expectations(key)
        pending = self._pending_indices.get(key, {})
        self._pending_indices[key] = {u: i for u, i in pending.items() if u in creates}
        return len(pods) + len(creates) - replicas - len(deletes)

    async def sync(self, key: str, pcs: PodCliqueSet, pclq: PodClique, pclq_obj: Obj, pods: Sequence[Obj],
                   expected_hash: str | None) -> None:
        diff = self.diff(key, pods, pclq.spec.replicas)
        if diff < 0:
            await self._create(key, pcs, pclq, pclq_obj, pods, -diff)
        elif diff > 0:
            pending = self.expectations.delete_expectations(key)
            victims = plan_pod_deletions(pods, pclq.spec.replicas, expected_hash, diff, pending)
            await self._delete(key, pclq_obj, victims)

    async def _create(self, key: str, pcs: PodCliqueSet, pclq: PodClique, pclq_obj: Obj, pods: Sequence[Obj],
                      count: int) -> None:
        pending = self._pending_indices.setdefault(key, {})
        taken = [{"spec": {"hostname": f"x-{i}"}} for i in pending.values()]
        indices = allocate_pod_indices([*pods, *taken], count)
        for index in indices:
            pod = build_pod(pcs, pclq, index, settings=self.pod_settings)
            try:
                created = await self.client.create(pod)
            except ApiError as exc:
                await self.recorder.warning(pclq_obj, "PodCreateFailed", f"creating pod {index}: {exc}")
                raise
            uid = str(created["metadata"]["uid"])
            self.expectations.expect_creations(key, uid)
            pending[uid] = index
            await self.recorder.normal(pclq_obj, "PodCreateSuccessful",
                                       f"created pod {created['metadata']['name']}")

    async def delete_pods(self, key: str, pclq_obj: Obj, victims: Sequence[Any]) -> None:
        """Delete ``victims`` (e.g. rolling-update picks) with delete expectations and events."""
        await self._delete(key, pclq_obj, victims)

    async def _delete(self, key: str, pclq_obj: Obj, victims: Sequence[Any]) -> None:
        for batch in slow_start_batches(victims):
            failed = False
            for pod in batch:
                uid = str(meta(pod).get("uid"))
                self.expectations.expect_deletions(key, uid)
                try:
                    await self.client.delete("v1", "Pod", pu.name_of(pod), meta(pod).get("namespace"),
                                             preconditions={"uid": uid})
                except NotFound:
                    continue
                except ApiError as exc:
                    self.expectations.observe_deletions(key, uid)
                    await self.recorder.warning(pclq_obj, "PodDeleteFailed", f"deleting {pu.name_of(pod)}: {exc}")
                    failed = True
                    continue
                await self.recorder.normal(pclq_obj, "PodDeleteSuccessful", f"deleted pod {pu.name_of(pod)}")
            if failed:
                raise RuntimeError(f"{key}: a pod deletion failed; remaining victims wait for the next sync")
