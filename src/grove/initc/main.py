"""The waiter as a process: pod-info files in, an exit code out (0 ready, 1 error or signal).

Reads ``namespace`` and ``podgangname`` from the downward-API directory, connects with the pod's
service-account token (in-cluster config; the ``<pcs>-ic-sat`` secret is mounted where the in-cluster
loader looks) and runs :func:`~grove.initc.waiter.wait_for_parents` on the real clock. Progress lines go
to stderr with a UTC timestamp. SIGTERM/SIGINT cancel the wait and exit 1.
"""

from __future__ import annotations

import asyncio
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from grove.initc.args import Options, parse_args
from grove.initc.waiter import wait_for_parents
from grove.kube.clock import RealClock
from grove.kube.errors import ApiError

WATCH_TIMEOUT = 300.0
"""Seconds before the waiter asks the server to end a watch (it then resumes from the last version)."""


class PodInfoError(Exception):
    """The downward-API pod-info files are missing or empty."""


def log(message: str) -> None:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    print(f"{stamp} grove-initc: {message}", file=sys.stderr, flush=True)


def read_pod_info(directory: str | Path) -> tuple[str, str]:
    """(namespace, podgang) from ``<directory>/namespace`` and ``<directory>/podgangname``."""
    base = Path(directory)
    values: list[str] = []
    for name in ("namespace", "podgangname"):
        path = base / name
        try:
            value = path.read_text(encoding="utf-8").strip()
        except OSError as err:
            raise PodInfoError(f"cannot read pod info {path}: {err.strerror or err}") from None
        if not value:
            raise PodInfoError(f"pod info {path} is empty")
        values.append(value)
    return values[0], values[1]


def resolve_target(opts: Options) -> tuple[str, str]:
    if opts.namespace and opts.podgang:
        return opts.namespace, opts.podgang
    namespace, podgang = read_pod_info(opts.pod_info_dir)
    return opts.namespace or namespace, opts.podgang or podgang


async def _wait(opts: Options, namespace: str, podgang: str) -> None:
    from grove.kube.http import HttpKubeClient  # aiohttp + yaml: only once we know we need them
    from grove.kube.kubeconfig import load_config

    config = load_config(opts.kubeconfig)
    async with HttpKubeClient(config, qps=5.0, burst=10, user_agent="grove-initc") as client:
        await wait_for_parents(client, namespace, podgang, opts.parents, RealClock(),
                               log=None if opts.quiet else log, watch_timeout=WATCH_TIMEOUT)


async def _run(opts: Options, namespace: str, podgang: str) -> int:
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    received: list[str] = []

    def on_signal(sig: signal.Signals) -> None:
        received.append(sig.name)
        if task is not None:
            task.cancel()

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, on_signal, sig)
    try:
        await _wait(opts, namespace, podgang)
    except asyncio.CancelledError:
        if received:
            log(f"received {received[0]} before the parents were ready; exiting 1")
            return 1
        raise
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
    if opts.quiet:
        log("all parent cliques are ready")
    return 0


def _exit_on_signal(signum: int, _frame: object) -> None:
    log(f"received {signal.Signals(signum).name} before the parents were ready; exiting 1")
    raise SystemExit(1)


def main(argv: Sequence[str] | None = None, *, prog: str = "grove-initc") -> int:
    """Run the waiter; returns the process exit code (usage errors raise SystemExit(1))."""
    previous = {sig: signal.signal(sig, _exit_on_signal)  # until the event loop takes over (see _run)
                for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        opts = parse_args(argv, prog=prog)
        namespace, podgang = resolve_target(opts)
        return asyncio.run(_run(opts, namespace, podgang))
    except PodInfoError as err:
        log(f"error: {err} (is the pod-info downward-API volume mounted? use --pod-info-dir or "
            f"--namespace/--podgang)")
    except ApiError as err:
        log(f"error: API {err.reason} ({err.code}): {err.message}")
    except Exception as err:  # any failure of the waiter is exit 1 with a message
        log(f"error: {type(err).__name__}: {err}")
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 1
