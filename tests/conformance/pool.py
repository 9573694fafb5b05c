"""Upstream's suite spread over several conformance stacks at once.

Upstream's tests spend their time waiting (5 s polls, grace periods, termination delays); one stack (a
control plane, our operator and a scheduler) uses about 15% of a core while they run. So the groups are
cut into chunks of a few tests, and each stack runs chunks one after another, longest first, on its
own cluster: the wall time is that of the busiest stack, not the sum. Each test in a chunk still runs
alone on its cluster, as upstream's harness expects (it cordons and uncordons nodes).
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from grove.devcluster import DevCluster, DevClusterError, DevClusterOptions
from grove.devcluster.binaries import ControlPlaneBinaries
from tests.conformance.upstream_suite import GROUPS, TestResult, UpstreamSuite
from tests.e2e.harness import E2E_NODES, E2ECluster
from tests.e2e.operator_support import Operator

POD_START_DELAY = 6.0
"""Seconds KWOK holds a bound pod before it runs, as a real node pulling a cached image and starting a
container takes. Upstream's gang-termination tests (GT1, GT2, GT5) kill a pod on their first poll that
sees it Ready; with KWOK's ~1 s start that poll comes at ~5 s, exactly at the operator's 5 s "ever
scheduled" grace after creation, so the clique looks never scheduled and no gang termination fires.
With 6 s the kill lands on the next poll (~10 s), as on upstream's k3d cluster. Every pod's init
containers really run too (the dev cluster's init-container runner, on by default)."""

StackFactory = Callable[[E2ECluster, Path], AbstractContextManager[Operator]]


@dataclass(frozen=True)
class Chunk:
    group: str
    tests: tuple[str, ...]

    @property
    def pattern(self) -> str:
        return "^(" + "|".join(self.tests) + ")$"


def chunks_of(suite: UpstreamSuite, groups: list[str], size: int) -> list[Chunk]:
    """Each group's tests in declaration-name order, ``size`` at a time."""
    out: list[Chunk] = []
    for group in groups:
        names = suite.expected(group)
        out += [Chunk(group, tuple(names[i:i + size])) for i in range(0, len(names), size)]
    return out


@dataclass
class ChunkRun:
    chunk: Chunk
    stack: int
    results: dict[str, TestResult]
    seconds: float
    exit_code: int
    log: Path


@dataclass
class Stack:
    index: int
    cluster: E2ECluster
    operator: Operator
    exits: ExitStack = field(default_factory=ExitStack)
    running: list[subprocess.Popen[bytes]] = field(default_factory=list)
    closed: bool = False


class ConformancePool:
    """``stacks`` clusters, each with our operator installed by ``factory``; :meth:`submit` queues chunks."""

    def __init__(self, name: str, root: Path, bins: ControlPlaneBinaries, suite: UpstreamSuite, factory: StackFactory,
                 stacks: int, timeout: float, options: Callable[[str, Path], DevClusterOptions] | None = None) -> None:
        self.name, self.root, self.bins, self.suite = name, root, bins, suite
        self.factory, self.count, self.timeout = factory, stacks, timeout
        # no kube-scheduler: upstream's workloads name kai-scheduler, which grove scheduler or KAI answers
        self.options = options or (lambda n, d: DevClusterOptions(name=n, nodes=E2E_NODES, state_dir=d, binaries=bins,
                                                                  scheduler=False, pod_start_delay=POD_START_DELAY))
        self.stacks: list[Stack] = []
        self._queue: list[tuple[Chunk, Future[ChunkRun]]] = []
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._logs: dict[int, str] = {}

    def _say(self, msg: str) -> None:
        """A progress line in ``<root>/progress.log`` (the pool runs beside other tests: no stderr)."""
        self.root.mkdir(parents=True, exist_ok=True)
        with (self.root / "progress.log").open("a") as fh:
            fh.write(f"{time.strftime('%H:%M:%S')} [{self.name}] {msg}\n")

    def start(self) -> None:
        """Bring the stacks up one after another (their start-up binds ports); each starts on the queued
        chunks as soon as it is up."""
        for i in range(self.count):
            d = self.root / f"stack-{i}"
            cluster = DevCluster(self.options(f"{self.name}-{i}", d / "dev-cluster"))
            t0 = time.monotonic()
            try:
                cluster.up()
            except DevClusterError as err:
                self.stop()
                raise RuntimeError(f"conformance cluster {self.name}-{i} did not come up: {err}") from err
            c = E2ECluster(cluster=cluster, kubeconfig=cluster.kubeconfig, nodes=E2E_NODES)
            exits = ExitStack()
            exits.callback(cluster.down)
            try:
                op = exits.enter_context(self.factory(c, d))
            except BaseException:
                exits.close()
                self.stop()
                raise
            stack = Stack(i, c, op, exits)
            self.stacks.append(stack)
            self._say(f"stack {i} up in {time.monotonic() - t0:.1f}s")
            worker = threading.Thread(target=self._work, args=(stack,), name=f"{self.name}-{i}", daemon=True)
            worker.start()
            self._threads.append(worker)

    def submit(self, chunks: list[Chunk]) -> dict[str, list[Future[ChunkRun]]]:
        """Queue ``chunks`` (largest first; call before :meth:`start`); returns their futures by group."""
        by_group: dict[str, list[Future[ChunkRun]]] = {}
        for chunk in sorted(chunks, key=lambda ch: -len(ch.tests)):
            fut: Future[ChunkRun] = Future()
            with self._lock:
                self._queue.append((chunk, fut))
            by_group.setdefault(chunk.group, []).append(fut)
        return by_group

    def _next(self) -> tuple[Chunk, Future[ChunkRun]] | None:
        with self._lock:
            return self._queue.pop(0) if self._queue else None

    def _work(self, stack: Stack) -> None:
        """Run queued chunks on ``stack`` until none is left, then tear the stack down at once (an idle
        cluster still costs CPU that the rest of the session needs)."""
        try:
            self._drain(stack)
        finally:
            self._close(stack)

    def _drain(self, stack: Stack) -> None:
        while (item := self._next()) is not None:
            chunk, fut = item
            if not fut.set_running_or_notify_cancel():
                continue
            log = self.root / f"stack-{stack.index}" / f"{chunk.group}-{chunk.tests[0]}.log"
            try:
                fut.set_result(self._run(stack, chunk, log))
            except BaseException as err:  # reported by the test waiting on it
                fut.set_exception(err)

    def _run(self, stack: Stack, chunk: Chunk, log: Path) -> ChunkRun:
        binary, _ = GROUPS[chunk.group]
        start = time.monotonic()
        results, took, rc = self.suite.run_pattern(binary, chunk.pattern, stack.cluster.kubeconfig, log,
                                                   timeout=self.timeout, running=stack.running)
        self._say(f"stack {stack.index}: {chunk.group} {len(chunk.tests)} test(s) in {time.monotonic() - start:.0f}s")
        return ChunkRun(chunk, stack.index, results, took, rc, log)

    def _close(self, stack: Stack) -> None:
        with self._lock:
            if stack.closed:
                return
            stack.closed = True
        for proc in list(stack.running):
            proc.kill()
        self._logs[stack.index] = stack.operator.logs()
        stack.exits.close()
        self._say(f"stack {stack.index} down")

    def stop(self) -> None:
        """Kill what still runs against the stacks (queued chunks are dropped), then tear them down."""
        with self._lock:
            for _chunk, fut in self._queue:
                fut.cancel()
            self._queue.clear()
        for stack in reversed(self.stacks):
            self._close(stack)
        self.stacks = []

    def operator_logs(self, index: int) -> str:
        """The tail of stack ``index``'s operator and scheduler logs (kept after the stack went down)."""
        for stack in self.stacks:
            if stack.index == index and not stack.closed:
                return stack.operator.logs()
        return self._logs.get(index, "")


def merged(runs: Iterable[ChunkRun]) -> dict[str, TestResult]:
    out: dict[str, TestResult] = {}
    for run in runs:
        out.update(run.results)
    return out

