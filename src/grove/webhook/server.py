"""The admission webhook server: AdmissionReview v1 over HTTPS at the paths of spec §2.

Each handler unwraps the review, calls the pure handler of :mod:`grove.webhook.admission`, and wraps the
outcome: the defaulting webhook answers a JSONPatch (the diff between the object it received and the
defaulted one); validating webhooks answer allowed, or a denial with ``status.code 422``, ``reason
Invalid``, the kube-apiserver style message and one ``details.causes`` entry per field error. Warnings
pass through. ClusterTopologyBindings (and Volcano queues, when that backend is enabled) are read from
the API server per PodCliqueSet review, so validation never judges against a stale topology. The authorizer
(spec §2.4, served only when ``authorizer.enabled``) reads the parent PodCliqueSet the same way and denies
with ``403 Forbidden``.

A review that cannot be decoded gets HTTP 400; an unexpected failure inside a handler becomes a denial
with code 500 (the configurations use failurePolicy Fail, so nothing is admitted unvalidated).
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import ssl
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from grove.api import constants as c
from grove.api.models.config import OperatorConfiguration
from grove.api.validation.lookup import OfflineLookup
from grove.api.validation.status import invalid_status
from grove.kube.client import KubeClient
from grove.kube.errors import ApiError, NotFound
from grove.webhook.admission import (
    AdmissionOutcome,
    default_podcliqueset_object,
    validate_cluster_topology_object,
    validate_podcliqueset_object,
)
from grove.webhook.authorizer import AuthorizerPolicy, AuthorizerRequest, authorize
from grove.webhook.jsonpatch import diff

log = logging.getLogger(__name__)

ADMISSION_REVIEW_API = "admission.k8s.io/v1"
PATH_DEFAULT_PCS = "/webhooks/default-podcliqueset"
PATH_VALIDATE_PCS = "/webhooks/validate-podcliqueset"
PATH_VALIDATE_CTB = "/webhooks/validate-clustertopology"
PATH_AUTHORIZER = "/webhooks/authorizer-webhook"
VOLCANO_QUEUE_API = "scheduling.volcano.sh/v1beta1"

Review = dict[str, Any]


class ApiServerLookup:
    """Reads what PodCliqueSet validation needs from the cluster into an :class:`OfflineLookup`."""

    def __init__(self, client: KubeClient, config: OperatorConfiguration) -> None:
        self.client = client
        self.config = config

    async def snapshot(self) -> OfflineLookup:
        bodies: list[Any] = []
        with contextlib.suppress(NotFound):  # CRD not installed: no bindings
            bodies += (await self.client.list(c.API_VERSION, c.KIND_CTB)).items
        if c.SCHEDULER_VOLCANO in self.config.scheduler.enabled_names():
            try:
                queues = (await self.client.list(VOLCANO_QUEUE_API, "Queue")).items
            except NotFound:
                queues = []
            bodies += [{**q, "apiVersion": VOLCANO_QUEUE_API, "kind": "Queue"} for q in queues]
        return OfflineLookup.from_bodies(bodies)

    async def podcliqueset(self, namespace: str, name: str) -> dict[str, Any] | None:
        """The parent PodCliqueSet for the authorizer, or ``None`` when it (or its CRD) does not exist."""
        try:
            return await self.client.get(c.API_VERSION, c.KIND_PCS, name, namespace)
        except NotFound:
            return None


def denial(outcome: AdmissionOutcome, kind: str, name: str, group: str) -> dict[str, Any]:
    """``AdmissionResponse.status`` of a denial: the shared 422 encoding (causes under ``reason``)."""
    return invalid_status(kind, group, name, outcome.errors)


def _name(obj: dict[str, Any] | None) -> str:
    meta = (obj or {}).get("metadata") or {}
    return str(meta.get("name") or meta.get("generateName") or "")


class AdmissionHandlers:
    """AdmissionReview in, AdmissionReview out, per webhook path. Counts requests for /metrics."""

    def __init__(self, config: OperatorConfiguration, lookup: ApiServerLookup | None, *,
                 operator_user: str = "") -> None:
        self.config = config
        self.lookup = lookup
        self.authorizer_policy = AuthorizerPolicy.build(operator_user,
                                                        config.authorizer.exempt_service_account_user_names)
        self.requests: Counter[tuple[str, bool]] = Counter()
        self.latency_seconds_total: dict[str, float] = {}

    async def default_pcs(self, request: dict[str, Any]) -> dict[str, Any]:
        obj = request.get("object")
        if request.get("operation") not in ("CREATE", "UPDATE") or not isinstance(obj, dict):
            return {"allowed": True}
        outcome = default_podcliqueset_object(obj)
        response: dict[str, Any] = {"allowed": True}
        if outcome.object is not None:
            ops = diff(obj, outcome.object)
            if ops:
                response["patchType"] = "JSONPatch"
                response["patch"] = base64.b64encode(json.dumps(ops).encode()).decode()
        if outcome.warnings:
            response["warnings"] = outcome.warnings
        return response

    async def validate_pcs(self, request: dict[str, Any]) -> dict[str, Any]:
        obj = request.get("object")
        if request.get("operation") not in ("CREATE", "UPDATE") or not isinstance(obj, dict):
            return {"allowed": True}
        old = request.get("oldObject") if request.get("operation") == "UPDATE" else None
        lookup = await self.lookup.snapshot() if self.lookup is not None else OfflineLookup()
        outcome = validate_podcliqueset_object(obj, old if isinstance(old, dict) else None,
                                               config=self.config, lookup=lookup)
        return self._verdict(outcome, c.KIND_PCS, _name(obj))

    async def validate_ctb(self, request: dict[str, Any]) -> dict[str, Any]:
        obj = request.get("object")
        if request.get("operation") not in ("CREATE", "UPDATE") or not isinstance(obj, dict):
            return {"allowed": True}
        outcome = validate_cluster_topology_object(obj, config=self.config)
        return self._verdict(outcome, c.KIND_CTB, _name(obj))

    async def authorize(self, request: dict[str, Any]) -> dict[str, Any]:
        """Managed-resource protection (spec §2.4): a denial is 403 Forbidden with an actionable message."""
        async def parent(namespace: str, name: str) -> dict[str, Any] | None:
            return await self.lookup.podcliqueset(namespace, name) if self.lookup is not None else None

        verdict = await authorize(AuthorizerRequest.from_admission(request), self.authorizer_policy, parent)
        response: dict[str, Any] = {"allowed": verdict.allowed}
        if not verdict.allowed:
            response["status"] = {"code": 403, "status": "Failure", "reason": "Forbidden", "message": verdict.message}
        if verdict.warnings:
            response["warnings"] = verdict.warnings
        return response

    @staticmethod
    def _verdict(outcome: AdmissionOutcome, kind: str, name: str) -> dict[str, Any]:
        response: dict[str, Any] = {"allowed": outcome.allowed}
        if not outcome.allowed:
            response["status"] = denial(outcome, kind, name, c.GROUP)
        if outcome.warnings:
            response["warnings"] = outcome.warnings
        return response

    async def review(self, path: str, handler: Callable[[dict[str, Any]], Awaitable[dict[str, Any]]],
                     review: Review) -> Review:
        """Answer one decoded AdmissionReview (raises ValueError when it is not one)."""
        if not isinstance(review, dict) or review.get("kind") != "AdmissionReview":
            raise ValueError("body is not an AdmissionReview")
        request = review.get("request")
        if not isinstance(request, dict) or not request.get("uid"):
            raise ValueError("AdmissionReview has no request.uid")
        start = time.perf_counter()
        try:
            response = await handler(request)
        except ApiError as exc:
            log.warning("webhook %s: cannot read the cluster: %s", path, exc)
            response = {"allowed": False, "status": {"code": 500, "status": "Failure", "reason": "InternalError",
                                                     "message": f"grove webhook cannot read the cluster: {exc}"}}
        except Exception as exc:
            log.exception("webhook %s failed", path)
            response = {"allowed": False, "status": {"code": 500, "status": "Failure", "reason": "InternalError",
                                                     "message": f"grove webhook internal error: {exc}"}}
        self.requests[(path, bool(response.get("allowed")))] += 1
        self.latency_seconds_total[path] = self.latency_seconds_total.get(path, 0.0) + time.perf_counter() - start
        response["uid"] = request["uid"]
        return {"apiVersion": review.get("apiVersion") or ADMISSION_REVIEW_API, "kind": "AdmissionReview",
                "response": response}

    def routes(self) -> dict[str, Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]]:
        routes: dict[str, Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]] = {
            PATH_DEFAULT_PCS: self.default_pcs, PATH_VALIDATE_PCS: self.validate_pcs,
            PATH_VALIDATE_CTB: self.validate_ctb}
        if self.config.authorizer.enabled:
            routes[PATH_AUTHORIZER] = self.authorize
        return routes


def webhook_app(handlers: AdmissionHandlers) -> web.Application:
    app = web.Application(client_max_size=8 * 1024 * 1024)

    def endpoint(path: str, handler: Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]) -> Any:
        async def serve(request: web.Request) -> web.Response:
            try:
                body = await request.json(loads=json.loads)
                answer = await handlers.review(path, handler, body)
            except (ValueError, UnicodeDecodeError) as exc:
                return web.Response(status=400, text=f"invalid AdmissionReview: {exc}")
            return web.json_response(answer)
        return serve

    for path, handler in handlers.routes().items():
        app.router.add_post(path, endpoint(path, handler))
    return app


def server_ssl_context(cert_file: str, key_file: str) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(cert_file, key_file)
    return ctx


class WebhookServer:
    """The HTTPS listener; ``port`` is the bound port after :meth:`start` (useful with port 0)."""

    def __init__(self, handlers: AdmissionHandlers, *, host: str, port: int, ssl_context: ssl.SSLContext | None):
        self.handlers = handlers
        self.host = host
        self.port = port
        self._ssl = ssl_context
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        self._runner = web.AppRunner(webhook_app(self.handlers), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port, ssl_context=self._ssl)
        await site.start()
        server = getattr(site, "_server", None)
        if self.port == 0 and server is not None and server.sockets:
            self.port = server.sockets[0].getsockname()[1]
        log.info("webhook server listening on https://%s:%d", self.host, self.port)

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
