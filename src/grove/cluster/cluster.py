"""EmbeddedCluster: an in-process Kubernetes API server (store + admission + GC), driven by one clock.

Everything runs in one asyncio loop. A write prepares its object, awaits admission (the only await),
then commits without awaiting; if the object changed while admission ran, the write is rebuilt against
the new state (a conditional update then fails with Conflict), as the API server's GuaranteedUpdate
does. A rejected write commits nothing: no object, no resourceVersion, no event.

Use ``cluster.client`` (a :class:`~grove.kube.client.KubeClient`) from controllers and tests; the
cluster object itself adds operator-only levers: admission plugins, bookmarks, compaction, persistence.
"""

from __future__ import annotations

import contextlib
import random
import uuid
from collections.abc import AsyncIterator
from typing import Any

from grove.cluster.admission import (
    AdmissionChain,
    AdmissionRequest,
    Matcher,
    MutatingPlugin,
    Scoped,
    UserInfo,
    ValidatingPlugin,
)
from grove.cluster.crds import established_status
from grove.cluster.lifecycle import CRD, CRD_CLEANUP, NAMESPACE, Lifecycle
from grove.cluster.persistence import SqlitePersistence
from grove.cluster.store import Key, ObjectStore
from grove.cluster.watch import Watcher, WatchHub
from grove.kube.client import Obj, ObjectList, WatchEvent
from grove.kube.clock import Clock, RealClock, rfc3339
from grove.kube.errors import BadRequest, Forbidden, NotFound
from grove.kube.objects import deep_copy
from grove.kube.resources import ResourceKind, ResourceRegistry
from grove.kube.selectors import parse_field_selector, parse_label_selector

NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
INITIAL_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")


