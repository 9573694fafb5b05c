"""Upstream Grove's Go e2e suite against our operator: the runs, shared by the package's tests.

The conformance stacks are clusters of their own, not the session's ``e2e_cluster``: upstream's tests
cordon and uncordon nodes and expect nodes that behave like real ones (init containers that really run,
a start-up delay), which our own e2e tests do not want. One package-level fixture starts every stack
(``grove scheduler`` ones and real-KAI ones) and queues every chunk of every group at once, so they all
run concurrently; each test waits for its group's chunks. The results of every group are printed at the
end of the session (one line per upstream test).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass

import pytest

from tests.conformance.pool import ChunkRun, ConformancePool, chunks_of
from tests.conformance.stacks import KAI_GROUPS, REPORT, grove_scheduler_stack, kai_stack
from tests.conformance.upstream_suite import GROUPS, UpstreamSuite
from tests.conftest import _ensure_binaries

GROUP_TIMEOUT = 1500.0
"""Seconds one chunk may take (a few upstream tests; the slowest single test takes ~3 min)."""

CHUNK_SIZE = int(os.environ.get("GROVE_CONFORMANCE_CHUNK", "3"))
GROVE_STACKS = int(os.environ.get("GROVE_CONFORMANCE_STACKS", "5"))
KAI_STACKS = int(os.environ.get("GROVE_CONFORMANCE_KAI_STACKS", "2"))


@dataclass
class Runs:
    pools: dict[str, ConformancePool]
    futures: dict[tuple[str, str], list[Future[ChunkRun]]]


@pytest.fixture(scope="package")
def upstream_suite() -> UpstreamSuite:
    suite = UpstreamSuite.default()
    missing = suite.missing()
    if missing:
        pytest.fail(f"upstream e2e test binaries missing ({', '.join(missing)}) in {suite.root}: run "
                    "hack/build-upstream-e2e.sh (scripts/test runs it before pytest)", pytrace=False)
    return suite


@pytest.fixture(scope="package")
def conformance_runs(upstream_suite: UpstreamSuite, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runs]:
    root = tmp_path_factory.mktemp("conformance")
    bins = _ensure_binaries(root)
    pools = {"grove-scheduler": ConformancePool("grove", root / "grove", bins, upstream_suite, grove_scheduler_stack,
                                                GROVE_STACKS, GROUP_TIMEOUT),
             "real KAI": ConformancePool("kai", root / "kai", bins, upstream_suite, kai_stack, KAI_STACKS,
                                         GROUP_TIMEOUT)}
    try:
        for pool in pools.values():
            pool.start()
    except BaseException as err:
        for pool in pools.values():
            pool.stop()
        pytest.fail(f"conformance stacks did not start: {err}", pytrace=False)
    futures: dict[tuple[str, str], list[Future[ChunkRun]]] = {}
    for kind, groups in (("grove-scheduler", list(GROUPS)), ("real KAI", KAI_GROUPS)):
        for group, futs in pools[kind].submit(chunks_of(upstream_suite, groups, CHUNK_SIZE)).items():
            futures[(kind, group)] = futs
    try:
        yield Runs(pools, futures)
    finally:
        for fut in (f for futs in futures.values() for f in futs):
            fut.cancel()
        for pool in pools.values():
            pool.stop()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if REPORT:
        terminalreporter.section("upstream Grove e2e suite (tests/conformance)")
        for line in REPORT:
            terminalreporter.write_line(line)
