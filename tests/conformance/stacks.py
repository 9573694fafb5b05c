"""The two stacks upstream's suite runs against: our chart-installed operator with ``grove scheduler``
answering for ``kai-scheduler``, or with the real KAI scheduler (hack/build-kai.sh) in its place."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from grove.devcluster.kai import KaiBinaries, KaiComponents, load_queues
from tests.conformance.conftest import REPORT
from tests.conformance.upstream_suite import GROUPS, UpstreamSuite, group_failures, summary_rows
from tests.e2e.harness import E2ECluster
from tests.e2e.operator_support import Operator, operator_running
from tests.upstream import E2E

QUEUES = E2E / "queues.yaml"

UPSTREAM_E2E_VALUES: dict[str, Any] = {"config": {
    "topologyAwareScheduling": {"enabled": True},
    "scheduler": {"profiles": [{"name": "kai-scheduler"}, {"name": "default-scheduler"}],
                  "defaultProfileName": "kai-scheduler"},
    "leaderElection": {"enabled": False},
}}
"""Upstream's e2e install (its skaffold ``topology-test`` profile): kai-scheduler the default profile,
topology-aware scheduling on, no leader election."""

GROVE_SCHEDULER_VALUES: dict[str, Any] = {"scheduler": {"schedulerNames": ["kai-scheduler"]}}


def kai_crds_and_queues(c: E2ECluster) -> KaiBinaries:
    """KAI's CRDs (PodGroup, Queue, Topology...) and upstream's e2e queues: the suite expects them even when
    our scheduler does the placing."""
    bins = KaiBinaries.default()
    c.kubectl("apply", "--server-side", "--force-conflicts", "-f", str(bins.crds_dir))
    c.kubectl("wait", "--for=condition=Established", "--timeout=60s", "crd", "--all")
    c.kubectl("apply", "-f", str(QUEUES))
    return bins


@contextmanager
def grove_scheduler_stack(c: E2ECluster, tmp: Path) -> Iterator[Operator]:
    kai_crds_and_queues(c)
    values = {**UPSTREAM_E2E_VALUES, **GROVE_SCHEDULER_VALUES}
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


def run_and_check(suite: UpstreamSuite, c: E2ECluster, op: Operator, group: str, stack: str, tmp: Path,
                  timeout: float) -> None:
    """Run one group; every upstream test in it must pass (TAS21: all but upstream's wrong field path)."""
    expected = suite.expected(group)
    assert expected, f"no upstream test matches group {group} ({GROUPS[group][1]}) in {suite.operator_source}"
    log = tmp / f"{stack}-{group}.log"
    results, took, rc = suite.run(group, c.kubeconfig, log, timeout=timeout)
    REPORT.append(f"-- {group} with {stack}: {sum(results[n].status == 'PASS' for n in expected if n in results)}"
                  f"/{len(expected)} passed in {took:.0f}s (exit {rc}; log {log})")
    REPORT.extend(summary_rows(group, expected, results))
    problems = group_failures(group, expected, results, suite.operator_source)
    assert not problems, (f"upstream {group} with {stack}: {len(problems)} problem(s):\n" + "\n".join(problems)
                          + f"\n--- tail of {log}:\n" + "\n".join(log.read_text(errors='replace').splitlines()[-40:])
                          + f"\n--- operator:\n{op.logs()}")