class EmbeddedCluster:
    def __init__(self, *, clock: Clock | None = None, path: str | None = None, seed: int | None = None,
                 watch_history: int = 10_000) -> None:
        self.clock: Clock = clock or RealClock()
        self.rng = random.Random(seed)
        self.registry = ResourceRegistry()
        self.hub = WatchHub(self.clock, watch_history)
        self.persistence = SqlitePersistence(path) if path else None
        self.store = ObjectStore(self.hub, self.persistence)
        self.lifecycle = Lifecycle(self.store, self.clock)
        self.lifecycle.on_removed.append(self._on_removed)
        self.lifecycle.crd_instances = self._crd_instances
        self.admission = AdmissionChain()
        restored = self.persistence is not None and self.persistence.load_into(self.store, self.registry)
        if not restored:
            for ns in INITIAL_NAMESPACES:
                self.store.put(NAMESPACE, {"apiVersion": "v1", "kind": "Namespace", "metadata": {
                    "name": ns, "uid": self.new_uid(), "creationTimestamp": self.now(), "generation": 1,
                    "labels": {"kubernetes.io/metadata.name": ns}}, "status": {"phase": "Active"}})
        from grove.cluster.client import EmbeddedClient  # cyclic: the client wraps this class
        from grove.cluster.writes import Writes
        self.writes = Writes(self)
        self.client = EmbeddedClient(self)

    # -- operator levers ----------------------------------------------------------------------------

    def client_for(self, user: UserInfo) -> Any:
        """A KubeClient whose requests carry ``user`` into admission."""
        from grove.cluster.client import EmbeddedClient
        return EmbeddedClient(self, user)

    def add_mutating(self, plugin: MutatingPlugin, match: Matcher | None = None) -> None:
        """``match``: only requests it accepts reach the plugin (as a webhook's rules scope it)."""
        self.admission.mutating.append(plugin if match is None else Scoped(plugin, match))

    def add_validating(self, plugin: ValidatingPlugin, match: Matcher | None = None) -> None:
        self.admission.validating.append(plugin if match is None else Scoped(plugin, match))

    def emit_bookmarks(self) -> int:
        """Send every bookmark-accepting watch a BOOKMARK at the current resourceVersion."""
        return self.hub.emit_bookmarks()

    def compact(self) -> None:
        """Drop all watch history, as etcd compaction does: older resumes now get 410 Gone."""
        self.hub.compact()

    @property
    def resource_version(self) -> int:
        return self.store.rv

    def close(self) -> None:
        if self.persistence is not None:
            self.persistence.close()

    # -- helpers shared with writes -----------------------------------------------------------------

    def now(self) -> str:
        return rfc3339(self.clock.now())

    def new_uid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def name_suffix(self) -> str:
        return "".join(self.rng.choice(NAME_ALPHABET) for _ in range(5))

    def kind(self, api_version: str, kind: str) -> ResourceKind:
        rk = self.registry.get(api_version, kind)
        if rk is None:
            raise NotFound(f"the server could not find the requested resource ({kind} {api_version})")
        return rk

    def key(self, rk: ResourceKind, name: str, namespace: str | None) -> Key:
        if rk.namespaced and not namespace:
            raise BadRequest(f"{rk.resource} {name!r}: a namespace is required for namespaced kind {rk.kind}")
        return (rk.group_kind, (namespace or "") if rk.namespaced else "", name)

    def current(self, rk: ResourceKind, key: Key) -> Obj:
        obj = self.store.get(key)
        if obj is None:
            raise NotFound(f'{rk.resource} "{key[2]}" not found',
                           details={"name": key[2], "group": rk.group, "kind": rk.plural})
        return obj

    @staticmethod
    def out(rk: ResourceKind, obj: Obj) -> Obj:
        copied: Obj = deep_copy(obj)
        copied["apiVersion"] = rk.api_version
        return copied

    def check_namespace(self, rk: ResourceKind, namespace: str) -> None:
        if not rk.namespaced:
            return
        ns = self.store.get((NAMESPACE, "", namespace))
        if ns is None:
            raise NotFound(f'namespaces "{namespace}" not found',
                           details={"name": namespace, "kind": "namespaces"})
        if ns["metadata"].get("deletionTimestamp"):
            raise Forbidden(f"{rk.resource} is forbidden: unable to create new content in namespace "
                            f"{namespace} because it is being terminated")

    async def admit(self, request: AdmissionRequest) -> Obj | None:
        return await self.admission.admit(request) if self.admission else request.object

    def after_commit(self, rk: ResourceKind, key: Key, stored: Obj) -> Obj:
        """Side effects of a committed write: CRD serving, deletion progress, owner checks."""
        if rk.group_kind == CRD and not stored["metadata"].get("deletionTimestamp"):
            self.registry.register_crd(stored)
            status = established_status(stored, self.now())
            fins = list(stored["metadata"].get("finalizers") or [])
            if status != stored.get("status") or CRD_CLEANUP not in fins:
                md = {**stored["metadata"], "finalizers": sorted({*fins, CRD_CLEANUP})}
                stored = self.store.put(CRD, {**stored, "metadata": md, "status": status})
        self.lifecycle.after_write(key, stored)
        return self.store.get(key) or stored

    def _on_removed(self, key: Key, final: Obj) -> None:
        if key[0] == CRD:
            self.registry.unregister_crd(key[2])

    def _crd_instances(self, crd: Obj) -> list[Key]:
        spec = crd.get("spec") or {}
        gk = (str(spec.get("group") or ""), str((spec.get("names") or {}).get("kind") or ""))
        return [(gk, o["metadata"].get("namespace") or "", o["metadata"]["name"])
                for o in self.store.iter_kind(gk)]

    # -- reads --------------------------------------------------------------------------------------

    async def get(self, api_version: str, kind: str, name: str, namespace: str | None = None) -> Obj:
        rk = self.kind(api_version, kind)
        return self.out(rk, self.current(rk, self.key(rk, name, namespace)))

    async def list(self, api_version: str, kind: str, namespace: str | None = None, *,
                   label_selector: str | None = None, field_selector: str | None = None) -> ObjectList:
        rk = self.kind(api_version, kind)
        labels, fields = parse_label_selector(label_selector), parse_field_selector(field_selector)
        ns = namespace if rk.namespaced and namespace else None
        items = [o for o in self.store.iter_kind(rk.group_kind, ns)
                 if labels.matches(o["metadata"].get("labels")) and fields.matches(o)]
        items.sort(key=lambda o: (o["metadata"].get("namespace") or "", o["metadata"]["name"]))
        return ObjectList([self.out(rk, o) for o in items], str(self.store.rv))

    async def watch(self, api_version: str, kind: str, namespace: str | None = None, *,
                    resource_version: str | None = None, label_selector: str | None = None,
                    field_selector: str | None = None, allow_bookmarks: bool = True,
                    timeout_seconds: float | None = None) -> AsyncIterator[WatchEvent]:
        rk = self.kind(api_version, kind)
        ns = namespace if rk.namespaced and namespace else None
        watcher = Watcher(rk.group_kind, rk.api_version, rk.kind, ns, parse_label_selector(label_selector),
                          parse_field_selector(field_selector), allow_bookmarks)
        self.hub.open(watcher, resource_version, lambda: self.store.iter_kind(rk.group_kind, ns))
        stream = self.hub.stream(watcher, timeout_seconds)
        async with contextlib.aclosing(stream):
            async for event in stream:
                yield event
