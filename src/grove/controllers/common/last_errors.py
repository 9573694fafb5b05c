"""``status.lastErrors`` (spec §5 "failures go to status.lastErrors") for the PodCliqueSet, PodCliqueScalingGroup
and PodClique controllers, as one wrapper around their reconcile functions.

A reconcile that raises records ``[{code, description, observedAt}]`` on the object's status and re-raises
(the work queue retries with backoff, as before); the same failure again writes nothing (observedAt is when
it was first seen); the next reconcile that succeeds clears it. So
``kubectl get pcs x -o yaml`` shows why an object is stuck (a Forbidden create, an invalid child) without
reading operator logs. Conflicts are optimistic-lock retries, not failures, and are not recorded.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from grove.kube.client import KubeClient, Obj
from grove.kube.clock import Clock, rfc3339
from grove.kube.errors import ApiError, Conflict, NotFound
from grove.runtime.controller import Result
from grove.runtime.handlers import Request

log = logging.getLogger(__name__)

MAX_DESCRIPTION = 1024
Reconcile = Callable[[Request], Awaitable[Result | None]]
Lookup = Callable[[str | None, str], Obj | None]


def error_code(exc: BaseException) -> str:
    """The Kubernetes Status reason of an API error (``Forbidden``, ``Invalid``...), else the exception type."""
    reason = getattr(exc, "reason", None) if isinstance(exc, ApiError) else None
    return f"ERR_{reason or type(exc).__name__}"


def last_errors_for(exc: BaseException, now: float) -> list[dict[str, Any]]:
    description = (str(exc) or type(exc).__name__)[:MAX_DESCRIPTION]
    return [{"code": error_code(exc), "description": description, "observedAt": rfc3339(now)}]


def _summary(errors: list[dict[str, Any]] | None) -> list[tuple[Any, Any]]:
    """What an error list says, without when: the same failure again is not written again (its
    observedAt stays the first time it was seen), so a retried failure causes no status churn."""
    return [(e.get("code"), e.get("description")) for e in errors or ()]


def recording_last_errors(reconcile: Reconcile, *, client: KubeClient, clock: Clock, lookup: Lookup,
                          api_version: str, kind: str) -> Reconcile:
    async def patch_status(req: Request, value: list[dict[str, Any]] | None) -> None:
        try:
            await client.patch(api_version, kind, req.name, {"status": {"lastErrors": value}},
                               namespace=req.namespace, subresource="status")
        except NotFound:
            pass
        except ApiError as exc:
            log.warning("%s %s: could not write status.lastErrors: %s", kind, req, exc)

    async def wrapped(req: Request) -> Result | None:
        try:
            result = await reconcile(req)
        except Conflict:
            raise
        except Exception as exc:
            live = lookup(req.namespace, req.name)
            errors = last_errors_for(exc, clock.now())
            if live is not None and _summary((live.get("status") or {}).get("lastErrors")) != _summary(errors):
                await patch_status(req, errors)
            raise
        live = lookup(req.namespace, req.name)
        if live is not None and (live.get("status") or {}).get("lastErrors"):
            await patch_status(req, None)
        return result

    return wrapped
