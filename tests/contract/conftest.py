"""The KubeClient contract: the same tests run against every backend.

``kube`` is a :class:`~grove.kube.client.KubeClient`; ``backend`` also says what the backend can be made
to do on demand (force 410 by compaction, request bookmarks). Tests use real time with polling helpers
and unique namespaces, so they also run against a real API server (add a factory to ``BACKENDS``).
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import pytest

from grove.cluster import EmbeddedCluster
from grove.kube.client import KubeClient
from grove.kube.errors import AlreadyExists, NotFound
from tests.contract.helpers import WIDGET_CRD, eventually


@dataclass
class Backend:
    name: str
    client: KubeClient
    compact: Callable[[], None] | None = None
    """Forget watch history now (so an old RV gives 410); None if the backend cannot be forced."""
    emit_bookmarks: Callable[[], object] | None = None
    """Make every open watch receive a BOOKMARK now; None if the backend cannot be asked."""
    close: Callable[[], Awaitable[None]] | None = None


async def _embedded() -> Backend:
    cluster = EmbeddedCluster(seed=7)
    return Backend("embedded", cluster.client, compact=cluster.compact, emit_bookmarks=cluster.emit_bookmarks)


BACKENDS: dict[str, Callable[[], Awaitable[Backend]]] = {"embedded": _embedded}


@pytest.fixture(params=sorted(BACKENDS))
async def backend(request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
    made = await BACKENDS[request.param]()
    yield made
    if made.close is not None:
        await made.close()


@pytest.fixture
def kube(backend: Backend) -> KubeClient:
    return backend.client


@pytest.fixture
async def ns(kube: KubeClient) -> AsyncIterator[str]:
    name = f"contract-{secrets.token_hex(4)}"
    await kube.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    yield name
    with contextlib.suppress(NotFound):
        await kube.delete("v1", "Namespace", name)


@pytest.fixture
async def widgets(kube: KubeClient) -> str:
    """Ensure the test CRD exists and is Established; returns its apiVersion."""
    with contextlib.suppress(AlreadyExists):
        await kube.create(WIDGET_CRD)

    async def established() -> bool:
        crd = await kube.get("apiextensions.k8s.io/v1", "CustomResourceDefinition", "widgets.contract.grove.io")
        return any(c.get("type") == "Established" and c.get("status") == "True"
                   for c in (crd.get("status") or {}).get("conditions") or [])

    await eventually(established)
    return "contract.grove.io/v1"
