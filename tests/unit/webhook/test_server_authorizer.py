"""The authorizer webhook over AdmissionReview v1 (spec §2, §2.4): served only when enabled, the parent
PodCliqueSet read through the KubeClient, 403 denials, warnings for unknown parents, 500 on read errors."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from grove.api.models.config import AuthorizerConfig, OperatorConfiguration
from grove.kube.errors import Unauthorized
from grove.operator.process import operator_service_account
from grove.webhook.authorizer import operator_username
from grove.webhook.server import PATH_AUTHORIZER, AdmissionHandlers, ApiServerLookup, webhook_app
from tests.unit.webhook.fakes import FakeKube

NS = "team-a"
OPERATOR = operator_username("grove-system", "grove-operator")
EXEMPT = "system:serviceaccount:ci:deployer"
ENABLED = OperatorConfiguration(authorizer=AuthorizerConfig(enabled=True, exempt_service_account_user_names=[EXEMPT]))


def parent(annotations: dict[str, str] | None = None) -> dict[str, Any]:
    return {"apiVersion": "grove.io/v1alpha1", "kind": "PodCliqueSet",
            "metadata": {"name": "serve", "namespace": NS, "annotations": annotations or {}}}


def service_review(user: str, *, operation: str = "UPDATE", part_of: str = "serve") -> dict[str, Any]:
    svc = {"apiVersion": "v1", "kind": "Service",
           "metadata": {"name": "serve-0", "namespace": NS,
                        "labels": {"app.kubernetes.io/managed-by": "grove-operator",
                                   "app.kubernetes.io/part-of": part_of}}}
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {
        "uid": "u-7", "operation": operation, "namespace": NS, "name": "serve-0",
        "kind": {"group": "", "version": "v1", "kind": "Service"},
        "resource": {"group": "", "version": "v1", "resource": "services"},
        "userInfo": {"username": user, "groups": ["system:authenticated"]},
        "object": svc if operation != "DELETE" else None, "oldObject": svc}}


async def client_for(kube: FakeKube, config: OperatorConfiguration = ENABLED) -> TestClient:
    handlers = AdmissionHandlers(config, ApiServerLookup(kube, config), operator_user=OPERATOR)
    client = TestClient(TestServer(webhook_app(handlers)))
    await client.start_server()
    return client


async def answer(kube: FakeKube, body: dict[str, Any]) -> dict[str, Any]:
    client = await client_for(kube)
    try:
        resp = await client.post(PATH_AUTHORIZER, json=body)
        assert resp.status == 200, await resp.text()
        review: dict[str, Any] = await resp.json()
    finally:
        await client.close()
    assert review["kind"] == "AdmissionReview" and review["response"]["uid"] == "u-7"
    return review["response"]  # type: ignore[no-any-return]


async def test_not_served_unless_enabled() -> None:
    client = await client_for(FakeKube(parent()), OperatorConfiguration())
    try:
        assert (await client.post(PATH_AUTHORIZER, json=service_review("alice"))).status == 404
    finally:
        await client.close()


async def test_user_edit_of_a_managed_service_is_forbidden() -> None:
    resp = await answer(FakeKube(parent()), service_review("alice"))
    assert resp["allowed"] is False
    assert (resp["status"]["code"], resp["status"]["reason"]) == (403, "Forbidden")
    assert "alice" in resp["status"]["message"] and "team-a/serve" in resp["status"]["message"]


@pytest.mark.parametrize("user", [OPERATOR, EXEMPT], ids=["operator", "exempt-from-config"])
async def test_operator_and_exempt_users_are_allowed(user: str) -> None:
    resp = await answer(FakeKube(parent()), service_review(user, operation="DELETE"))
    assert resp == {"allowed": True, "uid": "u-7"}


async def test_protection_disabled_on_the_parent_allows() -> None:
    kube = FakeKube(parent({"grove.io/disable-managed-resource-protection": "true"}))
    assert (await answer(kube, service_review("alice")))["allowed"] is True


async def test_missing_parent_allows_with_a_warning() -> None:
    resp = await answer(FakeKube(parent()), service_review("alice", part_of="deleted-pcs"))
    assert resp["allowed"] is True
    (warning,) = resp["warnings"]
    assert "team-a/deleted-pcs" in warning


class BrokenKube(FakeKube):
    async def get(self, *a: Any, **k: Any) -> Any:
        raise Unauthorized("no token")


async def test_unreadable_parent_denies_with_500() -> None:
    resp = await answer(BrokenKube(), service_review("alice"))
    assert resp["allowed"] is False and resp["status"]["code"] == 500


def test_operator_service_account_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GROVE_OPERATOR_SERVICE_ACCOUNT_NAME", "my-grove")
    assert operator_service_account() == "my-grove"
    monkeypatch.delenv("GROVE_OPERATOR_SERVICE_ACCOUNT_NAME")
    assert operator_service_account() == "grove-operator"
