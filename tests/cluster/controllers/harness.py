"""A Grove operator on an embedded cluster for controller tests: CRDs, Grove admission, the manager with
``setup_controllers``, and a tiny stand-in for scheduler + kubelet (``MiniNode``) so pods come up.

``MiniNode`` binds every pod without scheduling gates to one node and marks it Running/Ready at once, and
confirms pod deletions (grace 0) as a kubelet would: just enough for PodCliques to become ready, without
depending on the real gang scheduler. Settling runs on virtual time until nothing is due.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

import yaml

from grove.api import constants as c
from grove.api.crds.generate import generate_crds
from grove.api.models.config import OperatorConfiguration, embedded_cluster_config
from grove.api.models.topology import ClusterTopologyBinding
from grove.api.validation import OfflineLookup
from grove.cluster import AdmissionRequest, EmbeddedCluster
from grove.controllers.common.reconciler_support import MANAGED_BY_SELECTOR
from grove.controllers.setup import setup_controllers
from grove.kube.clock import VirtualClock, rfc3339
from grove.kube.errors import Conflict, Invalid, NotFound
from grove.runtime.controller import Result
from grove.runtime.handlers import Request
from grove.runtime.manager import Manager
from grove.webhook.admission import default_podcliqueset_object, validate_podcliqueset_object

Obj = dict[str, Any]
SAMPLES = Path("/work/shared/upstream/samples")
NODE = "node-0"


def load_sample(rel: str) -> Obj:
    docs = [d for d in yaml.safe_load_all((SAMPLES / rel).read_text()) if d]
    (pcs,) = [d for d in docs if d.get("kind") == c.KIND_PCS]
    pcs["metadata"].setdefault("namespace", "default")
    return pcs


class GroveAdmission:
    """The PodCliqueSet defaulting and validating webhooks, in process (as the simulation wires them)."""

    def __init__(self, cluster: EmbeddedCluster, config: OperatorConfiguration) -> None:
        self.cluster = cluster
        self.config = config

    def install(self) -> None:
        self.cluster.add_mutating(self.mutate)
        self.cluster.add_validating(self.validate)

    @staticmethod
    def _is_pcs(req: AdmissionRequest) -> bool:
        return (not req.subresource and req.operation in ("CREATE", "UPDATE") and req.object is not None
                and (req.api_version, req.kind) == (c.API_VERSION, c.KIND_PCS))

    async def mutate(self, req: AdmissionRequest) -> dict[str, Any] | None:
        return default_podcliqueset_object(req.object).object if self._is_pcs(req) else None

    async def validate(self, req: AdmissionRequest) -> None:
        if not self._is_pcs(req):
            return
        listed = await self.cluster.client.list(c.API_VERSION, c.KIND_CTB)
        lookup = OfflineLookup([ClusterTopologyBinding.model_validate(o) for o in listed.items])
        outcome = validate_podcliqueset_object(req.object, req.old_object, config=self.config, lookup=lookup)
        if not outcome.allowed:
            raise Invalid(outcome.message(req.kind, req.name))


class MiniNode:
    """Binds ungated pods, makes them Ready, and finishes graceful deletions (``auto_ready=False``: only
    the deletions, so a test decides which pods get scheduled)."""

    def __init__(self, manager: Manager, *, auto_ready: bool = True) -> None:
        self.client = manager.client
        self.clock = manager.clock
        self.auto_ready = auto_ready
        self.pods = manager.cache("v1", "Pod")
        manager.builder("mini-node").for_("v1", "Pod").complete(self.reconcile)

    async def reconcile(self, req: Request) -> Result | None:
        pod = self.pods.get(req.namespace, req.name)
        if pod is None:
            return None
        meta, spec = pod["metadata"], pod.get("spec") or {}
        try:
            if meta.get("deletionTimestamp"):
                await self.client.delete("v1", "Pod", req.name, req.namespace, grace_period_seconds=0)
                return None
            if spec.get("schedulingGates") or not self.auto_ready:
                return None
            if not spec.get("nodeName"):
                await self.client.bind(req.namespace or "default", req.name, NODE, pod_uid=meta.get("uid"))
            if (pod.get("status") or {}).get("phase") != "Running":
                now = rfc3339(self.clock.now())
                conds = [{"type": t, "status": "True", "lastTransitionTime": now}
                         for t in ("PodScheduled", "Initialized", "ContainersReady", "Ready")]
                await self.client.patch("v1", "Pod", req.name, {"status": {"phase": "Running", "conditions": conds}},
                                        namespace=req.namespace, subresource="status")
        except (NotFound, Conflict):
            return None
        return None


class Operator:
    """Cluster + manager + Grove controllers (+ MiniNode), on virtual time."""

    def __init__(self, config: OperatorConfiguration | None = None, *, auto_ready: bool = True,
                 client_wrapper: Any = None, wait_for_sa_token: bool = False) -> None:
        self.wait_for_sa_token = wait_for_sa_token
        self.clock = VirtualClock(start=1_767_225_600.0)
        self.cluster = EmbeddedCluster(clock=self.clock, seed=0)
        self.config = config or embedded_cluster_config()
        self.admission = GroveAdmission(self.cluster, self.config)
        client = self.cluster.client if client_wrapper is None else client_wrapper(self.cluster.client)
        self.client = client
        self.manager = Manager(client, self.clock)
        self.auto_ready = auto_ready

    async def start(self) -> None:
        for crd in generate_crds():
            await self.cluster.client.create(crd)
        self.admission.install()
        with contextlib.suppress(Exception):
            await self.cluster.client.create({"apiVersion": "v1", "kind": "Namespace",
                                              "metadata": {"name": "default"}})
        await self.cluster.client.create({"apiVersion": "v1", "kind": "Node", "metadata": {"name": NODE}})
        setup_controllers(self.manager, config=self.config, initc_image="grove-initc",
                          wait_for_sa_token=self.wait_for_sa_token)
        MiniNode(self.manager, auto_ready=self.auto_ready)
        await self.manager.start()
        await self.settle()

    async def stop(self) -> None:
        await self.manager.stop()

    async def settle(self, horizon: float = 60.0, max_steps: int = 200_000) -> None:
        """Run until nothing is queued and no timer falls due within ``horizon`` virtual seconds."""
        limit = self.clock.now() + horizon
        quiet, last_rv = 0, -1
        for _ in range(max_steps):
            if not self.manager.is_idle():
                quiet = 0
                await self.manager.wait_idle()
                continue
            rv = self.cluster.resource_version
            quiet = quiet + 1 if rv == last_rv else 0
            last_rv = rv
            if quiet < 5:
                await asyncio.sleep(0)
                continue
            deadline = self.clock.next_deadline()
            if deadline is None or deadline > limit:
                return
            await self.clock.advance_to(deadline)
            quiet = 0
        raise AssertionError("operator did not settle")

    # -- reading -----------------------------------------------------------------------------------

    async def list(self, api_version: str, kind: str, *, part_of: str | None = None,
                   selector: str | None = None) -> list[Obj]:
        sel = selector or (f"{c.LABEL_PART_OF}={part_of}" if part_of else None)
        items = (await self.cluster.client.list(api_version, kind, "default", label_selector=sel)).items
        return sorted(items, key=lambda o: o["metadata"]["name"])

    async def names(self, api_version: str, kind: str, part_of: str) -> list[str]:
        return [o["metadata"]["name"] for o in await self.list(api_version, kind, part_of=part_of)]

    async def live_pods(self, part_of: str) -> list[Obj]:
        return [p for p in await self.list("v1", "Pod", part_of=part_of) if not p["metadata"].get("deletionTimestamp")]


MANAGED = MANAGED_BY_SELECTOR
