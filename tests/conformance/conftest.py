"""The conformance cluster: a real control plane of its own for upstream Grove's Go e2e suite.

Its own cluster, not the session's ``e2e_cluster``: upstream's tests cordon and uncordon nodes and expect
nodes that behave like real ones (init containers that really run, a start-up delay), which our own e2e
tests do not want. It lives for the ``tests/conformance`` package only; the results of every group are
printed at the end of the session (one line per upstream test).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator

import pytest

from grove.devcluster import DevCluster, DevClusterError, DevClusterOptions
from tests.conformance.upstream_suite import UpstreamSuite
from tests.conftest import _ensure_binaries
from tests.e2e.harness import E2E_NODES, E2ECluster

REPORT: list[str] = []
"""Summary lines of every group run in this session (printed by :func:`pytest_terminal_summary`)."""


@pytest.fixture(scope="package")
def upstream_suite() -> UpstreamSuite:
    suite = UpstreamSuite.default()
    missing = suite.missing()
    if missing:
        pytest.fail(f"upstream e2e test binaries missing ({', '.join(missing)}) in {suite.root}: run "
                    "hack/build-upstream-e2e.sh (scripts/test runs it before pytest)", pytrace=False)
    return suite


@pytest.fixture(scope="package")
def conformance_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[E2ECluster]:
    root = tmp_path_factory.mktemp("conformance")
    bins = _ensure_binaries(root)
    cluster = DevCluster(DevClusterOptions(name="conformance", nodes=E2E_NODES, state_dir=root / "dev-cluster",
                                           binaries=bins))
    start = time.monotonic()
    try:
        cluster.up(progress=lambda msg: print(f"[conformance] {msg}", file=sys.stderr, flush=True))
    except DevClusterError as err:
        pytest.fail(f"conformance cluster did not come up: {err}", pytrace=False)
    print(f"[conformance] cluster up in {time.monotonic() - start:.1f}s", file=sys.stderr, flush=True)
    groups = list(cluster.process_groups().values())
    try:
        yield E2ECluster(cluster=cluster, kubeconfig=cluster.kubeconfig, nodes=E2E_NODES)
    finally:
        cluster.down()
        left = DevCluster.survivors(groups)
        assert left == [], f"conformance cluster teardown left processes behind: {left}"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if REPORT:
        terminalreporter.section("upstream Grove e2e suite (tests/conformance)")
        for line in REPORT:
            terminalreporter.write_line(line)

