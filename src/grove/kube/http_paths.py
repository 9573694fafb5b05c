"""REST paths for (apiVersion, kind) and the discovery cache behind them.

The API server names resources by ``/api/v1`` or ``/apis/<group>/<version>``, an optional
``namespaces/<ns>`` segment, the plural and an optional subresource. Built-in kinds come from
:data:`grove.kube.resources.BUILTIN_KINDS` without a round trip; any other kind (Grove's CRDs, a test
CRD) is looked up in the group-version's discovery document (``APIResourceList``), cached per group
version. A miss re-fetches that document once, so a kind whose CRD was created after the first lookup
is found; a kind still missing then is NotFound.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from grove.kube.errors import NotFound
from grove.kube.resources import ResourceKind, ResourceRegistry, ScaleSpec, split_api_version

Fetch = Callable[[str], Awaitable[dict[str, Any]]]
"""GET a path and return the decoded JSON (raising grove.kube.errors on failure)."""


def group_version_path(api_version: str) -> str:
    group, version = split_api_version(api_version)
    return f"/apis/{group}/{version}" if group else f"/api/{version}"


def resource_path(rk: ResourceKind, namespace: str | None = None, name: str | None = None,
                  subresource: str | None = None) -> str:
    """``/apis/g/v/namespaces/ns/plural/name/sub``; a cluster-scoped kind ignores ``namespace``."""
    parts = [group_version_path(rk.api_version)]
    if rk.namespaced and namespace:
        parts.append(f"namespaces/{quote(namespace, safe='')}")
    parts.append(rk.plural)
    if name is not None:
        if not name:
            raise NotFound(f"{rk.kind}: resource name may not be empty")
        parts.append(quote(name, safe=""))
        if subresource:
            parts.append(subresource)
    return "/".join(parts)


def kinds_from_discovery(api_version: str, doc: dict[str, Any]) -> list[ResourceKind]:
    """Parse an ``APIResourceList``: top-level resources plus their ``status``/``scale`` subresources."""
    group, version = split_api_version(api_version)
    subs: dict[str, set[str]] = {}
    tops: list[dict[str, Any]] = []
    for res in doc.get("resources") or []:
        name = str(res.get("name") or "")
        if "/" in name:
            plural, sub = name.split("/", 1)
            subs.setdefault(plural, set()).add(sub)
        else:
            tops.append(res)
    out: list[ResourceKind] = []
    for res in tops:
        plural = str(res["name"])
        mine = subs.get(plural, set())
        out.append(ResourceKind(
            group=group, version=version, kind=str(res.get("kind") or ""), plural=plural,
            namespaced=bool(res.get("namespaced")), status="status" in mine,
            scale=ScaleSpec() if "scale" in mine else None,
            short_names=tuple(str(s) for s in res.get("shortNames") or ()),
            singular=str(res.get("singularName") or ""),
            subresources=tuple(sorted(mine - {"status", "scale"})),
        ))
    return out


class Discovery:
    """(apiVersion, kind) → :class:`ResourceKind`: the built-in registry first, then discovery."""

    def __init__(self, fetch: Fetch, registry: ResourceRegistry | None = None) -> None:
        self._fetch = fetch
        self._builtin = registry or ResourceRegistry()
        self._by_gv: dict[str, dict[str, ResourceKind]] = {}
        self._lock = asyncio.Lock()
        self.fetches = 0

    async def _refresh(self, api_version: str) -> dict[str, ResourceKind]:
        self.fetches += 1
        try:
            doc = await self._fetch(group_version_path(api_version))
        except NotFound:
            kinds: dict[str, ResourceKind] = {}
        else:
            kinds = {rk.kind: rk for rk in kinds_from_discovery(api_version, doc)}
        self._by_gv[api_version] = kinds
        return kinds

    async def resolve(self, api_version: str, kind: str) -> ResourceKind:
        known = self._builtin.get(api_version, kind)
        if known is not None:
            return known
        cached = self._by_gv.get(api_version)
        if cached is not None and kind in cached:
            return cached[kind]
        async with self._lock:
            # another task may have refreshed while we waited; refresh only if still missing
            cached = self._by_gv.get(api_version)
            if cached is None or kind not in cached:
                cached = await self._refresh(api_version)
        if kind not in cached:
            raise NotFound(f"the server does not serve kind {kind!r} in {api_version!r}",
                           details={"group": split_api_version(api_version)[0], "kind": kind})
        return cached[kind]

    def forget(self, api_version: str | None = None) -> None:
        """Drop cached discovery (all, or one group version), e.g. after a CRD is deleted."""
        if api_version is None:
            self._by_gv.clear()
        else:
            self._by_gv.pop(api_version, None)
