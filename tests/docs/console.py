"""Runs the ``$ grove …`` commands of the docs' console blocks (conventions: tests/docs/blocks.py).

    .venv/bin/python -m tests.docs.console docs/PAGE.md ...   # rewrite those pages' console outputs

The rewrite replaces each command's expected output with what it printed, except in blocks that use
``...`` (excerpts are edited by hand). Read the diff: the prose around a block must still be true.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tests.docs.blocks import DOCS, Block, blocks


@dataclass
class Command:
    line: str  # as written after "$ ", with any "  # exit N"
    expected: list[str]

    @property
    def argv(self) -> list[str]:
        return shlex.split(self.line.partition("  # exit ")[0])

    @property
    def exit_code(self) -> int:
        note = self.line.partition("  # exit ")[2]
        return int(note) if note else 0


def commands(block: Block) -> list[Command]:
    out: list[Command] = []
    for line in block.text.splitlines():
        if line.startswith("$ "):
            out.append(Command(line[2:], []))
        elif out:
            out[-1].expected.append(line.rstrip())
        elif line.strip():
            raise AssertionError(f"{block.where}: a console block starts with a '$ ' command")
    for c in out:
        while c.expected and not c.expected[-1]:
            c.expected.pop()
    return out


def env() -> dict[str, str]:
    bin_dir = str(Path(sys.executable).parent)  # the venv's `grove`
    return {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}", "COLUMNS": "100",
            "NO_COLOR": "1", "TERM": "dumb"}


def run(command: Command, cwd: Path) -> tuple[int, list[str]]:
    """stdout and stderr on one pipe, in the order a terminal shows them. A ``grove … | filter`` pipeline
    runs in bash with pipefail, so grove's failure is not hidden."""
    argv = command.argv
    if argv[0] != "grove":
        raise AssertionError(f"only grove commands are run: {command.line}")
    cmd = ["bash", "-o", "pipefail", "-c", command.line.partition("  # exit ")[0]] if "|" in argv else \
        [sys.executable, "-m", "grove", *argv[1:]]
    proc = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=240, env=env())
    lines = [ln.rstrip() for ln in proc.stdout.splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    return proc.returncode, lines


def write_page_files(page: str, into: Path) -> None:
    """The page's titled yaml blocks, as the files its commands name."""
    for b in blocks(DOCS / page):
        if b.lang == "yaml" and b.filename:
            (into / b.filename).write_text(b.text, encoding="utf-8")


def matches(expected: list[str], actual: list[str]) -> bool:
    """``...`` in ``expected`` matches any run of lines (including none); other lines match exactly."""
    if not expected:
        return not actual
    head, rest = expected[0], expected[1:]
    if head == "...":
        return any(matches(rest, actual[k:]) for k in range(len(actual) + 1))
    return bool(actual) and actual[0] == head and matches(rest, actual[1:])


def update(page: Path) -> int:
    """Rewrite the outputs of the page's console blocks; returns how many commands changed."""
    page = page.resolve()
    rel = page.relative_to(DOCS).as_posix()
    lines = page.read_text(encoding="utf-8").splitlines()
    changed = 0
    with tempfile.TemporaryDirectory() as tmp:
        write_page_files(rel, Path(tmp))
        for block in reversed([b for b in blocks(page) if b.lang == "console"]):
            cmds = commands(block)
            if any("..." in c.expected for c in cmds):
                continue
            body: list[str] = []
            for c in cmds:
                _, actual = run(c, Path(tmp))
                changed += actual != c.expected
                body += [f"$ {c.line}", *actual]
            end = block.line + len(block.text.splitlines())  # index of the closing fence
            lines[block.line:end] = body
    page.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return changed


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        print(f"{arg}: {update(Path(arg))} command output(s) changed")
