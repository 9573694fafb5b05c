"""Reading and poking helpers for scenario tests on :class:`grove.sim.simulation.Simulation`.

The cluster itself (store, Grove admission, controllers, gang scheduler, fake kubelet, virtual clock) is
always the Simulation; this module only adds test-side conveniences that the simulation has no reason to
carry: upstream sample loading, label-selected listings, and a reconcile-everything write counter.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import yaml

from grove.api import constants as c
from grove.runtime.handlers import Request
from grove.sim.nodes import uniform_nodes
from grove.sim.simulation import KubeletTimings, SimOptions, Simulation
from tests.upstream import UPSTREAM

Obj = dict[str, Any]
SAMPLES = UPSTREAM / "samples"
NS = "default"
HORIZON = 60.0
"""Virtual seconds a scenario step settles for: every timer due within it fires (pods start, requeues)."""

STAGE_FAST = KubeletTimings(running_delay=0, ready_delay=0, unprobed_ready_delay=0)
"""KWOK ``stage-fast``: a bound pod is Running and Ready at once."""

ROOMY = SimOptions(kubelet=STAGE_FAST, objects=tuple(uniform_nodes(4)))
"""Stage-fast, with room for every upstream sample: a settled world is a fully available one."""

StartSim = Callable[..., Awaitable[Simulation]]
"""The ``start_sim`` fixture: ``await start_sim(options)`` is a started Simulation, stopped at teardown."""

GROVE_CONTROLLERS = {"podcliqueset-controller": (c.API_VERSION, c.KIND_PCS),
                     "podclique-controller": (c.API_VERSION, c.KIND_PCLQ),
                     "podcliquescalinggroup-controller": (c.API_VERSION, c.KIND_PCSG)}


def load_sample(rel: str) -> Obj:
    """The PodCliqueSet of an upstream sample (``SAMPLES/rel``), namespaced ``default``."""
    docs = [d for d in yaml.safe_load_all((SAMPLES / rel).read_text()) if d]
    (pcs,) = [d for d in docs if d.get("kind") == c.KIND_PCS]
    pcs["metadata"].setdefault("namespace", NS)
    return pcs


async def settle(sim: Simulation, horizon: float = HORIZON) -> None:
    await sim.run_until("settled", timeout=horizon)


async def listed(sim: Simulation, api_version: str, kind: str, *, part_of: str | None = None,
                 selector: str | None = None) -> list[Obj]:
    """Objects in ``default`` (optionally ``app.kubernetes.io/part-of=part_of``), sorted by name."""
    sel = selector or (f"{c.LABEL_PART_OF}={part_of}" if part_of else None)
    items = (await sim.client.list(api_version, kind, NS, label_selector=sel)).items
    return sorted(items, key=lambda o: o["metadata"]["name"])


async def names(sim: Simulation, api_version: str, kind: str, part_of: str) -> list[str]:
    return [o["metadata"]["name"] for o in await listed(sim, api_version, kind, part_of=part_of)]


async def live_pods(sim: Simulation, part_of: str) -> list[Obj]:
    return [p for p in await listed(sim, "v1", "Pod", part_of=part_of) if not p["metadata"].get("deletionTimestamp")]


async def reconcile_everything(sim: Simulation) -> int:
    """Enqueue every key of every Grove controller and settle; returns the number of reconciles run."""
    controllers = sim.manager.controllers
    before = sum(ctrl.reconciles_total for ctrl in controllers.values())
    for ctrl_name, (api_version, kind) in GROVE_CONTROLLERS.items():
        for obj in sim.manager.cache(api_version, kind):
            controllers[ctrl_name].queue.add(Request(obj["metadata"].get("namespace"), obj["metadata"]["name"]))
    await settle(sim)
    return sum(ctrl.reconciles_total for ctrl in controllers.values()) - before
