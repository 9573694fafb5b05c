"""The KubeClient contract: the same tests run against every backend.

``kube`` is a :class:`~grove.kube.client.KubeClient`; ``backend`` also says what the backend can be made
to do on demand (force 410 by compaction, request bookmarks). Tests use real time with polling helpers
and unique namespaces, so they also run against a real API server: the ``http`` backend is
:class:`~grove.kube.http.HttpKubeClient` on the session dev cluster (``e2e_cluster`` in tests/conftest.py),
marked ``e2e``; the cluster starts only when an ``http`` test is selected.
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
from grove.kube.http import HttpKubeClient
from tests.contract.helpers import WIDGET, WIDGET_CRD, eventually, gone


@dataclass
class Backend:
    name: str
    client: KubeClient
    compact: Callable[[], None] | None = None
    """Forget watch history now (so an old RV gives 410); None if the backend cannot be forced."""
    emit_bookmarks: Callable[[], object] | None = None
    """Make every open watch receive a BOOKMARK now; None if the backend cannot be asked."""
    close: Callable[[], Awaitable[None]] | None = None


async def _embedded(request: pytest.FixtureRequest) -> Backend:
    cluster = EmbeddedCluster(seed=7)
    return Backend("embedded", cluster.client, compact=cluster.compact, emit_bookmarks=cluster.emit_bookmarks)


async def _http(request: pytest.FixtureRequest) -> Backend:
    # A real kube-apiserver cannot be told to compact its watch cache or to send a bookmark now.
    e2e = request.getfixturevalue("e2e_cluster")
    client = HttpKubeClient.from_kubeconfig(str(e2e.kubeconfig))
    return Backend("http", client, close=client.close)


BACKENDS: dict[str, Callable[[pytest.FixtureRequest], Awaitable[Backend]]] = {"embedded": _embedded, "http": _http}


@pytest.fixture(params=[pytest.param("embedded"), pytest.param("http", marks=pytest.mark.e2e)])
async def backend(request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
    made = await BACKENDS[request.param](request)
    yield made
    if made.close is not None:
        await made.close()


@pytest.fixture
def kube(backend: Backend) -> KubeClient:
    return backend.client


@pytest.fixture
async def ns(backend: Backend, kube: KubeClient) -> AsyncIterator[str]:
    name = f"contract-{secrets.token_hex(4)}"
    await kube.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    if backend.name == "http":
        # kube-controller-manager publishes kube-root-ca.crt into every new namespace; wait for it so
        # its ADDED event never lands in the middle of a test's ConfigMap watch
        async def root_ca_published() -> bool:
            return not await gone(kube, "v1", "ConfigMap", "kube-root-ca.crt", name)

        await eventually(root_ca_published, what=f"kube-root-ca.crt in {name}")
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

    async def discoverable() -> bool:
        """Established does not mean the group's discovery document lists the kind yet: a client that
        resolves kinds through discovery (as client-go does) can briefly get NotFound."""
        try:
            await kube.list(*WIDGET, label_selector="never=matches")
        except NotFound:
            return False
        return True

    await eventually(established)
    await eventually(discoverable)
    return "contract.grove.io/v1"
