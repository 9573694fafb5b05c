"""The informer's indexed in-memory store of wire objects.

Objects are keyed by ``namespace/name`` (``name`` for cluster-scoped kinds), and secondary indexes map
an index value to the set of keys whose object produced it. Built-in index functions cover the lookups
controllers make all the time: by owner UID, by *controller* owner UID, by namespace and by any label
key; :meth:`Indexer.add_indexer` takes custom ones.

Invariants: every index is exactly the image of its index function over the stored objects (updated on
every add/update/delete, and rebuilt when an indexer is added late); lookups return stored objects, not
copies. **Readers must not mutate returned objects** — they are shared by every controller reading the
cache (deep-copy before building a write).
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable, Iterator
from typing import Any

Obj = dict[str, Any]
IndexFunc = Callable[[Obj], Iterable[str]]

BY_NAMESPACE = "namespace"
BY_OWNER_UID = "owner-uid"
BY_CONTROLLER_UID = "controller-uid"


def object_key(obj: Obj) -> str:
    meta = obj.get("metadata") or {}
    ns = meta.get("namespace")
    return f"{ns}/{meta.get('name', '')}" if ns else str(meta.get("name", ""))


def key_of(namespace: str | None, name: str) -> str:
    return f"{namespace}/{name}" if namespace else name


def index_by_namespace(obj: Obj) -> Iterable[str]:
    ns = (obj.get("metadata") or {}).get("namespace")
    return (ns,) if ns else ()


def index_by_owner_uid(obj: Obj) -> Iterable[str]:
    return [ref["uid"] for ref in (obj.get("metadata") or {}).get("ownerReferences") or () if ref.get("uid")]


def index_by_controller_uid(obj: Obj) -> Iterable[str]:
    for ref in (obj.get("metadata") or {}).get("ownerReferences") or ():
        if ref.get("controller") and ref.get("uid"):
            return (ref["uid"],)
    return ()


def index_by_label(label_key: str) -> IndexFunc:
    """Index by the value of one label key (objects without the label are not indexed)."""

    def index(obj: Obj) -> Iterable[str]:
        value = ((obj.get("metadata") or {}).get("labels") or {}).get(label_key)
        return (value,) if value is not None else ()

    return index


def label_index_name(label_key: str) -> str:
    return f"label:{label_key}"


class Indexer:
    """Objects by key plus named secondary indexes (client-go ``cache.Indexer``)."""

    def __init__(self) -> None:
        self._items: dict[str, Obj] = {}
        self._funcs: dict[str, IndexFunc] = {}
        self._indexes: dict[str, dict[str, set[str]]] = {}
        # per index, the values each key was filed under (to unfile on update/delete)
        self._filed: dict[str, dict[str, tuple[str, ...]]] = {}
        for name, fn in ((BY_NAMESPACE, index_by_namespace), (BY_OWNER_UID, index_by_owner_uid),
                         (BY_CONTROLLER_UID, index_by_controller_uid)):
            self.add_indexer(name, fn)

    # -- indexes -----------------------------------------------------------------------------------

    def add_indexer(self, name: str, fn: IndexFunc) -> None:
        """Register (or replace) an index; existing objects are indexed at once."""
        self._funcs[name] = fn
        self._indexes[name] = {}
        self._filed[name] = {}
        for key, obj in self._items.items():
            self._file(name, key, obj)

    def add_label_indexer(self, label_key: str) -> str:
        name = label_index_name(label_key)
        if name not in self._funcs:
            self.add_indexer(name, index_by_label(label_key))
        return name

    def has_index(self, name: str) -> bool:
        return name in self._funcs

    def _file(self, name: str, key: str, obj: Obj) -> None:
        values = tuple(dict.fromkeys(self._funcs[name](obj)))
        if not values:
            return
        index = self._indexes[name]
        for value in values:
            bucket = index.get(value)
            if bucket is None:
                index[value] = {key}
            else:
                bucket.add(key)
        self._filed[name][key] = values

    def _unfile(self, name: str, key: str) -> None:
        values = self._filed[name].pop(key, ())
        index = self._indexes[name]
        for value in values:
            bucket = index.get(value)
            if bucket is not None:
                bucket.discard(key)
                if not bucket:
                    del index[value]

    # -- store -------------------------------------------------------------------------------------

    def put(self, obj: Obj) -> Obj | None:
        """Insert or replace; returns the previous object under the same key."""
        key = object_key(obj)
        old = self._items.get(key)
        self._items[key] = obj
        for name in self._funcs:
            if old is not None:
                self._unfile(name, key)
            self._file(name, key, obj)
        return old

    def remove(self, key: str) -> Obj | None:
        old = self._items.pop(key, None)
        if old is not None:
            for name in self._funcs:
                self._unfile(name, key)
        return old

    def get(self, namespace: str | None, name: str) -> Obj | None:
        return self._items.get(key_of(namespace, name))

    def get_by_key(self, key: str) -> Obj | None:
        return self._items.get(key)

    def list_keys(self) -> builtins.list[str]:
        return list(self._items)

    def list(self, namespace: str | None = None) -> builtins.list[Obj]:
        if namespace is None:
            return list(self._items.values())
        return self.by_index(BY_NAMESPACE, namespace)

    def __iter__(self) -> Iterator[Obj]:
        return iter(list(self._items.values()))

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def by_index(self, index_name: str, value: str) -> builtins.list[Obj]:
        """Objects whose index function produced ``value`` (KeyError for an unknown index)."""
        if index_name not in self._indexes:
            raise KeyError(f"no index {index_name!r}; known: {sorted(self._indexes)}")
        keys = self._indexes[index_name].get(value)
        if not keys:
            return []
        return [self._items[k] for k in sorted(keys)]

    def index_values(self, index_name: str) -> builtins.list[str]:
        return list(self._indexes[index_name])

    def by_owner_uid(self, uid: str) -> builtins.list[Obj]:
        return self.by_index(BY_OWNER_UID, uid)

    def by_controller_uid(self, uid: str) -> builtins.list[Obj]:
        return self.by_index(BY_CONTROLLER_UID, uid)

    def by_label(self, label_key: str, value: str) -> builtins.list[Obj]:
        return self.by_index(self.add_label_indexer(label_key), value)
