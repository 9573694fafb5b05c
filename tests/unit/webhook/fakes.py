"""A minimal in-memory KubeClient subset (get/list/create/update) with resourceVersion conflicts."""

from __future__ import annotations

import copy
from typing import Any

from grove.kube.client import ObjectList
from grove.kube.errors import AlreadyExists, Conflict, NotFound

Key = tuple[str, str, str | None, str]


class FakeKube:
    def __init__(self, *objects: dict[str, Any]) -> None:
        self.objects: dict[Key, dict[str, Any]] = {}
        self.writes: list[tuple[str, str, str]] = []
        self.rv = 0
        for obj in objects:
            self._store(copy.deepcopy(obj))

    @staticmethod
    def _key(api_version: str, kind: str, name: str, namespace: str | None) -> Key:
        return (api_version, kind, namespace, name)

    def _store(self, obj: dict[str, Any]) -> dict[str, Any]:
        self.rv += 1
        obj.setdefault("metadata", {})["resourceVersion"] = str(self.rv)
        md = obj["metadata"]
        self.objects[self._key(obj["apiVersion"], obj["kind"], md["name"], md.get("namespace"))] = obj
        return copy.deepcopy(obj)

    async def get(self, api_version: str, kind: str, name: str, namespace: str | None = None) -> dict[str, Any]:
        try:
            return copy.deepcopy(self.objects[self._key(api_version, kind, name, namespace)])
        except KeyError:
            raise NotFound(f"{kind} {name} not found") from None

    async def list(self, api_version: str, kind: str, namespace: str | None = None, **_: Any) -> ObjectList:
        items = [copy.deepcopy(o) for (av, k, ns, _n), o in self.objects.items()
                 if av == api_version and k == kind and (namespace is None or ns == namespace)]
        return ObjectList(items, str(self.rv))

    async def create(self, obj: dict[str, Any], *, dry_run: bool = False) -> dict[str, Any]:
        md = obj["metadata"]
        if self._key(obj["apiVersion"], obj["kind"], md["name"], md.get("namespace")) in self.objects:
            raise AlreadyExists(f"{obj['kind']} {md['name']} exists")
        self.writes.append(("create", obj["kind"], md["name"]))
        return self._store(copy.deepcopy(obj))

    async def update(self, obj: dict[str, Any], *, subresource: str | None = None) -> dict[str, Any]:
        md = obj["metadata"]
        current = await self.get(obj["apiVersion"], obj["kind"], md["name"], md.get("namespace"))
        if md.get("resourceVersion") != current["metadata"]["resourceVersion"]:
            raise Conflict(f"{obj['kind']} {md['name']} changed")
        self.writes.append(("update", obj["kind"], md["name"]))
        return self._store(copy.deepcopy(obj))
