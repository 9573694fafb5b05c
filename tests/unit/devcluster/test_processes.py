"""Stopping a component takes down its whole process group, even children that ignore SIGTERM, and
a recycled pid in a stale pid file is never signalled."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from grove.devcluster.processes import ManagedProcess, ProcessTable, survivors_of


def _wait_for(cond: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.02)
    return False


def test_stop_kills_the_group_including_a_child_that_ignores_sigterm(tmp_path: Path) -> None:
    table = ProcessTable(tmp_path)
    marker = tmp_path / "child-started"
    script = f"(trap '' TERM; touch {marker}; sleep 60) & sleep 60"
    proc = table.start("stubborn", ["bash", "-c", script])
    assert _wait_for(marker.exists)
    assert len(survivors_of([proc.pid])) >= 2
    assert table.load() == [proc] and proc.alive()
    table.stop(proc, grace=0.5)
    assert survivors_of([proc.pid]) == []
    assert table.load() == []
    assert "bash -c" in proc.log.read_text()


def test_stop_all_from_a_fresh_table_reads_the_pid_files(tmp_path: Path) -> None:
    first = ProcessTable(tmp_path)
    a = first.start("a", ["sleep", "60"])
    b = first.start("b", ["sleep", "60"])
    stopped = ProcessTable(tmp_path).stop_all(order=["b", "a"])  # e.g. `down` from another shell
    assert stopped == ["b", "a"]
    assert survivors_of([a.pid, b.pid]) == []


def test_a_recycled_pid_is_not_signalled(tmp_path: Path) -> None:
    table = ProcessTable(tmp_path)
    bystander = subprocess.Popen(["sleep", "60"], start_new_session=True)
    try:
        table.pid_dir.mkdir(parents=True)
        # a pid file for the bystander's pid, but recorded with another start time
        (table.pid_dir / "old.pid").write_text(f"{bystander.pid} 1\n")
        stale = table.get("old")
        assert stale == ManagedProcess("old", bystander.pid, "1", table.log_dir / "old.log")
        assert not stale.alive()
        table.stop_all()
        assert bystander.poll() is None, "a process we did not start was killed"
    finally:
        os.killpg(bystander.pid, 9)
        bystander.wait()
