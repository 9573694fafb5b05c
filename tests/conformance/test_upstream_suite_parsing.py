"""The conformance runner's reading of ``go test -v`` output, and its TAS21 rule (pure; no cluster)."""

from __future__ import annotations

from pathlib import Path

from tests.conformance.upstream_suite import (
    group_failures,
    only_wrong_path,
    parse_go_test,
    tas21_cases,
)

OUTPUT = """\
=== RUN   Test_GS1_GangSchedulingWithFullReplicas
2026-12-08T00:00:00Z INFO 1. Initialize a 10-node Grove cluster
--- PASS: Test_GS1_GangSchedulingWithFullReplicas (12.50s)
=== RUN   Test_TAS21_TopologyValidationWebhooks
=== RUN   Test_TAS21_TopologyValidationWebhooks/duplicate_topology_domains
=== RUN   Test_TAS21_TopologyValidationWebhooks/duplicate_scheduler_backend_references
    topology_test.go:1721: Expected validation error containing "spec.schedulerTopologyReferences[1].schedulerName", got: admission webhook "x" denied the request: spec.schedulerTopologyBindings[1].schedulerName: Duplicate value: "kai-scheduler"
=== RUN   Test_TAS21_TopologyValidationWebhooks/unknown_scheduler_backend_reference
    topology_test.go:1721: Expected validation error containing "spec.schedulerTopologyReferences[0].schedulerName", got: denied: spec.schedulerTopologyBindings[0].schedulerName: Unsupported value: "unknown-scheduler"
--- FAIL: Test_TAS21_TopologyValidationWebhooks (3.10s)
    --- PASS: Test_TAS21_TopologyValidationWebhooks/duplicate_topology_domains (0.01s)
    --- FAIL: Test_TAS21_TopologyValidationWebhooks/duplicate_scheduler_backend_references (0.02s)
    --- FAIL: Test_TAS21_TopologyValidationWebhooks/unknown_scheduler_backend_reference (0.02s)
=== RUN   Test_TAS2_MultipleCliquesWithDifferentConstraints
    topology_test.go:400: Failed to wait for pods: timed out
--- FAIL: Test_TAS2_MultipleCliquesWithDifferentConstraints (300.00s)
FAIL
"""

SOURCE = """\
func Test_TAS21_TopologyValidationWebhooks(t *testing.T) {
	tests := []struct{}{
		{
			name:   "duplicate topology domains",
			ctName: "tas21-invalid-topology",
			errContains: []string{"spec.levels[1].domain", "Duplicate value"},
		},
		{
			name:   "duplicate scheduler backend references",
			errContains: []string{"spec.schedulerTopologyReferences[1].schedulerName", "Duplicate value"},
		},
		{
			name:   "unknown scheduler backend reference",
			errContains: []string{"spec.schedulerTopologyReferences[0].schedulerName", "scheduler backend is not enabled in Grove"},
		},
	}
}

func Test_TAS22_Other(t *testing.T) {
	errContains: []string{"not this one"}
}
"""


def test_parse_reads_status_seconds_and_messages_per_test_and_subtest() -> None:
    res = parse_go_test(OUTPUT)
    assert res["Test_GS1_GangSchedulingWithFullReplicas"].status == "PASS"
    assert res["Test_GS1_GangSchedulingWithFullReplicas"].seconds == 12.5
    assert res["Test_GS1_GangSchedulingWithFullReplicas"].messages == []  # the logger's lines are not failures
    tas21 = "Test_TAS21_TopologyValidationWebhooks"
    assert res[tas21].status == "FAIL" and res[tas21].messages == []
    assert res[f"{tas21}/duplicate_topology_domains"].status == "PASS"
    dup = res[f"{tas21}/duplicate_scheduler_backend_references"]
    assert dup.status == "FAIL" and dup.parent == tas21 and len(dup.messages) == 1
    assert res["Test_TAS2_MultipleCliquesWithDifferentConstraints"].messages == [
        "topology_test.go:400: Failed to wait for pods: timed out"]


def test_tas21_cases_come_from_the_tas21_function_only() -> None:
    cases = tas21_cases(SOURCE)
    assert list(cases) == ["duplicate_topology_domains", "duplicate_scheduler_backend_references",
                           "unknown_scheduler_backend_reference"]
    assert cases["unknown_scheduler_backend_reference"] == [
        "spec.schedulerTopologyReferences[0].schedulerName", "scheduler backend is not enabled in Grove"]


def test_wrong_path_alone_is_accepted_but_not_a_wrong_message() -> None:
    res = parse_go_test(OUTPUT)
    cases = tas21_cases(SOURCE)
    tas21 = "Test_TAS21_TopologyValidationWebhooks"
    dup = res[f"{tas21}/duplicate_scheduler_backend_references"]
    assert only_wrong_path(dup, cases["duplicate_scheduler_backend_references"]) is None
    # "Unsupported value" is not upstream's wording: with the path put back the message still differs
    unknown = res[f"{tas21}/unknown_scheduler_backend_reference"]
    why = only_wrong_path(unknown, cases["unknown_scheduler_backend_reference"])
    assert why is not None and "scheduler backend is not enabled in Grove" in why


def test_group_failures_name_every_test_that_did_not_pass(tmp_path: Path) -> None:
    source = tmp_path / "operator"
    (source / "e2e" / "tests").mkdir(parents=True)
    (source / "e2e" / "tests" / "topology_test.go").write_text(SOURCE)
    expected = ["Test_TAS21_TopologyValidationWebhooks", "Test_TAS2_MultipleCliquesWithDifferentConstraints",
                "Test_TAS3_PCSOnlyConstraint"]
    problems = group_failures("TAS", expected, parse_go_test(OUTPUT), source)
    assert len(problems) == 3, problems
    assert "scheduler backend is not enabled in Grove" in problems[0]
    assert problems[1].startswith("Test_TAS2_MultipleCliquesWithDifferentConstraints: FAIL after 300.0s")
    assert problems[2] == "Test_TAS3_PCSOnlyConstraint: never ran (the binary stopped before it)"


def test_tests_commented_out_upstream_are_not_expected(tmp_path: Path) -> None:
    from tests.conformance.upstream_suite import declared_tests

    pkg = tmp_path / "e2e" / "tests" / "update"
    pkg.mkdir(parents=True)
    (pkg / "x_test.go").write_text("func Test_RU7_A(t *testing.T) {}\n/* flaky\nfunc Test_RU13_B(t *testing.T) {}\n*/\n"
                                   "// func Test_RU14_C(t *testing.T) {}\nfunc Test_OD1_D(t *testing.T) {}\n")
    assert declared_tests(tmp_path, "e2e/tests/update", r"^Test_RU\d+_") == ["Test_RU7_A"]
