"""Status writes that never lose an update to a stale cache.

A reconcile reads the object from the informer cache, computes the status and patches only the
difference (:func:`~grove.controllers.common.reconciler_support.merge_diff`). If the cache has not yet
seen this controller's previous write, that difference is taken against an older status: a condition
our last write flipped, and this one flips back, looks unchanged and is left out of the patch, so the
server keeps the wrong value (and, as controllers ignore their own status writes, nothing retries).

:class:`StatusWriter` keeps the server's answer to each of its writes and diffs against whichever of
that answer and the cached object is newer, as client-go's ``MutationCache`` does (resourceVersions
compared as integers, which etcd revisions are; an unparsable one means the cache wins). An entry is
dropped once the cache has caught up or the object was replaced (another uid), and at most
:data:`KEEP` are kept (the oldest go first; losing one only loses this protection for that object).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from grove.controllers.common.reconciler_support import merge_diff
from grove.kube.client import KubeClient

Obj = dict[str, Any]

KEEP = 10_000


def _version(obj: Mapping[str, Any]) -> int | None:
    try:
        return int((obj.get("metadata") or {}).get("resourceVersion") or "")
    except ValueError:
        return None


class StatusWriter:
    """One controller's status writes (see the module docstring)."""

    def __init__(self, client: KubeClient) -> None:
        self.client = client
        self._written: dict[tuple[str | None, str], Obj] = {}

    def newest(self, cached: Obj) -> Obj:
        """``cached``, or this writer's last answer for the same object if that is newer."""
        meta = cached["metadata"]
        key = (meta.get("namespace"), meta["name"])
        mine = self._written.get(key)
        if mine is None:
            return cached
        cached_rv, mine_rv = _version(cached), _version(mine)
        if (mine["metadata"].get("uid") != meta.get("uid") or cached_rv is None or mine_rv is None
                or cached_rv >= mine_rv):
            del self._written[key]
            return cached
        return mine

    async def write(self, cached: Obj, status: Mapping[str, Any], *, guarded: bool = False) -> bool:
        """Patch ``status`` (the controller owns it whole) only if it differs from the newest known one.
        Returns whether it wrote.

        ``guarded`` adds that object's resourceVersion, so a condition another controller wrote in the
        meantime (e.g. GangTerminationInProgress on a PCSG) is never overwritten: the patch fails with
        Conflict and the reconcile retries on fresh data."""
        base = self.newest(cached)
        patch: dict[str, Any] = merge_diff(base.get("status") or {}, status, prune=True)
        if not patch:
            return False
        meta = base["metadata"]
        body: dict[str, Any] = {"status": patch}
        if guarded and meta.get("resourceVersion"):
            body["metadata"] = {"resourceVersion": meta["resourceVersion"]}
        answer = await self.client.patch(base["apiVersion"], base["kind"], meta["name"], body,
                                         namespace=meta.get("namespace"), subresource="status")
        if isinstance(answer, dict) and answer.get("metadata"):
            key = (meta.get("namespace"), meta["name"])
            self._written.pop(key, None)
            self._written[key] = answer
            while len(self._written) > KEEP:
                del self._written[next(iter(self._written))]
        return True

    def forget(self, namespace: str | None, name: str) -> None:
        """Drop what is kept for a deleted object."""
        self._written.pop((namespace, name), None)
