"""Start and stop the dev cluster's processes so that none is ever left behind.

Each component runs in its own session (``start_new_session``), so it leads a process group whose id
equals its pid; ``stop`` signals the whole group (SIGTERM, then SIGKILL after a grace period), which
also takes down any child a component forked. Pids are recorded in ``<state>/pids/<name>.pid`` before
anything else happens, so ``grove dev-cluster down`` in another shell (or after a crash of the CLI)
finds and stops them. A pid file also stores the process start time, so a recycled pid that now
belongs to an unrelated process is never signalled.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path


def _start_time(pid: int) -> str | None:
    """Field 22 of /proc/<pid>/stat (start time in clock ticks), or None if the pid is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # the command name (field 2) may contain spaces; it ends at the last ')'
    fields = stat[stat.rindex(")") + 2 :].split()
    return fields[19]


def _is_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat[stat.rindex(")") + 2 :].split()[0] == "Z"


@dataclass(frozen=True)
class ManagedProcess:
    """One component: its name, pid (== process-group id) and log file."""

    name: str
    pid: int
    start_time: str
    log: Path

    def alive(self) -> bool:
        return _start_time(self.pid) == self.start_time and not _is_zombie(self.pid)


class ProcessTable:
    """The pid files of one state directory."""

    def __init__(self, state_dir: Path) -> None:
        self.pid_dir = state_dir / "pids"
        self.log_dir = state_dir / "logs"

    def start(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> ManagedProcess:
        self.pid_dir.mkdir(parents=True, exist_ok=True)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = self.log_dir / f"{name}.log"
        with log.open("ab") as out:
            out.write(f"--- {time.strftime('%H:%M:%S')} {' '.join(argv)}\n".encode())
            out.flush()
            popen = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                env={**os.environ, **(env or {})},
            )
        started = _start_time(popen.pid) or ""
        (self.pid_dir / f"{name}.pid").write_text(f"{popen.pid} {started}\n")
        # The Popen object is dropped on purpose: the CLI exits while the cluster keeps running.
        # Reap it when we are its parent, so `alive` does not see a zombie.
        _REAPABLE[popen.pid] = popen
        return ManagedProcess(name, popen.pid, started, log)

    def load(self) -> list[ManagedProcess]:
        procs: list[ManagedProcess] = []
        if not self.pid_dir.is_dir():
            return procs
        for pid_file in sorted(self.pid_dir.glob("*.pid")):
            parts = pid_file.read_text().split()
            if not parts:
                continue
            name = pid_file.stem
            procs.append(ManagedProcess(name, int(parts[0]), parts[1] if len(parts) > 1 else "",
                                        self.log_dir / f"{name}.log"))
        return procs

    def get(self, name: str) -> ManagedProcess | None:
        return next((p for p in self.load() if p.name == name), None)

    def stop(self, proc: ManagedProcess, grace: float = 10.0) -> None:
        """SIGTERM the process group, SIGKILL it after ``grace`` seconds, then forget the pid file."""
        for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
            if not _owns_group(proc):
                break
            _signal_group(proc.pid, sig)
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline and _owns_group(proc):
                _reap(proc.pid)
                time.sleep(0.05)
        _reap(proc.pid)
        with contextlib.suppress(FileNotFoundError):
            (self.pid_dir / f"{proc.name}.pid").unlink()

    def stop_all(self, order: list[str] | None = None) -> list[str]:
        """Stop every recorded process (those in ``order`` first, in that order). Returns their names."""
        procs = self.load()
        rank = {n: i for i, n in enumerate(order or [])}
        procs.sort(key=lambda p: rank.get(p.name, len(rank)))
        for proc in procs:
            self.stop(proc)
        return [p.name for p in procs]


_REAPABLE: dict[int, subprocess.Popen[bytes]] = {}


def _reap(pid: int) -> None:
    popen = _REAPABLE.get(pid)
    if popen is not None and popen.poll() is not None:
        del _REAPABLE[pid]


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def _group_members(pgid: int) -> list[int]:
    """Live (non-zombie) pids whose process group is ``pgid``."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if fields[0] != "Z" and int(fields[2]) == pgid:
            members.append(int(entry.name))
    return members


def _owns_group(proc: ManagedProcess) -> bool:
    """True while the group ``proc`` leads still has live members.

    Linux never hands out a pid that is still in use as a process-group id, so if the leader is gone
    but the group has members, they are our orphans; if a process with that pid exists but with
    another start time, the pid was recycled and the group is someone else's.
    """
    start = _start_time(proc.pid)
    if start is not None and start != proc.start_time:
        return False
    return bool(_group_members(proc.pid))


def survivors_of(pgids: list[int]) -> list[int]:
    """Live pids in any of the given process groups."""
    return [pid for g in pgids for pid in _group_members(g)]
