"""Upstream Grove's own Go e2e suite against our chart-installed operator, ``grove scheduler`` placing
the pods (it answers for ``kai-scheduler``, which upstream's workloads name).

Every test of the groups the local control plane supports must pass; TAS21 may fail only where it
looks for a field path that does not exist (docs/divergences.md). Upstream tests that cannot run here
are listed with the reason in :data:`~tests.conformance.upstream_suite.NOT_RUN`.
"""

from __future__ import annotations

import pytest

from tests.conformance.background import GROUP_TIMEOUT, Runs
from tests.conformance.stacks import REPORT, check_group
from tests.conformance.upstream_suite import GROUPS, NOT_RUN, UpstreamSuite, declared_tests

pytestmark = pytest.mark.e2e

STACK = "grove-scheduler"


@pytest.mark.timeout(4 * GROUP_TIMEOUT)
@pytest.mark.parametrize("group", list(GROUPS))
def test_upstream_group_with_grove_scheduler(group: str, upstream_suite: UpstreamSuite,
                                             conformance_runs: Runs) -> None:
    runs = [f.result() for f in conformance_runs.futures[(STACK, group)]]
    check_group(runs, upstream_suite, group, STACK, conformance_runs.pools[STACK].operator_logs)


def test_tests_not_run_are_listed_with_a_reason(upstream_suite: UpstreamSuite) -> None:
    """Every upstream e2e test is either in a group we run or named in NOT_RUN with why."""
    source = upstream_suite.operator_source
    covered = {name for group in GROUPS for name in upstream_suite.expected(group)}
    declared = {n for pkg in ("e2e/tests", "e2e/tests/update") for n in declared_tests(source, pkg, r".")}
    unlisted = sorted(declared - covered - set(NOT_RUN))
    assert not unlisted, f"upstream tests neither run nor listed in NOT_RUN: {unlisted}"
    for pkg in ("auto-mnnvl", "scale", "upgrade"):
        assert (source / "e2e" / "tests" / pkg).is_dir(), f"upstream has no e2e/tests/{pkg} any more: update NOT_RUN"
    REPORT.append("-- not run here: " + "; ".join(f"{k}: {v}" for k, v in NOT_RUN.items()))
