"""The CEL rules of spec §2.2 on TopologyConstraint, evaluated with cel-python.

cel-python parses and evaluates the rules; Kubernetes' optional ``oldSelf`` (``hasValue()``,
``value()``) is bound by ``openapi.py``. A real kube-apiserver additionally type-checks and
cost-estimates them when the CRD is created; that is covered by the e2e suite.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from grove.api.crds import crd_for

from .openapi import cel_holds, validate

SCHEMA = crd_for("pcs")["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
TEMPLATE = SCHEMA["properties"]["spec"]["properties"]["template"]
CONSTRAINT = TEMPLATE["properties"]["topologyConstraint"]
PACK = CONSTRAINT["properties"]["pack"]


def constraint_ok(new: dict[str, Any], old: dict[str, Any] | None = None) -> bool:
    return validate(new, CONSTRAINT, "c", old) == []


@pytest.mark.parametrize(("new", "old", "ok"), [
    # create
    ({"pack": {"required": "rack"}}, None, True),
    ({"topologyName": "t", "pack": {"preferred": "host"}}, None, True),
    ({"pack": {"required": "block", "preferred": "rack"}}, None, True),
    ({}, None, False),                                             # needs pack or packDomain
    ({"topologyName": "t"}, None, False),
    ({"pack": {}}, None, False),                                   # pack needs required or preferred
    ({"packDomain": "rack"}, None, False),                         # packDomain forbidden on create
    ({"pack": {"required": "rack"}, "packDomain": "rack"}, None, False),
    # update of a legacy object
    ({"packDomain": "rack"}, {"packDomain": "rack"}, True),       # kept as it was
    ({"packDomain": "rack", "topologyName": "t"}, {"packDomain": "rack"}, True),  # (a) add topologyName
    ({"pack": {"required": "rack"}}, {"packDomain": "rack"}, True),  # (b) move to pack.required
    ({"pack": {"preferred": "host"}, "packDomain": "rack"}, {"packDomain": "rack"}, True),
    ({"pack": {"required": "rack"}, "packDomain": "rack"}, {"packDomain": "rack"}, False),  # both
    ({"packDomain": "rack"}, {"pack": {"required": "rack"}}, False),  # newly set on update
])
def test_topology_constraint_rules(new: dict[str, Any], old: dict[str, Any] | None, ok: bool) -> None:
    assert constraint_ok(new, old) is ok


def test_each_rule_fails_for_its_own_reason() -> None:
    rules = {r["message"]: r for r in CONSTRAINT["x-kubernetes-validations"]}
    assert len(rules) == 3

    def holds(message_start: str, value: dict[str, Any], old: dict[str, Any] | None = None) -> bool:
        [rule] = [r for m, r in rules.items() if m.startswith(message_start)]
        return cel_holds(rule["rule"], value, old, optional_old_self=bool(rule.get("optionalOldSelf")))

    assert not holds("topologyConstraint must specify pack", {"topologyName": "t"})
    assert holds("topologyConstraint must specify pack", {"packDomain": "x"})
    assert holds("topologyConstraint must specify pack", {"topologyName": "t", "spreadConstraints": [{"domain": "zone"}]})
    assert not holds("must not set both pack.required", {"pack": {"required": "a"}, "packDomain": "a"})
    assert holds("must not set both pack.required", {"pack": {"preferred": "a"}, "packDomain": "a"})
    assert not holds("packDomain is deprecated", {"packDomain": "a"})
    assert holds("packDomain is deprecated", {"packDomain": "a"}, {"packDomain": "b"})
    assert holds("packDomain is deprecated", {"pack": {"required": "a"}})
    [pack_rule] = PACK["x-kubernetes-validations"]
    assert cel_holds(pack_rule["rule"], {"preferred": "x"}) and not cel_holds(pack_rule["rule"], {})


def test_only_the_transition_rule_uses_old_self_and_it_also_runs_on_create() -> None:
    transition = [r for r in CONSTRAINT["x-kubernetes-validations"] if "oldSelf" in r["rule"]]
    assert [r.get("optionalOldSelf") for r in transition] == [True]
    assert [r.get("fieldPath") for r in transition] == [".packDomain"]


def test_same_rules_on_every_pcs_topology_constraint() -> None:
    clique = TEMPLATE["properties"]["cliques"]["items"]["properties"]["topologyConstraint"]
    pcsg = TEMPLATE["properties"]["podCliqueScalingGroups"]["items"]["properties"]["topologyConstraint"]
    assert clique == pcsg == CONSTRAINT


def _pcs_with_clique_constraint(constraint: dict[str, Any]) -> dict[str, Any]:
    clique = {"name": "w", "topologyConstraint": constraint,
              "spec": {"roleName": "w", "replicas": 1, "podSpec": {"containers": [{"name": "w"}]}}}
    return {"apiVersion": "grove.io/v1alpha1", "kind": "PodCliqueSet", "metadata": {"name": "x"},
            "spec": {"template": {"cliques": [clique]}}}


def test_old_clique_is_matched_by_name_through_the_list_map() -> None:
    legacy = _pcs_with_clique_constraint({"packDomain": "rack"})
    assert any("cannot be used on new workloads" in e for e in validate(legacy, SCHEMA))
    assert validate(legacy, SCHEMA, old=legacy) == []
    renamed = copy.deepcopy(legacy)
    renamed["spec"]["template"]["cliques"][0]["name"] = "other"
    assert any("cannot be used on new workloads" in e for e in validate(renamed, SCHEMA, old=legacy))
