"""Run the ``grove`` CLI in many real child processes without paying the import each time.

A server process (``python -m tests.cluster.sim.cli_forks``) imports the CLI and every command module
once, then for each request forks a child that runs ``grove ARGS`` with its own stdin, stdout and
stderr pipes, exits with the CLI's exit code and is reaped with ``wait4``, which gives its peak RSS.
So each case is a separate process (exit code, output, memory and time all its own, a crash or a hang
cannot touch the next case) at the cost of the work alone, not of a 1-2 s interpreter start.

Protocol: one JSON line per request ``{"args": [...], "stdin": "base64", "timeout": s}`` on the
server's stdin, one JSON line back ``{"rc", "stdout", "stderr", "seconds", "maxrss_mb", "timed_out"}``.
``seconds`` is the child's CPU time (user + system): the work it did, which a loaded machine (the
conformance stacks run beside these tests) does not inflate as it does wall time. A child that used
``timeout`` seconds of CPU, or ``WALL_FACTOR`` times that of wall time, is killed (``rc`` -9,
``timed_out`` true).
"""

from __future__ import annotations

import base64
import importlib
import json
import os
import select
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
WALL_FACTOR = 12
"""A child may take this many times its CPU budget in wall time (waiting for a busy CPU) before the kill."""
_TICK = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a running child (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK


@dataclass(frozen=True)
class CliResult:
    rc: int
    stdout: str
    stderr: str
    seconds: float
    maxrss_mb: float
    timed_out: bool


class CliForks:
    """The test side: start the server once, ``run(args, stdin=...)`` per case, ``close()`` at the end."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "tests.cluster.sim.cli_forks"], cwd=ROOT,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                     env={**os.environ, "PYTHONHASHSEED": "0"})

    def run(self, args: list[str], *, stdin: bytes = b"", timeout: float = 5.0) -> CliResult:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        request = {"args": args, "stdin": base64.b64encode(stdin).decode(), "timeout": timeout}
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"cli_forks server died (exit {self.proc.wait()})")
        return CliResult(**json.loads(line))

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait(timeout=30)


def _child(args: list[str], fds: tuple[int, int, int]) -> None:
    os.dup2(fds[0], 0)
    os.dup2(fds[1], 1)
    os.dup2(fds[2], 2)
    from grove.cli import main as cli
    code = 0
    try:
        cli.app(args=args, prog_name="grove", standalone_mode=True)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # a traceback is what the tests look for: print it as Python would
        import traceback
        traceback.print_exc()
        code = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(code)


def _serve_one(request: dict[str, Any]) -> dict[str, Any]:
    in_r, in_w = os.pipe()
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    sys.stdout.flush()
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:
        for fd in (in_w, out_r, err_r):
            os.close(fd)
        _child(request["args"], (in_r, out_w, err_w))
    for fd in (in_r, out_w, err_w):
        os.close(fd)
    data = base64.b64decode(request["stdin"])
    os.set_blocking(in_w, False)
    pending = memoryview(data)
    chunks: dict[int, list[bytes]] = {out_r: [], err_r: []}
    open_fds = [out_r, err_r]
    writers = [in_w] if pending else []
    if not pending:
        os.close(in_w)
    budget = float(request["timeout"])
    deadline = started + budget * WALL_FACTOR
    timed_out = False
    while open_fds:
        left = deadline - time.monotonic()
        if left <= 0 or _cpu_seconds(pid) >= budget:
            timed_out = True
            os.kill(pid, signal.SIGKILL)
            break
        readable, writable, _ = select.select(open_fds, writers, [], min(left, 0.2))
        for fd in writable:
            try:
                n = os.write(fd, pending[:65536])
            except BrokenPipeError:
                n = len(pending)
            pending = pending[n:]
            if not pending:
                os.close(fd)
                writers = []
        for fd in readable:
            chunk = os.read(fd, 1 << 16)
            if chunk:
                chunks[fd].append(chunk)
            else:
                open_fds.remove(fd)
    _, status, usage = os.wait4(pid, 0)
    seconds = usage.ru_utime + usage.ru_stime
    for fd in (out_r, err_r, *writers):
        os.close(fd)
    return {"rc": -9 if timed_out else os.waitstatus_to_exitcode(status),
            "stdout": b"".join(chunks[out_r]).decode(errors="replace"),
            "stderr": b"".join(chunks[err_r]).decode(errors="replace"),
            "seconds": seconds, "maxrss_mb": usage.ru_maxrss / 1024, "timed_out": timed_out}


def serve() -> None:
    from grove.cli import main as cli
    for module in cli.COMMAND_MODULES:
        importlib.import_module(module)
    for line in sys.stdin:
        reply = _serve_one(json.loads(line))
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    serve()
