"""Table tests for every PodCliqueSet CREATE rule of spec §2.2: each case breaks one rule and must be
rejected with an error at exactly the named path (and the right error type); the base is valid."""

from __future__ import annotations

from typing import Any

import pytest

from grove.api.validation import ErrorType
from tests.builders import container, pcs, sharing
from tests.unit.api.validation._support import check, describe, error_at

R, INV, F, D, NS, NF = (ErrorType.REQUIRED, ErrorType.INVALID, ErrorType.FORBIDDEN, ErrorType.DUPLICATE,
                      ErrorType.NOT_SUPPORTED, ErrorType.NOT_FOUND)
C0 = "spec.template.cliques[0]"
C1 = "spec.template.cliques[1]"
G0 = "spec.template.podCliqueScalingGroups[0]"


def base() -> Any:
    return pcs("x").clique("a", replicas=2).clique("b", replicas=1)


def explicit(*deps: tuple[str, list[str]]) -> Any:
    b = pcs("x").startup("Explicit")
    for name, after in deps:
        b.clique(name, starts_after=after)
    return b


CASES: list[tuple[str, Any, str, ErrorType]] = [
    # metadata
    ("name not DNS subdomain", base().set("metadata.name", "Bad_Name"), "metadata.name", INV),
    ("name missing", base().delete("metadata.name"), "metadata.name", R),
    ("bad label value", base().label("app", "has space"), "metadata.labels[app]", INV),
    ("bad label key", base().label("-bad", "v"), "metadata.labels", INV),
    ("bad annotation key", base().annotate("a/b/c", "v"), "metadata.annotations", INV),
    ("namespace not a label", base().set("metadata.namespace", "Not.OK"), "metadata.namespace", INV),
    # spec
    ("negative replicas", base().replicas(-1), "spec.replicas", INV),
    ("unknown startup type", base().startup("Sometimes"), "spec.template.cliqueStartupType", NS),
    # cliques
    ("zero cliques", pcs("x"), "spec.template.cliques", R),
    ("empty clique name", base().set(f"{C0}.name", ""), f"{C0}.name", R),
    ("clique name not DNS", base().set(f"{C0}.name", "A_b"), f"{C0}.name", INV),
    ("clique bad label", base().set(f"{C0}.labels", {"k": "bad value"}), f"{C0}.labels[k]", INV),
    ("clique bad annotation", base().set(f"{C0}.annotations", {"/x": "v"}), f"{C0}.annotations", INV),
    ("duplicate clique name", pcs("x").clique("a").clique("a", role="other"), "spec.template.cliques[1].name", D),
    ("duplicate roleName", pcs("x").clique("a", role="r").clique("b", role="r"),
     "spec.template.cliques[1].spec.roleName", D),
    ("replicas negative", base().set(f"{C0}.spec.replicas", -2), f"{C0}.spec.replicas", INV),
    ("replicas zero => minAvailable 0", pcs("x").clique("a", replicas=0), f"{C0}.spec.minAvailable", INV),
    ("minAvailable zero", pcs("x").clique("a", replicas=2, min_available=0), f"{C0}.spec.minAvailable", INV),
    ("minAvailable > replicas", pcs("x").clique("a", replicas=3, min_available=5), f"{C0}.spec.minAvailable", INV),
    ("replicas not int32", base().set(f"{C0}.spec.replicas", 2**31), f"{C0}.spec.replicas", INV),
    ("replicas a string", base().set(f"{C0}.spec.replicas", "2"), f"{C0}.spec.replicas", INV),
    # name budget (45)
    ("standalone budget", pcs("p" * 20).clique("c" * 26), f"{C0}.name", INV),
    ("group member budget", pcs("p" * 20).clique("c" * 10).group("g" * 16, ["c" * 10]),
     f"{G0}.cliqueNames[0]", INV),
    # startsAfter (Explicit only)
    ("startsAfter empty", explicit(("a", []), ("b", [""])), "spec.template.cliques[1].spec.startsAfter[0]", R),
    ("startsAfter self", explicit(("a", ["a"])), f"{C0}.spec.startsAfter[0]", INV),
    ("startsAfter duplicate", explicit(("a", []), ("b", ["a", "a"])),
     "spec.template.cliques[1].spec.startsAfter[1]", D),
    ("startsAfter unknown", explicit(("a", ["zz"])), f"{C0}.spec.startsAfter[0]", NF),
    ("startsAfter cycle", explicit(("a", ["c"]), ("b", ["a"]), ("c", ["b"])), f"{C0}.spec.startsAfter", INV),
    # autoscaling
    ("hpa minReplicas < minAvailable", pcs("x").clique("a", replicas=3, min_available=2,
                                                         autoscaling={"minReplicas": 1, "maxReplicas": 5}),
     f"{C0}.spec.autoScalingConfig.minReplicas", INV),
    ("hpa max < min", pcs("x").clique("a", replicas=1, autoscaling={"minReplicas": 3, "maxReplicas": 2}),
     f"{C0}.spec.autoScalingConfig.maxReplicas", INV),
    ("hpa max < replicas", pcs("x").clique("a", replicas=4, min_available=1,
                                           autoscaling={"minReplicas": 1, "maxReplicas": 3}),
     f"{C0}.spec.autoScalingConfig.maxReplicas", INV),
    ("hpa maxReplicas missing", pcs("x").clique("a", autoscaling={"minReplicas": 1}),
     f"{C0}.spec.autoScalingConfig.maxReplicas", R),
    # podSpec
    ("topologySpreadConstraints", pcs("x").clique("a", pod_spec={"topologySpreadConstraints": []}),
     f"{C0}.spec.podSpec.topologySpreadConstraints", F),
    ("nodeName", pcs("x").clique("a", pod_spec={"nodeName": "n1"}), f"{C0}.spec.podSpec.nodeName", F),
    ("no containers", pcs("x").clique("a", pod_spec={"containers": []}), f"{C0}.spec.podSpec.containers", R),
    ("bad env name", pcs("x").clique("a", env={"1BAD": "x"}), f"{C0}.spec.podSpec.containers[0].env[0].name", INV),
    ("duplicate env name", pcs("x").clique("a", env=[{"name": "A", "value": "1"}, {"name": "A", "value": "2"}]),
     f"{C0}.spec.podSpec.containers[0].env[1].name", D),
    ("duplicate env in init container",
     pcs("x").clique("a", pod_spec={"initContainers": [container("i", env=[{"name": "B"}, {"name": "B"}])]}),
     f"{C0}.spec.podSpec.initContainers[0].env[1].name", D),
    # scheduler name
    ("schedulers differ", pcs("x").clique("a", scheduler="default-scheduler").clique("b"),
     "spec.template.cliques[1].spec.podSpec.schedulerName", INV),
    ("scheduler not enabled", pcs("x").clique("a", scheduler="my-scheduler"), f"{C0}.spec.podSpec.schedulerName", NS),
    # scaling groups
    ("group bad name", base().group("Bad_G", ["a"]), f"{G0}.name", INV),
    ("group unknown clique", base().group("g", ["zz"]), f"{G0}.cliqueNames[0]", NF),
    ("group replicas 0", base().group("g", ["a"], replicas=0, min_available=1), f"{G0}.replicas", INV),
    ("group minAvailable 0", base().group("g", ["a"], replicas=2, min_available=0), f"{G0}.minAvailable", INV),
    ("group minAvailable > replicas", base().group("g", ["a"], replicas=2, min_available=3), f"{G0}.minAvailable", INV),
    ("group scale min < minAvailable", base().group("g", ["a"], replicas=3, min_available=2,
                                                    scale={"minReplicas": 1, "maxReplicas": 4}),
     f"{G0}.scaleConfig.minReplicas", INV),
    ("duplicate group names", base().group("g", ["a"]).group("g", ["b"]),
     "spec.template.podCliqueScalingGroups[1].name", D),
    ("clique in two groups", base().group("g", ["a"]).group("h", ["a"]),
     "spec.template.podCliqueScalingGroups[1].cliqueNames[0]", D),
    ("member with autoscaling", pcs("x").clique("a", autoscaling={"maxReplicas": 3}).group("g", ["a"]),
     f"{C0}.spec.autoScalingConfig", F),
    # terminationDelay
    ("terminationDelay zero", base().termination_delay("0s"), "spec.template.terminationDelay", INV),
    ("terminationDelay negative", base().termination_delay("-1m"), "spec.template.terminationDelay", INV),
    ("terminationDelay unparsable", base().termination_delay("four hours"), "spec.template.terminationDelay", INV),
    # resource claim templates and sharing
    ("rct empty name", base().claim_template(""), "spec.template.resourceClaimTemplates[0].name", R),
    ("rct duplicate", base().claim_template("t").claim_template("t"),
     "spec.template.resourceClaimTemplates[1].name", D),
    ("rct no requests", base().claim_template("t").set(
        "spec.template.resourceClaimTemplates[0].templateSpec.spec.devices.requests", []),
     "spec.template.resourceClaimTemplates[0].templateSpec.spec.devices.requests", R),
    ("sharing empty name", base().share(""), "spec.template.resourceSharing[0].name", R),
    ("sharing duplicate", base().share("t").share("t"), "spec.template.resourceSharing[1].name", D),
    ("sharing namespace on internal", base().claim_template("t").share("t", namespace="ns"),
     "spec.template.resourceSharing[0].namespace", INV),
    ("sharing bad scope", base().share("t", scope="Everywhere"), "spec.template.resourceSharing[0].scope", NS),
    ("pcs filter empty", base().share("t", cliques=[], groups=[]), "spec.template.resourceSharing[0].filter", R),
    ("pcs filter unknown clique", base().share("t", cliques=["zz"]),
     "spec.template.resourceSharing[0].filter.childCliqueNames[0]", NF),
    ("pcs filter unknown group", base().share("t", groups=["zz"]),
     "spec.template.resourceSharing[0].filter.childScalingGroupNames[0]", NF),
    ("pcsg filter empty", base().group("g", ["a"], sharing=[sharing("t", cliques=[])]),
     f"{G0}.resourceSharing[0].filter.childCliqueNames", R),
    ("pcsg filter outside group", base().group("g", ["a"], sharing=[sharing("t", cliques=["b"])]),
     f"{G0}.resourceSharing[0].filter.childCliqueNames[0]", INV),
    ("clique sharing duplicate", pcs("x").clique("a", sharing=[sharing("t"), sharing("t")]),
     f"{C0}.resourceSharing[1].name", D),
]


