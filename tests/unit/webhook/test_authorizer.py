"""Managed-resource protection (spec §2.4): every rule with its verdict, per user and parent state."""

from __future__ import annotations

from typing import Any

import pytest

from grove.webhook.authorizer import (
    PROTECTED,
    AuthorizerPolicy,
    AuthorizerRequest,
    authorize,
    is_protected,
    operator_username,
)

NS = "team-a"
OPERATOR = operator_username("grove-system", "grove-operator")
EXEMPT = "system:serviceaccount:ci:deployer"
ALICE = "alice@example.com"
POLICY = AuthorizerPolicy.build(OPERATOR, [EXEMPT])
MANAGED = {"app.kubernetes.io/managed-by": "grove-operator", "app.kubernetes.io/part-of": "serve"}

# (group, resource, kind, apiVersion) for every resource the rules name.
RESOURCES = [
    ("", "secrets", "Secret", "v1"),
    ("", "serviceaccounts", "ServiceAccount", "v1"),
    ("", "services", "Service", "v1"),
    ("rbac.authorization.k8s.io", "roles", "Role", "rbac.authorization.k8s.io/v1"),
    ("rbac.authorization.k8s.io", "rolebindings", "RoleBinding", "rbac.authorization.k8s.io/v1"),
    ("autoscaling", "horizontalpodautoscalers", "HorizontalPodAutoscaler", "autoscaling/v2"),
    ("", "pods", "Pod", "v1"),
    ("grove.io", "podcliques", "PodClique", "grove.io/v1alpha1"),
    ("grove.io", "podcliquescalinggroups", "PodCliqueScalingGroup", "grove.io/v1alpha1"),
    ("scheduler.grove.io", "podgangs", "PodGang", "scheduler.grove.io/v1alpha1"),
]
# The §2.4 rule table: which operations are protected per resource.
RULES = {
    "secrets": {"UPDATE", "DELETE"}, "serviceaccounts": {"UPDATE", "DELETE"}, "services": {"UPDATE", "DELETE"},
    "roles": {"UPDATE", "DELETE"}, "rolebindings": {"UPDATE", "DELETE"},
    "horizontalpodautoscalers": {"UPDATE", "DELETE"}, "pods": {"UPDATE"},
    "podcliques": {"CREATE", "UPDATE", "DELETE"}, "podcliquescalinggroups": {"CREATE", "UPDATE", "DELETE"},
    "podgangs": {"CREATE", "UPDATE", "DELETE"},
}
OPERATIONS = ("CREATE", "UPDATE", "DELETE")


def obj(kind: str, api_version: str, labels: dict[str, str] | None = None) -> dict[str, Any]:
    return {"apiVersion": api_version, "kind": kind,
            "metadata": {"name": "serve-0-frontend", "namespace": NS, "labels": dict(MANAGED if labels is None
                                                                                    else labels)}}


def request(group: str, resource: str, kind: str, api_version: str, operation: str, *, user: str = ALICE,
            labels: dict[str, str] | None = None, old_labels: dict[str, str] | None = None,
            subresource: str = "") -> AuthorizerRequest:
    new = obj(kind, api_version, labels) if operation != "DELETE" else None
    old = obj(kind, api_version, old_labels if old_labels is not None else labels) \
        if operation in ("UPDATE", "DELETE") else None
    return AuthorizerRequest(operation=operation, group=group, resource=resource, namespace=NS,
                             name="serve-0-frontend", subresource=subresource, object=new, old_object=old,
                             username=user, groups=("system:authenticated",))


def parents(*pcs: dict[str, Any]) -> Any:
    by_key = {(p["metadata"]["namespace"], p["metadata"]["name"]): p for p in pcs}
    calls: list[tuple[str, str]] = []

    async def lookup(namespace: str, name: str) -> dict[str, Any] | None:
        calls.append((namespace, name))
        return by_key.get((namespace, name))
    lookup.calls = calls  # type: ignore[attr-defined]
    return lookup


def pcs(name: str = "serve", *, disabled: str | None = None) -> dict[str, Any]:
    annotations = {} if disabled is None else {"grove.io/disable-managed-resource-protection": disabled}
    return {"apiVersion": "grove.io/v1alpha1", "kind": "PodCliqueSet",
            "metadata": {"name": name, "namespace": NS, "annotations": annotations}}


def test_rule_table_matches_spec() -> None:
    assert {res: set(ops) for (_g, res), ops in PROTECTED.items()} == RULES
    assert {(g, r) for g, r, _k, _v in RESOURCES} == set(PROTECTED)


CASES = [(g, r, k, v, op) for g, r, k, v in RESOURCES for op in OPERATIONS]


@pytest.mark.parametrize(("group", "resource", "kind", "api_version", "operation"), CASES,
                         ids=[f"{r}-{op}" for _g, r, _k, _v, op in CASES])
