"""Entry points behind ``grove operator`` and ``grove scheduler``: config, client, process, exit code.

Exit codes (spec §10.3): 0 ok, 1 CLI, 2 config, 4 manager init (no API server connection can be
configured), 6 start (a port cannot be bound, certificates cannot be written, leadership lost); for the
operator only, the start-up checks of preflight.py: 3 topology sync, 5 scheduler backend init, 7 MNNVL;
for the scheduler only, 8: another scheduler holds a name it would answer for (scheduler_conflicts.py).

Command-line overrides (ports, bind host, certificate directory) replace the matching fields of the
configuration file, so several replicas can run on one host from the same chart-rendered file.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from grove.api import constants as c
from grove.api.models.config import OperatorConfiguration
from grove.kube.client import KubeClient
from grove.kube.clock import RealClock
from grove.kube.http import HttpKubeClient
from grove.kube.kubeconfig import ConfigError as KubeconfigError
from grove.operator.config import ConfigError, load_operator_config
from grove.operator.logs import configure_logging
from grove.operator.preflight import PreflightError, run_preflight
from grove.operator.process import (
    EXIT_CONFIG,
    EXIT_MANAGER_INIT,
    EXIT_START,
    GroveProcess,
    ProcessSpec,
    install_signal_handlers,
    operator_namespace,
)
from grove.operator.scheduler_conflicts import check_scheduler_conflicts
from grove.runtime.manager import Manager

log = logging.getLogger("grove.operator")

SCHEDULER_LEASE = "grove-scheduler-leader-election"
DEFAULT_INITC_IMAGE = "grove-initc"


@dataclass
class RunOptions:
    config_path: str
    kubeconfig: str | None = None
    namespace: str | None = None
    identity: str | None = None
    health_port: int | None = None
    metrics_port: int | None = None
    webhook_port: int | None = None
    cert_dir: str | None = None
    bind_address: str | None = None
    """Host for the webhook, probe and metrics servers (their bindAddress without the port)."""


def _override_address(address: str, port: int, host: str | None, new_port: int | None) -> tuple[str, int]:
    """A server's (bindAddress, port) with the overrides applied; a port inside bindAddress is replaced too,
    since it would win over the port field."""
    head, sep, tail = address.rpartition(":")
    embedded = bool(sep) and tail.isdigit()
    cur_host, cur_port = (head, int(tail)) if embedded else (address, port)
    cur_host = cur_host if host is None else host
    cur_port = cur_port if new_port is None else new_port
    return (f"{cur_host}:{cur_port}" if cur_host else "", cur_port)


def apply_overrides(config: OperatorConfiguration, opts: RunOptions) -> OperatorConfiguration:
    """``config`` with ``--webhook-port``, ``--health-port``, ``--metrics-port``, ``--bind-address`` and
    ``--cert-dir`` in place of the file's values (a copy; unset options leave the file's)."""
    out = config.model_copy(deep=True)
    srv = out.server
    host = opts.bind_address
    for server, port in ((srv.webhooks, opts.webhook_port), (srv.health_probes, opts.health_port),
                         (srv.metrics, opts.metrics_port)):
        if host is not None or port is not None:
            server.bind_address, server.port = _override_address(server.bind_address, server.port, host, port)
    if opts.cert_dir is not None:
        srv.webhooks.server_cert_dir = opts.cert_dir
    return out


def _fail(code: int, message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


Preflight = Callable[[KubeClient, OperatorConfiguration], Awaitable[None]]


def _run(opts: RunOptions, make_spec: Callable[[OperatorConfiguration], ProcessSpec],
         preflight: Preflight | None = None) -> int:
    try:
        config = apply_overrides(load_operator_config(opts.config_path), opts)
    except ConfigError as exc:
        return _fail(EXIT_CONFIG, str(exc))
    configure_logging(config.log_level, config.log_format)
    spec = make_spec(config)

    async def main() -> int:
        conn = config.runtime_client_connection
        try:
            client = HttpKubeClient.from_kubeconfig(opts.kubeconfig, qps=conn.qps, burst=max(conn.burst, 1),
                                                    user_agent=f"grove-{spec.name}")
        except (KubeconfigError, OSError, ValueError) as exc:
            return _fail(EXIT_MANAGER_INIT, f"cannot configure the API server connection: {exc}")
        async with client:
            if preflight is not None:
                try:
                    await preflight(client, config)
                except PreflightError as exc:
                    log.error("%s start-up check failed: %s", spec.name, exc)
                    return _fail(exc.code, str(exc))
            proc = GroveProcess(spec, config, client, namespace=operator_namespace(opts.namespace),
                                identity=opts.identity)
            if config.leader_election.enabled:
                try:
                    proc.lease_config()
                except ValueError as exc:
                    return _fail(EXIT_CONFIG, f"leaderElection: {exc}")
            install_signal_handlers(proc.stop_event)
            try:
                return await proc.run()
            except OSError as exc:
                return _fail(EXIT_START, f"{spec.name} could not start: {exc}")

    return asyncio.run(main())


def run_operator(opts: RunOptions) -> int:
    from grove.controllers.setup import setup_controllers

    initc_image = os.environ.get(c.ENV_INIT_CONTAINER_IMAGE) or DEFAULT_INITC_IMAGE

    def make_spec(config: OperatorConfiguration) -> ProcessSpec:
        def setup(manager: Manager) -> None:
            setup_controllers(manager, config=config, initc_image=initc_image, wait_for_sa_token=True)

        return ProcessSpec(name="operator", lease_name=config.leader_election.resource_name, setup=setup,
                           webhooks=True)

    return _run(opts, make_spec, run_preflight)


def scheduler_names_for(explicit: list[str] | None) -> list[str]:
    """Names the gang scheduler answers for: ``--scheduler-name`` values, else only ``grove-scheduler``.

    Never the enabled profiles by default: on a cluster that runs KAI (or Volcano, or kube-scheduler for
    ``default-scheduler``) that scheduler answers for its own name, and a second one would bind the same
    pods. Answering for ``kai-scheduler`` or ``volcano`` (a cluster without them) is an explicit opt-in."""
    if explicit:
        return list(dict.fromkeys(explicit))
    return [c.SCHEDULER_GROVE]


def run_scheduler(opts: RunOptions, scheduler_names: list[str] | None = None) -> int:
    from grove.scheduler.binder import setup_scheduler

    names = scheduler_names_for(scheduler_names)

    def make_spec(config: OperatorConfiguration) -> ProcessSpec:
        def setup(manager: Manager) -> None:
            setup_scheduler(manager, config=config, scheduler_names=names)

        return ProcessSpec(name="scheduler", lease_name=SCHEDULER_LEASE, setup=setup, webhooks=False)

    async def no_conflicts(client: KubeClient, config: OperatorConfiguration) -> None:
        others = [n for n in config.scheduler.enabled_names() if n not in names and n != c.SCHEDULER_DEFAULT]
        log.info("scheduler answers for %s%s", ", ".join(names),
                 f"; profiles {', '.join(others)} are left to their own schedulers" if others else "")
        own = (config.leader_election.resource_namespace or operator_namespace(opts.namespace), SCHEDULER_LEASE)
        await check_scheduler_conflicts(client, names, RealClock().now(), own_lease=own)

    return _run(opts, make_spec, no_conflicts)
