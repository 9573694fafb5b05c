"""The AdmissionReview v1 server: routes of spec §2, JSONPatch answers, 422 denials with causes, TLS."""

from __future__ import annotations

import base64
import json
import ssl
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from grove.api.models.config import (
    OperatorConfiguration,
    SchedulerConfig,
    SchedulerProfile,
    TopologyAwareScheduling,
)
from grove.kube.errors import Unauthorized
from grove.kube.patch import json_patch
from grove.webhook import certs
from grove.webhook.admission import default_podcliqueset_object
from grove.webhook.server import (
    PATH_DEFAULT_PCS,
    PATH_VALIDATE_CTB,
    PATH_VALIDATE_PCS,
    AdmissionHandlers,
    ApiServerLookup,
    WebhookServer,
    server_ssl_context,
    webhook_app,
)
from tests.builders import ctb, pcs, tc
from tests.unit.webhook.fakes import FakeKube

CONFIG = OperatorConfiguration()


def defaulted(obj: dict[str, Any]) -> dict[str, Any]:
    """What the validating webhook sees: the API server ran CRD defaults and the mutating webhook first."""
    out = default_podcliqueset_object(obj).object
    assert out is not None
    return out


def review(obj: dict[str, Any], *, operation: str = "CREATE", old: dict[str, Any] | None = None,
           uid: str = "u-1") -> dict[str, Any]:
    req: dict[str, Any] = {"uid": uid, "operation": operation, "object": obj,
                           "kind": {"group": "grove.io", "version": "v1alpha1", "kind": obj.get("kind")}}
    if old is not None:
        req["oldObject"] = old
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": req}


@pytest.fixture
async def http(request: pytest.FixtureRequest) -> Any:
    kube = getattr(request, "param", None) or FakeKube()
    config = CONFIG
    if isinstance(kube, tuple):
        kube, config = kube
    handlers = AdmissionHandlers(config, ApiServerLookup(kube, config))
    async with TestClient(TestServer(webhook_app(handlers))) as client:
        client.handlers = handlers
        yield client


async def post(http: TestClient, path: str, body: Any) -> dict[str, Any]:
    resp = await http.post(path, json=body)
    assert resp.status == 200, await resp.text()
    answer: dict[str, Any] = await resp.json()
    assert answer["apiVersion"] == "admission.k8s.io/v1" and answer["kind"] == "AdmissionReview"
    return answer["response"]


async def test_defaulting_answers_a_json_patch_that_yields_the_defaulted_object(http: TestClient) -> None:
    obj = pcs("web").clique("frontend", replicas=2).build()
    resp = await post(http, PATH_DEFAULT_PCS, review(obj))
    assert resp["uid"] == "u-1" and resp["allowed"] is True and resp["patchType"] == "JSONPatch"
    ops = json.loads(base64.b64decode(resp["patch"]))
    patched = json_patch(obj, ops)
    assert patched["metadata"]["namespace"] == "default"
    spec = patched["spec"]["template"]["cliques"][0]["spec"]
    assert spec["minAvailable"] == 2
    assert spec["podSpec"]["restartPolicy"] == "Always"
    assert spec["podSpec"]["terminationGracePeriodSeconds"] == 30
    # idempotent: defaulting the patched object needs no further patch
    again = await post(http, PATH_DEFAULT_PCS, review(patched))
    assert "patch" not in again and again["allowed"] is True


async def test_invalid_pcs_is_denied_with_422_and_field_causes(http: TestClient) -> None:
    obj = pcs("web", "default").clique("a", replicas=2, min_available=5).build()
    resp = await post(http, PATH_VALIDATE_PCS, review(obj))
    assert resp["allowed"] is False
    status = resp["status"]
    assert status["code"] == 422 and status["reason"] == "Invalid"
    assert status["message"].startswith('PodCliqueSet.grove.io "web" is invalid: ')
    fields = [c["field"] for c in status["details"]["causes"]]
    assert "spec.template.cliques[0].spec.minAvailable" in fields
    assert all(c["reason"].startswith("FieldValue") and "type" not in c for c in status["details"]["causes"])
    assert status["details"]["kind"] == "PodCliqueSet" and status["details"]["group"] == "grove.io"


async def test_valid_pcs_is_allowed_with_the_restart_policy_warning_only_when_it_applies(http: TestClient) -> None:
    obj = defaulted(pcs("web", "default").clique("a", replicas=2, min_available=1).build())
    resp = await post(http, PATH_VALIDATE_PCS, review(obj))
    assert resp["allowed"] is True and "warnings" not in resp, resp
    obj["spec"]["template"]["cliques"][0]["spec"]["podSpec"]["restartPolicy"] = "Never"
    resp = await post(http, PATH_VALIDATE_PCS, review(obj))
    assert resp["allowed"] is True, resp
    assert resp["warnings"] == ["spec.template.cliques[0].spec.podSpec.restartPolicy: restartPolicy Never "
                                "will be ignored, it will be set to Always"]


