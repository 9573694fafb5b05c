"""grove.kube.rbac against the behaviour of kube-apiserver's RBAC: the escalation check (``Covers``) and
the authorizer (``RuleAllows``), one table row per rule of upstream's comparator. The same COVERS table is
replayed on the real API server by tests/e2e/test_rbac_escalation.py, which is what makes "exact" a claim
and not a hope."""

from __future__ import annotations

from typing import Any

import pytest

from grove.kube.rbac import (
    PolicyRule,
    Request,
    allows,
    compact_string,
    covers,
    grant_refusal,
    missing_descriptions,
    rules_of,
    uncovered,
)


def rule(groups: list[str] | None = None, resources: list[str] | None = None, verbs: list[str] | None = None,
         names: list[str] | None = None, urls: list[str] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"verbs": verbs or []}
    if groups is not None:
        body["apiGroups"] = groups
    if resources is not None:
        body["resources"] = resources
    if names:
        body["resourceNames"] = names
    if urls:
        body["nonResourceURLs"] = urls
    return body


READ = ["get", "list", "watch"]

# id: (owner rules, servant rules, the server's missing-permission lines; [] = covered)
COVERS: dict[str, tuple[list[dict[str, Any]], list[dict[str, Any]], list[str]]] = {
    "exact": ([rule([""], ["pods"], READ)], [rule([""], ["pods"], READ)], []),
    "subset of verbs": ([rule([""], ["pods"], [*READ, "delete"])], [rule([""], ["pods"], ["get"])], []),
    "missing verbs are listed compacted": (
        [rule([""], ["pods/status"], ["patch", "update"])], [rule([""], ["pods/status"], READ)],
        ['{APIGroups:[""], Resources:["pods/status"], Verbs:["get" "list" "watch"]}']),
    "the operator's old pods/status rule vs its per-PCS Role": (
        [rule([""], ["pods"], READ), rule([""], ["pods/status"], ["patch", "update"])],
        [rule([""], ["pods", "pods/status"], READ)],
        ['{APIGroups:[""], Resources:["pods/status"], Verbs:["get" "list" "watch"]}']),
    "every combination, split over owner rules": (
        [rule([""], ["pods"], ["get"]), rule([""], ["pods/status"], ["get"]),
         rule(["apps"], ["deployments"], ["get"])],
        [rule(["", "apps"], ["pods", "deployments"], ["get"])],
        ['{APIGroups:[""], Resources:["deployments"], Verbs:["get"]}',
         '{APIGroups:["apps"], Resources:["pods"], Verbs:["get"]}']),
    "owner verb star": ([rule([""], ["pods"], ["*"])], [rule([""], ["pods"], ["get", "escalate"])], []),
    "servant verb star needs a literal star": (
        [rule([""], ["pods"], ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"])],
        [rule([""], ["pods"], ["*"])], ['{APIGroups:[""], Resources:["pods"], Verbs:["*"]}']),
    "owner group star": ([rule(["*"], ["pods"], ["get"])], [rule(["", "apps"], ["pods"], ["get"])], []),
    "servant group star needs a literal star": (
        [rule(["", "apps"], ["pods"], ["get"])], [rule(["*"], ["pods"], ["get"])],
        ['{APIGroups:["*"], Resources:["pods"], Verbs:["get"]}']),
    "owner resource star covers subresources": (
        [rule([""], ["*"], ["get"])], [rule([""], ["pods", "pods/status", "*/scale"], ["get"])], []),
    "owner */status covers pods/status": ([rule([""], ["*/status"], ["get"])], [rule([""], ["pods/status"], ["get"])],
                                          []),
    "owner */status does not cover pods": ([rule([""], ["*/status"], ["get"])], [rule([""], ["pods"], ["get"])],
                                           ['{APIGroups:[""], Resources:["pods"], Verbs:["get"]}']),
    "owner pods does not cover pods/status": (
        [rule([""], ["pods"], ["get"])], [rule([""], ["pods/status"], ["get"])],
        ['{APIGroups:[""], Resources:["pods/status"], Verbs:["get"]}']),
    "owner pods/status does not cover pods": (
        [rule([""], ["pods/status"], ["get"])], [rule([""], ["pods"], ["get"])],
        ['{APIGroups:[""], Resources:["pods"], Verbs:["get"]}']),
    "owner pods/* is no wildcard for pods/status": (
        [rule([""], ["pods/*"], ["get"])], [rule([""], ["pods/status"], ["get"])],
        ['{APIGroups:[""], Resources:["pods/status"], Verbs:["get"]}']),
    "servant */scale: covered by */scale": ([rule(["apps"], ["*/scale"], ["get"])],
                                            [rule(["apps"], ["*/scale"], ["get"])], []),
    "servant */scale: not by one resource's scale": (
        [rule(["apps"], ["deployments/scale"], ["get"])], [rule(["apps"], ["*/scale"], ["get"])],
        ['{APIGroups:["apps"], Resources:["*/scale"], Verbs:["get"]}']),
    "servant pods/* is covered by */*": ([rule([""], ["*/*"], ["get"])], [rule([""], ["pods/*"], ["get"])], []),
    "owner names cover a subset of names": (
        [rule(["coordination.k8s.io"], ["leases"], ["get", "update"], names=["a", "b"])],
        [rule(["coordination.k8s.io"], ["leases"], ["update"], names=["b"])], []),
    "owner names do not cover other names": (
        [rule(["coordination.k8s.io"], ["leases"], ["get"], names=["a"])],
        [rule(["coordination.k8s.io"], ["leases"], ["get"], names=["a", "c"])],
        ['{APIGroups:["coordination.k8s.io"], Resources:["leases"], ResourceNames:["c"], Verbs:["get"]}']),
    "owner names do not cover an unnamed servant": (
        [rule(["coordination.k8s.io"], ["leases"], ["get"], names=["a"])],
        [rule(["coordination.k8s.io"], ["leases"], ["get"])],
        ['{APIGroups:["coordination.k8s.io"], Resources:["leases"], Verbs:["get"]}']),
    "an unnamed owner covers named servants": (
        [rule(["coordination.k8s.io"], ["leases"], ["get"])],
        [rule(["coordination.k8s.io"], ["leases"], ["get"], names=["a", "b"])], []),
    # URLs outside what bootstrap roles give every authenticated user (/api*, /healthz, /version...), so the
    # real server (which adds those) judges these rows the same way
    "non-resource URL exact": ([rule(verbs=["get"], urls=["/metrics"])], [rule(verbs=["get"], urls=["/metrics"])], []),
    "non-resource URL prefix star": ([rule(verbs=["get"], urls=["/metrics*"])],
                                     [rule(verbs=["get"], urls=["/metrics", "/metrics/slis"])], []),
    "non-resource URL star": ([rule(verbs=["*"], urls=["*"])], [rule(verbs=["get", "post"], urls=["/logs"])], []),
    "non-resource URL is no prefix without a star": (
        [rule(verbs=["get"], urls=["/logs"])], [rule(verbs=["get"], urls=["/logs/x"])],
        ['{NonResourceURLs:["/logs/x"], Verbs:["get"]}']),
    "resource rules do not grant URLs": ([rule([""], ["*"], ["*"])], [rule(verbs=["get"], urls=["/metrics"])],
                                         ['{NonResourceURLs:["/metrics"], Verbs:["get"]}']),
}


@pytest.mark.parametrize("case", COVERS, ids=list(COVERS))
def test_covers_table(case: str) -> None:
    owner_bodies, servant_bodies, missing = COVERS[case]
    owner = [PolicyRule.of(b) for b in owner_bodies]
    servant = [PolicyRule.of(b) for b in servant_bodies]
    assert missing_descriptions(owner, servant) == missing
    assert covers(owner, servant) is (not missing)


def test_escalate_on_the_role_resource_skips_the_check() -> None:
    """RoleEscalationAuthorized: ``escalate`` on roles (here via ``*`` verbs) lets any rules through, for
    that resource only; the other rows of the table hold no escalate."""
    anything = [PolicyRule.of(rule(verbs=["get"], urls=["/metrics"])), PolicyRule.of(rule(["*"], ["*"], ["*"]))]
    star = [PolicyRule.of(rule(["*"], ["*"], ["*"]))]
    assert grant_refusal(star, anything, resource="clusterroles") == []
    scoped = [PolicyRule.of(rule(["rbac.authorization.k8s.io"], ["roles"], ["create", "escalate"]))]
    assert grant_refusal(scoped, anything, resource="roles", namespace="ns") == []
    assert grant_refusal(scoped, anything, resource="clusterroles") == missing_descriptions(scoped, anything)
    named = [PolicyRule.of(rule(["rbac.authorization.k8s.io"], ["roles"], ["escalate"], names=["r"]))]
    assert grant_refusal(named, anything, resource="roles", namespace="ns") != [], "a create carries no name"
    for case, (owner, servant, missing) in COVERS.items():
        assert grant_refusal(rules_of(owner), rules_of(servant), resource="clusterroles") == missing, case


def test_a_rule_without_resources_or_groups_requires_nothing() -> None:
    """BreakdownRule yields no sub-rule (the server stores such a rule and grants nothing with it)."""
    assert covers([], [PolicyRule(("get",), ("",), ())]) and covers([], [PolicyRule(("get",), (), ("pods",))])
    assert not covers([], [PolicyRule(("get",), ("",), ("pods",))])


def test_uncovered_lists_atomic_rules() -> None:
    owner = [PolicyRule.of(rule([""], ["pods"], ["get"]))]
    missing = uncovered(owner, [PolicyRule.of(rule([""], ["pods", "services"], ["get", "list"], names=["x"]))])
    assert [compact_string(r) for r in missing] == [
        '{APIGroups:[""], Resources:["pods"], ResourceNames:["x"], Verbs:["list"]}',
        '{APIGroups:[""], Resources:["services"], ResourceNames:["x"], Verbs:["get"]}',
        '{APIGroups:[""], Resources:["services"], ResourceNames:["x"], Verbs:["list"]}']


def test_wire_form_round_trips_and_bad_input_names_the_field() -> None:
    body = {"apiGroups": [""], "resources": ["pods"], "resourceNames": ["a"], "verbs": ["get"]}
    assert PolicyRule.of(body).to_dict() == body
    with pytest.raises(ValueError, match=r"PolicyRule.verbs: must be a list of strings"):
        PolicyRule.of({"verbs": "get"})


ALLOWS: dict[str, tuple[dict[str, Any], Request, bool]] = {
    "get pods": (rule([""], ["pods"], ["get"]), Request("get", "", "pods", name="p"), True),
    "other verb": (rule([""], ["pods"], ["get"]), Request("list", "", "pods"), False),
    "other group": (rule(["apps"], ["pods"], ["get"]), Request("get", "", "pods", name="p"), False),
    "group star": (rule(["*"], ["pods"], ["get"]), Request("get", "", "pods", name="p"), True),
    "verb star": (rule([""], ["pods"], ["*"]), Request("deletecollection", "", "pods"), True),
    "pods does not allow pods/status": (rule([""], ["pods"], ["get"]), Request("get", "", "pods", "status", "p"),
                                        False),
    "pods/status": (rule([""], ["pods/status"], ["patch"]), Request("patch", "", "pods", "status", "p"), True),
    "*/status allows pods/status": (rule([""], ["*/status"], ["get"]), Request("get", "", "pods", "status", "p"), True),
    "*/status does not allow pods": (rule([""], ["*/status"], ["get"]), Request("get", "", "pods", name="p"), False),
    "*/scale does not allow pods/status": (rule([""], ["*/scale"], ["get"]),
                                           Request("get", "", "pods", "status", "p"), False),
    "resource star": (rule([""], ["*"], ["create"]), Request("create", "", "pods", "binding", "p"), True),
    "pods/* is no wildcard": (rule([""], ["pods/*"], ["get"]), Request("get", "", "pods", "status", "p"), False),
    "named get": (rule([""], ["secrets"], ["get"], names=["cert"]), Request("get", "", "secrets", name="cert"), True),
    "other name": (rule([""], ["secrets"], ["get"], names=["cert"]), Request("get", "", "secrets", name="x"), False),
    "names never allow create": (rule([""], ["secrets"], ["create"], names=["cert"]),
                                 Request("create", "", "secrets", namespace="ns"), False),
    "names never allow an unnamed list": (rule([""], ["secrets"], ["list"], names=["cert"]),
                                          Request("list", "", "secrets", namespace="ns"), False),
    "names allow a metadata.name watch": (rule([""], ["secrets"], ["watch"], names=["cert"]),
                                          Request("watch", "", "secrets", name="cert", namespace="ns"), True),
    "url": (rule(verbs=["get"], urls=["/healthz"]), Request("get", path="/healthz"), True),
    "url prefix": (rule(verbs=["get"], urls=["/apis/*"]), Request("get", path="/apis/grove.io"), True),
    "url star": (rule(verbs=["get"], urls=["*"]), Request("get", path="/version"), True),
    "resource rule does not allow a url": (rule(["*"], ["*"], ["*"]), Request("get", path="/healthz"), False),
    "url rule does not allow a resource": (rule(verbs=["*"], urls=["*"]), Request("get", "", "pods", name="p"), False),
}


@pytest.mark.parametrize("case", ALLOWS, ids=list(ALLOWS))
def test_allows_table(case: str) -> None:
    body, req, expected = ALLOWS[case]
    assert allows([PolicyRule.of(body)], req) is expected


def test_request_describes_itself() -> None:
    assert str(Request("patch", "", "pods", "status", "p", "ns")) == "patch pods/status.core 'p' in namespace ns"
    assert str(Request("get", "apiextensions.k8s.io", "customresourcedefinitions", name="x")) == \
        "get customresourcedefinitions.apiextensions.k8s.io 'x' (cluster scope)"
