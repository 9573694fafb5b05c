"""The chart lets the operator create every Role it plans: kube-apiserver refuses a Role (and a RoleBinding,
unless the creator may ``bind``) granting anything its creator does not hold, with "attempting to grant
RBAC permissions not currently held". Computed from the planners for every PodCliqueSet we ship or replay
from upstream, against the chart as rendered with every operator feature flag (the rendered ClusterRole
could depend on values even where the planned Roles do not)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from grove.api.models.core import PodCliqueSet
from grove.api.validation import parse_model
from grove.controllers.podcliqueset.plan_children import ChildrenPlan, plan_children
from grove.kube.rbac import grant_refusal, missing_descriptions, rules_of
from grove.webhook.admission import default_podcliqueset_object
from tests.rbac_support import FLAGS, grants_of, podcliquesets, render_chart

Obj = dict[str, Any]
RBAC_KINDS = ("Role", "ClusterRole")


def planned_objects(plan: ChildrenPlan) -> list[Obj]:
    """Every object of a plan, whatever field it sits in (so a new field carrying a Role is not missed)."""
    out: list[Obj] = []
    for f in dataclasses.fields(plan):
        value = getattr(plan, f.name)
        out.extend(value if isinstance(value, list) else [value])
    return out


def planned_rbac() -> list[tuple[str, Obj]]:
    """(where, Role or ClusterRole) the operator creates for each admissible PodCliqueSet, as stored (defaulted)."""
    out: list[tuple[str, Obj]] = []
    for where, body in podcliquesets():
        pcs, _errors = parse_model(PodCliqueSet, default_podcliqueset_object(body).object or body)
        if pcs is None:  # the API server rejects it: no PodCliqueSet, no Role
            continue
        plan = plan_children(pcs)
        roles = [o for o in planned_objects(plan) if o.get("kind") in RBAC_KINDS]
        assert plan.role_binding["roleRef"]["name"] == plan.role["metadata"]["name"], where
        out.extend((where, r) for r in roles)
    return out


PLANNED = planned_rbac()


def test_every_manifest_plans_its_role() -> None:
    wheres = {w.rsplit(":", 1)[0] for w, _ in PLANNED}
    assert len(PLANNED) >= 60, f"only {len(PLANNED)} Roles planned"
    assert any(w.startswith("grove/examples") for w in wheres) and any(w.startswith("e2e/") for w in wheres)
    assert all(r["kind"] == "Role" and r["rules"] for _, r in PLANNED)


@pytest.mark.parametrize("flag", FLAGS, ids=list(FLAGS))
def test_chart_covers_every_planned_role(flag: str) -> None:
    grants = grants_of(render_chart(FLAGS[flag]), "operator")
    problems = []
    for where, role in PLANNED:
        # a Role is checked against what the creator holds in the Role's namespace (ClusterRole: cluster-wide)
        namespace = role["metadata"].get("namespace") if role["kind"] == "Role" else None
        missing = grant_refusal(grants.rules_in(namespace), rules_of(role["rules"]),
                                resource="roles" if namespace else "clusterroles", namespace=namespace or "")
        if missing:
            problems.append(f"{where}: {role['kind']}/{role['metadata']['name']}: " + "; ".join(missing))
    assert not problems, (f"{grants.subject} ({', '.join(grants.sources)}) is attempting to grant RBAC permissions "
                          f"not currently held, with {flag}:\n" + "\n".join(problems[:5]))


def test_the_old_pods_status_rule_is_refused_as_the_server_refuses_it() -> None:
    """The reproduction of the shipped bug: the chart's ClusterRole without get/list/watch on pods/status."""
    grants = grants_of(render_chart(), "operator")
    old = [r if r.resources != ("pods/status",) else dataclasses.replace(r, verbs=("patch", "update"))
           for r in grants.cluster]
    assert any(r.resources == ("pods/status",) for r in grants.cluster)
    _, role = PLANNED[0]
    assert missing_descriptions(old, rules_of(role["rules"])) == [
        '{APIGroups:[""], Resources:["pods/status"], Verbs:["get" "list" "watch"]}']
