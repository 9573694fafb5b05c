"""Event filters for controller watches (controller-runtime ``pkg/predicate``).

A predicate decides, per informer event, whether it may enqueue anything. Filters are pure functions of
the wire objects, so they are cheap and unit-testable; combining them is plain boolean logic
(``all_of``, ``any_of``, ``not_``). A watch enqueues only if *every* predicate on it passes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

Obj = dict[str, Any]


class Predicate:
    """Pass-everything base; subclasses override the event kinds they filter."""

    def create(self, obj: Obj) -> bool:
        return True

    def update(self, old: Obj, new: Obj) -> bool:
        return True

    def delete(self, obj: Obj) -> bool:
        return True


def _meta(obj: Obj) -> dict[str, Any]:
    return obj.get("metadata") or {}


class GenerationChanged(Predicate):
    """Updates pass only if ``metadata.generation`` changed (ignores status-only writes)."""

    def update(self, old: Obj, new: Obj) -> bool:
        return _meta(old).get("generation") != _meta(new).get("generation")


class ResourceVersionChanged(Predicate):
    def update(self, old: Obj, new: Obj) -> bool:
        return _meta(old).get("resourceVersion") != _meta(new).get("resourceVersion")


class LabelsChanged(Predicate):
    def update(self, old: Obj, new: Obj) -> bool:
        return (_meta(old).get("labels") or {}) != (_meta(new).get("labels") or {})


class AnnotationsChanged(Predicate):
    """Updates pass if annotations changed (only the given keys, when ``keys`` is set)."""

    def __init__(self, keys: Iterable[str] | None = None) -> None:
        self.keys = frozenset(keys) if keys is not None else None

    def update(self, old: Obj, new: Obj) -> bool:
        a = _meta(old).get("annotations") or {}
        b = _meta(new).get("annotations") or {}
        if self.keys is None:
            return bool(a != b)
        return any(a.get(k) != b.get(k) for k in self.keys)


class Funcs(Predicate):
    """A predicate from plain functions; a missing function passes."""

    def __init__(self, *, create: Callable[[Obj], bool] | None = None,
                 update: Callable[[Obj, Obj], bool] | None = None,
                 delete: Callable[[Obj], bool] | None = None) -> None:
        self._create, self._update, self._delete = create, update, delete

    def create(self, obj: Obj) -> bool:
        return self._create is None or self._create(obj)

    def update(self, old: Obj, new: Obj) -> bool:
        return self._update is None or self._update(old, new)

    def delete(self, obj: Obj) -> bool:
        return self._delete is None or self._delete(obj)


def matching(fn: Callable[[Obj], bool]) -> Predicate:
    """Pass events whose object satisfies ``fn`` (on update: the new object)."""
    return Funcs(create=fn, update=lambda _old, new: fn(new), delete=fn)


class _AllOf(Predicate):
    def __init__(self, preds: tuple[Predicate, ...]) -> None:
        self.preds = preds

    def create(self, obj: Obj) -> bool:
        return all(p.create(obj) for p in self.preds)

    def update(self, old: Obj, new: Obj) -> bool:
        return all(p.update(old, new) for p in self.preds)

    def delete(self, obj: Obj) -> bool:
        return all(p.delete(obj) for p in self.preds)


class _AnyOf(_AllOf):
    def create(self, obj: Obj) -> bool:
        return any(p.create(obj) for p in self.preds)

    def update(self, old: Obj, new: Obj) -> bool:
        return any(p.update(old, new) for p in self.preds)

    def delete(self, obj: Obj) -> bool:
        return any(p.delete(obj) for p in self.preds)


class _Not(Predicate):
    def __init__(self, pred: Predicate) -> None:
        self.pred = pred

    def create(self, obj: Obj) -> bool:
        return not self.pred.create(obj)

    def update(self, old: Obj, new: Obj) -> bool:
        return not self.pred.update(old, new)

    def delete(self, obj: Obj) -> bool:
        return not self.pred.delete(obj)


def all_of(*preds: Predicate) -> Predicate:
    return _AllOf(preds)


def any_of(*preds: Predicate) -> Predicate:
    return _AnyOf(preds)


def not_(pred: Predicate) -> Predicate:
    return _Not(pred)
