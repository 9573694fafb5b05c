"""Fluent wiring of a controller to its watches (controller-runtime ``pkg/builder``).

``for_`` names the reconciled kind (its events enqueue the object itself), ``owns`` a child kind (its
events enqueue the *controller* owner of the reconciled kind), ``watches`` any kind with a map
function. Each may carry predicates; ``with_event_filter`` adds predicates to every watch. ``complete``
registers the controller with the manager, subscribing to the manager's shared informers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from grove.runtime.controller import Controller, Reconciler
from grove.runtime.handlers import MapFunc, enqueue_handler, request_for_object, requests_for_owner
from grove.runtime.predicates import Predicate
from grove.runtime.ratelimit import RateLimiter

if TYPE_CHECKING:
    from grove.runtime.manager import Manager


@dataclass
class _Watch:
    api_version: str
    kind: str
    mapper: MapFunc
    predicates: list[Predicate] = field(default_factory=list)
    namespace: str | None = None
    label_selector: str | None = None


class Builder:
    def __init__(self, manager: Manager, name: str | None = None) -> None:
        self._manager = manager
        self._name = name
        self._for: _Watch | None = None
        self._watches: list[_Watch] = []
        self._global_predicates: list[Predicate] = []
        self._max_concurrent = 1
        self._defer_dependents = False
        self._rate_limiter: RateLimiter | None = None

    def named(self, name: str) -> Builder:
        self._name = name
        return self

    def for_(self, api_version: str, kind: str, *predicates: Predicate, namespace: str | None = None,
             label_selector: str | None = None) -> Builder:
        if self._for is not None:
            raise ValueError("for_ may be called only once")
        self._for = _Watch(api_version, kind, request_for_object, list(predicates), namespace, label_selector)
        return self

    def owns(self, api_version: str, kind: str, *predicates: Predicate, namespace: str | None = None,
             label_selector: str | None = None, only_controller: bool = True) -> Builder:
        """Watch a child kind; events enqueue the owner of the ``for_`` kind (set ``for_`` first)."""
        if self._for is None:
            raise ValueError("call for_ before owns")
        mapper = requests_for_owner(self._for.api_version, self._for.kind, only_controller=only_controller)
        self._watches.append(_Watch(api_version, kind, mapper, list(predicates), namespace, label_selector))
        return self

    def watches(self, api_version: str, kind: str, map_fn: MapFunc, *predicates: Predicate,
                namespace: str | None = None, label_selector: str | None = None) -> Builder:
        self._watches.append(_Watch(api_version, kind, map_fn, list(predicates), namespace, label_selector))
        return self

    def with_event_filter(self, *predicates: Predicate) -> Builder:
        self._global_predicates.extend(predicates)
        return self

    def defer_dependents(self) -> Builder:
        """Events of ``owns``/``watches`` kinds are parked until the manager is quiet, so a burst of child
        updates (hundreds of PodCliques turning Ready at once) costs one reconcile of the parent, not
        hundreds. Events of the ``for_`` kind itself stay immediate."""
        self._defer_dependents = True
        return self

    def max_concurrent_reconciles(self, n: int) -> Builder:
        self._max_concurrent = n
        return self

    def with_rate_limiter(self, limiter: RateLimiter) -> Builder:
        self._rate_limiter = limiter
        return self

    def complete(self, reconcile: Reconciler) -> Controller:
        if self._for is None and not self._watches:
            raise ValueError("a controller needs for_ or watches")
        name = self._name or (self._for.kind.lower() if self._for is not None else None)
        if not name:
            raise ValueError("name the controller (named()) when it has no for_")
        ctrl = self._manager.new_controller(name, reconcile, max_concurrent_reconciles=self._max_concurrent,
                                            rate_limiter=self._rate_limiter)
        for w in ([self._for] if self._for is not None else []) + self._watches:
            informer = self._manager.informer(w.api_version, w.kind, w.namespace, w.label_selector)
            deferred = self._defer_dependents and w is not self._for
            informer.add_event_handler(enqueue_handler(ctrl.queue, w.mapper,
                                                       [*w.predicates, *self._global_predicates], deferred))
        return ctrl
