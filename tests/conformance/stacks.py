"""The two stacks upstream's suite runs against: our chart-installed operator with ``grove scheduler``
answering for ``kai-scheduler``, or with the real KAI scheduler (hack/build-kai.sh) in its place."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from grove.devcluster.crds import install_crds, load_crds
from grove.devcluster.kai import KaiBinaries, KaiComponents, load_queues
from tests.conformance.pool import ChunkRun, merged
from tests.conformance.upstream_suite import GROUPS, UpstreamSuite, group_failures, summary_rows
from tests.e2e.harness import E2ECluster
from tests.e2e.operator_support import Operator, deep_merge, operator_running
from tests.upstream import E2E

QUEUES = E2E / "queues.yaml"

UPSTREAM_E2E_VALUES: dict[str, Any] = {"replicaCount": 1, "scheduler": {"replicaCount": 1}, "config": {
    "topologyAwareScheduling": {"enabled": True},
    "scheduler": {"profiles": [{"name": "kai-scheduler"}, {"name": "default-scheduler"}],
                  "defaultProfileName": "kai-scheduler"},
    "leaderElection": {"enabled": False},
}}
"""Upstream's e2e install (its skaffold ``topology-test`` profile): one replica, kai-scheduler the default
profile, topology-aware scheduling on, no leader election."""

GROVE_SCHEDULER_VALUES: dict[str, Any] = {"scheduler": {"schedulerNames": ["kai-scheduler"]}}


def kai_crds_and_queues(c: E2ECluster) -> KaiBinaries:
    """KAI's CRDs (PodGroup, Queue, Topology...) and upstream's e2e queues: the suite expects them even when
    our scheduler does the placing."""
    bins = KaiBinaries.default()
    install_crds(c.cluster.rest(), load_crds([bins.crds_dir]), 60.0)
    c.kubectl("apply", "-f", str(QUEUES))
    return bins


@contextmanager
def grove_scheduler_stack(c: E2ECluster, tmp: Path) -> Iterator[Operator]:
    kai_crds_and_queues(c)
    values = deep_merge(UPSTREAM_E2E_VALUES, GROVE_SCHEDULER_VALUES)
    with operator_running(c, tmp, scheduler=True, values=values) as op:
        yield op


@contextmanager
def kai_stack(c: E2ECluster, tmp: Path) -> Iterator[Operator]:
    bins = kai_crds_and_queues(c)
    missing = bins.missing()
    if missing:
        pytest.fail(f"KAI binaries missing ({', '.join(missing)}); {bins.build_hint()}", pytrace=False)
    comps = KaiComponents(c.cluster.state_dir, c.kubeconfig, bins)
    comps.up(c.cluster.rest(), queues=load_queues(QUEUES),
             progress=lambda msg: print(f"[kai] {msg}", file=sys.stderr, flush=True))
    try:
        with operator_running(c, tmp, scheduler=False, values=UPSTREAM_E2E_VALUES) as op:
            yield op
    finally:
        comps.down()


KAI_GROUPS = ["GS", "TAS"]
"""The groups also run with the real KAI scheduler placing the pods."""


REPORT: list[str] = []
"""Summary lines of every group run in this session (printed by conftest's terminal summary)."""
FAILED: list[str] = []
"""Groups that did not pass (their logs are kept)."""


def check_group(runs: list[ChunkRun], suite: UpstreamSuite, group: str, stack: str,
                logs: Callable[[int], str]) -> None:
    """Every upstream test of ``group`` passed (TAS21: all but upstream's wrong field path); the chunks'
    results go into the session report either way."""
    expected = suite.expected(group)
    assert expected, f"no upstream test matches group {group} ({GROUPS[group][1]}) in {suite.operator_source}"
    results = merged(runs)
    took = max((r.seconds for r in runs), default=0.0)
    passed = sum(results[n].status == "PASS" for n in expected if n in results)
    REPORT.append(f"-- {group} with {stack}: {passed}/{len(expected)} passed; {len(runs)} chunk(s), the longest "
                  f"{took:.0f}s; exit codes {sorted({r.exit_code for r in runs})}")
    REPORT.extend(summary_rows(group, expected, results))
    problems = group_failures(group, expected, results, suite.operator_source)
    if problems:
        FAILED.append(f"{group} with {stack}")
        failing = [r for r in runs if any(p.startswith(t) for t in r.chunk.tests for p in problems)] or runs
        tails = [f"--- {r.log} (stack {r.stack}):\n" + "\n".join(r.log.read_text(errors="replace").splitlines()[-30:])
                 + f"\n--- operator of stack {r.stack}:\n{logs(r.stack)}" for r in failing[:2]]
        raise AssertionError(f"upstream {group} with {stack}: {len(problems)} problem(s):\n" + "\n".join(problems)
                             + "\n" + "\n".join(tails))
