"""One long-running Grove process (operator or scheduler) against a real API server.

Order of start (spec §10.3, §11.4): probes and metrics listen first (``/healthz`` answers at once,
``/readyz`` only once the process can serve); the operator then provisions certificates and starts the
webhook server on every replica, and becomes ready; finally the replica campaigns for the Lease and only
the leader starts the manager (informers, then controller workers). Losing the lease ends the process
with exit code 6 (as controller-runtime exits, so the pod restarts clean). SIGTERM/SIGINT stop it:
the leader releases the Lease, the manager drains, servers close, and the exit code is 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

from grove.api import constants as c
from grove.api.duration import parse_duration
from grove.api.models.config import OperatorConfiguration
from grove.kube.client import KubeClient
from grove.kube.errors import ApiError
from grove.operator.metrics import Metrics, webhook_lines
from grove.runtime.leaderelection import LeaderElectionConfig, LeaderElector
from grove.runtime.manager import Manager
from grove.webhook.authorizer import operator_username
from grove.webhook.certs import ensure_certificates
from grove.webhook.server import AdmissionHandlers, ApiServerLookup, WebhookServer, server_ssl_context

log = logging.getLogger("grove.operator")

EXIT_OK, EXIT_CLI, EXIT_CONFIG, EXIT_MANAGER_INIT, EXIT_START = 0, 1, 2, 4, 6
SA_NAMESPACE_FILE = Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace")
LOCAL_BIND = "127.0.0.1"


def operator_namespace(explicit: str | None = None) -> str:
    """``--namespace``, then ``$GROVE_OPERATOR_NAMESPACE``/``$POD_NAMESPACE``, then the pod's service
    account namespace, else ``default``."""
    if explicit:
        return explicit
    for var in ("GROVE_OPERATOR_NAMESPACE", "POD_NAMESPACE"):
        if os.environ.get(var):
            return os.environ[var]
    with contextlib.suppress(OSError):
        ns = SA_NAMESPACE_FILE.read_text().strip()
        if ns:
            return ns
    return "default"


DEFAULT_SERVICE_ACCOUNT = "grove-operator"


def operator_service_account() -> str:
    """``$GROVE_OPERATOR_SERVICE_ACCOUNT_NAME`` (set by the chart), else the chart's default name."""
    return os.environ.get(c.ENV_OPERATOR_SERVICE_ACCOUNT_NAME) or DEFAULT_SERVICE_ACCOUNT


def bind_host(address: str) -> tuple[str, int | None]:
    """``host:port`` or ``host`` from a config bindAddress; empty means loopback for local runs."""
    if not address:
        return LOCAL_BIND, None
    host, sep, port = address.rpartition(":")
    if sep and port.isdigit():
        return host.strip("[]") or LOCAL_BIND, int(port)
    return address, None


def default_identity() -> str:
    return f"{socket.gethostname()}_{uuid.uuid4()}"


@dataclass
class ProcessSpec:
    """What differs between the operator and the scheduler process."""

    name: str
    lease_name: str
    setup: Callable[[Manager], None]
    webhooks: bool
    health_port: int | None = None  # overrides config.server.healthProbes.port
    metrics_port: int | None = None  # overrides config.server.metrics.port


@dataclass
class ProcessState:
    ready: bool = False
    leader: bool = False
    webhook_port: int | None = None
    health_port: int | None = None
    metrics_port: int | None = None
    notes: list[str] = field(default_factory=list)


