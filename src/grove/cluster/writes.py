"""Every mutating verb of the embedded API server: create, update (main/status), patch, scale, bind,
delete and deletecollection.

Each verb validates, runs admission, then commits in one synchronous step. Updates go through
:meth:`Writes.guaranteed_update`, which rebuilds the candidate if the stored object changed while
admission was awaited (so a stale conditional update is always a Conflict, and an unconditional one
applies to the latest state). Writes that would change nothing are not committed (same RV, no event).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from grove.cluster.admission import AdmissionRequest, Operation, UserInfo
from grove.cluster.core_validation import check_core_object
from grove.cluster.crds import validate_crd
from grove.cluster.lifecycle import CRD, POD
from grove.cluster.prepare import prepare_create, prepare_update, same_object
from grove.cluster.store import Key
from grove.cluster.validation import validate_metadata
from grove.kube.client import Obj, PatchType, PropagationPolicy
from grove.kube.errors import AlreadyExists, BadRequest, Conflict, Forbidden, Invalid, NotFound, StatusCause
from grove.kube.objects import deep_copy, set_condition
from grove.kube.patch import json_patch, merge_patch
from grove.kube.resources import ResourceKind
from grove.kube.selectors import format_label_selector, lookup_path

if TYPE_CHECKING:
    from grove.cluster.cluster import EmbeddedCluster

PROTECTED_NAMESPACES = ("default", "kube-system", "kube-public")


def _conflict(rk: ResourceKind, name: str) -> Conflict:
    return Conflict(f'Operation cannot be fulfilled on {rk.resource} "{name}": the object has been modified; '
                    "please apply your changes to the latest version and try again",
                    details={"name": name, "group": rk.group, "kind": rk.plural})


def set_path(obj: Obj, path: str, value: Any) -> Obj:
    """A copy of ``obj`` with the dotted ``path`` set (new dicts along the path, the rest shared)."""
    steps = path.lstrip(".").split(".")

    def go(node: Any, i: int) -> Any:
        base = dict(node) if isinstance(node, dict) else {}
        base[steps[i]] = value if i == len(steps) - 1 else go(base.get(steps[i]), i + 1)
        return base

    result: Obj = go(obj, 0)
    return result


def scale_of(rk: ResourceKind, obj: Obj) -> Obj:
    assert rk.scale is not None
    md = obj["metadata"]
    selector = lookup_path(obj, rk.scale.label_selector_path) if rk.scale.label_selector_path else None
    if isinstance(selector, dict):
        selector = format_label_selector(selector)
    status: dict[str, Any] = {"replicas": int(lookup_path(obj, rk.scale.status_replicas_path) or 0)}
    if selector:
        status["selector"] = str(selector)
    return {"apiVersion": "autoscaling/v1", "kind": "Scale",
            "metadata": {k: md[k] for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
                         if k in md},
            "spec": {"replicas": int(lookup_path(obj, rk.scale.spec_replicas_path) or 0)},
            "status": status}


class Writes:
    def __init__(self, cluster: EmbeddedCluster) -> None:
        self.c = cluster

    def _request(self, op: Operation, rk: ResourceKind, key: Key, obj: Obj | None, old: Obj | None,
                 user: UserInfo, subresource: str | None = None, dry_run: bool = False) -> AdmissionRequest:
        return AdmissionRequest(op, rk.api_version, rk.kind, key[2], key[1] or None,
                                obj, deep_copy(old) if old is not None else None, subresource, user, dry_run)

    async def create(self, obj: Obj, *, dry_run: bool, user: UserInfo) -> Obj:
        c = self.c
        rk = c.kind(str(obj.get("apiVersion") or ""), str(obj.get("kind") or ""))
        md = obj.get("metadata") or {}
        if not md.get("name") and not md.get("generateName"):
            validate_metadata(obj, namespaced=rk.namespaced)
        for _ in range(8):
            name = md.get("name") or f"{md['generateName']}{c.name_suffix()}"
            key = c.key(rk, name, md.get("namespace"))
            if c.store.get(key) is None:
                break
            if md.get("name"):
                raise AlreadyExists(f'{rk.resource} "{name}" already exists',
                                    details={"name": name, "group": rk.group, "kind": rk.plural})
        uid, now = c.new_uid(), c.now()
        candidate = deep_copy(obj)
        candidate.setdefault("metadata", {})["name"] = name
        new = prepare_create(rk, candidate, uid=uid, now=now)
        validate_metadata(new, namespaced=rk.namespaced)
        if c.admission:
            admitted = await c.admit(self._request("CREATE", rk, key, new, None, user, dry_run=dry_run))
            assert admitted is not None
            admitted.setdefault("metadata", {}).update(name=name)
            new = prepare_create(rk, admitted, uid=uid, now=now)
            validate_metadata(new, namespaced=rk.namespaced)
        if rk.group_kind == CRD:
            validate_crd(new)
        if not rk.group:
            check_core_object(new)
        c.check_namespace(rk, key[1])
        if c.store.get(key) is not None:
            raise AlreadyExists(f'{rk.resource} "{name}" already exists',
                                details={"name": name, "group": rk.group, "kind": rk.plural})
        if dry_run:
            return c.out(rk, new)
        stored = c.store.put(rk.group_kind, new)
        return c.out(rk, c.after_commit(rk, key, stored))

    async def guaranteed_update(self, rk: ResourceKind, key: Key, build: Callable[[Obj], Obj], *,
                                subresource: str | None, user: UserInfo) -> Obj:
        c = self.c
        for _ in range(16):
            current = c.current(rk, key)
            new = prepare_update(rk, current, build(current), subresource=subresource)
            if subresource != "status":
                validate_metadata(new, namespaced=rk.namespaced)
            if c.admission and not same_object(new, current):
                if subresource == "scale":
                    await c.admit(self._request("UPDATE", rk, key, scale_of(rk, new), scale_of(rk, current),
                                                user, "scale"))
                else:
                    admitted = await c.admit(self._request("UPDATE", rk, key, new, current, user, subresource))
                    assert admitted is not None
                    if c.store.get(key) is not current:
                        continue
                    new = prepare_update(rk, current, admitted, subresource=subresource)
                    validate_metadata(new, namespaced=rk.namespaced)
                if c.store.get(key) is not current:
                    continue
            if same_object(new, current):
                return c.out(rk, current)
            if not rk.group:
                check_core_object(new, subresource=subresource)
            stored = c.store.put(rk.group_kind, new)
            return c.out(rk, c.after_commit(rk, key, stored))
        raise _conflict(rk, key[2])

    async def update(self, obj: Obj, *, subresource: str | None, user: UserInfo) -> Obj:
        c = self.c
        rk = c.kind(str(obj.get("apiVersion") or ""), str(obj.get("kind") or ""))
        if subresource is not None and not rk.has_subresource(subresource):
            raise NotFound(f"the server could not find the requested resource ({rk.resource}/{subresource})")
        md = obj.get("metadata") or {}
        key = c.key(rk, str(md.get("name") or ""), md.get("namespace"))
        candidate: Obj = deep_copy(obj)
        want_rv, want_uid = str(md.get("resourceVersion") or ""), str(md.get("uid") or "")

        def build(current: Obj) -> Obj:
            if want_rv and want_rv != current["metadata"]["resourceVersion"]:
                raise _conflict(rk, key[2])
            if want_uid and want_uid != current["metadata"]["uid"]:
                raise Conflict(f"Precondition failed: UID in precondition: {want_uid}, "
                               f"UID in object meta: {current['metadata']['uid']}")
            return candidate

        return await self.guaranteed_update(rk, key, build, subresource=subresource, user=user)

    async def patch(self, api_version: str, kind: str, name: str, patch: Any, *, namespace: str | None,
                    patch_type: PatchType, subresource: str | None, user: UserInfo) -> Obj:
        c = self.c
        rk = c.kind(api_version, kind)
        if subresource is not None and not rk.has_subresource(subresource):
            raise NotFound(f"the server could not find the requested resource ({rk.resource}/{subresource})")
        key = c.key(rk, name, namespace)

        def apply(doc: Obj) -> Obj:
            if patch_type == "json":
                result = json_patch(doc, patch)
            elif isinstance(patch, dict):
                result = merge_patch(doc, patch)
            else:
                raise BadRequest("a merge patch must be a JSON object")
            if not isinstance(result, dict):
                raise BadRequest("the patch does not result in an object")
            patched_rv = str((result.get("metadata") or {}).get("resourceVersion") or "")
            if patched_rv and patched_rv != doc["metadata"].get("resourceVersion"):
                raise _conflict(rk, name)
            return result

        if subresource == "scale":
            replicas = apply(scale_of(rk, c.current(rk, key))).get("spec", {}).get("replicas")
            if not isinstance(replicas, int) or isinstance(replicas, bool):
                raise Invalid("Scale.spec.replicas must be an integer",
                              causes=[StatusCause("spec.replicas", "must be an integer")])
            return await self.update_scale(rk, key, replicas, user=user)
        return await self.guaranteed_update(rk, key, lambda cur: apply({**cur, "apiVersion": rk.api_version}),
                                            subresource=subresource, user=user)

    def _scale_kind(self, api_version: str, kind: str) -> ResourceKind:
        rk = self.c.kind(api_version, kind)
        if rk.scale is None:
            raise NotFound(f"the server could not find the requested resource ({rk.resource}/scale)")
        return rk

    async def get_scale(self, api_version: str, kind: str, name: str, namespace: str | None) -> Obj:
        rk = self._scale_kind(api_version, kind)
        return scale_of(rk, self.c.current(rk, self.c.key(rk, name, namespace)))

    async def update_scale(self, rk: ResourceKind, key: Key, replicas: int, *, user: UserInfo) -> Obj:
        assert rk.scale is not None
        if replicas < 0:
            raise Invalid(f'Scale "{key[2]}" is invalid: spec.replicas: must be greater than or equal to 0',
                          causes=[StatusCause("spec.replicas", "must be greater than or equal to 0")])
        path = rk.scale.spec_replicas_path
        obj = await self.guaranteed_update(rk, key, lambda cur: set_path(cur, path, replicas),
                                           subresource="scale", user=user)
        return scale_of(rk, obj)

    async def bind(self, namespace: str, pod_name: str, node_name: str, pod_uid: str | None,
                   user: UserInfo) -> None:
        c = self.c
        rk = c.kind("v1", "Pod")
        key = c.key(rk, pod_name, namespace)
        pod = c.current(rk, key)
        binding = {"apiVersion": "v1", "kind": "Binding",
                   "metadata": {"name": pod_name, "namespace": namespace},
                   "target": {"apiVersion": "v1", "kind": "Node", "name": node_name}}
        if c.admission:
            await c.admit(self._request("CREATE", rk, key, binding, None, user, "binding"))
            pod = c.current(rk, key)
        if pod_uid and pod_uid != pod["metadata"]["uid"]:
            raise Conflict(f"Precondition failed: UID in precondition: {pod_uid}, "
                           f"UID in object meta: {pod['metadata']['uid']}")
        bound = (pod.get("spec") or {}).get("nodeName")
        if bound:
            raise Conflict(f'Operation cannot be fulfilled on pods/binding "{pod_name}": pod {pod_name} is '
                           f"already assigned to node \"{bound}\"")
        if pod["metadata"].get("deletionTimestamp"):
            raise Conflict(f'Operation cannot be fulfilled on pods/binding "{pod_name}": pod {pod_name} is '
                           "being deleted, cannot be assigned to a host")
        status = deep_copy(pod.get("status") or {})
        new = {**pod, "spec": {**(pod.get("spec") or {}), "nodeName": node_name}, "status": status}
        set_condition(new, "PodScheduled", "True", now=c.now())
        stored = c.store.put(POD, new)
        c.after_commit(rk, key, stored)

    async def delete(self, api_version: str, kind: str, name: str, namespace: str | None, *,
                     propagation_policy: PropagationPolicy | None, preconditions: dict[str, str] | None,
                     grace_period_seconds: int | None, user: UserInfo) -> Obj | None:
        c = self.c
        rk = c.kind(api_version, kind)
        key = c.key(rk, name, namespace)
        current = c.current(rk, key)
        if rk.kind == "Namespace" and not rk.group and name in PROTECTED_NAMESPACES:
            raise Forbidden(f'namespaces "{name}" is forbidden: this namespace may not be deleted')
        for field, have in (("uid", current["metadata"]["uid"]),
                            ("resourceVersion", current["metadata"]["resourceVersion"])):
            want = (preconditions or {}).get(field)
            if want and want != have:
                label = "UID" if field == "uid" else "ResourceVersion"
                raise Conflict(f"Precondition failed: {label} in precondition: {want}, "
                               f"{label} in object meta: {have}")
        if c.admission:
            await c.admit(self._request("DELETE", rk, key, None, current, user))
            c.current(rk, key)
        remaining = c.lifecycle.request_delete(key, propagation_policy, grace_period_seconds)
        return c.out(rk, remaining) if remaining is not None else None

    async def delete_collection(self, api_version: str, kind: str, namespace: str | None, *,
                                label_selector: str | None, field_selector: str | None,
                                propagation_policy: PropagationPolicy | None, user: UserInfo) -> None:
        listed = await self.c.list(api_version, kind, namespace, label_selector=label_selector,
                                   field_selector=field_selector)
        for obj in listed.items:
            md = obj["metadata"]
            try:
                await self.delete(api_version, kind, md["name"], md.get("namespace"),
                                  propagation_policy=propagation_policy, preconditions=None,
                                  grace_period_seconds=None, user=user)
            except NotFound:
                continue
