"""Managed-resource protection (spec §2.4): who may change what the operator owns.

The operator is the only writer of the objects it manages (labelled ``app.kubernetes.io/managed-by:
grove-operator``): a hand edit of a PodClique, a headless Service or an HPA would be fought by the next
reconcile, or worse, silently break gang scheduling. This module decides one admission request, with no
I/O except the injected lookup of the parent PodCliqueSet (only called when the verdict depends on it):

1. requests outside the §2.4 rules (other resources or operations, subresources such as ``pods/status``,
   objects not managed by Grove) and pod DELETE are allowed;
2. the parent PodCliqueSet is named by the object's ``app.kubernetes.io/part-of`` label in the request
   namespace; no label or no such PodCliqueSet ⇒ allowed, with a warning;
3. the parent has ``grove.io/disable-managed-resource-protection: "true"`` ⇒ allowed;
4. otherwise only the operator's service account and ``exemptServiceAccountUserNames`` may mutate.

Invariant: the operator's own username is never denied, whatever the parent says. Groups are carried
but grant nothing (upstream authorises by username only). For UPDATE the *old* object's labels decide
(falling back to the new one), so removing a label in the same edit cannot escape protection.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from grove.api import constants as c

CORE, RBAC, AUTOSCALING = "", "rbac.authorization.k8s.io", "autoscaling"

# (group, resource) -> operations the webhook configuration registers (spec §2.4).
_UD, _CUD = frozenset({"UPDATE", "DELETE"}), frozenset({"CREATE", "UPDATE", "DELETE"})
PROTECTED: dict[tuple[str, str], frozenset[str]] = {
    (CORE, "secrets"): _UD,
    (CORE, "serviceaccounts"): _UD,
    (CORE, "services"): _UD,
    (RBAC, "roles"): _UD,
    (RBAC, "rolebindings"): _UD,
    (AUTOSCALING, "horizontalpodautoscalers"): _UD,
    (CORE, "pods"): frozenset({"UPDATE"}),  # pod DELETE is always allowed (pods are the unit of recovery)
    (c.GROUP, "podcliques"): _CUD,
    (c.GROUP, "podcliquescalinggroups"): _CUD,
    (c.SCHEDULER_GROUP, "podgangs"): _CUD,
}

# For callers that only know the kind (the in-process admission chain): kind -> (group, resource).
KIND_RESOURCES: dict[str, tuple[str, str]] = {
    "Secret": (CORE, "secrets"), "ServiceAccount": (CORE, "serviceaccounts"), "Service": (CORE, "services"),
    "Role": (RBAC, "roles"), "RoleBinding": (RBAC, "rolebindings"),
    "HorizontalPodAutoscaler": (AUTOSCALING, "horizontalpodautoscalers"), "Pod": (CORE, "pods"),
    c.KIND_PCLQ: (c.GROUP, "podcliques"), c.KIND_PCSG: (c.GROUP, "podcliquescalinggroups"),
    c.KIND_PODGANG: (c.SCHEDULER_GROUP, "podgangs"),
}

ParentLookup = Callable[[str, str], Awaitable[dict[str, Any] | None]]
"""``(namespace, name) -> PodCliqueSet`` wire object, or ``None`` when it does not exist."""


def operator_username(namespace: str, service_account: str) -> str:
    """The API server's username for the operator: ``system:serviceaccount:<ns>:<sa>``."""
    return f"system:serviceaccount:{namespace}:{service_account}"


@dataclass(frozen=True)
class AuthorizerPolicy:
    """Who may mutate managed resources: the operator and the configured exempt usernames."""

    operator_user: str
    exempt_users: frozenset[str] = frozenset()

    @classmethod
    def build(cls, operator_user: str, exempt: Iterable[str] = ()) -> AuthorizerPolicy:
        return cls(operator_user, frozenset(exempt))

    def may_mutate(self, username: str) -> bool:
        return bool(username) and (username == self.operator_user or username in self.exempt_users)


