"""Every scenario test runs on one harness, :class:`grove.sim.simulation.Simulation`.

``start_sim(options)`` starts one (stopped at teardown); ``sim`` is a default one (no nodes yet,
1 s kubelet delays). Folders narrow it with their own ``sim`` fixture built from ``start_sim``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from grove.sim.simulation import SimOptions, Simulation
from tests.cluster.helpers import StartSim


@pytest.fixture
async def start_sim() -> AsyncIterator[StartSim]:
    started: list[Simulation] = []

    async def start(options: SimOptions | None = None) -> Simulation:
        sim = Simulation(options)
        started.append(sim)
        await sim.start()
        return sim

    yield start
    for sim in reversed(started):
        await sim.stop()


@pytest.fixture
async def sim(start_sim: StartSim) -> Simulation:
    return await start_sim()
