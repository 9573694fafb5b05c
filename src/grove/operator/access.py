"""Accesses the operator needs that only a real cluster exercises, each with the reason.

Everything else the operator asks of the API server is measured, not declared: the least-privilege test
(tests/cluster/operator/test_operator_access.py) records every request of the controllers, admission
handlers, certificate provisioning, leader election and start-up checks on the embedded cluster, and the
chart may grant exactly what is recorded, what the operator grants onward in the Roles it creates, and
what this table lists. An entry here is a claim a reviewer can check against the reason given.
"""

from __future__ import annotations

from dataclasses import dataclass

from grove.api import constants as c
from grove.kube.rbac import Request


@dataclass(frozen=True)
class DeclaredAccess:
    request: Request
    reason: str


_CACHE_LAG = ("controllers.common.reconciler_support.ensure_object: a create met AlreadyExists because the "
              "informer cache is behind the API server, so the live object is read and patched (the same path "
              "is recorded for PodCliques, Services, ServiceAccounts and HPAs, whose names a test can take)")

DECLARED: tuple[DeclaredAccess, ...] = (
    DeclaredAccess(Request("get", c.GROUP, "podcliquescalinggroups", namespace="*"),
                   f"{_CACHE_LAG}; also podcliqueset.components.replica re-reads a PodCliqueScalingGroup after a "
                   "Conflict on its resourceVersion-guarded gang-termination status patch"),
    DeclaredAccess(Request("get", c.SCHEDULER_GROUP, "podgangs", namespace="*"), _CACHE_LAG),
)
