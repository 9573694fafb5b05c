"""The waiter as an in-process kubelet program for the embedded cluster.

:func:`initc_program` returns ``program(pod, client) -> exit code`` (the fake kubelet's contract): it
parses the ``grove-initc`` container's args exactly as the real binary does, takes the namespace and
PodGang from the pod itself (what the downward-API volume would show), and awaits
:func:`~grove.initc.waiter.wait_for_parents` on the cluster's clock.
"""

from __future__ import annotations

import contextlib
import io
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from grove.api.constants import INITC_CONTAINER_NAME, LABEL_PODGANG
from grove.initc.args import parse_args
from grove.initc.waiter import wait_for_parents
from grove.kube.client import KubeClient
from grove.kube.clock import Clock
from grove.kube.errors import ApiError

Obj = dict[str, Any]
Program = Callable[[Obj, KubeClient], Awaitable[int]]
logger = logging.getLogger("grove.initc")


def container_args(pod: Obj, container: str = INITC_CONTAINER_NAME) -> list[str]:
    for c in (pod.get("spec") or {}).get("initContainers") or []:
        if c.get("name") == container:
            return [str(a) for a in c.get("args") or []]
    return []


def initc_program(clock: Clock) -> Program:
    async def program(pod: Obj, client: KubeClient) -> int:
        md = pod.get("metadata") or {}
        name = f"{md.get('namespace')}/{md.get('name')}"
        stderr = io.StringIO()
        try:
            with contextlib.redirect_stderr(stderr):
                opts = parse_args(container_args(pod), prog=INITC_CONTAINER_NAME, env={})
        except SystemExit:
            logger.warning("%s: %s", name, stderr.getvalue().strip())
            return 1
        podgang = (md.get("labels") or {}).get(LABEL_PODGANG)
        if not podgang:
            logger.warning("%s: pod has no %s label", name, LABEL_PODGANG)
            return 1
        try:
            await wait_for_parents(client, str(md.get("namespace") or "default"), podgang, opts.parents, clock,
                                   log=lambda msg: logger.debug("%s: %s", name, msg))
        except ApiError as err:
            logger.warning("%s: API %s: %s", name, err.reason, err.message)
            return 1
        return 0

    return program
