"""Controller scenarios run on a stage-fast Simulation with room for every upstream sample (``ROOMY``)."""

from __future__ import annotations

import pytest

from grove.sim.simulation import Simulation
from tests.cluster.helpers import ROOMY, StartSim


@pytest.fixture
async def sim(start_sim: StartSim) -> Simulation:
    return await start_sim(ROOMY)
