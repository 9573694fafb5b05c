"""ClusterTopologyBinding rules (spec §2.3), schema checks of the other Grove kinds, dispatch of
unknown and non-Grove kinds, and the shape of error lines and schema paths."""

from __future__ import annotations

from typing import Any

import pytest

from grove.api.validation import ErrorType, FieldError
from tests.builders import ctb, pcs
from tests.unit.api.validation._support import check, config, describe

LEVELS = (("zone", "k/zone"), ("rack", "k/rack"))


@pytest.mark.parametrize(("body", "path", "etype"), [
    (ctb(levels=(("zone", "k/zone"), ("zone", "k/other"))), "spec.levels[1].domain", ErrorType.DUPLICATE),
    (ctb(levels=(("zone", "k/zone"), ("rack", "k/zone"))), "spec.levels[1].key", ErrorType.DUPLICATE),
    (ctb(levels=()), "spec.levels", ErrorType.REQUIRED),
    (ctb(levels=(("Zone", "k/zone"),)), "spec.levels[0].domain", ErrorType.INVALID),
    (ctb(levels=(("zone", "bad key!"),)), "spec.levels[0].key", ErrorType.INVALID),
    (ctb(levels=LEVELS, bindings=[("kai-scheduler", "a"), ("kai-scheduler", "b")]),
     "spec.schedulerTopologyBindings[1].schedulerName", ErrorType.DUPLICATE),
    (ctb(levels=LEVELS, bindings=[("nope", "a")]), "spec.schedulerTopologyBindings[0].schedulerName",
     ErrorType.INVALID),
    (ctb(levels=LEVELS, bindings=[("volcano", "a")]), "spec.schedulerTopologyBindings[0].schedulerName",
     ErrorType.INVALID),
])
def test_cluster_topology_rules(body: Any, path: str, etype: ErrorType) -> None:
    report = check(body, extra=())
    assert any(e.path == path and e.type == etype for e in report.result.errors), describe(report)


def test_cluster_topology_valid_with_kai_binding() -> None:
    assert check(ctb(levels=LEVELS, bindings=[("kai-scheduler", "t")]), extra=()).ok


def test_kai_binding_needs_the_profile_enabled() -> None:
    report = check(ctb(levels=LEVELS, bindings=[("kai-scheduler", "t")]), extra=(),
                   cfg=config(profiles=("default-scheduler",), default="default-scheduler"))
    assert [str(e) for e in report.result.errors] == [
        'spec.schedulerTopologyBindings[0].schedulerName: Invalid value: "kai-scheduler": '
        "scheduler backend is not enabled in Grove"]


@pytest.mark.parametrize(("body", "path"), [
    ({"apiVersion": "grove.io/v1alpha1", "kind": "PodClique", "metadata": {"name": "p"},
      "spec": {"podSpec": {}, "replicas": "x"}}, "spec.replicas"),
    ({"apiVersion": "grove.io/v1alpha1", "kind": "PodCliqueScalingGroup", "metadata": {"name": "g"},
      "spec": {"replicas": 1}}, "spec.cliqueNames"),
    ({"apiVersion": "scheduler.grove.io/v1alpha1", "kind": "PodGang", "metadata": {"name": "g"},
      "spec": {"podgroups": [{"name": "a"}]}}, "spec.podgroups[0].minReplicas"),
    ({"apiVersion": "scheduler.grove.io/v1alpha1", "kind": "PodGang", "metadata": {"name": "Bad_Name"},
      "spec": {"podgroups": []}}, "metadata.name"),
])
def test_other_grove_kinds_schema(body: Any, path: str) -> None:
    report = check(body)
    assert path in report.result.paths(), describe(report)


def test_unknown_grove_kind_is_reported() -> None:
    report = check({"apiVersion": "grove.io/v1alpha1", "kind": "PodCliqueSett", "metadata": {"name": "x"}})
    assert not report.ok
    assert "Unknown kind" in str(report.result.errors[0])


@pytest.mark.parametrize("body", [
    {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1"}},
    {"apiVersion": "resource.k8s.io/v1", "kind": "ResourceClaimTemplate", "metadata": {"name": "t"}},
])
def test_non_grove_kinds_pass_through(body: Any) -> None:
    report = check(body)
    assert report.ok and report.status == "passthrough"
    assert report.wire == body


@pytest.mark.parametrize(("body", "path"), [
    ([1, 2], ""), ("text", ""), ({"kind": "PodCliqueSet"}, "apiVersion"), ({"apiVersion": "v1"}, "kind"),
])
def test_not_objects(body: Any, path: str) -> None:
    report = check(body)
    assert not report.ok and report.result.paths()[0] == path


def test_schema_paths_use_wire_names_and_map_keys() -> None:
    body = (pcs("x").label("app", 5).clique("a").set("spec.template.cliques[0].spec.podSpec", [])  # type: ignore[arg-type]
            .set("spec.template.cliqueStartupType", "Never").build())
    lines = [str(e) for e in check(body).result.errors]
    assert "metadata.labels[app]: Invalid value: 5: must be of type string" in lines
    assert "spec.template.cliques[0].spec.podSpec: Invalid value: []: must be of type object" in lines
    assert any(line.startswith("spec.template.cliqueStartupType: Unsupported value: \"Never\": supported values: "
                               "\"CliqueStartupTypeAnyOrder\"") for line in lines)


def test_field_error_lines() -> None:
    assert str(FieldError("a.b", ErrorType.REQUIRED)) == "a.b: Required value"
    assert str(FieldError("a", ErrorType.FORBIDDEN, "no")) == "a: Forbidden: no"
    assert str(FieldError("a", ErrorType.DUPLICATE, "", "x")) == 'a: Duplicate value: "x"'
    long = str(FieldError("a", ErrorType.INVALID, "bad", "y" * 1000))
    assert len(long) < 200 and long.endswith(": bad")


def test_validation_never_mutates_its_input() -> None:
    import copy

    body = pcs("x").clique("a", autoscaling={"maxReplicas": 3}).group("g", ["a"]).build()
    before = copy.deepcopy(body)
    report = check(body)
    assert body == before
    assert report.wire["spec"]["template"]["cliques"][0]["spec"]["podSpec"]["restartPolicy"] == "Always"