async def test_update_immutability_uses_the_old_object(http: TestClient) -> None:
    old = defaulted(pcs("web", "default").clique("a", replicas=2, min_available=1).build())
    new = defaulted(pcs("web", "default").clique("a", replicas=2, min_available=2).build())
    assert (await post(http, PATH_VALIDATE_PCS, review(new)))["allowed"] is True
    resp = await post(http, PATH_VALIDATE_PCS, review(new, operation="UPDATE", old=old))
    assert resp["allowed"] is False
    assert "spec.template.cliques[0].spec.minAvailable" in [c["field"] for c in resp["status"]["details"]["causes"]]


async def test_delete_is_always_allowed(http: TestClient) -> None:
    obj = pcs("web", "default").clique("a", replicas=2, min_available=5).build()
    resp = await post(http, PATH_VALIDATE_PCS, review(obj, operation="DELETE"))
    assert resp == {"allowed": True, "uid": "u-1"}


TAS = OperatorConfiguration(
    topology_aware_scheduling=TopologyAwareScheduling(enabled=True),
    scheduler=SchedulerConfig(profiles=[SchedulerProfile(name="kai-scheduler")]),
)


@pytest.mark.parametrize("http", [(FakeKube(ctb(bindings=[("kai-scheduler", "x")])), TAS)], indirect=True)
async def test_topology_is_read_from_the_cluster(http: TestClient) -> None:
    base = pcs("web", "default").label("kai.scheduler/queue", "q") \
        .clique("a", replicas=1, min_available=1, scheduler="kai-scheduler")
    known = defaulted(base.topology(required="rack").build())
    unknown = defaulted(base.set("spec.template.topologyConstraint", tc(required="rack", name="nope")).build())
    ok = await post(http, PATH_VALIDATE_PCS, review(known))
    bad = await post(http, PATH_VALIDATE_PCS, review(unknown))
    assert ok["allowed"] is True, ok
    assert bad["allowed"] is False
    assert any("topologyName" in c["field"] for c in bad["status"]["details"]["causes"]), bad


async def test_cluster_topology_validation(http: TestClient) -> None:
    dup = ctb(levels=(("zone", "k/zone"), ("rack", "k/zone")))
    resp = await post(http, PATH_VALIDATE_CTB, review(dup))
    assert resp["allowed"] is False and resp["status"]["code"] == 422
    assert resp["status"]["message"].startswith('ClusterTopologyBinding.grove.io "grove-topology" is invalid')
    assert (await post(http, PATH_VALIDATE_CTB, review(ctb())))["allowed"] is True


async def test_malformed_review_is_a_400(http: TestClient) -> None:
    assert (await http.post(PATH_VALIDATE_PCS, data=b"not json")).status == 400
    assert (await http.post(PATH_VALIDATE_PCS, json={"kind": "AdmissionReview", "request": {}})).status == 400
    assert (await http.post("/webhooks/nope", json={})).status == 404


class BrokenKube(FakeKube):
    async def list(self, *a: Any, **k: Any) -> Any:
        raise Unauthorized("no token")


@pytest.mark.parametrize("http", [BrokenKube()], indirect=True)
async def test_unreadable_cluster_denies_with_500(http: TestClient) -> None:
    resp = await post(http, PATH_VALIDATE_PCS, review(pcs("web", "default").clique("a").build()))
    assert resp["allowed"] is False and resp["status"]["code"] == 500
    assert "cannot read the cluster" in resp["status"]["message"]


async def test_requests_are_counted(http: TestClient) -> None:
    await post(http, PATH_VALIDATE_CTB, review(ctb()))
    assert http.handlers.requests[(PATH_VALIDATE_CTB, True)] == 1  # type: ignore[attr-defined]


async def test_https_server_with_generated_certs(tmp_path: Path) -> None:
    bundle = certs.generate_bundle(certs.service_dns_names("ns"))
    certs.write_cert_dir(tmp_path, bundle)
    server = WebhookServer(AdmissionHandlers(CONFIG, None), host="127.0.0.1", port=0,
                           ssl_context=server_ssl_context(str(tmp_path / "tls.crt"), str(tmp_path / "tls.key")))
    await server.start()
    try:
        assert server.port > 0
        client_ctx = ssl.create_default_context(cadata=bundle.ca_crt.decode())
        async with aiohttp.ClientSession() as session:
            async with session.post(f"https://127.0.0.1:{server.port}{PATH_VALIDATE_CTB}",
                                    json=review(ctb()), ssl=client_ctx) as resp:
                assert resp.status == 200
                assert (await resp.json())["response"]["allowed"] is True
            with pytest.raises(aiohttp.ClientConnectorCertificateError):
                await session.post(f"https://127.0.0.1:{server.port}{PATH_VALIDATE_CTB}", json={},
                                   ssl=ssl.create_default_context())
    finally:
        await server.stop()
