"""Entry points behind ``grove operator`` and ``grove scheduler``: config, client, process, exit code.

Exit codes (spec §10.3): 0 ok, 1 CLI, 2 config, 4 manager init (no API server connection can be
configured), 6 start (a port cannot be bound, certificates cannot be written, leadership lost); for the
operator only, the start-up checks of preflight.py: 3 topology sync, 5 scheduler backend init, 7 MNNVL.
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


def _fail(code: int, message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


Preflight = Callable[[KubeClient, OperatorConfiguration], Awaitable[None]]


def _run(opts: RunOptions, make_spec: Callable[[OperatorConfiguration], ProcessSpec],
         preflight: Preflight | None = None) -> int:
    try:
        config = load_operator_config(opts.config_path)
    except ConfigError as exc:
        return _fail(EXIT_CONFIG, str(exc))
    configure_logging(config.log_level, config.log_format)
    spec = make_spec(config)
    spec.health_port = opts.health_port or spec.health_port
    spec.metrics_port = opts.metrics_port or spec.metrics_port

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


def scheduler_names_for(config: OperatorConfiguration, explicit: list[str] | None) -> list[str]:
    """Names the gang scheduler answers for: ``--scheduler-name`` values, else ``grove-scheduler`` plus every
    enabled profile except ``default-scheduler`` (kube-scheduler keeps answering for that one)."""
    if explicit:
        return list(dict.fromkeys(explicit))
    names = [c.SCHEDULER_GROVE] + [n for n in config.scheduler.enabled_names() if n != c.SCHEDULER_DEFAULT]
    return list(dict.fromkeys(names))


def run_scheduler(opts: RunOptions, scheduler_names: list[str] | None = None) -> int:
    from grove.scheduler.binder import setup_scheduler

    def make_spec(config: OperatorConfiguration) -> ProcessSpec:
        names = scheduler_names_for(config, scheduler_names)

        def setup(manager: Manager) -> None:
            setup_scheduler(manager, config=config, scheduler_names=names)

        return ProcessSpec(name="scheduler", lease_name=SCHEDULER_LEASE, setup=setup, webhooks=False)

    return _run(opts, make_spec)
