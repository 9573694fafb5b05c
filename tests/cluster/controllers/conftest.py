from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.cluster.controllers.harness import Operator


@pytest.fixture
async def op() -> AsyncIterator[Operator]:
    operator = Operator()
    await operator.start()
    yield operator
    await operator.stop()