@dataclass(frozen=True)
class AuthorizerRequest:
    """The parts of an AdmissionRequest the decision reads."""

    operation: str
    group: str
    resource: str
    namespace: str = ""
    name: str = ""
    subresource: str = ""
    object: dict[str, Any] | None = None
    old_object: dict[str, Any] | None = None
    username: str = ""
    groups: tuple[str, ...] = ()

    @classmethod
    def from_admission(cls, request: dict[str, Any]) -> AuthorizerRequest:
        """From an AdmissionReview v1 ``request``; ``resource`` wins over ``kind`` when both are given."""
        res = request.get("resource") or {}
        group, resource = str(res.get("group") or ""), str(res.get("resource") or "")
        if not resource:
            group, resource = KIND_RESOURCES.get(str((request.get("kind") or {}).get("kind") or ""), ("", ""))
        user = request.get("userInfo") or {}
        obj, old = request.get("object"), request.get("oldObject")
        return cls(operation=str(request.get("operation") or ""), group=group, resource=resource,
                   namespace=str(request.get("namespace") or ""), name=str(request.get("name") or ""),
                   subresource=str(request.get("subResource") or ""),
                   object=obj if isinstance(obj, dict) else None, old_object=old if isinstance(old, dict) else None,
                   username=str(user.get("username") or ""), groups=tuple(user.get("groups") or ()))

    def _labels(self, obj: dict[str, Any] | None) -> dict[str, Any]:
        return ((obj or {}).get("metadata") or {}).get("labels") or {}

    def _judged(self) -> list[dict[str, Any] | None]:
        """Objects whose labels decide, most authoritative first (the stored state for UPDATE/DELETE)."""
        return [self.old_object, self.object] if self.operation in ("UPDATE", "DELETE") else [self.object]

    def managed_by_grove(self) -> bool:
        """The objectSelector: the API server sends the request if the new or the old object matches."""
        return any(self._labels(o).get(c.LABEL_MANAGED_BY) == c.MANAGED_BY_VALUE
                   for o in (self.object, self.old_object))

    def parent_name(self) -> str:
        for obj in self._judged():
            name = self._labels(obj).get(c.LABEL_PART_OF)
            if name:
                return str(name)
        return ""

    def describe(self) -> str:
        meta = next(((o or {}).get("metadata") or {} for o in self._judged() if o), {})
        name = self.name or meta.get("name") or meta.get("generateName") or ""
        namespace = self.namespace or meta.get("namespace") or ""
        target = f"{namespace}/{name}" if namespace else str(name)
        resource = f"{self.resource}.{self.group}" if self.group else self.resource
        return f"{resource} {target}"


@dataclass(frozen=True)
class AuthorizerVerdict:
    allowed: bool
    message: str = ""
    warnings: list[str] = field(default_factory=list)


def is_protected(req: AuthorizerRequest) -> bool:
    """Whether the §2.4 rules and objectSelector cover this request at all."""
    if req.subresource:
        return False
    operations = PROTECTED.get((req.group, req.resource))
    return operations is not None and req.operation in operations and req.managed_by_grove()


async def authorize(req: AuthorizerRequest, policy: AuthorizerPolicy, parent: ParentLookup) -> AuthorizerVerdict:
    """Decide one request (spec §2.4). Lookup errors propagate (the server answers 500, failurePolicy Fail)."""
    if not is_protected(req):
        return AuthorizerVerdict(True, "not a managed resource covered by the authorizer")
    if policy.may_mutate(req.username):
        return AuthorizerVerdict(True, f"{req.username} may mutate Grove managed resources")
    pcs_name = req.parent_name()
    namespace = req.namespace or str(((req.old_object or req.object or {}).get("metadata") or {}).get("namespace")
                                     or "")
    pcs = await parent(namespace, pcs_name) if pcs_name else None
    if pcs is None:
        why = f"has no {c.LABEL_PART_OF} label" if not pcs_name else \
            f"names PodCliqueSet {namespace}/{pcs_name} in {c.LABEL_PART_OF}, which does not exist"
        msg = f"{req.describe()} {why}; allowing {req.operation} without managed-resource protection"
        return AuthorizerVerdict(True, msg, [msg])
    annotations = (pcs.get("metadata") or {}).get("annotations") or {}
    if annotations.get(c.ANNOTATION_DISABLE_PROTECTION) == "true":
        return AuthorizerVerdict(True, f"managed-resource protection is disabled on PodCliqueSet "
                                       f"{namespace}/{pcs_name}")
    return AuthorizerVerdict(False, (
        f"{req.operation} of {req.describe()} by {req.username or '<anonymous>'} is not allowed: it is managed by "
        f"the Grove operator for PodCliqueSet {namespace}/{pcs_name}; change the PodCliqueSet instead, or set "
        f'the annotation {c.ANNOTATION_DISABLE_PROTECTION}: "true" on it, or add the user to '
        f"authorizer.exemptServiceAccountUserNames"))
