"""The real-API-server backend of :class:`~grove.kube.client.KubeClient`, over aiohttp.

This is the only module that imports aiohttp. One pooled ``ClientSession`` per client carries every
request; TLS and credentials come from a :class:`~grove.kube.kubeconfig.ClusterConfig`. Each request
first takes a token from the client-side :class:`~grove.kube.http_throttle.TokenBucket`. Any non-2xx
answer becomes the matching :mod:`grove.kube.errors` class through ``from_status``; a connection that
fails or times out becomes :class:`Unreachable` (an ApiError too), so callers handle one taxonomy.

Semantics the protocol promises and the server does differently are bridged here, nowhere else:

* list items carry ``apiVersion``/``kind`` (the server omits them for built-in kinds);
* a watch with no resourceVersion starts at "now" (the server would replay every object as ADDED), so
  we read the current collection resourceVersion first;
* a watch ERROR event raises (410 → Gone) instead of being yielded;
* delete returns the object only while it still exists (the server answers a Status, or for some
  kinds the last state of an object already removed).
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import AsyncIterator
from types import TracebackType
from typing import Any, Literal

import aiohttp

from grove.kube.client import Obj, ObjectList, PatchType, PropagationPolicy, Subresource, WatchEvent
from grove.kube.errors import ApiError, Gone, from_status
from grove.kube.http_paths import Discovery, resource_path
from grove.kube.http_throttle import TokenBucket
from grove.kube.kubeconfig import ClusterConfig, load_config

PATCH_CONTENT_TYPES: dict[str, str] = {
    "merge": "application/merge-patch+json",
    "json": "application/json-patch+json",
    "strategic": "application/strategic-merge-patch+json",
    "apply": "application/apply-patch+yaml",
}
LIST_PAGE = 500
# An answer that says "come back later" is followed, up to 10 times, after the server's Retry-After (capped
# here): a 429 was not acted on, so any request is sent again; a 5xx with Retry-After (e.g. a server-side
# timeout) may have been, so only reads are (client-go resends those writes too; a resent create with
# generateName could make a second pod).
MAX_RETRIES = 10
MAX_RETRY_AFTER = 10.0


class Unreachable(ApiError):
    """The API server could not be reached or did not answer in time (no Status was received)."""

    code, reason = 503, "ServiceUnavailable"


def retry_after(method: str, status: int, header: str | None) -> float | None:
    """Seconds to wait before sending a request again, or None when the answer is final: 429 always
    (1 s without a header), a 5xx only for GET and with a Retry-After header; capped at MAX_RETRY_AFTER."""
    if status != 429 and not (method == "GET" and 500 <= status < 600 and header):
        return None
    try:
        seconds = float(header) if header else 1.0
    except ValueError:
        seconds = 1.0
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def _drop_none(params: dict[str, Any]) -> dict[str, str]:
    return {k: str(v) for k, v in params.items() if v is not None}


def _still_exists(obj: Obj) -> bool:
    """Whether a DELETE response object is a deletion in progress rather than the removed object."""
    md = obj.get("metadata") or {}
    if not md.get("deletionTimestamp"):
        return False
    if md.get("finalizers") or obj.get("kind") == "Namespace":
        return True
    return int(md.get("deletionGracePeriodSeconds") or 0) > 0


class HttpKubeClient:
    """KubeClient for a real API server. Use ``async with`` (or ``await close()``) to free connections."""

    def __init__(self, config: ClusterConfig, *, qps: float = 100.0, burst: int = 120,
                 request_timeout: float = 30.0, connect_timeout: float = 10.0,
                 max_connections: int = 100, user_agent: str = "grove-python") -> None:
        self.config = config
        self.throttle = TokenBucket(qps, burst)
        self._timeout = aiohttp.ClientTimeout(total=request_timeout, connect=connect_timeout)
        self._connect_timeout = connect_timeout
        self._max_connections = max_connections
        self._user_agent = user_agent
        self._session: aiohttp.ClientSession | None = None
        self.discovery = Discovery(self._get_json)
        self.requests_total = 0
        self.retries_total = 0  # answers that said "come back later" (429, 5xx with Retry-After)

    @classmethod
    def from_kubeconfig(cls, kubeconfig: str | None = None, context: str | None = None,
                        **kwargs: Any) -> HttpKubeClient:
        return cls(load_config(kubeconfig, context), **kwargs)

    async def __aenter__(self) -> HttpKubeClient:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.close()

    async def close(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    # -- transport ---------------------------------------------------------------------------------

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            ssl_ctx = self.config.ssl_context()
            connector = aiohttp.TCPConnector(limit=self._max_connections,
                                             ssl=ssl_ctx if ssl_ctx is not None else False)
            self._session = aiohttp.ClientSession(
                connector=connector, timeout=self._timeout,
                headers={"User-Agent": self._user_agent, "Accept": "application/json"})
        return self._session

    def _headers(self, content_type: str | None = None) -> dict[str, str]:
        headers: dict[str, str] = {}
        token = self.config.bearer_token()
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if content_type:
            headers["Content-Type"] = content_type
        return headers

    async def _open(self, method: str, path: str, *, params: dict[str, Any] | None = None,
                    body: Any = None, content_type: str = "application/json",
                    timeout: aiohttp.ClientTimeout | None = None) -> aiohttp.ClientResponse:
        """Send one request (throttled) and return the response; non-2xx raises the mapped ApiError."""
        await self.throttle.acquire()
        self.requests_total += 1
        data: bytes | None = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
        kwargs: dict[str, Any] = {}
        if self.config.tls_server_name:
            kwargs["server_hostname"] = self.config.tls_server_name
        if timeout is not None:
            kwargs["timeout"] = timeout
        for attempt in range(MAX_RETRIES + 1):
            try:
                resp = await self._http().request(
                    method, self.config.server + path, params=_drop_none(params or {}), data=data,
                    headers=self._headers(content_type if data is not None else None), **kwargs)
            except (aiohttp.ClientError, TimeoutError) as err:
                raise Unreachable(f"{method} {path}: {type(err).__name__}: {err}") from err
            wait = retry_after(method, resp.status, resp.headers.get("Retry-After"))
            if wait is None or attempt == MAX_RETRIES:
                break
            resp.release()
            self.retries_total += 1
            await asyncio.sleep(wait)
            await self.throttle.acquire()
        if resp.status >= 300:
            try:
                raw = await resp.read()
            except (aiohttp.ClientError, TimeoutError) as err:
                raise Unreachable(f"{method} {path}: HTTP {resp.status}, body lost: {err}") from err
            finally:
                resp.release()
            raise _error_from(resp.status, raw)
        return resp

    async def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        resp = await self._open(method, path, **kwargs)
        try:
            raw = await resp.read()
        except (aiohttp.ClientError, TimeoutError) as err:
            raise Unreachable(f"{method} {path}: reading the answer failed: {err}") from err
        finally:
            resp.release()
        return json.loads(raw) if raw else None

    async def _get_json(self, path: str) -> dict[str, Any]:
        out = await self._request("GET", path)
        return out if isinstance(out, dict) else {}

    async def _path(self, api_version: str, kind: str, namespace: str | None = None,
                    name: str | None = None, subresource: str | None = None) -> str:
        rk = await self.discovery.resolve(api_version, kind)
        return resource_path(rk, namespace, name, subresource)

    # -- reads -------------------------------------------------------------------------------------

    async def get(self, api_version: str, kind: str, name: str, namespace: str | None = None) -> Obj:
        obj: Obj = await self._request("GET", await self._path(api_version, kind, namespace, name))
        return obj

    async def list(self, api_version: str, kind: str, namespace: str | None = None, *,
                   label_selector: str | None = None, field_selector: str | None = None) -> ObjectList:
        path = await self._path(api_version, kind, namespace)
        params: dict[str, Any] = {"labelSelector": label_selector or None,
                                  "fieldSelector": field_selector or None, "limit": LIST_PAGE}
        items: list[Obj] = []
        rv = ""
        while True:
            page = await self._request("GET", path, params=params)
            for item in page.get("items") or []:
                item.setdefault("apiVersion", api_version)
                item.setdefault("kind", kind)
                items.append(item)
            meta = page.get("metadata") or {}
            rv = rv or str(meta.get("resourceVersion") or "")  # every page shares the first's snapshot
            if not meta.get("continue"):
                return ObjectList(items=items, resource_version=rv)
            params["continue"] = meta["continue"]

    async def _current_resource_version(self, path: str, label_selector: str | None,
                                        field_selector: str | None) -> str:
        """The collection's resourceVersion ("now"), listed with the watch's own selectors, so the list needs
        no wider permission than the watch (a ``metadata.name`` field selector matches ``resourceNames``)."""
        page = await self._request("GET", path, params={"limit": 1, "labelSelector": label_selector or None,
                                                         "fieldSelector": field_selector or None})
        return str((page.get("metadata") or {}).get("resourceVersion") or "")

    async def watch(
        self, api_version: str, kind: str, namespace: str | None = None, *,
        resource_version: str | None = None, label_selector: str | None = None,
        field_selector: str | None = None, allow_bookmarks: bool = True, timeout_seconds: float | None = None,
    ) -> AsyncIterator[WatchEvent]:
        """Stream events (see :meth:`KubeClient.watch`). The request goes out on the first iteration, so
        "now" for a watch without ``resource_version`` is that moment; ``timeout_seconds`` is rounded up
        to whole seconds, which is what the server accepts."""
        path = await self._path(api_version, kind, namespace)
        if not resource_version:
            resource_version = await self._current_resource_version(path, label_selector, field_selector)
        server_timeout = math.ceil(timeout_seconds) if timeout_seconds is not None else None
        params = {"watch": "true", "resourceVersion": resource_version,
                  "allowWatchBookmarks": "true" if allow_bookmarks else None,
                  "timeoutSeconds": server_timeout,
                  "labelSelector": label_selector or None, "fieldSelector": field_selector or None}
        # no total deadline: a watch is long-lived; a hung server shows as a socket that stops reading
        client_timeout = aiohttp.ClientTimeout(
            total=server_timeout + 30 if server_timeout is not None else None, connect=self._connect_timeout)
        resp = await self._open("GET", path, params=params, timeout=client_timeout)
        try:
            async for line in _lines(resp):
                event = json.loads(line)
                etype, obj = event.get("type"), event.get("object") or {}
                if etype == "ERROR":
                    code = int(obj.get("code") or 500)
                    if code == 410:
                        raise Gone(str(obj.get("message") or "watch resourceVersion too old"),
                                   details=dict(obj.get("details") or {}))
                    raise from_status(obj, code)
                if etype != "BOOKMARK":
                    obj.setdefault("apiVersion", api_version)
                    obj.setdefault("kind", kind)
                yield WatchEvent(type=etype, object=obj)
        except (aiohttp.ClientError, TimeoutError) as err:
            raise Unreachable(f"watch {path}: stream broke: {type(err).__name__}: {err}") from err
        finally:
            resp.close()  # never return a half-read streaming connection to the pool

    # -- writes ------------------------------------------------------------------------------------

    async def create(self, obj: Obj, *, dry_run: bool = False) -> Obj:
        md = obj.get("metadata") or {}
        path = await self._path(obj["apiVersion"], obj["kind"], md.get("namespace"))
        out: Obj = await self._request("POST", path, body=obj, params={"dryRun": "All" if dry_run else None})
        return out

    async def update(self, obj: Obj, *, subresource: Literal["status"] | None = None) -> Obj:
        md = obj.get("metadata") or {}
        path = await self._path(obj["apiVersion"], obj["kind"], md.get("namespace"), md.get("name", ""),
                                subresource)
        out: Obj = await self._request("PUT", path, body=obj)
        return out

    async def patch(self, api_version: str, kind: str, name: str, patch: Any, *,
                    namespace: str | None = None, patch_type: PatchType = "merge",
                    subresource: Subresource | None = None) -> Obj:
        path = await self._path(api_version, kind, namespace, name, subresource)
        out: Obj = await self._request("PATCH", path, body=patch, content_type=PATCH_CONTENT_TYPES[patch_type])
        return out

    async def apply(self, obj: Obj, *, field_manager: str, force: bool = False) -> Obj:
        """Server-side apply (not part of KubeClient; the CRD installer uses it)."""
        md = obj.get("metadata") or {}
        path = await self._path(obj["apiVersion"], obj["kind"], md.get("namespace"), md.get("name", ""))
        params = {"fieldManager": field_manager, "force": "true" if force else None}
        out: Obj = await self._request("PATCH", path, body=obj, params=params,
                                       content_type=PATCH_CONTENT_TYPES["apply"])
        return out

    async def delete(self, api_version: str, kind: str, name: str, namespace: str | None = None, *,
                     propagation_policy: PropagationPolicy | None = None,
                     preconditions: dict[str, str] | None = None,
                     grace_period_seconds: int | None = None) -> Obj | None:
        path = await self._path(api_version, kind, namespace, name)
        out = await self._request("DELETE", path, body=_delete_options(
            propagation_policy, preconditions, grace_period_seconds))
        if not isinstance(out, dict) or out.get("kind") == "Status" or not _still_exists(out):
            return None
        return out

    async def delete_collection(self, api_version: str, kind: str, namespace: str | None = None, *,
                                label_selector: str | None = None, field_selector: str | None = None,
                                propagation_policy: PropagationPolicy | None = None) -> None:
        rk = await self.discovery.resolve(api_version, kind)
        params = {"labelSelector": label_selector or None, "fieldSelector": field_selector or None}
        body = _delete_options(propagation_policy, None, None)
        if rk.namespaced and not namespace:
            # the server has no all-namespaces deletecollection: do it per namespace that has matches
            listed = await self.list(api_version, kind, label_selector=label_selector,
                                     field_selector=field_selector)
            namespaces = sorted({str(o["metadata"]["namespace"]) for o in listed.items})
        else:
            namespaces = [namespace or ""]
        for ns in namespaces:
            await self._request("DELETE", resource_path(rk, ns or None), params=params, body=body)

    # -- subresources ------------------------------------------------------------------------------

    async def get_scale(self, api_version: str, kind: str, name: str, namespace: str | None = None) -> Obj:
        out: Obj = await self._request("GET", await self._path(api_version, kind, namespace, name, "scale"))
        return out

    async def update_scale(self, api_version: str, kind: str, name: str, replicas: int,
                           namespace: str | None = None) -> Obj:
        return await self.patch(api_version, kind, name, {"spec": {"replicas": replicas}},
                                namespace=namespace, subresource="scale")

    async def bind(self, namespace: str, pod_name: str, node_name: str, *, pod_uid: str | None = None) -> None:
        md: dict[str, Any] = {"name": pod_name, "namespace": namespace}
        if pod_uid:
            md["uid"] = pod_uid  # the server checks it against the pod: a recreated pod is a Conflict
        binding = {"apiVersion": "v1", "kind": "Binding", "metadata": md,
                   "target": {"apiVersion": "v1", "kind": "Node", "name": node_name}}
        await self._request("POST", await self._path("v1", "Pod", namespace, pod_name, "binding"), body=binding)


def _delete_options(propagation_policy: str | None, preconditions: dict[str, str] | None,
                    grace_period_seconds: int | None) -> dict[str, Any]:
    opts: dict[str, Any] = {"apiVersion": "v1", "kind": "DeleteOptions"}
    if propagation_policy:
        opts["propagationPolicy"] = propagation_policy
    if preconditions:
        opts["preconditions"] = dict(preconditions)
    if grace_period_seconds is not None:
        opts["gracePeriodSeconds"] = grace_period_seconds
    return opts


def _error_from(status: int, raw: bytes) -> ApiError:
    try:
        body = json.loads(raw) if raw else {}
    except ValueError:
        body = {}
    if isinstance(body, dict) and body.get("kind") == "Status":
        return from_status(body, status)
    # not a Status (a proxy or load balancer answered): classify by code alone
    text = raw.decode(errors="replace").strip()[:500]
    reason = {504: "Timeout"}.get(status, "")
    return from_status({"code": status, "reason": reason, "message": text or f"HTTP {status}"}, status)


async def _lines(resp: aiohttp.ClientResponse) -> AsyncIterator[bytes]:
    """Newline-delimited JSON frames of any size (``readline`` would cap a line at the read buffer)."""
    buf = b""
    async for chunk in resp.content.iter_any():
        buf += chunk
        while True:
            cut = buf.find(b"\n")
            if cut < 0:
                break
            line, buf = buf[:cut], buf[cut + 1:]
            if line.strip():
                yield line
    if buf.strip():
        yield buf  # a trailing frame without newline (a truncated one fails to decode, loudly)


__all__ = ["PATCH_CONTENT_TYPES", "HttpKubeClient", "Unreachable"]
