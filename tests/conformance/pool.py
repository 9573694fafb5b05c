"""Upstream's suite spread over several conformance stacks at once.

Upstream's tests spend their time waiting (5 s polls, grace periods, termination delays); one stack (a
control plane, our operator and a scheduler) uses about 15% of a core while they run. So the groups are
cut into chunks of a few tests, and each stack runs chunks one after another, longest first, on its
own cluster: the wall time is that of the busiest stack, not the sum. Each test in a chunk still runs
alone on its cluster, as upstream's harness expects (it cordons and uncordons nodes).
"""

from __future__ import annotations

import sys
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


class ConformancePool:
    """``stacks`` clusters, each with our operator installed by ``factory``; :meth:`submit` queues chunks."""

    def __init__(self, name: str, root: Path, bins: ControlPlaneBinaries, suite: UpstreamSuite, factory: StackFactory,
                 stacks: int, timeout: float, options: Callable[[str, Path], DevClusterOptions] | None = None) -> None:
        self.name, self.root, self.bins, self.suite = name, root, bins, suite
        self.factory, self.count, self.timeout = factory, stacks, timeout
        self.options = options or (lambda n, d: DevClusterOptions(name=n, nodes=E2E_NODES, state_dir=d, binaries=bins))
        self.stacks: list[Stack] = []
        self._queue: list[tuple[Chunk, Future[ChunkRun]]] = []
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    def _say(self, msg: str) -> None:
        print(f"[conformance {self.name}] {msg}", file=sys.stderr, flush=True)

    def start(self) -> None:
        """Bring the clusters up one after another (their start-up binds ports), then the operators."""
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
            self.stacks.append(Stack(i, c, op, exits))
            self._say(f"stack {i} up in {time.monotonic() - t0:.1f}s")

    def submit(self, chunks: list[Chunk]) -> dict[str, list[Future[ChunkRun]]]:
        """Queue ``chunks`` (largest first) and start one worker per stack; returns futures by group."""
        by_group: dict[str, list[Future[ChunkRun]]] = {}
        for chunk in sorted(chunks, key=lambda ch: -len(ch.tests)):
            fut: Future[ChunkRun] = Future()
            self._queue.append((chunk, fut))
            by_group.setdefault(chunk.group, []).append(fut)
        for stack in self.stacks:
            t = threading.Thread(target=self._work, args=(stack,), name=f"{self.name}-{stack.index}", daemon=True)
            t.start()
            self._threads.append(t)
        return by_group

    def _next(self) -> tuple[Chunk, Future[ChunkRun]] | None:
        with self._lock:
            return self._queue.pop(0) if self._queue else None

    def _work(self, stack: Stack) -> None:
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
                                                   timeout=self.timeout)
        self._say(f"stack {stack.index}: {chunk.group} {len(chunk.tests)} test(s) in {time.monotonic() - start:.0f}s")
        return ChunkRun(chunk, stack.index, results, took, rc, log)

    def stop(self) -> None:
        for stack in reversed(self.stacks):
            stack.exits.close()
        self.stacks = []

    def operator_logs(self, index: int) -> str:
        for stack in self.stacks:
            if stack.index == index:
                return stack.operator.logs()
        return ""


def merged(runs: Iterable[ChunkRun]) -> dict[str, TestResult]:
    out: dict[str, TestResult] = {}
    for run in runs:
        out.update(run.results)
    return out

