"""Create/delete expectations per owner, so a slow informer never causes a duplicate create.

An informer cache lags the API server: right after a reconcile creates a child, the next reconcile may
not see it yet and would create another. Following upstream Grove's ``internal/expect`` store (itself
after kube-controller-manager's ``ControllerExpectations``), a reconciler records the UID of every child
it creates (``expect_creations``, after the create call returns) or deletes (``expect_deletions``,
before the call) under the owner's key, and counts pending creations as existing / pending deletions as
gone when computing its diff.

Expectations are lowered two ways, and either suffices (a dropped watch event cannot leave one stuck):

* informer events: :meth:`ExpectationsStore.observe_creations` / :meth:`observe_deletions`, wired for a
  child kind by :meth:`ExpectationsStore.event_handler`;
* :meth:`ExpectationsStore.sync`, called by the reconciler with the UIDs the cache currently holds: UIDs
  the cache already shows stop being expected creations, expected deletions no longer in the cache are
  dropped, and children already terminating (``deletionTimestamp`` set, e.g. after an operator restart)
  are re-added as expected deletions.

A third, last-resort way mirrors kube-controller-manager's expectation TTL: with a clock, an expected
creation older than ``ttl`` (default 5 minutes) is dropped by ``sync``. That covers a child created and
deleted again while both its watch events were lost, which neither of the above can see.

Invariant: a UID is never both an expected creation and an expected deletion of one owner.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from grove.kube.clock import Clock
from grove.runtime.informer import EventHandler

Obj = dict[str, Any]


@dataclass
class OwnerExpectations:
    key: str
    uids_to_add: set[str] = field(default_factory=set)
    uids_to_delete: set[str] = field(default_factory=set)
    added_at: dict[str, float] = field(default_factory=dict)  # when each create expectation was raised

    def pending(self) -> bool:
        return bool(self.uids_to_add or self.uids_to_delete)


class ExpectationsStore:
    def __init__(self, clock: Clock | None = None, ttl: float = 300.0) -> None:
        self._by_key: dict[str, OwnerExpectations] = {}
        self._clock = clock
        self.ttl = ttl

    def _get_or_create(self, owner_key: str) -> OwnerExpectations:
        exp = self._by_key.get(owner_key)
        if exp is None:
            exp = self._by_key[owner_key] = OwnerExpectations(owner_key)
        return exp

    def expect_creations(self, owner_key: str, *uids: str) -> None:
        exp = self._get_or_create(owner_key)
        new = [u for u in uids if u not in exp.uids_to_delete]
        exp.uids_to_add.update(new)
        if self._clock is not None:
            now = self._clock.now()
            exp.added_at.update((u, now) for u in new)

    def expect_deletions(self, owner_key: str, *uids: str) -> None:
        exp = self._get_or_create(owner_key)
        exp.uids_to_add.difference_update(uids)
        exp.uids_to_delete.update(uids)

    def observe_creations(self, owner_key: str, *uids: str) -> None:
        exp = self._by_key.get(owner_key)
        if exp is not None:
            exp.uids_to_add.difference_update(uids)

    def observe_deletions(self, owner_key: str, *uids: str) -> None:
        exp = self._by_key.get(owner_key)
        if exp is not None:
            exp.uids_to_add.difference_update(uids)
            exp.uids_to_delete.difference_update(uids)

    def sync(self, owner_key: str, existing_uids: Iterable[str], terminating_uids: Iterable[str] = ()) -> None:
        """Reconcile expectations with what the cache shows now (see module docstring)."""
        exp = self._by_key.get(owner_key)
        if exp is None:
            return
        existing = set(existing_uids)
        exp.uids_to_add.difference_update(existing)
        exp.uids_to_delete.intersection_update(existing)
        terminating = set(terminating_uids)
        exp.uids_to_add.difference_update(terminating)
        exp.uids_to_delete.update(terminating)
        if self._clock is not None:
            expired_before = self._clock.now() - self.ttl
            exp.uids_to_add.difference_update([u for u, t in exp.added_at.items() if t <= expired_before])
        exp.added_at = {u: t for u, t in exp.added_at.items() if u in exp.uids_to_add}

    def create_expectations(self, owner_key: str) -> set[str]:
        exp = self._by_key.get(owner_key)
        return set(exp.uids_to_add) if exp else set()

    def delete_expectations(self, owner_key: str) -> set[str]:
        exp = self._by_key.get(owner_key)
        return set(exp.uids_to_delete) if exp else set()

    def has_delete_expectation(self, owner_key: str, uid: str) -> bool:
        exp = self._by_key.get(owner_key)
        return exp is not None and uid in exp.uids_to_delete

    def satisfied(self, owner_key: str) -> bool:
        exp = self._by_key.get(owner_key)
        return exp is None or not exp.pending()

    def forget(self, owner_key: str) -> None:
        """Drop every expectation of an owner (the owner is gone)."""
        self._by_key.pop(owner_key, None)

    def __len__(self) -> int:
        return len(self._by_key)

    def event_handler(self, owner_key_of: Callable[[Obj], str | None]) -> EventHandler:
        """Observe a child kind's informer events; ``owner_key_of`` maps a child to its owner key."""

        def uid_and_key(obj: Obj) -> tuple[str | None, str | None]:
            return (obj.get("metadata") or {}).get("uid"), owner_key_of(obj)

        def on_add(obj: Obj) -> None:
            uid, key = uid_and_key(obj)
            if uid and key:
                self.observe_creations(key, uid)

        def on_update(_old: Obj, new: Obj) -> None:
            on_add(new)

        def on_delete(obj: Obj) -> None:
            uid, key = uid_and_key(obj)
            if uid and key:
                self.observe_deletions(key, uid)

        return EventHandler(on_add=on_add, on_update=on_update, on_delete=on_delete)


def controller_owner_key(obj: Obj) -> str | None:
    """``namespace/name`` of the object's controller owner (the usual expectations key)."""
    meta = obj.get("metadata") or {}
    for ref in meta.get("ownerReferences") or ():
        if ref.get("controller"):
            ns = meta.get("namespace")
            return f"{ns}/{ref['name']}" if ns else str(ref["name"])
    return None
