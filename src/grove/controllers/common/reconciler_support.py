"""I/O helpers shared by the Grove reconcilers: create-or-patch, finalizers and one-write status.

Every write here is *minimal and conditional*, so a reconcile that finds the world as it should be makes
no write at all (architecture principle 1: running a reconcile twice makes no second write):

* :func:`merge_diff` computes the JSON merge patch that takes ``current`` to ``desired``. By default it is
  a *covering* diff — fields the desired object does not mention (server defaults, other writers' fields)
  are left alone and lists are compared item by item with the same rule — so server-side defaulting can
  never cause a patch loop. With ``prune`` it also deletes keys ``desired`` lacks (used for ``status``,
  which the controller owns outright).
* :func:`ensure_object` creates the object when it is missing, else sends only that diff.
* status writes live in :mod:`grove.controllers.common.status_writer` (diffed against the newest known status).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from grove import __version__
from grove.api import constants as c
from grove.api.models.config import OperatorConfiguration
from grove.kube.client import KubeClient
from grove.kube.clock import Clock, rfc3339
from grove.kube.errors import AlreadyExists, NotFound

Obj = dict[str, Any]

MANAGED_BY_SELECTOR = f"{c.LABEL_MANAGED_BY}={c.MANAGED_BY_VALUE}"
"""Informers of built-in kinds the operator creates only see objects labelled as Grove's (spec §5)."""

REQUEUE_SECONDS = 5.0
"""Upstream's requeue interval for work that waits on other actors (gates, incomplete gangs)."""


@dataclass(frozen=True)
class ControllerSettings:
    """What every reconciler needs besides the manager: operator config and deployment choices."""

    config: OperatorConfiguration = field(default_factory=OperatorConfiguration)
    initc_image: str = "grove-initc"
    version: str = __version__
    wait_for_sa_token: bool = False
    """Hold PodCliques/PCSGs/PodGangs until the token controller fills ``<pcs>-ic-sat`` (real clusters
    only: the embedded cluster has no token controller, so waiting would block forever)."""

    @property
    def default_profile(self) -> str:
        return self.config.scheduler.default_profile_name or c.SCHEDULER_DEFAULT

    @property
    def tas_enabled(self) -> bool:
        return bool(self.config.topology_aware_scheduling.enabled)


def _covers(current: Any, desired: Any) -> bool:
    if isinstance(desired, Mapping):
        if not isinstance(current, Mapping):
            return False
        return all(_covers(current.get(k), v) for k, v in desired.items())
    if isinstance(desired, list):
        if not isinstance(current, list) or len(current) != len(desired):
            return False
        return all(_covers(a, b) for a, b in zip(current, desired, strict=True))
    return bool(current == desired)


def merge_diff(current: Any, desired: Mapping[str, Any], *, prune: bool = False) -> dict[str, Any]:
    """The merge patch taking ``current`` to ``desired`` (empty when nothing differs)."""
    cur: Mapping[str, Any] = current if isinstance(current, Mapping) else {}
    patch: dict[str, Any] = {}
    for key, want in desired.items():
        have = cur.get(key)
        if isinstance(want, Mapping) and isinstance(have, Mapping):
            sub = merge_diff(have, want, prune=prune)
            if sub:
                patch[key] = sub
        elif have is None and want is None:
            continue
        elif (prune and have != want) or (not prune and not _covers(have, want)):
            patch[key] = want
    if prune:
        for key in cur:
            if key not in desired:
                patch[key] = None
    return patch


def desired_patch(existing: Obj, desired: Obj, *, removals: Iterable[tuple[str, ...]] = ()) -> dict[str, Any]:
    """The merge patch for a create-or-patch: labels, annotations and every top-level field except
    ``metadata``/``status``/``apiVersion``/``kind``; ``removals`` are paths to delete when present."""
    want: dict[str, Any] = {k: v for k, v in desired.items() if k not in ("apiVersion", "kind", "metadata", "status")}
    patch = merge_diff(existing, want)
    dmeta = desired.get("metadata") or {}
    emeta = existing.get("metadata") or {}
    meta_want = {k: dmeta[k] for k in ("labels", "annotations") if dmeta.get(k)}
    meta_patch = merge_diff(emeta, meta_want)
    if meta_patch:
        patch["metadata"] = meta_patch
    for path in removals:
        node: Any = existing
        for part in path:
            node = node.get(part) if isinstance(node, Mapping) else None
        if node is None:
            continue
        target = patch
        for part in path[:-1]:
            target = target.setdefault(part, {})
        target[path[-1]] = None
    return patch


async def ensure_object(
    client: KubeClient, existing: Obj | None, desired: Obj, *, removals: Iterable[tuple[str, ...]] = ()
) -> tuple[Obj, bool]:
    """Create ``desired`` if ``existing`` is None, else patch the differing fields. Returns (object, wrote)."""
    meta = desired["metadata"]
    if existing is None:
        try:
            return await client.create(desired), True
        except AlreadyExists:  # our cache lags; fall through to a patch of the live object
            existing = await client.get(desired["apiVersion"], desired["kind"], meta["name"], meta.get("namespace"))
    patch = desired_patch(existing, desired, removals=removals)
    if not patch:
        return existing, False
    written = await client.patch(desired["apiVersion"], desired["kind"], meta["name"], patch,
                                 namespace=meta.get("namespace"))
    return written, True


async def delete_ignoring_missing(client: KubeClient, obj: Mapping[str, Any]) -> None:
    meta = obj.get("metadata") or {}
    with contextlib.suppress(NotFound):
        await client.delete(str(obj["apiVersion"]), str(obj["kind"]), meta["name"], meta.get("namespace"),
                            preconditions={"uid": meta["uid"]} if meta.get("uid") else None)


async def add_finalizer(client: KubeClient, obj: Obj, finalizer: str) -> bool:
    """Add ``finalizer`` if absent (json patch guarded by the resourceVersion the list came from)."""
    meta = obj.get("metadata") or {}
    current = list(meta.get("finalizers") or [])
    if finalizer in current:
        return False
    await client.patch(obj["apiVersion"], obj["kind"], meta["name"],
                       {"metadata": {"finalizers": [*current, finalizer],
                                     "resourceVersion": meta.get("resourceVersion")}},
                       namespace=meta.get("namespace"))
    return True


async def remove_finalizer(client: KubeClient, obj: Obj, finalizer: str) -> bool:
    meta = obj.get("metadata") or {}
    current = list(meta.get("finalizers") or [])
    if finalizer not in current:
        return False
    try:
        await client.patch(obj["apiVersion"], obj["kind"], meta["name"],
                           {"metadata": {"finalizers": [f for f in current if f != finalizer] or None,
                                         "resourceVersion": meta.get("resourceVersion")}},
                           namespace=meta.get("namespace"))
    except NotFound:
        return False
    return True


def now_string(clock: Clock) -> str:
    return rfc3339(clock.now())


def controller_owner_name(obj: Mapping[str, Any], kind: str) -> str | None:
    for ref in (obj.get("metadata") or {}).get("ownerReferences") or ():
        if ref.get("controller") and ref.get("kind") == kind:
            return str(ref.get("name"))
    return None