async def test_every_rule_protects_only_its_operations(group: str, resource: str, kind: str, api_version: str,
                                                      operation: str) -> None:
    """A user is denied exactly on the §2.4 rules (pod DELETE excepted); the operator and exempt users never."""
    lookup = parents(pcs())
    expect_denied = operation in RULES[resource] and not (resource == "pods" and operation == "DELETE")
    verdict = await authorize(request(group, resource, kind, api_version, operation), POLICY, lookup)
    assert verdict.allowed is not expect_denied, verdict.message
    if expect_denied:
        assert ALICE in verdict.message and "team-a/serve" in verdict.message
        assert "grove.io/disable-managed-resource-protection" in verdict.message
    for user in (OPERATOR, EXEMPT):
        assert (await authorize(request(group, resource, kind, api_version, operation, user=user),
                                POLICY, lookup)).allowed


@pytest.mark.parametrize(("group", "resource", "kind", "api_version"), [r for r in RESOURCES],
                         ids=[r[1] for r in RESOURCES])
@pytest.mark.parametrize(("annotation", "allowed"), [("true", True), ("false", False), ("True", False),
                                                     (None, False)])
async def test_disable_annotation_must_be_exactly_true(group: str, resource: str, kind: str, api_version: str,
                                                       annotation: str | None, allowed: bool) -> None:
    verdict = await authorize(request(group, resource, kind, api_version, "UPDATE"), POLICY,
                              parents(pcs(disabled=annotation)))
    assert verdict.allowed is allowed and not verdict.warnings


@pytest.mark.parametrize("labels", [{"app.kubernetes.io/managed-by": "grove-operator"},
                                    {**MANAGED, "app.kubernetes.io/part-of": "gone"}],
                         ids=["no-part-of-label", "parent-not-found"])
async def test_unknown_parent_is_allowed_with_a_warning(labels: dict[str, str]) -> None:
    verdict = await authorize(request("grove.io", "podcliques", "PodClique", "grove.io/v1alpha1", "DELETE",
                                      labels=labels), POLICY, parents(pcs()))
    assert verdict.allowed and len(verdict.warnings) == 1
    assert "app.kubernetes.io/part-of" in verdict.warnings[0] and "podcliques.grove.io team-a/serve-0-frontend" \
        in verdict.warnings[0]


async def test_object_selector_only_covers_grove_managed_objects() -> None:
    lookup = parents(pcs())
    foreign = {"app.kubernetes.io/managed-by": "helm", "app.kubernetes.io/part-of": "serve"}
    verdict = await authorize(request("", "services", "Service", "v1", "UPDATE", labels=foreign), POLICY, lookup)
    assert verdict.allowed and not verdict.warnings and lookup.calls == []


async def test_update_that_strips_the_labels_is_judged_on_the_old_object() -> None:
    req = request("", "services", "Service", "v1", "UPDATE", labels={}, old_labels=MANAGED)
    assert is_protected(req)
    assert not (await authorize(req, POLICY, parents(pcs()))).allowed


async def test_subresources_are_not_covered() -> None:
    req = request("", "pods", "Pod", "v1", "UPDATE", subresource="status")
    assert (await authorize(req, POLICY, parents(pcs()))).allowed


async def test_groups_grant_nothing_and_anonymous_is_denied() -> None:
    req = request("grove.io", "podcliques", "PodClique", "grove.io/v1alpha1", "CREATE", user="")
    req = AuthorizerRequest(**{**req.__dict__, "groups": ("system:masters",)})
    assert not (await authorize(req, POLICY, parents(pcs()))).allowed
    assert not AuthorizerPolicy.build("").may_mutate("")


async def test_operator_and_pod_delete_never_look_the_parent_up() -> None:
    lookup = parents(pcs())
    await authorize(request("", "pods", "Pod", "v1", "DELETE"), POLICY, lookup)
    await authorize(request("", "services", "Service", "v1", "DELETE", user=OPERATOR), POLICY, lookup)
    assert lookup.calls == []
    await authorize(request("", "services", "Service", "v1", "DELETE"), POLICY, lookup)
    assert lookup.calls == [(NS, "serve")]


def test_from_admission_reads_the_review_request() -> None:
    req = AuthorizerRequest.from_admission({
        "uid": "u", "operation": "DELETE", "namespace": NS, "name": "x", "subResource": "",
        "kind": {"group": "", "version": "v1", "kind": "Service"},
        "resource": {"group": "", "version": "v1", "resource": "services"},
        "userInfo": {"username": ALICE, "groups": ["a", "b"]}, "object": None, "oldObject": obj("Service", "v1")})
    assert (req.operation, req.group, req.resource, req.username, req.groups) == \
        ("DELETE", "", "services", ALICE, ("a", "b"))
    assert req.object is None and req.parent_name() == "serve" and req.managed_by_grove()
    by_kind = AuthorizerRequest.from_admission({"operation": "UPDATE",
                                                "kind": {"group": "grove.io", "kind": "PodClique"}})
    assert (by_kind.group, by_kind.resource) == ("grove.io", "podcliques")