class GroveProcess:
    def __init__(self, spec: ProcessSpec, config: OperatorConfiguration, client: KubeClient, *,
                 namespace: str, identity: str | None = None) -> None:
        self.spec = spec
        self.config = config
        self.client = client
        self.namespace = namespace
        self.identity = identity or default_identity()
        self.state = ProcessState()
        self.metrics = Metrics()
        self.manager = Manager(client)
        self.stop_event = asyncio.Event()
        self._runners: list[web.AppRunner] = []
        self._webhook: WebhookServer | None = None
        self._elector: LeaderElector | None = None

    # -- HTTP endpoints ----------------------------------------------------------------------------

    def _probe_app(self) -> web.Application:
        async def healthz(_: web.Request) -> web.Response:
            return web.Response(text="ok")

        async def readyz(_: web.Request) -> web.Response:
            return web.Response(text="ok") if self.state.ready else web.Response(status=503, text="not ready")

        app = web.Application()
        app.router.add_get("/healthz", healthz)
        app.router.add_get("/readyz", readyz)
        return app

    def _metrics_app(self) -> web.Application:
        async def metrics(_: web.Request) -> web.Response:
            text = self.metrics.render([self.manager], leader={self.spec.lease_name: self.state.leader})
            return web.Response(text=text, content_type="text/plain", charset="utf-8",
                                headers={"X-Content-Type-Options": "nosniff"})

        app = web.Application()
        app.router.add_get("/metrics", metrics)
        return app

    async def _listen(self, app: web.Application, address: str, port: int) -> int:
        host, embedded_port = bind_host(address)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, host, embedded_port if embedded_port is not None else port)
        await site.start()
        self._runners.append(runner)
        server = getattr(site, "_server", None)
        bound: int = server.sockets[0].getsockname()[1] if server is not None and server.sockets else port
        return bound

    # -- lifecycle ---------------------------------------------------------------------------------

    async def _start_webhooks(self) -> None:
        while not self.stop_event.is_set():
            try:
                served = await ensure_certificates(self.client, self.config, self.namespace)
                break
            except ApiError as exc:
                log.warning("webhook certificates not ready (%s); retrying in 2s", exc)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.stop_event.wait(), 2.0)
        else:
            return
        hooks = self.config.server.webhooks
        handlers = AdmissionHandlers(self.config, ApiServerLookup(self.client, self.config),
                                     operator_user=operator_username(self.namespace, operator_service_account()))
        host, port = bind_host(hooks.bind_address)
        self._webhook = WebhookServer(handlers, host=host, port=port if port is not None else hooks.port,
                                      ssl_context=server_ssl_context(str(served.cert_file), str(served.key_file)))
        await self._webhook.start()
        self.state.webhook_port = self._webhook.port
        self.metrics.sources.append(lambda: webhook_lines(dict(handlers.requests)))

    async def _lead(self) -> None:
        self.state.leader = True
        self.spec.setup(self.manager)
        self.metrics.instrument(self.manager)
        await self.manager.start()
        log.info("%s: controllers started (%s)", self.spec.name, ", ".join(self.manager.controllers))

    async def run(self) -> int:
        """Run until stopped (0) or until leadership is lost (6). Raises OSError if a port is taken."""
        srv = self.config.server
        self.state.health_port = await self._listen(self._probe_app(), srv.health_probes.bind_address,
                                                    self.spec.health_port or srv.health_probes.port)
        self.state.metrics_port = await self._listen(self._metrics_app(), srv.metrics.bind_address,
                                                     self.spec.metrics_port or srv.metrics.port)
        try:
            if self.spec.webhooks:
                await self._start_webhooks()
            self.state.ready = True
            log.info("%s ready (health :%s, metrics :%s, webhooks :%s)", self.spec.name, self.state.health_port,
                     self.state.metrics_port, self.state.webhook_port)
            return await self._run_controllers()
        finally:
            await self.shutdown()

    def lease_config(self) -> LeaderElectionConfig:
        """The Lease parameters; raises ValueError when the durations cannot work together."""
        le = self.config.leader_election
        return LeaderElectionConfig(lease_name=self.spec.lease_name, namespace=le.resource_namespace or self.namespace,
                                    identity=self.identity, lease_duration=parse_duration(le.lease_duration),
                                    renew_deadline=parse_duration(le.renew_deadline),
                                    retry_period=parse_duration(le.retry_period))

    async def _run_controllers(self) -> int:
        le = self.config.leader_election
        stop = asyncio.ensure_future(self.stop_event.wait())
        if not le.enabled:
            await self._lead()
            await stop
            return EXIT_OK
        self._elector = LeaderElector(self.client, self.manager.clock, self.lease_config(),
                                      on_started_leading=self._lead, on_stopped_leading=self._lost)
        elect = asyncio.ensure_future(self._elector.run())
        done, _ = await asyncio.wait({stop, elect}, return_when=asyncio.FIRST_COMPLETED)
        if elect in done:
            stop.cancel()
            exc = elect.exception()
            log.error("%s: leader election lost%s", self.spec.name, f": {exc}" if exc else "")
            return EXIT_START
        elect.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await elect
        return EXIT_OK

    async def _lost(self) -> None:
        self.state.leader = False
        await self.manager.stop()

    async def shutdown(self) -> None:
        self.state.ready = False
        await self.manager.stop()
        if self._webhook is not None:
            await self._webhook.stop()
        for runner in reversed(self._runners):
            await runner.cleanup()
        self._runners.clear()


def install_signal_handlers(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
