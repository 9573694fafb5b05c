"""Upstream Grove's Go e2e suite against our operator: the runs, shared by the package's tests.

The conformance stacks are clusters of their own, not the session's ``e2e_cluster``: upstream's tests
cordon and uncordon nodes and expect nodes that behave like real ones (init containers that really run,
a start-up delay), which our own e2e tests do not want. The root conftest starts every stack (``grove
scheduler`` ones and real-KAI ones) and queues every chunk of every group as soon as collection ends
(:mod:`tests.conformance.background`), so they run while the rest of the session does; these tests run
last and each waits for its group's chunks. The results of every group are printed at the end of the
session (one line per upstream test).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.conformance import background
from tests.conformance.background import Runs
from tests.conformance.stacks import FAILED, REPORT
from tests.conformance.upstream_suite import UpstreamSuite

CHUNK_SIZE = int(os.environ.get("GROVE_CONFORMANCE_CHUNK", "3"))
GROVE_STACKS = int(os.environ.get("GROVE_CONFORMANCE_STACKS", "5"))
KAI_STACKS = int(os.environ.get("GROVE_CONFORMANCE_KAI_STACKS", "2"))


@pytest.fixture(scope="package")
def upstream_suite() -> UpstreamSuite:
    suite = UpstreamSuite.default()
    missing = suite.missing()
    if missing:
        pytest.fail(f"upstream e2e test binaries missing ({', '.join(missing)}) in {suite.root}: run "
                    "hack/build-upstream-e2e.sh (scripts/test runs it before pytest)", pytrace=False)
    return suite


@pytest.fixture(scope="package")
def conformance_runs(upstream_suite: UpstreamSuite) -> Iterator[Runs]:
    bg = background.started() or background.start(GROVE_STACKS, KAI_STACKS, CHUNK_SIZE)
    try:
        runs = bg.result(background.START_TIMEOUT_SECONDS)
    except RuntimeError as err:
        bg.cleanup(keep=True)
        pytest.fail(str(err), pytrace=False)
    try:
        yield runs
    finally:
        bg.cleanup(keep=bool(FAILED))
        REPORT.append(f"-- logs: {bg.root}" + ("" if FAILED else " (removed: every group passed)"))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if REPORT:
        terminalreporter.section("upstream Grove e2e suite (tests/conformance)")
        for line in REPORT:
            terminalreporter.write_line(line)
