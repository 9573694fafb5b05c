"""A KubeClient wrapper that records, for every call, the requests RBAC authorizes on a real API server.

What a real cluster checks is not the method called but the HTTP requests :class:`grove.kube.http.
HttpKubeClient` sends for it, resolved the way kube-apiserver's RequestInfo resolves them. So the mapping
here follows that client (pinned by tests/unit/test_rbac_recording.py against its actual requests):

- ``watch`` without a resourceVersion first lists the collection (``limit=1``, the watch's selectors) for "now";
- ``delete_collection`` of a namespaced kind across namespaces lists, then deletes per namespace;
- ``update_scale`` is a PATCH of ``scale``; ``bind`` a create of ``pods/binding`` named after the pod;
- a ``metadata.name=`` field selector names a list/watch (so ``resourceNames`` rules can allow it);
- create carries no name (``resourceNames`` never allow it).

Writes of objects with a ``blockOwnerDeletion`` owner reference also record ``update <owner>/finalizers``:
the OwnerReferencesPermissionEnforcement admission plugin (on in OpenShift and hardened clusters) requires
it of the writer. Role/ClusterRole/(Cluster)RoleBinding bodies are kept for the escalation check.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from grove.kube.client import KubeClient, ObjectList, PatchType, PropagationPolicy, Subresource, WatchEvent
from grove.kube.errors import NotFound
from grove.kube.rbac import Request
from grove.kube.resources import ResourceKind, split_api_version

Obj = dict[str, Any]
Resolve = Callable[[str, str], ResourceKind | None]
RBAC_GROUP = "rbac.authorization.k8s.io"
OWNER_REFERENCES_PLUGIN = "OwnerReferencesPermissionEnforcement"


@dataclass(frozen=True)
class Access:
    """One authorized request, the client call behind it and (for derived ones) why it is needed."""

    request: Request
    call: str
    why: str = ""


@dataclass
class AccessLog:
    accesses: dict[Request, Access] = field(default_factory=dict)
    rbac_writes: list[Obj] = field(default_factory=list)
    counts: dict[Request, int] = field(default_factory=dict)

    def add(self, request: Request, call: str, why: str = "") -> None:
        self.accesses.setdefault(request, Access(request, call, why))
        self.counts[request] = self.counts.get(request, 0) + 1

    def requests(self) -> list[Request]:
        return list(self.accesses)

    def merge(self, other: AccessLog) -> None:
        for req, acc in other.accesses.items():
            self.accesses.setdefault(req, acc)
            self.counts[req] = self.counts.get(req, 0) + other.counts[req]
        self.rbac_writes.extend(other.rbac_writes)


def field_selector_name(field_selector: str | None) -> str:
    """The name an exact ``metadata.name`` term of a field selector requires (RequiresExactMatch)."""
    for term in (field_selector or "").split(","):
        for op in ("==", "="):
            key, sep, value = term.partition(op)
            if sep and key.strip() == "metadata.name" and not value.startswith("="):
                return value.strip()
    return ""


def _touches_owner_references(patch: Any) -> bool:
    if isinstance(patch, dict):
        return "ownerReferences" in (patch.get("metadata") or {})
    if isinstance(patch, list):  # JSON patch
        return any(str(op.get("path", "")).startswith("/metadata/ownerReferences") for op in patch
                   if isinstance(op, dict))
    return False


class RecordingClient:
    """Delegates to ``inner``; records into ``log``. Only :class:`KubeClient` methods exist on it, so a
    component that reaches for anything else fails loudly instead of going unrecorded."""

    def __init__(self, inner: KubeClient, resolve: Resolve, log: AccessLog) -> None:
        self.inner = inner
        self.resolve = resolve
        self.log = log

    # -- request attributes ------------------------------------------------------------------------------

    def _kind(self, api_version: str, kind: str) -> ResourceKind | None:
        return self.resolve(api_version, kind)

    def _record(self, call: str, verb: str, api_version: str, kind: str, namespace: str | None, name: str = "",
                subresource: str = "", why: str = "") -> None:
        """Unserved kinds send nothing: HttpKubeClient's discovery answers NotFound before any request."""
        rk = self._kind(api_version, kind)
        if rk is not None:
            ns = (namespace or "") if rk.namespaced else ""
            self.log.add(Request(verb, rk.group, rk.plural, subresource, name, ns), call, why)

    def _rbac_body(self, obj: Obj) -> None:
        group, _ = split_api_version(str(obj.get("apiVersion") or ""))
        if group == RBAC_GROUP:
            self.log.rbac_writes.append(obj)

    def _owner_checks(self, call: str, new: Obj, old: Obj | None) -> None:
        """OwnerReferencesPermissionEnforcement (gc_admission.go): changing owner references on an update
        needs ``delete`` on the object; each newly blocking reference needs ``update <owner>/finalizers``
        (the owner's namespace is the object's, for a namespaced owner)."""
        meta = new.get("metadata") or {}
        new_refs = list(meta.get("ownerReferences") or ())
        old_refs = list(((old or {}).get("metadata") or {}).get("ownerReferences") or ())
        why = f"{OWNER_REFERENCES_PLUGIN} admission"
        if old is not None and new_refs != old_refs:
            self._record(call, "delete", new["apiVersion"], new["kind"], meta.get("namespace"),
                         str(meta.get("name") or ""), why=f"{why}: changing owner references")
        was_blocking = {r.get("uid") for r in old_refs if r.get("blockOwnerDeletion")}
        for ref in new_refs:
            if not ref.get("blockOwnerDeletion") or ref.get("uid") in was_blocking:
                continue
            owner = self._kind(str(ref.get("apiVersion")), str(ref.get("kind")))
            if owner is None:  # the server's RESTMapper cannot map it: the write is refused, nothing to grant
                continue
            ns = str(meta.get("namespace") or "") if owner.namespaced else ""
            self.log.add(Request("update", owner.group, owner.plural, "finalizers", str(ref.get("name")), ns),
                         call, why=f"{why}: blockOwnerDeletion on an owner reference")

    async def _current(self, api_version: str, kind: str, name: str, namespace: str | None) -> Obj | None:
        """The stored object, read as the API server does before an update (not a request of the caller)."""
        try:
            return await self.inner.get(api_version, kind, name, namespace)
        except NotFound:
            return None

    # -- KubeClient --------------------------------------------------------------------------------------

    async def get(self, api_version: str, kind: str, name: str, namespace: str | None = None) -> Obj:
        self._record("get", "get", api_version, kind, namespace, name)
        return await self.inner.get(api_version, kind, name, namespace)

    async def list(self, api_version: str, kind: str, namespace: str | None = None, *,
                   label_selector: str | None = None, field_selector: str | None = None) -> ObjectList:
        self._record("list", "list", api_version, kind, namespace, field_selector_name(field_selector))
        return await self.inner.list(api_version, kind, namespace, label_selector=label_selector,
                                     field_selector=field_selector)

    def watch(self, api_version: str, kind: str, namespace: str | None = None, *,
              resource_version: str | None = None, label_selector: str | None = None,
              field_selector: str | None = None, allow_bookmarks: bool = True,
              timeout_seconds: float | None = None) -> AsyncIterator[WatchEvent]:
        if not resource_version:
            self._record("watch", "list", api_version, kind, namespace, field_selector_name(field_selector))
        self._record("watch", "watch", api_version, kind, namespace, field_selector_name(field_selector))
        return self.inner.watch(api_version, kind, namespace, resource_version=resource_version,
                                label_selector=label_selector, field_selector=field_selector,
                                allow_bookmarks=allow_bookmarks, timeout_seconds=timeout_seconds)

    async def create(self, obj: Obj, *, dry_run: bool = False) -> Obj:
        meta = obj.get("metadata") or {}
        self._record("create", "create", obj["apiVersion"], obj["kind"], meta.get("namespace"))
        self._rbac_body(obj)
        created = await self.inner.create(obj, dry_run=dry_run)
        self._owner_checks("create", created, None)
        return created

    async def update(self, obj: Obj, *, subresource: Any = None) -> Obj:
        meta = obj.get("metadata") or {}
        self._record("update", "update", obj["apiVersion"], obj["kind"], meta.get("namespace"),
                     str(meta.get("name") or ""), subresource or "")
        if subresource:
            return await self.inner.update(obj, subresource=subresource)
        self._rbac_body(obj)
        old = await self._current(obj["apiVersion"], obj["kind"], str(meta.get("name") or ""), meta.get("namespace"))
        updated = await self.inner.update(obj)
        self._owner_checks("update", updated, old)
        return updated

    async def patch(self, api_version: str, kind: str, name: str, patch: Any, *, namespace: str | None = None,
                    patch_type: PatchType = "merge", subresource: Subresource | None = None) -> Obj:
        self._record("patch", "patch", api_version, kind, namespace, name, subresource or "")
        touches_owners = not subresource and _touches_owner_references(patch)
        old = await self._current(api_version, kind, name, namespace) if touches_owners else None
        patched = await self.inner.patch(api_version, kind, name, patch, namespace=namespace, patch_type=patch_type,
                                         subresource=subresource)
        if touches_owners:
            self._owner_checks("patch", patched, old)
        if not subresource and split_api_version(api_version)[0] == RBAC_GROUP:
            self.log.rbac_writes.append(patched)
        return patched

    async def delete(self, api_version: str, kind: str, name: str, namespace: str | None = None, *,
                     propagation_policy: PropagationPolicy | None = None,
                     preconditions: dict[str, str] | None = None,
                     grace_period_seconds: int | None = None) -> Obj | None:
        self._record("delete", "delete", api_version, kind, namespace, name)
        return await self.inner.delete(api_version, kind, name, namespace, propagation_policy=propagation_policy,
                                       preconditions=preconditions, grace_period_seconds=grace_period_seconds)

    async def delete_collection(self, api_version: str, kind: str, namespace: str | None = None, *,
                                label_selector: str | None = None, field_selector: str | None = None,
                                propagation_policy: PropagationPolicy | None = None) -> None:
        rk = self._kind(api_version, kind)
        namespaces: list[str | None] = [namespace]
        if rk is not None and rk.namespaced and not namespace:
            self._record("delete_collection", "list", api_version, kind, None, field_selector_name(field_selector))
            listed = await self.inner.list(api_version, kind, label_selector=label_selector,
                                           field_selector=field_selector)
            namespaces = [*sorted({str(o["metadata"]["namespace"]) for o in listed.items})]
        for ns in namespaces:
            self._record("delete_collection", "deletecollection", api_version, kind, ns,
                         field_selector_name(field_selector))
        await self.inner.delete_collection(api_version, kind, namespace, label_selector=label_selector,
                                           field_selector=field_selector, propagation_policy=propagation_policy)

    async def get_scale(self, api_version: str, kind: str, name: str, namespace: str | None = None) -> Obj:
        self._record("get_scale", "get", api_version, kind, namespace, name, "scale")
        return await self.inner.get_scale(api_version, kind, name, namespace)

    async def update_scale(self, api_version: str, kind: str, name: str, replicas: int,
                           namespace: str | None = None) -> Obj:
        self._record("update_scale", "patch", api_version, kind, namespace, name, "scale")
        return await self.inner.update_scale(api_version, kind, name, replicas, namespace)

    async def bind(self, namespace: str, pod_name: str, node_name: str, *, pod_uid: str | None = None) -> None:
        self._record("bind", "create", "v1", "Pod", namespace, pod_name, "binding")
        await self.inner.bind(namespace, pod_name, node_name, pod_uid=pod_uid)
