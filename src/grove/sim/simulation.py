"""One embedded Grove cluster on virtual time: what ``grove sim run`` and the scenario tests drive.

It assembles the store (with Grove's CRDs and admission), the Grove controllers, the gang scheduler and
the fake kubelet on a single :class:`~grove.kube.clock.VirtualClock`, and knows how to *settle*: process
everything due now, then jump the clock to the next timer, until nothing is left or a goal is met.

Quiescence is exact, not a sleep: the manager reports idleness (no queued, in-flight or due work in any
controller or informer), the kubelet reports its own, and the store's resourceVersion must stand still
across a few event-loop turns so that watch deliveries in flight are counted too.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from grove.api import constants as c
from grove.api.crds.generate import generate_crds
from grove.api.models.config import OperatorConfiguration, embedded_cluster_config
from grove.cluster import EmbeddedCluster
from grove.cluster.kubelet import FakeKubelet
from grove.controllers.setup import setup_controllers
from grove.initc.embedded import initc_program
from grove.kube.client import KubeClient
from grove.kube.clock import VirtualClock
from grove.kube.errors import AlreadyExists
from grove.kube.objects import deep_copy
from grove.runtime.manager import Manager
from grove.scheduler.binder import GangScheduler, setup_scheduler
from grove.sim.admission import GroveAdmission
from grove.sim.scheduler_kinds import network_crds, scheduler_crds

Obj = dict[str, Any]

QUIET_TURNS = 20
"""Event-loop turns with no write and an idle manager that count as quiet (the kubelet has no queue)."""


@dataclass(frozen=True)
class KubeletTimings:
    """Fake kubelet delays on the virtual clock: binding → Running, Running → Ready.

    ``ready_delay`` applies to pods with a readiness or startup probe; ``unprobed_ready_delay`` to the
    others (default 0: as a real kubelet, a container without probes is ready once it runs; a gap there
    would breach minAvailable on every start and gang-terminate workloads with a short terminationDelay,
    as upstream's auto-MNNVL sample has). ``KubeletTimings(0, 0)`` is KWOK's ``stage-fast``: a bound pod
    is Running and Ready at the instant it is bound (init containers such as the startup waiter still
    gate it)."""

    running_delay: float = 1.0
    ready_delay: float = 1.0
    unprobed_ready_delay: float = 0.0


@dataclass(frozen=True)
class SimOptions:
    seed: int = 0
    config: OperatorConfiguration | None = None
    kubelet: KubeletTimings = field(default_factory=KubeletTimings)
    initc_image: str = "grove-initc"
    start_time: float = 1_767_225_600.0  # 2026-01-01T00:00:00Z
    objects: tuple[Obj, ...] = ()
    """Applied after the CRDs and admission are installed and before any controller starts, so the first
    pass of every controller (and of the scheduler) sees all of them: nodes, or a backlog of work."""
    wait_for_sa_token: bool = False
    """Hold PodCliques until the init-container token Secret has a token, as on a real cluster (the
    embedded cluster has no token controller, so something must fill it in)."""
    serve_scheduler_kinds: bool = True
    """Serve the KAI and Volcano kinds the operator writes for the enabled profiles (PodGroups, KAI
    Topologies; see :mod:`grove.sim.scheduler_kinds`); off to see what a cluster without them does."""
    client_wrapper: Callable[[KubeClient], KubeClient] | None = None
    """Wraps the client the manager (controllers and scheduler) sees, e.g. to inject watch faults in tests;
    the kubelet, the admission chain and :attr:`Simulation.client` keep the cluster's own client."""


class Simulation:
    def __init__(self, options: SimOptions | None = None) -> None:
        self.options = options or SimOptions()
        self.config = self.options.config or embedded_cluster_config()
        self.clock = VirtualClock(start=self.options.start_time)
        self.cluster = EmbeddedCluster(clock=self.clock, seed=self.options.seed)
        self.client = self.cluster.client
        self.admission = GroveAdmission(self.cluster, self.config)
        wrap = self.options.client_wrapper
        self.manager = Manager(self.client if wrap is None else wrap(self.client), self.clock)
        self.scheduler: GangScheduler | None = None
        self.kubelet = FakeKubelet(self.client, self.clock, start_delay=self.options.kubelet.running_delay,
                                   ready_delay=self.options.kubelet.ready_delay,
                                   unprobed_ready_delay=self.options.kubelet.unprobed_ready_delay)
        self._started = False

    # -- lifecycle ----------------------------------------------------------------------------------

    async def start(self) -> None:
        if self._started:
            return
        for crd in generate_crds():
            await self.client.create(crd)
        if self.options.serve_scheduler_kinds:
            for crd in [*scheduler_crds(self.config.scheduler.enabled_names()),
                        *network_crds(self.config.network.auto_mnnvl_enabled)]:
                await self.client.create(crd)
        self.admission.install()
        await self.apply(self.options.objects)
        setup_controllers(self.manager, config=self.config, initc_image=self.options.initc_image,
                          wait_for_sa_token=self.options.wait_for_sa_token)
        self.scheduler = setup_scheduler(self.manager, config=self.config)
        # Startup ordering (spec §6): the fake kubelet runs every `grove-initc` init container as the real
        # waiter (grove.initc.waiter.wait_for_parents) in process, on this cluster's client and clock.
        self.kubelet.register_program(c.INITC_CONTAINER_NAME, initc_program(self.clock))
        self.kubelet.start()
        await self.manager.start()
        self._started = True
        await self.quiesce()

    async def stop(self) -> None:
        await self.manager.stop()
        await self.kubelet.stop()
        self._started = False

    async def restart_operator(self, *, crash: bool = True, client: KubeClient | None = None) -> Manager:
        """Stop the operator (Grove controllers, gang scheduler and their informers) and start a fresh one
        on the same cluster; the store, admission and the fake kubelet (a node component) live on.

        ``crash``: die like a killed process: every worker is cancelled wherever it is (mid-reconcile,
        mid-write: a write cancelled before it commits never happens), nothing is drained. Otherwise
        queued and in-flight work is drained first, as on a graceful shutdown. Either way the new
        manager starts with nothing in memory (caches, queues, backoffs, expectations): it relists.
        ``client``: what the new operator talks through (default: as at :meth:`start`), e.g.
        ``cluster.client_for(UserInfo(...))`` so admission can tell operator writes apart.
        Returns the new manager (also :attr:`manager`).
        """
        old = self.manager
        if crash:
            # All at once, so no worker gets a head start on the others' cancellation.
            await asyncio.gather(*(ctrl.stop(drain=False) for ctrl in old.controllers.values()))
        await old.stop()
        if client is None:
            wrap = self.options.client_wrapper
            client = self.client if wrap is None else wrap(self.client)
        self.manager = Manager(client, self.clock)
        setup_controllers(self.manager, config=self.config, initc_image=self.options.initc_image,
                          wait_for_sa_token=self.options.wait_for_sa_token)
        self.scheduler = setup_scheduler(self.manager, config=self.config)
        await self.manager.start()
        return self.manager

    async def __aenter__(self) -> Simulation:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- applying input -----------------------------------------------------------------------------

    async def apply(self, objs: Iterable[Obj]) -> list[Obj]:
        """Create each object, or update it if it exists (like ``kubectl apply`` without field ownership)."""
        out: list[Obj] = []
        for obj in objs:
            out.append(await self.apply_one(obj))
        return out

    async def apply_one(self, obj: Obj) -> Obj:
        meta = obj.get("metadata") or {}
        try:
            created = await self.client.create(obj)
        except AlreadyExists:
            current = await self.client.get(obj["apiVersion"], obj["kind"], meta["name"], meta.get("namespace"))
            merged = dict(current)
            for key, value in obj.items():
                if key not in ("metadata", "status"):
                    merged[key] = value
            merged["metadata"] = {**current["metadata"],
                                  "labels": meta.get("labels", current["metadata"].get("labels")),
                                  "annotations": meta.get("annotations", current["metadata"].get("annotations"))}
            created = await self.client.update(merged)
        if obj.get("kind") == "Node" and obj.get("status"):
            # Node status is written by the kubelet in real life; seed it as given.
            created = await self.client.update({**created, "status": obj["status"]}, subresource="status")
        return created

    # -- running ------------------------------------------------------------------------------------

    def _busy(self) -> bool:
        return not self.manager.is_idle()

    async def quiesce(self, max_turns: int = 1_000_000) -> None:
        """Process everything due at the current virtual instant (the clock does not move)."""
        stable = 0
        last_rv = -1
        for _ in range(max_turns):
            if self._busy():
                stable = 0
                await self.manager.wait_idle() if not self.manager.is_idle() else await asyncio.sleep(0)
                continue
            rv = self.cluster.resource_version
            if rv == last_rv:
                stable += 1
                if stable >= QUIET_TURNS:
                    return
            else:
                stable, last_rv = 0, rv
            await asyncio.sleep(0)
        raise RuntimeError("simulation did not quiesce (livelock?)")

    async def run_until(self, goal: str = "settled", timeout: float = 600.0) -> bool:
        """Advance virtual time until ``goal`` holds: ``settled`` (nothing queued and no timer due before the
        deadline) or ``ready`` (every PodCliqueSet available). Returns whether the goal was met."""
        deadline = self.clock.now() + timeout
        while True:
            await self.quiesce()
            if goal == "ready" and await self.all_ready():
                return True
            nxt = self.clock.next_deadline()
            if nxt is None or nxt > deadline:
                if goal == "settled":
                    return True
                await self.clock.advance_to(deadline)
                await self.quiesce()
                return goal == "ready" and await self.all_ready()
            await self.clock.advance_to(nxt)

    async def advance(self, seconds: float) -> None:
        """Move the clock by exactly ``seconds``, processing every timer that falls due on the way."""
        target = self.clock.now() + seconds
        while True:
            await self.quiesce()
            nxt = self.clock.next_deadline()
            if nxt is None or nxt > target:
                break
            await self.clock.advance_to(nxt)
        await self.clock.advance_to(target)
        await self.quiesce()

    async def all_ready(self) -> bool:
        listed = await self.client.list(c.API_VERSION, c.KIND_PCS)
        for pcs in listed.items:
            want = pcs.get("spec", {}).get("replicas", 0)
            status = pcs.get("status") or {}
            if status.get("observedGeneration") != pcs["metadata"].get("generation"):
                return False
            if status.get("availableReplicas", 0) < want:
                return False
        return True

    # -- reading ------------------------------------------------------------------------------------

    def snapshot(self) -> list[Obj]:
        """Every object in the store in wire form, ordered by kind, namespace, name (Events by time)."""
        store = self.cluster.store
        out: list[Obj] = []
        for gk in store.group_kinds():
            out.extend(deep_copy(o) for o in store.iter_kind(gk))

        def order(o: Obj) -> tuple[Any, ...]:
            m = o.get("metadata", {})
            if o.get("kind") == "Event":
                return (1, int(m.get("resourceVersion") or 0))
            return (0, o.get("apiVersion", ""), o.get("kind", ""), m.get("namespace") or "", m.get("name", ""))
        return sorted(out, key=order)

    def objects(self) -> list[Obj]:
        """Every object in the store except Events (see :meth:`events`)."""
        return [o for o in self.snapshot() if o.get("kind") != "Event"]

    def events(self) -> list[Obj]:
        return [o for o in self.snapshot() if o.get("kind") == "Event"]


async def ensure_namespace(sim: Simulation, name: str) -> None:
    with contextlib.suppress(AlreadyExists):
        await sim.client.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
