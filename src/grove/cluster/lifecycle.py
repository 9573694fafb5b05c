"""Deletion, finalizers and owner-reference garbage collection, as the API server plus kube-controller-
manager's garbage collector and namespace controller do them together.

A delete either removes the object at once or marks it (``deletionTimestamp``) and keeps it while
finalizers remain or, for a bound Pod, until the kubelet confirms with grace 0. Propagation:
``Background`` removes the owner first, then dependents whose owners are all gone; ``Foreground`` adds
the ``foregroundDeletion`` finalizer, deletes dependents (foreground again if they have dependents) and
removes the owner once no dependent with ``blockOwnerDeletion`` is left; ``Orphan`` adds ``orphan``,
strips the owner reference from dependents, then drops the finalizer.

Work is a queue drained synchronously after each API call, so a cascade through any depth completes
before the call returns and never recurses. Every item re-reads the store, so it is safe to queue twice.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

from grove.cluster.store import Key, ObjectStore
from grove.kube.client import Obj, PropagationPolicy
from grove.kube.clock import Clock, rfc3339

POD = ("", "Pod")
NAMESPACE = ("", "Namespace")
CRD = ("apiextensions.k8s.io", "CustomResourceDefinition")
GC_FINALIZERS = ("orphan", "foregroundDeletion")
CRD_CLEANUP = "customresourcecleanup.apiextensions.k8s.io"


def _with_meta(obj: Obj, **changes: Any) -> Obj:
    """A new object differing in metadata only (None deletes a key); ``obj`` itself is untouched."""
    md = dict(obj["metadata"])
    for k, v in changes.items():
        if v is None:
            md.pop(k, None)
        else:
            md[k] = v
    return {**obj, "metadata": md}


class Lifecycle:
    def __init__(self, store: ObjectStore, clock: Clock) -> None:
        self.store = store
        self.clock = clock
        self._queue: deque[tuple[str, Key]] = deque()
        self._draining = False
        self.on_removed: list[Callable[[Key, Obj], None]] = []
        self.crd_instances: Callable[[Obj], list[Key]] = lambda crd: []

    # -- entry points -------------------------------------------------------------------------------

    def request_delete(self, key: Key, policy: PropagationPolicy | None = None,
                       grace: int | None = None) -> Obj | None:
        """Delete (or mark for deletion); returns the object if it still exists afterwards."""
        obj = self.store.get(key)
        if obj is None:
            return None
        gk = key[0]
        fins = list(obj["metadata"].get("finalizers") or [])
        if policy is not None:
            fins = [f for f in fins if f not in GC_FINALIZERS]
            if policy == "Orphan":
                fins.append("orphan")
            elif policy == "Foreground":
                fins.append("foregroundDeletion")
        grace = self._grace(gk, obj, grace)
        md = obj["metadata"]
        if md.get("deletionTimestamp"):
            changes: dict[str, Any] = {}
            if fins != list(md.get("finalizers") or []):
                changes["finalizers"] = fins or None
            old_grace = int(md.get("deletionGracePeriodSeconds") or 0)
            if gk == POD and grace < old_grace:
                changes["deletionGracePeriodSeconds"] = grace
                changes["deletionTimestamp"] = rfc3339(self.clock.now() + grace)
            if changes:
                self.store.put(gk, _with_meta(obj, **changes))
        elif not fins and grace == 0 and gk != NAMESPACE:
            self._remove(key)
            self.drain()
            return None
        else:
            extra: dict[str, Any] = {}
            if gk == NAMESPACE:
                extra_status = {**(obj.get("status") or {}), "phase": "Terminating"}
                obj = {**obj, "status": extra_status}
            if md.get("generation"):
                extra["generation"] = int(md["generation"]) + 1
            self.store.put(gk, _with_meta(obj, deletionTimestamp=rfc3339(self.clock.now() + grace),
                                          deletionGracePeriodSeconds=grace, finalizers=fins or None,
                                          **extra))
        self.enqueue("settle", key)
        self.drain()
        return self.store.get(key)

    def _grace(self, gk: tuple[str, str], obj: Obj, requested: int | None) -> int:
        if gk != POD:
            return 0
        spec = obj.get("spec") or {}
        phase = (obj.get("status") or {}).get("phase")
        if not spec.get("nodeName") or phase in ("Succeeded", "Failed"):
            return 0
        if requested is not None:
            return max(0, int(requested))
        default = spec.get("terminationGracePeriodSeconds")
        return 30 if default is None else max(0, int(default))

    def after_write(self, key: Key, obj: Obj) -> None:
        """Called after create/update commits: finish deletions and check owner references."""
        if obj["metadata"].get("deletionTimestamp"):
            self.enqueue("settle", key)
        if obj["metadata"].get("ownerReferences"):
            self.enqueue("dependent", key)
        self.drain()

    def enqueue(self, what: str, key: Key) -> None:
        self._queue.append((what, key))

    def drain(self) -> None:
        if self._draining:
            return
        self._draining = True
        try:
            while self._queue:
                what, key = self._queue.popleft()
                if what == "settle":
                    self._settle(key)
                else:
                    self._attempt_delete_dependent(key)
        finally:
            self._draining = False

    # -- the garbage collector ----------------------------------------------------------------------

    def _settle(self, key: Key) -> None:
        """Advance a marked object: run GC finalizers, clean namespace contents, remove when done."""
        obj = self.store.get(key)
        if obj is None or not obj["metadata"].get("deletionTimestamp"):
            return
        gk = key[0]
        uid = obj["metadata"]["uid"]
        fins = list(obj["metadata"].get("finalizers") or [])
        if "orphan" in fins:
            for dep_key, dep in self.store.dependents(uid):
                refs = [r for r in dep["metadata"].get("ownerReferences") or [] if r.get("uid") != uid]
                self.store.put(dep_key[0], _with_meta(dep, ownerReferences=refs or None))
            fins.remove("orphan")
            obj = self.store.put(gk, _with_meta(obj, finalizers=fins or None))
        if "foregroundDeletion" in fins:
            blocking = False
            for dep_key, dep in self.store.dependents(uid):
                if not dep["metadata"].get("deletionTimestamp"):
                    self.enqueue("dependent", dep_key)
                blocking = blocking or any(r.get("uid") == uid and r.get("blockOwnerDeletion")
                                           for r in dep["metadata"].get("ownerReferences") or [])
            if blocking:
                return
            fins.remove("foregroundDeletion")
            obj = self.store.put(gk, _with_meta(obj, finalizers=fins or None))
        if gk == NAMESPACE and self._clean_namespace(key[2]):
            return
        if gk == CRD and CRD_CLEANUP in fins:
            instances = self.crd_instances(obj)
            for inst in instances:
                self.request_delete(inst)
            if any(self.store.get(k) is not None for k in instances):
                return
            fins.remove(CRD_CLEANUP)
            obj = self.store.put(gk, _with_meta(obj, finalizers=fins or None))
        if fins or int(obj["metadata"].get("deletionGracePeriodSeconds") or 0) > 0:
            return
        self._remove(key)

    def _clean_namespace(self, ns: str) -> bool:
        """Delete everything in a terminating namespace; True while something is left."""
        for key in self.store.keys_in_namespace(ns):
            obj = self.store.get(key)
            if obj is not None and not obj["metadata"].get("deletionTimestamp"):
                self.request_delete(key)
        return self.store.count_in_namespace(ns) > 0

    def _remove(self, key: Key) -> None:
        final = self.store.remove(key)
        md = final["metadata"]
        for dep_key, _ in self.store.dependents(md["uid"]):
            self.enqueue("dependent", dep_key)
        for ref in md.get("ownerReferences") or []:
            found = self.store.get_by_uid(str(ref.get("uid")))
            if found is not None and "foregroundDeletion" in (found[1]["metadata"].get("finalizers") or []):
                self.enqueue("settle", found[0])
        ns = key[1]
        if ns:
            ns_key: Key = (NAMESPACE, "", ns)
            ns_obj = self.store.get(ns_key)
            if ns_obj is not None and ns_obj["metadata"].get("deletionTimestamp"):
                self.enqueue("settle", ns_key)
        for hook in self.on_removed:
            hook(key, final)

    def _owner_state(self, dep_key: Key, ref: dict[str, Any]) -> str:
        """``solid``, ``waiting`` (owner in foreground deletion) or ``dangling`` (owner absent)."""
        found = self.store.get_by_uid(str(ref.get("uid")))
        if found is None:
            return "dangling"
        owner_key, owner = found
        if owner_key[1] and owner_key[1] != dep_key[1]:
            return "dangling"
        if owner["metadata"].get("deletionTimestamp") and \
                "foregroundDeletion" in (owner["metadata"].get("finalizers") or []):
            return "waiting"
        return "solid"

    def _attempt_delete_dependent(self, key: Key) -> None:
        obj = self.store.get(key)
        if obj is None:
            return
        refs = obj["metadata"].get("ownerReferences") or []
        if not refs:
            return
        states = [self._owner_state(key, r) for r in refs]
        if "solid" in states:
            keep = [r for r, s in zip(refs, states, strict=True) if s == "solid"]
            if len(keep) != len(refs):
                self.store.put(key[0], _with_meta(obj, ownerReferences=keep))
            return
        if obj["metadata"].get("deletionTimestamp"):
            self.enqueue("settle", key)
            return
        fins = obj["metadata"].get("finalizers") or []
        if "waiting" in states and self.store.has_dependents(obj["metadata"]["uid"]):
            self.request_delete(key, "Foreground")
        elif "orphan" in fins:
            self.request_delete(key, "Orphan")
        elif "foregroundDeletion" in fins:
            self.request_delete(key, "Foreground")
        else:
            self.request_delete(key, "Background")