def test_base_is_valid() -> None:
    report = check(base().build())
    assert report.ok, describe(report)


@pytest.mark.parametrize(("body", "path", "etype"), [(b, p, t) for _, b, p, t in CASES],
                         ids=[c[0] for c in CASES])
def test_rule_rejects_at_path(body: Any, path: str, etype: ErrorType) -> None:
    report = check(body.build())
    assert not report.ok
    hits = [e for e in report.result.errors if e.path == path]
    assert hits, f"no error at {path}; got:\n{describe(report)}"
    assert etype in {e.type for e in hits}, describe(report)


def test_all_errors_reported_at_once() -> None:
    body = pcs("x").replicas(-1).clique("a", replicas=3, min_available=5).termination_delay("0s").build()
    paths = set(check(body).result.paths())
    assert {"spec.replicas", f"{C0}.spec.minAvailable", "spec.template.terminationDelay"} <= paths


def test_error_line_names_value_and_rule() -> None:
    body = pcs("x").clique("a").clique("b", replicas=3, min_available=5).build()
    assert error_at(check(body), "spec.template.cliques[1].spec.minAvailable") == [
        "spec.template.cliques[1].spec.minAvailable: Invalid value: 5: must be less than or equal to replicas (3)"]


def test_starts_after_ignored_unless_explicit_with_a_warning() -> None:
    body = pcs("x").startup("InOrder").clique("a", starts_after=["nope", "a"]).clique("b").build()
    report = check(body)
    assert report.ok
    assert report.result.warnings == [f"{C0}.spec.startsAfter: ignored: cliqueStartupType is "
                                      "CliqueStartupTypeInOrder; startsAfter only applies with "
                                      "CliqueStartupTypeExplicit"]


