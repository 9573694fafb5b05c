"""Start upstream's suite when the session starts, so it runs while the rest of the session does.

Upstream's tests mostly wait (polls, grace periods), and the rest of our test session is one
single-threaded process, so they overlap. Not for free: seven stacks load two cores (load ~17) and slow the
rest of the session while they run; each stack goes down as soon as the queue is empty. The root conftest calls
:func:`start` once collection is done if any upstream group test was selected; the conformance tests
run last and only collect the results (the ``conformance_runs`` fixture joins the thread).
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

from grove.devcluster.binaries import ControlPlaneBinaries
from tests.conformance.pool import ChunkRun, ConformancePool, chunks_of
from tests.conformance.stacks import KAI_GROUPS, grove_scheduler_stack, kai_stack
from tests.conformance.upstream_suite import GROUPS, UpstreamSuite

START_TIMEOUT_SECONDS = 600.0
"""How long bringing every stack up may take (seven clusters, one after another: ~2 min)."""

GROUP_TIMEOUT = 1500.0
"""Seconds one chunk may take (a few upstream tests; the slowest single test takes ~3 min)."""


@dataclass
class Runs:
    root: Path
    pools: dict[str, ConformancePool]
    futures: dict[tuple[str, str], list[Future[ChunkRun]]]

    def stop(self) -> None:
        for fut in (f for futs in self.futures.values() for f in futs):
            fut.cancel()
        for pool in self.pools.values():
            pool.stop()


class Background:
    def __init__(self, grove_stacks: int, kai_stacks: int, chunk_size: int) -> None:
        self.grove_stacks, self.kai_stacks, self.chunk_size = grove_stacks, kai_stacks, chunk_size
        self.root = Path(tempfile.mkdtemp(prefix="grove-conformance-"))
        self.runs: Runs | None = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._start, name="conformance-start", daemon=True)

    def _start(self) -> None:
        pools: dict[str, ConformancePool] = {}
        try:
            suite = UpstreamSuite.default()
            missing = suite.missing()
            if missing:
                raise RuntimeError(f"upstream e2e test binaries missing ({', '.join(missing)}) in {suite.root}: "
                                   "run hack/build-upstream-e2e.sh (scripts/test runs it before pytest)")
            bins = ControlPlaneBinaries.default()
            if bins.missing():
                raise RuntimeError(f"control-plane binaries missing ({', '.join(bins.missing())}): run "
                                   "hack/build-control-plane.sh")
            pools = {"grove-scheduler": ConformancePool("grove", self.root / "grove", bins, suite,
                                                        grove_scheduler_stack, self.grove_stacks, GROUP_TIMEOUT),
                     "real KAI": ConformancePool("kai", self.root / "kai", bins, suite, kai_stack, self.kai_stacks,
                                                 GROUP_TIMEOUT)}
            futures: dict[tuple[str, str], list[Future[ChunkRun]]] = {}
            for kind, groups in (("grove-scheduler", list(GROUPS)), ("real KAI", KAI_GROUPS)):
                for group, futs in pools[kind].submit(chunks_of(suite, groups, self.chunk_size)).items():
                    futures[(kind, group)] = futs
            self.runs = Runs(self.root, pools, futures)
            for pool in pools.values():
                pool.start()  # each stack works on the queue as soon as it is up
        except BaseException as err:  # reported by the conformance tests
            for pool in pools.values():
                pool.stop()
            self.error = err

    def result(self, timeout: float) -> Runs:
        self.thread.join(timeout)
        if self.thread.is_alive():
            raise RuntimeError(f"the conformance stacks did not start within {timeout:.0f}s (see {self.root})")
        if self.error is not None:
            raise RuntimeError(f"conformance stacks did not start: {self.error}") from self.error
        assert self.runs is not None
        return self.runs

    def cleanup(self, keep: bool) -> None:
        """Stop every stack (idempotent); remove the logs unless ``keep``."""
        if self.runs is not None:
            self.runs.stop()
            self.runs = None
        if not keep:
            shutil.rmtree(self.root, ignore_errors=True)


_lock = threading.Lock()
_started: Background | None = None


def start(grove_stacks: int, kai_stacks: int, chunk_size: int) -> Background:
    """Start (once per session) every stack and queue every chunk, in a background thread."""
    global _started
    with _lock:
        if _started is None:
            _started = Background(grove_stacks, kai_stacks, chunk_size)
            _started.thread.start()
        return _started


def started() -> Background | None:
    return _started