def test_restart_policy_warns_and_missing_role_name_warns_but_admits() -> None:
    report = check(pcs("x").clique("a", role=None).build())
    assert report.ok, describe(report)
    assert not any("restartPolicy" in w for w in report.result.warnings), "defaulted Always: nothing to say"
    assert any(w.startswith(f"{C0}.spec.roleName:") for w in report.result.warnings)
    body = pcs("x").clique("a").clique("b").build()
    body["spec"]["template"]["cliques"][1]["spec"]["podSpec"]["restartPolicy"] = "Never"
    warnings = check(body).result.warnings
    assert warnings == [f"{C1}.spec.podSpec.restartPolicy: restartPolicy Never will be ignored, "
                        "it will be set to Always"]


def test_empty_scheduler_name_resolves_to_default_profile() -> None:
    # "" and an explicit default-profile name are the same scheduler.
    body = pcs("x").clique("a", scheduler="").clique("b", scheduler="grove-scheduler").build()
    assert check(body).ok


def test_budget_is_exactly_45() -> None:
    assert check(pcs("p" * 20).clique("c" * 25).build()).ok
    assert check(pcs("p" * 15).clique("c" * 15).group("g" * 15, ["c" * 15]).build()).ok


def test_undefaulted_object_reports_what_defaulting_would_fill() -> None:
    """Callers that skip defaulting get Required errors, not crashes."""
    from grove.api.models import PodCliqueSet
    from grove.api.validation import OfflineLookup, validate_podcliqueset
    from tests.unit.api.validation._support import config

    raw = PodCliqueSet.model_validate(pcs("x").clique("a", autoscaling={"maxReplicas": 3}).build())
    result = validate_podcliqueset(raw, config=config(), lookup=OfflineLookup())
    assert {"spec.template.cliqueStartupType", f"{C0}.spec.minAvailable",
            f"{C0}.spec.autoScalingConfig.minReplicas", "spec.template.terminationDelay"} <= set(result.paths())
